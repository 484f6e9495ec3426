#pragma once
// ValueBuilder: where an RMW update function writes the new value. Values up to kInline
// bytes stay in the object (no allocation on the hot path); larger ones use a heap buffer
// that the session reuses.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace rskv {

class ValueBuilder {
 public:
  static constexpr std::size_t kInline = 64;

  void assign(std::string_view v) { std::memcpy(resize(v.size()), v.data(), v.size()); }
  /// Sets the size to n and returns a writable buffer of n bytes (contents unspecified).
  char* resize(std::size_t n) {
    if (n > kInline && n > heap_cap_) {
      heap_.reset(new char[n]);
      heap_cap_ = n;
    }
    size_ = n;
    return data();
  }
  [[nodiscard]] char* data() { return size_ <= kInline ? inline_ : heap_.get(); }
  [[nodiscard]] std::string_view view() const {
    return {size_ <= kInline ? inline_ : heap_.get(), size_};
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  char inline_[kInline];
  std::size_t size_ = 0;
  std::unique_ptr<char[]> heap_;
  std::size_t heap_cap_ = 0;
};

}  // namespace rskv
