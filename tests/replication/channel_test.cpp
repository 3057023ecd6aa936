#define BOOST_TEST_MODULE replication_channel
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

// The TLS-PSK channel over real loopback sockets: peers with the same
// secret talk both ways (a 20 MB run included); a peer with another secret
// fails the handshake on both ends and no message crosses; the secret is
// never on the wire.

#include "actors/replication/tls_channel.hpp"
#include "messages/error.hpp"
#include "storage/log/record_format.hpp"

#include <atomic>
#include <thread>

using namespace almanac;
using namespace almanac::replication;
using namespace std::chrono_literals;

namespace {

const std::string secret = "correct horse battery staple 42";

std::shared_ptr<tls_context> context(const std::string& s, bool server) {
  auto ctx = tls_context::make(s, server);
  BOOST_REQUIRE(ctx);
  return *ctx;
}

/// Pumps `ch` until a message arrives or `timeout` passes.
std::optional<message> receive(tls_channel& ch, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto x = ch.next();
    BOOST_REQUIRE_MESSAGE(x, (x ? "" : render(x.error())));
    if (*x)
      return std::move(**x);
    auto err = ch.pump(10ms);
    BOOST_REQUIRE_MESSAGE(!err, render(err));
  }
  return std::nullopt;
}

} // namespace

BOOST_AUTO_TEST_CASE(short_secrets_are_refused) {
  auto ctx = tls_context::make("short", true);
  BOOST_REQUIRE(!ctx);
  BOOST_TEST(render(ctx.error()).find("at least 16 bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(same_secret_talks_both_ways) {
  auto listener = tls_listener::open(context(secret, true), "127.0.0.1", 0);
  BOOST_REQUIRE(listener);
  auto port = (*listener)->port();
  std::unique_ptr<tls_channel> server_side;
  std::thread acceptor{[&] {
    auto ch = (*listener)->accept(5s);
    if (ch && *ch)
      server_side = std::move(*ch);
  }};
  auto client = tls_channel::connect(context(secret, false), "127.0.0.1", port, 5s);
  acceptor.join();
  BOOST_REQUIRE_MESSAGE(client, (client ? "" : render(client.error())));
  BOOST_REQUIRE(server_side);
  (*client)->send(hello{"s1", storage::epoch_history{{{1, 0}}}, 5, 6});
  BOOST_REQUIRE(!(*client)->flush(5s));
  auto got = receive(*server_side, 5s);
  BOOST_REQUIRE(got);
  BOOST_TEST(std::get<hello>(*got).name == "s1");
  // A big run the other way, while the client also pumps.
  storage::frame_run run;
  run.segment_epoch = 1;
  for (uint64_t i = 0; i < 20; ++i)
    storage::encode_frame(run.bytes, i, 1, 0, "T", "", std::string(1u << 20, 'a' + i % 26));
  run.count = 20;
  server_side->send(run);
  server_side->send(heartbeat{1, 20, run.bytes.size(), 99});
  std::atomic<bool> stop{false};
  std::thread pusher{[&] {
    while (!stop && server_side->pending_output() > 0)
      if (server_side->pump(10ms))
        break;
  }};
  auto big = receive(**client, 20s);
  stop = true;
  pusher.join();
  BOOST_REQUIRE(big);
  auto& rb = std::get<storage::frame_run>(*big);
  BOOST_TEST(rb.count == 20u);
  BOOST_TEST((rb.bytes == run.bytes));
  BOOST_TEST(!storage::check_frame_run(rb));
  auto beat = receive(**client, 5s);
  BOOST_REQUIRE(beat);
  BOOST_TEST(std::get<heartbeat>(*beat).time_ms == 99);
  BOOST_TEST(server_side->bytes_out() > run.bytes.size());
  // The peer closing is an error naming it.
  server_side.reset();
  caf::error err;
  for (int i = 0; i < 100 && !err; ++i)
    err = (*client)->pump(20ms);
  BOOST_TEST((code_of(err) == ec::unavailable));
  BOOST_TEST(render(err).find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(another_secret_fails_the_handshake_on_both_ends) {
  auto listener = tls_listener::open(context(secret, true), "127.0.0.1", 0);
  BOOST_REQUIRE(listener);
  auto port = (*listener)->port();
  caf::error server_err;
  bool server_got_channel = false;
  std::thread acceptor{[&] {
    auto ch = (*listener)->accept(5s);
    if (!ch)
      server_err = ch.error();
    else if (*ch)
      server_got_channel = true;
  }};
  auto client = tls_channel::connect(context("a different secret, 32 bytes..", false),
                                     "127.0.0.1", port, 5s);
  acceptor.join();
  BOOST_TEST(!server_got_channel);
  BOOST_REQUIRE(server_err);
  BOOST_TEST(render(server_err).find("TLS handshake failed") != std::string::npos,
             render(server_err));
  // The client learns it too: at once, or on its first exchange.
  if (client) {
    (*client)->send(hello{"s", storage::epoch_history{{{1, 0}}}, 0, 0});
    caf::error err;
    for (int i = 0; i < 50 && !err; ++i)
      err = (*client)->pump(20ms);
    BOOST_TEST(static_cast<bool>(err));
  } else {
    BOOST_TEST(render(client.error()).find("TLS handshake failed") != std::string::npos,
               render(client.error()));
  }
}

BOOST_AUTO_TEST_CASE(nobody_listening_is_a_clear_error) {
  int port = 0;
  {
    auto l = tls_listener::open(context(secret, true), "127.0.0.1", 0);
    BOOST_REQUIRE(l);
    port = (*l)->port();
  }
  auto client = tls_channel::connect(context(secret, false), "127.0.0.1",
                                     static_cast<uint16_t>(port), 2s);
  BOOST_REQUIRE(!client);
  BOOST_TEST(render(client.error()).find("cannot connect") != std::string::npos,
             render(client.error()));
}
