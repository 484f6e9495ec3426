#pragma once
// The store directory rskv-cli is given: created when missing (with its parents) and proved
// writable by creating and removing a probe file in it — permission bits alone say nothing
// when running as root, and a read-only mount or a path under a regular file must fail here,
// with the reason, before the store is opened. Checked for every device, the memory device
// included, so that a command line that works today keeps working when the default device
// becomes a file device. All file operations go through the device layer's FileSystem
// (components/device/fs.h), the one place that calls the OS for files.

#include <optional>
#include <string>

#include "components/common/result.h"
#include "components/device/fs.h"
#include "components/device/store_dir.h"

namespace rskv::cli {

/// Ok, or an error whose message names the directory, the failing step and the OS reason.
Result<void> prepare_store_directory(device::FileSystem& fs, const std::string& dir);

/// The metadata of the store already in `dir` (its rskv.meta, read without taking the
/// directory's lock), or nullopt when there is none. The shell looks before opening a store
/// on a persistent device: without --recover it refuses such a directory itself, naming
/// --recover, whatever else differs (policies, page size); with --recover it opens the store
/// with its stored page size, which rskv-cli otherwise derives from --memory. Errors (an
/// unreadable or corrupt file) name the file; the caller may leave them to the store's own
/// open, which reports them the same way.
Result<std::optional<device::StoreMeta>> read_store_meta(device::FileSystem& fs,
                                                         const std::string& dir);

}  // namespace rskv::cli
