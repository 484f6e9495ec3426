#include "tools/rskv-cli/options.h"

#include <algorithm>
#include <array>
#include <optional>

#include "tools/rskv-cli/protocol.h"

namespace rskv::cli {
namespace {

Error err(std::string message) {
  return make_error(Status::InvalidArgument, std::move(message));
}

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value;       // false: a flag
  std::string_view value_name;
  std::string_view help;
  // Stores the value (empty for flags) in options; returns an error message or "".
  std::string (*apply)(Options& options, std::string_view value);
};

std::string set_memory(Options& options, std::string_view value) {
  Result<std::uint64_t> bytes = parse_size(value);
  if (!bytes) return "--memory: " + bytes.error().message;
  options.memory_bytes = bytes.value();
  options.memory_text = std::string(value);
  return {};
}

// A checkpoint id: decimal digits only, at least 1, fitting 64 bits.
std::string set_checkpoint(Options& options, std::string_view value) {
  const std::optional<std::int64_t> id =
      value.empty() || value[0] < '0' || value[0] > '9' ? std::nullopt : parse_int64(value);
  if (!id || *id <= 0) {
    return "--checkpoint: '" + quote_for_message(value) +
           "' is not a checkpoint id (a positive decimal integer, as printed by CHECKPOINT or "
           "RECOVERED)";
  }
  options.checkpoint_id = static_cast<std::uint64_t>(*id);
  return {};
}

const std::array<OptionSpec, 7> kOptions{{
    {"index", true, "NAME", "hash index policy (default chained)",
     [](Options& o, std::string_view v) {
       o.index = std::string(v);
       return std::string();
     }},
    {"device", true, "NAME", "log device policy: memory, file or io_uring (default file)",
     [](Options& o, std::string_view v) {
       o.device = std::string(v);
       return std::string();
     }},
    {"gc", true, "NAME", "log garbage collection policy (default none)",
     [](Options& o, std::string_view v) {
       o.gc = std::string(v);
       return std::string();
     }},
    {"memory", true, "SIZE",
     "in-memory log budget: bytes, or a number with KiB, MiB or GiB\n(default 64MiB)", set_memory},
    {"recover", false, "",
     "open the store in DIR and recover its latest valid checkpoint\n"
     "(a missing or empty DIR starts empty); first prints\n"
     "RECOVERED <id> <serial>, or RECOVERED none 0",
     [](Options& o, std::string_view) {
       o.recover = true;
       return std::string();
     }},
    {"checkpoint", true, "ID",
     "with --recover: recover checkpoint ID instead of the latest\n(newer ones are dropped)",
     set_checkpoint},
    {"help", false, "", "print this help and exit",
     [](Options& o, std::string_view) {
       o.help = true;
       return std::string();
     }},
}};

std::string option_list() {
  std::string list;
  for (const OptionSpec& spec : kOptions) {
    if (!list.empty()) list += ", ";
    list += "--";
    list += spec.name;
  }
  return list;
}

}  // namespace

Result<Options> parse_options(std::span<const std::string_view> args) {
  Options options;
  bool have_dir = false;
  bool options_done = false;  // after "--" every argument is DIR
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      if (have_dir) {
        return err("more than one DIR given ('" + quote_for_message(options.dir) + "' and '" +
                   quote_for_message(arg) + "'); usage: rskv-cli [OPTIONS] DIR");
      }
      if (arg.empty()) return err("DIR is an empty string; usage: rskv-cli [OPTIONS] DIR");
      options.dir = std::string(arg);
      have_dir = true;
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h") {
      options.help = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      return err("unknown option '" + quote_for_message(arg) + "' (options: " + option_list() +
                 "; see rskv-cli --help)");
    }
    std::string_view name = arg.substr(2);
    std::string_view value;
    bool inline_value = false;
    if (const std::size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& candidate : kOptions) {
      if (candidate.name == name) spec = &candidate;
    }
    if (spec == nullptr) {
      return err("unknown option '--" + quote_for_message(name) + "' (options: " + option_list() +
                 "; see rskv-cli --help)");
    }
    if (!spec->takes_value && inline_value) {
      return err("option --" + std::string(name) + " takes no value (got '" +
                 quote_for_message(value) + "')");
    }
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= args.size()) {
        return err("option --" + std::string(name) + " needs a value: --" + std::string(name) +
                   " " + std::string(spec->value_name));
      }
      value = args[++i];
    }
    if (std::string message = spec->apply(options, value); !message.empty()) return err(message);
  }
  if (options.help) return options;
  if (!have_dir) {
    return err("missing DIR, the store directory; usage: rskv-cli [OPTIONS] DIR (see --help)");
  }
  if (options.checkpoint_id != 0 && !options.recover) {
    return err("--checkpoint " + std::to_string(options.checkpoint_id) +
               " needs --recover: it names the checkpoint to recover (rskv-cli --recover "
               "--checkpoint ID DIR)");
  }
  return options;
}

std::string usage() {
  std::string text =
      "usage: rskv-cli [OPTIONS] DIR\n"
      "Opens (or creates) a store in DIR and runs commands read line by line from standard\n"
      "input, one reply line per command on standard output:\n"
      "  put K V   -> OK\n"
      "  get K     -> the value, or NOT_FOUND\n"
      "  del K     -> OK (also when K is absent)\n"
      "  add K N   -> the stored signed 64-bit decimal (absent = 0) plus N, stored and printed\n"
      "  checkpoint [foldover|snapshot]\n"
      "            -> CHECKPOINT <id> <serial> once durable (default foldover); <serial> is\n"
      "               the line's number: every input line, blank or not, counts from 1\n"
      "  quit      -> exit 0 (so does end of input), after a final checkpoint\n"
      "  otherwise -> ERR <message>\n"
      "The memory device keeps nothing: there checkpoint replies ERR and there is no final\n"
      "checkpoint. Exit status: 0 after quit or end of input; 1 when input, output or the\n"
      "final checkpoint fails; 2 for a bad invocation or a store that cannot be opened.\n"
      "Options (--opt VALUE or --opt=VALUE):\n";
  for (const OptionSpec& spec : kOptions) {
    std::string left = "  --" + std::string(spec.name);
    if (spec.takes_value) {
      left += ' ';
      left += spec.value_name;
    }
    left.resize(std::max<std::size_t>(left.size() + 1, 19), ' ');
    // A help text's own line breaks continue under its first line.
    std::string help;
    for (const char c : spec.help) {
      help += c;
      if (c == '\n') help += std::string(left.size(), ' ');
    }
    text += left + help + "\n";
  }
  return text;
}

}  // namespace rskv::cli
