#pragma once

// A compact binary encoding for the search index's own records (value slots,
// the memory snapshot): unsigned varints, and strings after their length, so
// any bytes survive. Plain C++; no versioning here: each record that uses it
// carries its own format tag.

#include <cstdint>
#include <string>

namespace almanac::search {

/// Appends to a string.
class packer {
public:
  void u64(uint64_t n) {
    while (n >= 0x80) {
      out_.push_back(static_cast<char>((n & 0x7f) | 0x80));
      n >>= 7;
    }
    out_.push_back(static_cast<char>(n));
  }
  void str(const std::string& s) {
    u64(s.size());
    out_ += s;
  }
  std::string& out() { return out_; }

private:
  std::string out_;
};

/// Reads what a packer wrote. A read past the end or a malformed varint
/// sets `ok()` false and returns 0 / "" from then on.
class unpacker {
public:
  explicit unpacker(const std::string& in, size_t pos = 0) : in_(in), pos_(pos) {}
  uint64_t u64() {
    uint64_t n = 0;
    for (int shift = 0; ok_ && shift < 64; shift += 7) {
      if (pos_ >= in_.size()) break;
      auto b = static_cast<unsigned char>(in_[pos_++]);
      n |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return n;
    }
    ok_ = false;
    return 0;
  }
  std::string str() {
    auto n = u64();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(in_, pos_, n);
    pos_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  void fail() { ok_ = false; }
  bool done() const { return pos_ >= in_.size(); }
  size_t remaining() const { return pos_ < in_.size() ? in_.size() - pos_ : 0; }

private:
  const std::string& in_;
  size_t pos_;
  bool ok_ = true;
};

} // namespace almanac::search
