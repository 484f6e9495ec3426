#pragma once
// The store directory rskv-cli is given: created when missing (with its parents) and proved
// writable by creating and removing a probe file in it — permission bits alone say nothing
// when running as root, and a read-only mount or a path under a regular file must fail here,
// with the reason, before the store is opened. Checked for every device, the memory device
// included, so that a command line that works today keeps working when the default device
// becomes a file device. All file operations go through the device layer's FileSystem
// (components/device/fs.h), the one place that calls the OS for files.

#include <string>

#include "components/common/result.h"
#include "components/device/fs.h"

namespace rskv::cli {

/// Ok, or an error whose message names the directory, the failing step and the OS reason.
Result<void> prepare_store_directory(device::FileSystem& fs, const std::string& dir);

}  // namespace rskv::cli
