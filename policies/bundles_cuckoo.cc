// Explicit instantiation of the cuckoo-index bundles.
#include "policies/bundles.h"

namespace rskv {

template class Store<index::CuckooIndex, device::MemoryDevice, gc::NoGc>;
template class Store<index::CuckooIndex, device::FileDevice, gc::NoGc>;
template class Store<index::CuckooIndex, device::IoUringDevice, gc::NoGc>;

}  // namespace rskv
