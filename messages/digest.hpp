#pragma once

// SHA-256, the one hash of the project: token hashes, content ids, and the
// digests that compare a projection with its rebuild (or a standby's).

#include <memory>
#include <string>
#include <string_view>

namespace almanac {

/// The SHA-256 of `data` in lowercase hex (64 characters).
std::string sha256_hex(std::string_view data);

/// A SHA-256 fed in parts. Fields added with `field` are length-prefixed,
/// so ("ab","c") and ("a","bc") differ.
class sha256 {
public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;

  void update(std::string_view data);
  void field(std::string_view data);

  /// The digest in lowercase hex; the hash is finished (make a new one).
  std::string hex();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace almanac
