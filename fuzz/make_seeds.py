#!/usr/bin/env python3
"""Writes the seed corpus of every fuzzer under fuzz/corpus/<name>/.

Real examples: SQL from ../shared/corpus/openlineage-sql, run events from
../shared/corpus/openlineage-events (Apache-2.0, OpenLineage), frames and log
directories encoded as storage/log/record_format.hpp describes, requests,
catalog commands and cron strings written here. Regression inputs that the
fuzzers found are kept beside the seeds under names starting "regress-"
(this script never removes them). Run from anywhere: fuzz/make_seeds.py
"""
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "corpus")
OUT = os.path.join(HERE, "corpus")


def crc32c(data, crc=0):
    table = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


crc32c.table = _table()

RECORD_MAGIC = 0xA9524C47


def frame(offset, epoch, ts, type_, key, payload, version=1):
    type_, key, payload = (x.encode() if isinstance(x, str) else x for x in (type_, key, payload))
    length = 48 + len(type_) + len(key) + len(payload)
    rest = struct.pack("<HHIQQqII", version, len(type_), length, offset, epoch, ts,
                       len(key), len(payload)) + type_ + key + payload
    return struct.pack("<II", RECORD_MAGIC, crc32c(rest)) + rest


def records(first, n, epoch=1):
    return b"".join(frame(first + i, epoch, 1714566896000 + i, "EntityRegistered@1",
                          "urn:almanac:table:s.p.t%d" % i, '{"n":%d}' % i) for i in range(n))


def put(name, fname, data):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def clear(name):
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if not f.startswith("regress-"):
                os.remove(os.path.join(d, f))


def seeds_record():
    clear("record")
    three = records(0, 3)
    put("record", "one-frame", records(0, 1))
    put("record", "three-frames", three)
    put("record", "empty-fields", frame(7, 2, -1, "x", "", ""))
    put("record", "torn-tail", three[:-10])
    bad = bytearray(records(0, 2))
    bad[60] ^= 1
    put("record", "bad-crc", bytes(bad))
    put("record", "version-2", frame(0, 1, 0, "t", "k", "p", version=2))
    put("record", "magic-only", struct.pack("<I", RECORD_MAGIC))


def index_entries(entries):
    """The recovery fuzzer's index section: count, then (u32 rel, u64 pos)."""
    return bytes([len(entries)]) + b"".join(struct.pack("<IQ", r, p) for r, p in entries)


def seeds_recovery():
    clear("recovery")
    three = records(0, 3)
    after = records(3, 3)
    sizes = [len(frame(i, 1, 0, "EntityRegistered@1", "urn:almanac:table:s.p.t%d" % i,
                       '{"n":%d}' % i)) for i in range(3)]
    put("recovery", "empty", b"\x00")
    put("recovery", "clean", b"\x00" + three)
    put("recovery", "torn-tail", b"\x00" + three[:-7])
    put("recovery", "zero-tail", b"\x00" + three + b"\x00" * 64)
    bad = bytearray(three)
    bad[sizes[0] + 20] ^= 0x40
    put("recovery", "corrupt-middle", b"\x00" + bytes(bad))
    put("recovery", "after-sealed", b"\x01" + after)
    put("recovery", "new-epoch", b"\x03" + records(3, 2, epoch=2))
    put("recovery", "with-index", b"\x04" + index_entries([(1, sizes[0]), (2, sizes[0] + sizes[1])]) + three)
    put("recovery", "stale-index", b"\x04" + index_entries([(2, sizes[0] + sizes[1])]) + three[:sizes[0] + 5])
    put("recovery", "wrong-offset", b"\x00" + records(0, 1) + records(5, 1))
    # Bit 3: the fuzzer makes the checksums right, so these reach the checks
    # behind the CRC (offsets, epochs, versions, field lengths).
    put("recovery", "fixed-wrong-epoch", b"\x08" + records(0, 1) + records(1, 1, epoch=3))
    put("recovery", "fixed-version-2", b"\x08" + records(0, 1) + frame(1, 1, 0, "t", "k", "p", version=2))
    put("recovery", "fixed-sealed-gap", b"\x09" + records(4, 2))


def seeds_http():
    clear("http")
    reqs = {
        "health": "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
        "entity": "GET /api/v1/entities/urn%3Aalmanac%3Atable%3As.p.t?limit=5&x=a+b%20c HTTP/1.1\r\n"
                  "Host: x\r\nAuthorization: Bearer viewer-token\r\n\r\n",
        "post-json": "POST /api/v1/entities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer steward-token\r\n"
                     "Content-Type: application/json\r\nContent-Length: 44\r\n\r\n"
                     '{"urn":"urn:almanac:source:s","kind":"sou"}',
        "chunked": "POST /api/v1/queries HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer issued-token\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "forbidden": "PUT /api/v1/fail/now HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer viewer-token\r\n"
                     "Content-Length: 0\r\n\r\n",
        "throws": "PUT /api/v1/fail/now HTTP/1.1\r\nAuthorization: Bearer admin-token\r\n\r\n",
        "silent": "DELETE /api/v1/entities/x HTTP/1.1\r\nAuthorization: Bearer admin-token\r\n\r\n",
        "async": "GET /api/v1/lineage/a%2Fb/ HTTP/1.1\r\nAuthorization: Bearer viewer-token\r\n\r\n",
        "method": "PATCH /health HTTP/1.1\r\n\r\n",
        "bad-utf8": "GET /api/v1/entities/%FF?q=%C3%28 HTTP/1.1\r\nAuthorization: Bearer viewer-token\r\n\r\n",
        "deep-json": "POST /api/v1/entities HTTP/1.1\r\nAuthorization: Bearer steward-token\r\n"
                     "Content-Length: 130\r\n\r\n" + "[" * 65 + "]" * 65,
        "pipelined": "GET /health HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\nConnection: close\r\n\r\n"
                     "GET /health HTTP/1.1\r\n\r\n",
        "http10": "GET /api/v1/entities/x?limit=99999999999999999999 HTTP/1.0\r\n"
                  "authorization: Bearer viewer-token\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
        "no-bearer": "GET /api/v1/entities/x HTTP/1.1\r\nAuthorization: Basic abc\r\n\r\n",
    }
    for k, v in reqs.items():
        put("http", k, v)


