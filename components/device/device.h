#pragma once
// components/device: log devices (memory, file, io_uring, faulty wrapper) and the small
// file-system interface for named files. Everything that calls the OS for files lives here.

#include "components/device/memory_device.h"
