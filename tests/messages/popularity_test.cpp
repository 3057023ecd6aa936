// The one decayed popularity: adding uses in and out of order, decaying to
// now, and decay that keeps the order of scores.
#define BOOST_TEST_MODULE popularity
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/popularity.hpp"

using namespace almanac::popularity;

namespace {
const double h = half_life_ms(30);
const int64_t day = 86400000;
} // namespace

BOOST_AUTO_TEST_CASE(uses_halve_every_half_life) {
  decayed_uses d;
  BOOST_TEST(at(d, 0, h) == 0.0);
  add(d, 8, 10 * day, h);
  BOOST_TEST(at(d, 10 * day, h) == 8.0);
  BOOST_TEST(at(d, 40 * day, h) == 4.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(at(d, 5 * day, h) == 8.0); // never grown by an earlier "now"
  add(d, 4, 40 * day, h);
  BOOST_TEST(d.score == 8.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(d.last_ms == 40 * day);
}

BOOST_AUTO_TEST_CASE(the_order_of_uses_does_not_matter) {
  decayed_uses a, b;
  add(a, 2, 1 * day, h);
  add(a, 3, 50 * day, h);
  add(b, 3, 50 * day, h);
  add(b, 2, 1 * day, h); // arrives late
  BOOST_TEST(a.score == b.score, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(a.last_ms == b.last_ms);
}

BOOST_AUTO_TEST_CASE(decay_keeps_the_order_of_scores) {
  decayed_uses old_many, new_few, none;
  add(old_many, 100, 0, h);      // 100 uses long ago
  add(new_few, 10, 90 * day, h); // 10 recent ones
  // At day 100: 100 / 2^(100/30) = 9.9 > 10 / 2^(10/30) = 7.9, and still
  // so at any later time (both decay alike).
  BOOST_TEST(at(old_many, 100 * day, h) > at(new_few, 100 * day, h));
  BOOST_TEST(at(old_many, 400 * day, h) > at(new_few, 400 * day, h));
  BOOST_TEST(at(none, 400 * day, h) == 0.0);
}
