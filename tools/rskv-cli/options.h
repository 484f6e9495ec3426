#pragma once
// rskv-cli's command line: `rskv-cli [OPTIONS] DIR`. Options that take a value accept both
// `--opt VALUE` and `--opt=VALUE`; flags take none. Every option is one row of the table in
// options.cc (name, whether it takes a value, help text, how it sets Options).
// Parsing is pure (no file system, no store): policy names are checked by
// rskv::with_bundle and the memory minimum by rskv::StoreConfig in main.cc.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "components/common/result.h"

namespace rskv::cli {

inline constexpr std::string_view kDefaultIndex = "chained";
inline constexpr std::string_view kDefaultDevice = "file";
inline constexpr std::string_view kDefaultGc = "none";
inline constexpr std::string_view kDefaultMemory = "64MiB";
inline constexpr std::uint64_t kDefaultMemoryBytes = 64ull << 20;

struct Options {
  std::string index{kDefaultIndex};
  std::string device{kDefaultDevice};
  std::string gc{kDefaultGc};
  std::uint64_t memory_bytes = kDefaultMemoryBytes;
  std::string memory_text{kDefaultMemory};  // as the user wrote it, for messages
  std::string dir;
  bool recover = false;             // --recover: open an existing store and recover it
  std::uint64_t checkpoint_id = 0;  // --checkpoint ID (needs --recover); 0 = the latest valid
  bool help = false;                // --help / -h: print usage() and exit 0
};

/// Parses the arguments after argv[0]. Errors name the offending argument and the fix.
Result<Options> parse_options(std::span<const std::string_view> args);

/// The text --help prints (also pointed to by error messages).
std::string usage();

}  // namespace rskv::cli
