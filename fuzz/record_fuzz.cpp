// Fuzzes the event-log frame decoder (storage/log/record_format.hpp): any
// bytes, decoded frame after frame as a segment scan would, as they are and
// again with every frame's checksum made right. A frame that
// decodes must lie within the bytes and re-encode to exactly those bytes;
// every other status must say why without reading past the end.

#include "fuzz/frame_fixup.hpp"
#include "fuzz/fuzz_check.hpp"
#include "storage/log/record_format.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace almanac::storage;

namespace {

void decode_all(const std::string& bytes) {
  auto size = bytes.size();
  const char* p = bytes.data();
  size_t pos = 0;
  for (int frames = 0; frames < 64; ++frames) {
    frame_view view;
    auto available = size - pos;
    auto status = decode_frame(p + pos, available, view);
    FUZZ_CHECK(to_string(status) != nullptr);
    if (status == frame_status::incomplete) {
      FUZZ_CHECK(view.size > available);
      FUZZ_CHECK(view.size <= max_frame_size);
      break;
    }
    if (status != frame_status::ok)
      break;
    FUZZ_CHECK(view.size >= record_header_size && view.size <= available);
    FUZZ_CHECK(view.type.data() >= p + pos && view.payload.data() + view.payload.size() <= p + pos + view.size);
    std::string again;
    encode_frame(again, view.offset, view.epoch, view.timestamp_ms, view.type, view.key,
                 view.payload);
    FUZZ_CHECK(again.size() == view.size && std::memcmp(again.data(), p + pos, view.size) == 0);
    pos += view.size;
    if (pos == size)
      break;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Exact-size heap copies, so that AddressSanitizer sees any read past the
  // end: the bytes as they are, then with every checksum made right.
  std::string bytes(reinterpret_cast<const char*>(data), size);
  decode_all(bytes);
  fix_frame_crcs(bytes);
  decode_all(bytes);
  return 0;
}
