// rskv-cli: a line-oriented shell over an rskv store directory. `rskv-cli [OPTIONS] DIR`
// (see options.h for the command line, protocol.h for the protocol, shell.h for the loop).
// Exit status: 0 after quit or end of input; 1 when standard input or output fails or the
// final checkpoint fails; 2 for a bad invocation (unknown option or policy name, bad or too
// small --memory, --checkpoint without --recover, a DIR that cannot be created or written,
// a store that cannot be opened or recovered — a directory that already holds a store
// without --recover), with one message on stderr.

#include <unistd.h>

#include <bit>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <optional>
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

// The shell's session id: a fresh store's first session gets 1, and every checkpoint the
// shell takes records it, so a recovered store continues it (its serial is then the line
// number of the recovered checkpoint).
constexpr std::uint64_t kShellSessionId = 1;

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
  config.recover = options.recover;
  config.recover_checkpoint = options.checkpoint_id;
  return config;
}

// On a persistent device, looks at the store already in the directory, if any: without
// --recover it is refused here, naming --recover, before the store would check its policies
// or page size; with --recover the store is opened with its stored page size (rskv-cli has
// no page-size option: it derives one from --memory, which may differ from the first run's).
// Returns an exit status when the shell must not go on.
std::optional<int> adopt_existing_store(const rskv::cli::Options& options,
                                        rskv::StoreConfig& config) {
  rskv::device::OsFileSystem fs;
  rskv::Result<std::optional<rskv::device::StoreMeta>> meta =
      rskv::cli::read_store_meta(fs, config.path);
  // An unreadable or corrupt rskv.meta: the store's open names it the same way.
  if (!meta || !meta.value()) return std::nullopt;
  const rskv::device::StoreMeta& stored = *meta.value();
  if (!options.recover) {
    return usage_error("'" + config.path + "' already holds an rskv store (" + stored.policies() +
                       "); reopen it with rskv-cli --recover " + config.path +
                       " (its latest checkpoint), or give an empty or new directory");
  }
  if (!std::has_single_bit(stored.page_bytes)) return std::nullopt;  // the store reports it
  config.page_bits = static_cast<std::uint32_t>(std::countr_zero(stored.page_bytes));
  const std::uint64_t minimum = rskv::hlog::LogConfig::kMinFrames * stored.page_bytes;
  if (config.memory_bytes < minimum) {
    return usage_error("--memory " + options.memory_text + " is too small for the store in '" +
                       config.path + "', whose log pages are " +
                       rskv::cli::format_size(stored.page_bytes) + ": the minimum is " +
                       rskv::cli::format_bytes(minimum) + "; use --memory " +
                       std::to_string((minimum + (1u << 20) - 1) >> 20) + "MiB or more");
  }
  return std::nullopt;
}

// Opens the store of type StoreT in the prepared directory and runs the shell on stdin.
template <class StoreT>
int run_store(const rskv::StoreConfig& config) {
  if (rskv::Result<void> valid = config.validate(); !valid) {
    return usage_error(valid.error().message);
  }
  auto opened = StoreT::open(config);
  if (!opened) {
    return usage_error("cannot open the store in '" + config.path + "': " + opened.error().message);
  }
  StoreT& store = *opened.value();
  // Continue the shell's session when the recovered checkpoint knows it, else start one.
  bool known = false;
  for (const auto& s : store.recovery().sessions) known = known || s.id == kShellSessionId;
  auto session = known ? store.continue_session(kShellSessionId) : store.start_session();
  if (!session) return usage_error("cannot start a session: " + session.error().message);

  rskv::cli::LineReader input(STDIN_FILENO, kMaxLineBytes);
  rskv::cli::Shell<StoreT> shell(store, session.value(),
                                 rskv::cli::Limits{kMaxKeyBytes, kMaxValueBytes}, stdout,
                                 config.recover);
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
        rskv::StoreConfig store_config = config;
        if constexpr (StoreT::DeviceType::kPersistent) {
          if (std::optional<int> refused = adopt_existing_store(options, store_config)) {
            status = *refused;
            return;
          }
        }
        status = run_store<StoreT>(store_config);
      });
  if (!dispatched) return usage_error(dispatched.error().message);
  return status;
}
