#include "tools/rskv-cli/directory.h"

#include <unistd.h>

namespace rskv::cli {

Result<void> prepare_store_directory(device::FileSystem& fs, const std::string& dir) {
  const auto fail = [&dir](const std::string& what, const Error& error) {
    return make_error(Status::InvalidArgument, "store directory '" + dir + "' " + what + ": " +
                                                   error.message + "; give a writable directory");
  };
  if (Result<void> created = fs.create_dir(dir); !created) {
    return fail("cannot be used", created.error());
  }
  // The pid keeps two shells started on one directory from removing each other's probe.
  const std::string probe = device::join_path(dir, ".rskv-cli-probe." + std::to_string(::getpid()));
  if (Result<void> written = fs.write_file(probe, ""); !written) {
    return fail("is not writable", written.error());
  }
  if (Result<void> removed = fs.unlink(probe); !removed) {
    return fail("is not writable", removed.error());
  }
  return {};
}

Result<std::optional<device::StoreMeta>> read_store_meta(device::FileSystem& fs,
                                                         const std::string& dir) {
  const std::string path = device::join_path(dir, device::StoreDir::kMetaFile);
  Result<bool> exists = fs.exists(path);
  if (!exists) return exists.error();
  if (!exists.value()) return std::optional<device::StoreMeta>();
  Result<std::string> text = fs.read_file(path);
  if (!text) return text.error();
  Result<device::StoreMeta> meta = device::decode_meta(text.value(), path);
  if (!meta) return meta.error();
  return std::optional<device::StoreMeta>(std::move(meta).value());
}

}  // namespace rskv::cli
