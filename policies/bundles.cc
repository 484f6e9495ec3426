// Explicit instantiation of every bundle: the engine is compiled once per combination here.
#include "policies/bundles.h"

namespace rskv {

template class Store<index::ChainedIndex, device::MemoryDevice, gc::NoGc>;
template class Store<index::ChainedIndex, device::FileDevice, gc::NoGc>;
template class Store<index::ChainedIndex, device::IoUringDevice, gc::NoGc>;

}  // namespace rskv