def seeds_commands():
    clear("commands")
    cmds = {
        "register": b"\x00" + json.dumps({"urn": "urn:almanac:table:s.p.t2", "kind": "table", "name": "t2",
                                          "parent": "urn:almanac:schema:s.p", "tags": ["pii", "gold", "pii"],
                                          "terms": ["urn:almanac:term:Film"],
                                          "attributes": {"definition": "select 1"}}).encode(),
        "register-bad": b"\x00" + b'{"urn":"urn:almanac:table:s.p.t","kind":"view","extra":1}',
        "register-source": b"\x08" + json.dumps({"urn": "urn:almanac:source:t", "kind": "source",
                                                 "attributes": {"connection": {"driver": "sqlite",
                                                                               "path": "/tmp/t.db"}}}).encode(),
        "replace-attributes": b"\x33" + json.dumps({"definition": "select 1", "rows": 3}).encode(),
        "register-connection-refused": b"\x00" + json.dumps({"urn": "urn:almanac:table:s.p.x", "kind": "table",
                                                             "attributes": {"connection": {}}}).encode(),
        "edit": b"\x21" + json.dumps({"description": "# Film\n\ntext", "title": "Film", "deprecated": True,
                                      "stewards": ["alice"]}).encode(),
        "edit-if-match": b"\x25" + b'{"tags":[]}',
        "remove-cascade": b"\x1a",
        "remove-children": b"\x02",
        "sequence": b"\x00" + b'{"urn":"urn:almanac:column:s.p.t.d","kind":"column"}' + b"\x00"
                    + b"\x11" + b'{"description":"d"}' + b"\x00" + b"\x2a",
        "not-object": b"\x00[1,2,3]",
        "unicode": b"\x00" + json.dumps({"urn": "urn:almanac:source:caf\u00e9", "kind": "source",
                                         "title": "\u2603"}, ensure_ascii=False).encode(),
    }
    for k, v in cmds.items():
        put("commands", k, v)


def seeds_sql():
    clear("sql")
    seen = set()
    for f in ("table_lineage.jsonl", "column_lineage.jsonl"):
        with open(os.path.join(SHARED, "openlineage-sql", f)) as fh:
            for line in fh:
                if not line.strip():
                    continue
                sql = json.loads(line)["sql"]
                if sql in seen:
                    continue
                seen.add(sql)
                h = hashlib.sha1(sql.encode()).hexdigest()[:12]
                put("sql", "ol-" + h, b"\x00" + sql.encode())
    own = [
        "with recursive s as (select 1 as n union all select n + 1 from s where n < 3) "
        "insert into t (n) select n from s",
        "merge into t using (select * from s) x on t.id = x.id when matched then update set "
        "v = x.v when not matched then insert values (x.id, x.v)",
        "select o.*, c.name from orders o join customers c on o.customer_id = c.id where amount > 10",
        "copy (select * from t) to '/tmp/x'; create view v as select * from t union select * from u",
    ]
    for i, sql in enumerate(own):
        put("sql", "own-%d" % i, bytes([i % 4]) + sql.encode())


def seeds_cron():
    clear("cron")
    for i, c in enumerate(["* * * * *", "*/15 * * * *", "0 3 * * mon-fri", "30 2 1,15 * *",
                           "0 0 1 jan *", "5-55/10 8-18 * * 1-5", "0 12 * * 7", "59 23 31 12 sat",
                           "0 0 29 feb *", "0 */2 * jun-aug sun,wed", "61 * * * *", "* * * *",
                           "*/0 * * * *", "1-2-3 * * * *"]):
        put("cron", "cron-%02d" % i, c)


def seeds_openlineage():
    clear("openlineage")
    ev = os.path.join(SHARED, "openlineage-events")
    for sub in ("fluentd-events", "spark-expected-partial"):
        for f in sorted(os.listdir(os.path.join(ev, sub))):
            with open(os.path.join(ev, sub, f), "rb") as fh:
                put("openlineage", sub + "-" + f, fh.read())
    for sub in ("ColumnLineageDatasetFacet",):
        d = os.path.join(ev, "facet-examples", sub)
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f)) as fh:
                facet = json.load(fh)
            event = {"eventType": "COMPLETE", "eventTime": "2024-05-01T12:34:56.789Z",
                     "producer": "https://example.com/fuzz",
                     "run": {"runId": "3f5e83fa-3480-44ff-99c5-ff943904e5e8"},
                     "job": {"namespace": "ns", "name": "job"},
                     "inputs": [{"namespace": "postgres://db", "name": "db.public.src"}],
                     "outputs": [{"namespace": "postgres://db", "name": "db.public.dst",
                                  "facets": facet if "columnLineage" in facet else {"columnLineage": facet}}]}
            put("openlineage", "facet-" + sub + "-" + f, json.dumps(event))


def main():
    for fn in (seeds_record, seeds_recovery, seeds_http, seeds_commands, seeds_sql, seeds_cron,
               seeds_openlineage):
        fn()
    for name in sorted(os.listdir(OUT)):
        d = os.path.join(OUT, name)
        if os.path.isdir(d):
            print("%-12s %3d files" % (name, len(os.listdir(d))))


if __name__ == "__main__":
    sys.exit(main())
