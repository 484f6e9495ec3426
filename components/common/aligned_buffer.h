#pragma once
// Aligned, optionally huge-page backed memory for log frames, index tables and O_DIRECT I/O
// buffers. Large allocations use mmap so that madvise(MADV_HUGEPAGE) can apply and so that
// freeing returns memory to the OS at once.

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace rskv {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  /// Zero-filled buffer of `size` bytes aligned to `alignment` (a power of two).
  /// Sizes of 2 MiB and more come from mmap (page aligned, zeroed by the kernel) and get
  /// MADV_HUGEPAGE when `huge_pages` is set. Throws std::bad_alloc on failure (cold path).
  AlignedBuffer(std::size_t size, std::size_t alignment, bool huge_pages = false) : size_(size) {
    if (size == 0) return;
    if (size >= kMmapThreshold && alignment <= 4096) {
      void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      if (huge_pages) ::madvise(p, size, MADV_HUGEPAGE);
      data_ = static_cast<std::byte*>(p);
      mmapped_ = true;
    } else {
      std::size_t rounded = (size + alignment - 1) / alignment * alignment;
      void* p = std::aligned_alloc(alignment, rounded);
      if (p == nullptr) throw std::bad_alloc();
      std::memset(p, 0, rounded);
      data_ = static_cast<std::byte*>(p);
    }
  }
  ~AlignedBuffer() { release(); }
  AlignedBuffer(AlignedBuffer&& o) noexcept { swap(o); }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      swap(o);
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  [[nodiscard]] std::byte* data() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  static constexpr std::size_t kMmapThreshold = 2u << 20;
  void swap(AlignedBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(mmapped_, o.mmapped_);
  }
  void release() noexcept {
    if (data_ == nullptr) return;
    if (mmapped_) {
      ::munmap(data_, size_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
  }
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  bool mmapped_ = false;
};

}  // namespace rskv
