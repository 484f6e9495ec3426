#pragma once
// components/device: log devices (memory, file, io_uring, faulty wrapper) and the small
// file-system interface for named files. Everything that calls the OS for files lives here.
//
//   memory_device.h    MemoryDevice: RAM segments, inline or deferred completions
//   file_device.h      FileDevice: pread/pwrite on the calling thread (synchronous baseline)
//   io_uring_device.h  IoUringDevice: liburing, batched submission, bounded queue depth
//   segment_files.h    the segment-file layout, O_DIRECT probe and durability of both
//   faulty_device.h    FaultyDevice<Inner>: seeded faults and power-loss simulation
//   fs.h               FileSystem / OsFileSystem: named files, directory sync, flock
//   faulty_fs.h        FaultyFileSystem: the same faults for named files
//   store_dir.h        StoreDir: create, lock and describe a store directory

#include "components/device/faulty_device.h"
#include "components/device/faulty_fs.h"
#include "components/device/file_device.h"
#include "components/device/fs.h"
#include "components/device/io_uring_device.h"
#include "components/device/memory_device.h"
#include "components/device/store_dir.h"
