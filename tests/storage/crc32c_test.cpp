#define BOOST_TEST_MODULE crc32c
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "storage/log/crc32c.hpp"

#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace almanac::storage;

namespace {

struct vector_case {
  std::vector<unsigned char> data;
  uint32_t crc;
};

// Check values from RFC 3720 (iSCSI), appendix B.4, and the common
// "123456789" check value of CRC-32C.
std::vector<vector_case> known_vectors() {
  std::vector<vector_case> result;
  result.push_back({std::vector<unsigned char>(32, 0x00), 0x8A9136AAu});
  result.push_back({std::vector<unsigned char>(32, 0xFF), 0x62A8AB43u});
  std::vector<unsigned char> ascending(32);
  std::iota(ascending.begin(), ascending.end(), 0);
  result.push_back({ascending, 0x46DD794Eu});
  std::vector<unsigned char> descending(ascending.rbegin(), ascending.rend());
  result.push_back({descending, 0x113FDB5Cu});
  std::string digits = "123456789";
  result.push_back({{digits.begin(), digits.end()}, 0xE3069283u});
  result.push_back({{}, 0u});
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(software_matches_known_vectors) {
  for (auto& v : known_vectors())
    BOOST_TEST(crc32c_software(v.data.data(), v.data.size()) == v.crc);
}

BOOST_AUTO_TEST_CASE(hardware_matches_known_vectors) {
  if (!crc32c_hardware_available()) {
    BOOST_TEST_MESSAGE("no SSE4.2 on this machine: hardware path not tested");
    return;
  }
  for (auto& v : known_vectors())
    BOOST_TEST(crc32c_hardware(v.data.data(), v.data.size()) == v.crc);
}

BOOST_AUTO_TEST_CASE(dispatch_matches_known_vectors) {
  for (auto& v : known_vectors())
    BOOST_TEST(crc32c(v.data.data(), v.data.size()) == v.crc);
}

BOOST_AUTO_TEST_CASE(both_paths_agree_on_random_data_and_splits) {
  std::mt19937_64 rng{42};
  std::vector<unsigned char> data(5000);
  for (auto& b : data)
    b = static_cast<unsigned char>(rng());
  for (size_t size : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4999, 5000}) {
    // Unaligned starts exercise the head and tail handling.
    for (size_t start : {0, 1, 3}) {
      if (start + size > data.size())
        continue;
      auto p = data.data() + start;
      auto whole = crc32c_software(p, size);
      if (crc32c_hardware_available())
        BOOST_TEST(crc32c_hardware(p, size) == whole);
      // Continuing from a prefix's CRC gives the CRC of the whole.
      auto half = size / 2;
      BOOST_TEST(crc32c(p + half, size - half, crc32c(p, half)) == whole);
    }
  }
}
