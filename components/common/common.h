#pragma once
// components/common: the ground floor. Address, Status, Result, hashing, aligned buffers,
// atomic (race-free) byte copies.

#include "components/common/address.h"
#include "components/common/aligned_buffer.h"
#include "components/common/atomic_copy.h"
#include "components/common/constants.h"
#include "components/common/hash.h"
#include "components/common/result.h"
#include "components/common/status.h"
