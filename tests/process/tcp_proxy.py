"""A TCP proxy a test controls, between a standby and its primary: it
forwards both ways, can cut every connection and refuse new ones (a
partition), can delay what the primary sends (a slow link), and can
flip one bit in the next bytes from the primary (a corrupted wire)."""
import select
import socket
import threading
import time


class Proxy:
    def __init__(self, target_port, listen_port=0):
        self.target = ("127.0.0.1", target_port)
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", listen_port))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs = []
        self.partitioned = False
        self.silent = False   # a partition that drops packets, not connections
        self.delay = 0.0      # seconds each chunk from the primary waits (a slow link)
        self.flip_at = None   # flip a bit this many bytes into the next data from the primary
        self.flipped = 0
        self.connections = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                if self.partitioned:
                    c.close()
                    continue
            try:
                u = socket.create_connection(self.target, timeout=2)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.pairs.append((c, u))
                self.connections += 1
            threading.Thread(target=self._pump, args=(c, u), daemon=True).start()

    def _pump(self, c, u):
        try:
            while True:
                with self.lock:
                    held = self.partitioned and self.silent
                    if (self.partitioned and not self.silent) or self.closed:
                        break
                if held:
                    # Nothing crosses; the sockets stay open, as in a
                    # network that drops packets.
                    select.select([], [], [], 0.05)
                    continue
                r, _, _ = select.select([c, u], [], [], 0.2)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed")
                    if s is u:
                        with self.lock:
                            if self.flip_at is not None and len(data) > self.flip_at:
                                b = bytearray(data)
                                b[self.flip_at] ^= 0x10
                                data = bytes(b)
                                self.flip_at = None
                                self.flipped += 1
                        if self.delay:
                            time.sleep(self.delay)
                        c.sendall(data)
                    else:
                        u.sendall(data)
        except OSError:
            pass
        for s in (c, u):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        with self.lock:
            if (c, u) in self.pairs:
                self.pairs.remove((c, u))

    def partition(self, silent=False):
        """Refuses new connections until heal(); drops the open ones, or
        with `silent` holds them open and forwards nothing (lost packets)."""
        with self.lock:
            self.partitioned = True
            self.silent = silent

    def heal(self):
        with self.lock:
            self.partitioned = False

    def flip_bit(self, at=100):
        """Flips one bit `at` bytes into the next chunk from the primary."""
        with self.lock:
            self.flip_at = at

    def close(self):
        self.closed = True
        self.server.close()
