// rskv-cli: a line-oriented shell over an rskv store directory. `rskv-cli [OPTIONS] DIR`
// (see options.h for the command line, protocol.h for the protocol, shell.h for the loop).
// Exit status: 0 after quit or end of input; 1 when standard input or output fails; 2 for a
// bad invocation (unknown option or policy name, bad or too small --memory, a DIR that
// cannot be created or written, a store that cannot be opened), with one message on stderr.

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "components/store/store.h"
#include "policies/bundles.h"
#include "tools/rskv-cli/directory.h"
#include "tools/rskv-cli/line_reader.h"
#include "tools/rskv-cli/options.h"
#include "tools/rskv-cli/protocol.h"
#include "tools/rskv-cli/shell.h"

namespace {

// The largest key and value the shell accepts (the store is opened with these limits).
constexpr std::uint32_t kMaxKeyBytes = 64u << 10;   // 64 KiB
constexpr std::uint32_t kMaxValueBytes = 1u << 20;  // 1 MiB
// A line may hold a command, a key, a value and separators; beyond this it is cut and
// answered with ERR (the reader keeps memory bounded whatever the input).
constexpr std::size_t kMaxLineBytes = kMaxKeyBytes + kMaxValueBytes + (64u << 10);

constexpr int kExitUsage = 2;

// Prints one line on stderr (line breaks in a message from below become spaces).
int usage_error(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "rskv-cli: %s\n", message.c_str());
  return kExitUsage;
}

rskv::StoreConfig store_config(const rskv::cli::Options& options) {
  rskv::StoreConfig config;
  config.path = options.dir;
  config.memory_bytes = options.memory_bytes;
  config.max_key_bytes = kMaxKeyBytes;
  config.max_value_bytes = kMaxValueBytes;
  return config;
}

// Opens the store of type StoreT in the prepared directory and runs the shell on stdin.
template <class StoreT>
int run_store(const rskv::StoreConfig& config) {
  if (rskv::Result<void> valid = config.validate(); !valid) {
    return usage_error(valid.error().message);
  }
  auto store = StoreT::open(config);
  if (!store) {
    return usage_error("cannot open the store in '" + config.path + "': " + store.error().message);
  }
  auto session = store.value()->start_session();
  if (!session) return usage_error("cannot start a session: " + session.error().message);

  rskv::cli::LineReader input(STDIN_FILENO, kMaxLineBytes);
  rskv::cli::Shell shell(session.value(), rskv::cli::Limits{kMaxKeyBytes, kMaxValueBytes}, stdout);
  return shell.run(input);
}

std::string help_text() {
  std::string text = rskv::cli::usage();
  text += "Policy bundles (index/device/gc):";
  for (const std::string& name : rskv::bundle_names()) text += " " + name;
  text += "\n";
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that goes away makes fwrite fail (reported, exit 1) rather than killing us.
  std::signal(SIGPIPE, SIG_IGN);

  const std::vector<std::string_view> args(argv + 1, argv + argc);
  rskv::Result<rskv::cli::Options> parsed = rskv::cli::parse_options(args);
  if (!parsed) return usage_error(parsed.error().message);
  const rskv::cli::Options& options = parsed.value();
  if (options.help) {
    std::fputs(help_text().c_str(), stdout);
    return 0;
  }

  const rskv::StoreConfig config = store_config(options);
  const std::uint64_t minimum =
      rskv::StoreConfig::min_memory_bytes(config.max_key_bytes, config.max_value_bytes);
  if (options.memory_bytes < minimum) {
    const std::uint64_t mib = (minimum + (1u << 20) - 1) >> 20;
    return usage_error("--memory " + options.memory_text + " is too small: the minimum is " +
                       rskv::cli::format_bytes(minimum) + " for keys up to " +
                       rskv::cli::format_size(kMaxKeyBytes) + " and values up to " +
                       rskv::cli::format_size(kMaxValueBytes) + "; use --memory " +
                       std::to_string(mib) + "MiB or more");
  }

  int status = kExitUsage;
  rskv::Result<void> dispatched =
      rskv::with_bundle(options.index, options.device, options.gc, [&](auto store_type) {
        using StoreT = typename decltype(store_type)::type;
        rskv::device::OsFileSystem fs;
        if (rskv::Result<void> dir = rskv::cli::prepare_store_directory(fs, options.dir); !dir) {
          status = usage_error(dir.error().message);
          return;
        }
        status = run_store<StoreT>(config);
      });
  if (!dispatched) return usage_error(dispatched.error().message);
  return status;
}
