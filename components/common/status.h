#pragma once
// Status: the one-byte result of every hot-path operation. No exceptions on the hot path.

#include <cstdint>
#include <string_view>

namespace rskv {

enum class [[nodiscard]] Status : std::uint8_t{
    Ok = 0,
    NotFound,         // key absent or deleted
    Pending,          // needs device I/O; completes inside complete_pending()
    Aborted,          // an RMW update function declined to write
    InvalidArgument,  // key or value over the limit, bad parameter
    OutOfMemory,      // an allocation the operation needed failed
    IoError,          // the device reported an error for the I/O this operation needed
    NoSpace,          // the device is full: writes stop, stored data stays intact
    Corruption,       // a checksum or format check failed
    Busy,             // resource temporarily exhausted (e.g. too many sessions)
};

constexpr std::string_view to_string(Status s) {
  switch (s) {
    case Status::Ok:
      return "Ok";
    case Status::NotFound:
      return "NotFound";
    case Status::Pending:
      return "Pending";
    case Status::Aborted:
      return "Aborted";
    case Status::InvalidArgument:
      return "InvalidArgument";
    case Status::OutOfMemory:
      return "OutOfMemory";
    case Status::IoError:
      return "IoError";
    case Status::NoSpace:
      return "NoSpace";
    case Status::Corruption:
      return "Corruption";
    case Status::Busy:
      return "Busy";
  }
  return "Unknown";
}

}  // namespace rskv
