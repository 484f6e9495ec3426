// Explicit instantiation of the chained-index bundles (one translation unit per index, so
// that the two compile in parallel).
#include "policies/bundles.h"

namespace rskv {

template class Store<index::ChainedIndex, device::MemoryDevice, gc::NoGc>;
template class Store<index::ChainedIndex, device::FileDevice, gc::NoGc>;
template class Store<index::ChainedIndex, device::IoUringDevice, gc::NoGc>;

}  // namespace rskv
