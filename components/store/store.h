#pragma once
// Store<Index, Device, Gc>: the rskv key-value store. The one public header an application
// includes (with policies/bundles.h for the named policy bundles).
//
// Data path. A key is hashed once. The index maps the hash to the log address of the newest
// record with that (bucket, tag); records chain to older ones through their headers, so a
// lookup walks the chain until the key matches or the address drops below the log's begin.
//
//   operation  record in mutable region     read-only region        on device (< head)
//   read       read value (tear-free)       read value              Pending: async read
//   upsert     overwrite in place (same     append a new record     append (blind write)
//              length) else append
//   rmw        update in place (CAS /       copy-to-tail: append    Pending: read the old
//              seqlock) else append         merged value, CAS entry value, then append
//   delete     set tombstone in place       append a tombstone      append a tombstone
//
// Records in [safe_read_only, read_only) (the fuzzy region: some thread may still be updating
// them in place) are never copied by an rmw: it refreshes its epoch and retries until
// safe_read_only passes them. Every append publishes its record with a CAS of the index
// entry from the chain head it saw; a failed CAS marks the new record invalid and retries, so
// a copy-to-tail always loses to a concurrent newer write.
//
// Sessions. A thread opens a session (an epoch slot and a serial counter), runs operations,
// and closes it. A session is protected from start to close and refreshes its epoch every
// kRefreshInterval operations: an idle session must call refresh() now and then (or be
// closed), or the log cannot shift regions. Operations that need the device return Pending;
// complete_pending() delivers their results on the session's own thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "components/checkpoint/checkpoint_dir.h"
#include "components/checkpoint/checkpoint_meta.h"
#include "components/checkpoint/cpr.h"
#include "components/common/aligned_buffer.h"
#include "components/common/atomic_copy.h"
#include "components/common/hash.h"
#include "components/common/result.h"
#include "components/common/status.h"
#include "components/device/fs.h"
#include "components/device/store_dir.h"
#include "components/epoch/epoch.h"
#include "components/hlog/hybrid_log.h"
#include "components/hlog/record.h"
#include "components/store/config.h"
#include "components/store/value_builder.h"
#include "policies/device_policy.h"
#include "policies/gc_policy.h"
#include "policies/index_policy.h"

namespace rskv {

/// Default completion for an rmw that goes Pending: ignore the final status.
struct NoopDone {
  void operator()(Status) const noexcept {}
};

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
class Store {
 public:
  class Session;
  using IndexType = Index;
  using DeviceType = Device;
  using GcType = Gc;
  static constexpr std::uint32_t kRefreshInterval = 256;

  /// Opens a store. A persistent device gets a store directory (cfg.path): created if
  /// missing and locked exclusively. Without cfg.recover a directory that already holds a
  /// store is refused; with it, the latest valid checkpoint (or cfg.recover_checkpoint) is
  /// recovered (recovery() tells which, and each session's serial), and a missing or empty
  /// directory starts an empty store. Policies other than the stored ones are refused, naming
  /// them. The memory device keeps nothing and leaves the directory alone.
  static Result<std::unique_ptr<Store>> open(const StoreConfig& cfg) {
    if (Result<void> v = cfg.validate(); !v) return v.error();
    DeviceConfig dcfg = cfg.device;
    if (dcfg.path.empty()) dcfg.path = cfg.path;
    std::unique_ptr<device::StoreDir> dir;
    std::unique_ptr<checkpoint::CheckpointDir> ckdir;
    device::FileSystem* fs = nullptr;
    bool existed = false;
    if constexpr (Device::kPersistent) {
      if (cfg.path.empty()) {
        return make_error(Status::InvalidArgument,
                          std::string("the ") + std::string(Device::kName) +
                              " device needs a store directory: set StoreConfig::path");
      }
      static device::OsFileSystem os_fs;
      fs = cfg.fs != nullptr ? cfg.fs : &os_fs;
      Result<std::unique_ptr<device::StoreDir>> d = device::StoreDir::open(*fs, cfg.path);
      if (!d) return d.error();
      dir = std::move(d).value();
      existed = !dir->fresh();
      device::StoreMeta want;
      want.index = std::string(Index::kName);
      want.device = std::string(Device::kName);
      want.gc = std::string(Gc::kName);
      want.page_bytes = std::uint64_t{1} << cfg.effective_page_bits();
      want.segment_bytes = dcfg.segment_bytes;
      Result<void> r = cfg.recover ? dir->open_existing(want) : dir->prepare_new_store(want);
      if (!r) return r.error();
      dcfg.path = dir->path();
      Result<checkpoint::CheckpointDir> cd = checkpoint::CheckpointDir::open(*fs, dir->path());
      if (!cd) return cd.error();
      ckdir = std::make_unique<checkpoint::CheckpointDir>(std::move(cd).value());
      ckdir->set_pacing({.bytes_per_s = cfg.checkpoint_write_bytes_per_s});
    }
    Result<std::unique_ptr<Device>> dev = Device::open(dcfg);
    if (!dev) return dev.error();
    try {
      auto store = std::unique_ptr<Store>(new Store(cfg, std::move(dev).value()));
      store->dir_ = std::move(dir);
      store->ckdir_ = std::move(ckdir);
      store->fs_ = fs;
      if constexpr (Device::kPersistent) {
        if (Result<void> r = store->recover(existed); !r) return r.error();
      }
      store->start_timer();
      return store;
    } catch (const std::bad_alloc&) {
      return make_error(Status::OutOfMemory, "cannot allocate the log frames (" +
                                                 std::to_string(cfg.memory_bytes) +
                                                 " bytes) and the index: lower memory_bytes");
    }
  }

  ~Store() {
    stop_timer();
    // Sessions must be closed before the store; drain pending flushes.
    device_->complete_pending(true);
  }

  /// Opens a new session (a new id; serials from 0).
  Result<Session> start_session() {
    return open_session(next_session_id_.fetch_add(1, std::memory_order_relaxed), 0);
  }
  /// Continues a session of before a recovery (or a closed one) by its id: the session's
  /// serial() is then the serial up to which its operations were recovered. NotFound for an
  /// id this store does not know; Busy if that session is open.
  Result<Session> continue_session(std::uint64_t id) {
    std::uint64_t serial = 0;
    {
      std::lock_guard<std::mutex> g(sessions_mu_);
      auto it = known_sessions_.find(id);
      if (it == known_sessions_.end()) {
        return make_error(Status::NotFound, "no session with id " + std::to_string(id) +
                                                " is known to this store (recovered or closed)");
      }
      if (it->second.open) {
        return make_error(Status::Busy, "session " + std::to_string(id) + " is open");
      }
      serial = it->second.serial;
    }
    return open_session(id, serial);
  }

  // ---- checkpoints and recovery (CPR; components/checkpoint/cpr.h) -----------------------
  struct CheckpointRequest {
    CheckpointKind kind = CheckpointKind::FoldOver;
    bool index = true;  // capture the index (fuzzy)
    bool log = true;    // checkpoint the log (a recovery point); false = index only
    // How long PREPARE waits for every session to acknowledge (idle sessions) before the
    // checkpoint gives up; 0 = StoreConfig::checkpoint_wait_ms.
    std::uint32_t wait_ms = 0;
  };
  struct CheckpointInfo {
    std::uint64_t id = 0;
    std::uint64_t version = 0;  // the version captured: operations of later ones are not in it
    std::string kind;           // "foldover", "snapshot" or "index"
    bool index = false;         // this checkpoint captured the index itself
    std::uint64_t log_final = 0;
    std::vector<checkpoint::SessionSerial> sessions;  // per session id: serial in checkpoint
    /// The serial up to which session `id`'s operations are in the checkpoint (0 if none).
    [[nodiscard]] std::uint64_t serial_of(std::uint64_t session_id) const {
      for (const auto& s : sessions)
        if (s.id == session_id) return s.serial;
      return 0;
    }
  };
  struct RecoveryInfo {
    std::uint64_t checkpoint_id = 0;  // 0: no committed checkpoint (an empty store)
    std::uint64_t version = 0;
    std::vector<checkpoint::SessionSerial> sessions;  // recovered serial per session id
    std::string warning;  // a newer checkpoint was unusable (also on stderr)
    std::uint64_t replayed_bytes = 0;
    double replay_seconds = 0;      // load_seconds + log_replay_seconds
    double load_seconds = 0;        // snapshot write-back, range checksums and index load
    double log_replay_seconds = 0;  // reading, verifying and applying the log
    [[nodiscard]] std::uint64_t serial_of(std::uint64_t session_id) const {
      for (const auto& s : sessions)
        if (s.id == session_id) return s.serial;
      return 0;
    }
  };

  /// Takes a checkpoint without pausing other sessions, and returns once it is durable. The
  /// calling thread may hold a session (pass it as `caller`: it is refreshed while the
  /// checkpoint waits); other sessions must refresh (they do every kRefreshInterval
  /// operations, or call refresh()). Errors: InvalidArgument on the memory device; Busy when a
  /// session did not acknowledge PREPARE in time (named; nothing was written); device and
  /// file errors (the checkpoint is not committed; the previous one stays the latest).
  Result<CheckpointInfo> checkpoint(const CheckpointRequest& req = {}, Session* caller = nullptr);
  /// What open() recovered (checkpoint id 0 when nothing).
  [[nodiscard]] const RecoveryInfo& recovery() const { return recovery_; }
  /// Test hook: called with the phase name as a checkpoint enters each phase, and with
  /// "meta" right before its metadata is committed.
  void set_checkpoint_hook(std::function<void(std::string_view)> hook) {
    checkpoint_hook_ = std::move(hook);
  }
  /// The latest committed checkpoint this store took or recovered (0 = none), and the
  /// serial up to which session `id`'s operations are in it.
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> persisted_serial(std::uint64_t id) {
    std::lock_guard<std::mutex> g(sessions_mu_);
    for (const auto& s : last_persisted_)
      if (s.id == id) return {last_persisted_id_, s.serial};
    return {last_persisted_id_, 0};
  }
  [[nodiscard]] checkpoint::Phase phase() const {
    return checkpoint::SystemState::phase(state_.load(std::memory_order_acquire));
  }
  [[nodiscard]] std::uint64_t version() const {
    return checkpoint::SystemState::version(state_.load(std::memory_order_acquire));
  }
  /// Test hook: moves the store's version forward to `v` (> version()), as if that many
  /// checkpoints had run, so that tests reach the wrap-around of the 12 record-version bits
  /// quickly. Only with no session open and no checkpoint running; false (nothing changed)
  /// otherwise.
  bool advance_version_for_test(std::uint64_t v) {
    std::unique_lock<std::mutex> ck(checkpoint_mu_, std::try_to_lock);
    if (!ck.owns_lock()) return false;
    std::lock_guard<std::mutex> g(sessions_mu_);
    for (const auto& e : sessions_) {
      if (e.id.load(std::memory_order_seq_cst) != 0) return false;
    }
    std::uint64_t cur = state_.load(std::memory_order_acquire);
    if (checkpoint::SystemState::phase(cur) != checkpoint::Phase::Rest ||
        checkpoint::SystemState::version(cur) >= v) {
      return false;
    }
    return state_.compare_exchange_strong(
        cur, checkpoint::SystemState::pack(checkpoint::Phase::Rest, v), std::memory_order_acq_rel);
  }

  /// A snapshot of the store's figures. Callable from any thread (it takes a temporary epoch
  /// slot: the index's current table may be replaced by a growth meanwhile).
  [[nodiscard]] StoreStats stats() {
    std::uint32_t slot = epoch_.acquire_slot();
    if (slot != epoch::EpochManager::kMaxSlots) epoch_.protect(slot);
    StoreStats s = stats_protected();
    if (slot != epoch::EpochManager::kMaxSlots) epoch_.release_slot(slot);
    return s;
  }

 private:
  [[nodiscard]] StoreStats stats_protected() const {
    StoreStats s;
    s.index_memory_bytes = index_.memory_bytes();
    s.index_entries = index_.size();
    s.index_load_factor = index_.load_factor();
    s.log_memory_bytes = log_.memory_bytes();
    s.page_size = log_.page_size();
    s.begin = log_.begin();
    s.head = log_.head();
    s.safe_read_only = log_.safe_read_only();
    s.read_only = log_.read_only();
    s.tail = log_.tail();
    s.resident_pages = log_.resident_pages();
    s.device = device_->stats();
    return s;
  }

 public:
  [[nodiscard]] const StoreConfig& config() const { return cfg_; }
  hlog::HybridLog<Device>& log() { return log_; }
  Index& index() { return index_; }
  Device& device() { return *device_; }

  /// Flushes the whole log to the device and waits (a durability point for tests and tools;
  /// checkpoints are the real mechanism). Call with no session protected on this thread.
  Status flush_log() {
    std::uint32_t slot = epoch_.acquire_slot();
    if (slot == epoch::EpochManager::kMaxSlots) return Status::Busy;
    Status s = log_.flush_all(slot);
    epoch_.release_slot(slot);
    if (s == Status::Ok) s = device_->flush();
    return s;
  }

 private:
  using Handle = typename Index::Handle;
  using RecordView = hlog::RecordView;
  using RecordHeader = hlog::RecordHeader;

  Store(const StoreConfig& cfg, std::unique_ptr<Device> device)
      : cfg_(cfg),
        device_(std::move(device)),
        log_(cfg.log_config(), *device_, epoch_),
        index_(index_config(cfg.index, epoch_)) {
    index_.set_resolver(&Store::resolve_hash, this);
    index_ckpt_.geometry = index_.checkpoint_geometry();
  }

  static IndexConfig index_config(IndexConfig c, epoch::EpochManager& e) {
    c.epoch = &e;
    return c;
  }

  // Hash of the key stored at an address (for indexes that rehash). Reads the device
  // synchronously when the record is no longer in memory.
  static std::uint64_t resolve_hash(void* ctx, std::uint64_t address) {
    auto* self = static_cast<Store*>(ctx);
    if (address >= self->log_.head()) {
      return hash_key(RecordView(self->log_.get(address)).key());
    }
    AlignedBuffer buf;
    std::byte* rec = nullptr;
    if (self->read_record_blocking(address, buf, &rec) != Status::Ok) return 0;
    return hash_key(RecordView(rec).key());
  }

  // One device read or write, waited for on this thread (cold paths: rehashing, rare rmw
  // restarts, snapshots, recovery). buf, offset and len are aligned as the device requires.
  Status io_blocking(bool write, std::uint64_t offset, void* buf, std::uint32_t len) {
    struct Sync {
      std::atomic<bool> done{false};
      Status st = Status::Ok;
    } sync;
    IoCallback cb = [](void* c, Status st, std::size_t) {
      auto* y = static_cast<Sync*>(c);
      y->st = st;
      y->done.store(true, std::memory_order_release);  // acquire below
    };
    Status s = write ? device_->write_async(offset, buf, len, cb, &sync)
                     : device_->read_async(offset, buf, len, cb, &sync);
    if (s != Status::Ok) return s;
    while (!sync.done.load(std::memory_order_acquire)) device_->complete_pending(true);
    return sync.st;
  }

  // Reads the whole record at a device address into buf and points *out at it, blocking
  // until the device completes (cold paths only: rehashing, rare rmw restarts).
  Status read_record_blocking(std::uint64_t address, AlignedBuffer& buf, std::byte** out) {
    std::size_t align = std::max<std::size_t>(device_->alignment(), 8);
    std::uint32_t len = 512;
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::uint64_t start = address / align * align;
      std::uint64_t end = (address + len + align - 1) / align * align;
      if (buf.size() < end - start)
        buf = AlignedBuffer(end - start, std::max<std::size_t>(align, 64));
      if (Status s = io_blocking(false, start, buf.data(), static_cast<std::uint32_t>(end - start));
          s != Status::Ok) {
        return s;
      }
      RecordView r(buf.data() + (address - start));
      if (r.lengths_word() == 0) return Status::Corruption;
      if (r.size() > end - address) {
        len = r.size();
        continue;
      }
      *out = r.data();
      return Status::Ok;
    }
    return Status::Corruption;
  }

  Result<Session> open_session(std::uint64_t id, std::uint64_t serial) {
    std::uint32_t slot = epoch_.acquire_slot();
    if (slot == epoch::EpochManager::kMaxSlots) {
      return make_error(Status::Busy, "all " + std::to_string(epoch::EpochManager::kMaxSlots) +
                                          " session slots are in use: close a session first");
    }
    {
      std::lock_guard<std::mutex> g(sessions_mu_);
      KnownSession& k = known_sessions_[id];
      k.open = true;
    }
    return Session(this, slot, id, serial);
  }
  void session_closed(std::uint32_t slot, std::uint64_t id, std::uint64_t version,
                      std::uint64_t serial, std::uint64_t cpr_point) {
    {
      std::lock_guard<std::mutex> g(sessions_mu_);
      KnownSession& k = known_sessions_[id];
      k.open = false;
      k.version = version;
      k.serial = serial;
      k.cpr_point = cpr_point;
    }
    // seq_cst: pairs with the checkpoint thread's scan (see the registration in Session).
    sessions_[slot].id.store(0, std::memory_order_seq_cst);
  }

  // checkpointing.h
  Result<void> recover(bool existed);
  Result<void> recover_checkpoint(const checkpoint::CheckpointMeta& m);
  Result<void> replay(const checkpoint::CheckpointMeta& m, std::uint64_t* pending_left);
  Result<std::uint64_t> log_extent();
  Result<void> capture_index(std::uint64_t id, checkpoint::CheckpointMeta& m, Session* caller,
                             std::chrono::steady_clock::time_point deadline);
  Result<void> wait_acks(std::uint64_t st, Session* caller,
                         std::optional<std::chrono::steady_clock::time_point> deadline);
  void pump(Session* caller);
  Status read_device_sync(std::uint64_t offset, std::uint64_t len, char* out);
  Status write_device_sync(std::uint64_t offset, std::string_view data);
  void set_state(checkpoint::Phase p, std::uint64_t v);
  Result<void> write_snapshot(std::uint64_t id, std::uint64_t from, std::uint64_t to,
                              Session* caller, checkpoint::CheckpointMeta& m);
  Result<CheckpointInfo> checkpoint_locked(const CheckpointRequest& req, Session* caller);
  void start_timer();
  void stop_timer();

  struct KnownSession {
    bool open = false;
    std::uint64_t version = 0;    // version it ran in when it closed
    std::uint64_t serial = 0;     // its last serial (closed) / recovered serial
    std::uint64_t cpr_point = 0;  // serial when it moved to `version`
  };
  // The index checkpoint later log-only checkpoints rely on (id 0: the empty index at
  // `start`, i.e. replay from the log's beginning).
  struct IndexCheckpoint {
    std::uint64_t id = 0;
    std::uint64_t start = kFirstValidAddress, end = kFirstValidAddress;
    std::uint64_t geometry = 0, version = 0;
    checkpoint::FileInfo file;
  };

  StoreConfig cfg_;
  std::unique_ptr<device::StoreDir> dir_;  // persistent devices: holds the directory lock
  std::unique_ptr<checkpoint::CheckpointDir> ckdir_;
  device::FileSystem* fs_ = nullptr;
  epoch::EpochManager epoch_;
  std::unique_ptr<Device> device_;
  hlog::HybridLog<Device> log_;
  Index index_;
  // The CPR state word (checkpoint/cpr.h): written by the checkpoint thread only.
  alignas(kCacheLineSize) std::atomic<std::uint64_t> state_{0};
  alignas(kCacheLineSize) checkpoint::SessionTable sessions_;
  std::atomic<std::uint64_t> next_session_id_{1};
  std::mutex sessions_mu_;
  std::map<std::uint64_t, KnownSession> known_sessions_;  // guarded by sessions_mu_
  // Checkpoint state, guarded by checkpoint_mu_ (one checkpoint at a time).
  std::mutex checkpoint_mu_;
  IndexCheckpoint index_ckpt_;
  std::vector<checkpoint::Range> skip_ranges_;
  std::vector<std::uint64_t> dead_versions_;
  std::function<void(std::string_view)> checkpoint_hook_;
  std::uint32_t pump_slot_ = 0;  // an epoch slot the checkpoint thread uses to help
  std::vector<checkpoint::SessionSerial> last_persisted_;  // guarded by sessions_mu_
  std::uint64_t last_persisted_id_ = 0;                    // guarded by sessions_mu_
  RecoveryInfo recovery_;
  // Periodic checkpoints (StoreConfig::checkpoint_every_ms).
  std::thread timer_;
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  bool timer_stop_ = false;  // guarded by timer_mu_

  friend class Session;

 public:
  // ======================================================================================
  class Session {
   public:
    Session(Session&& o) noexcept { take(o); }
    Session& operator=(Session&& o) noexcept {
      if (this != &o) {
        close();
        take(o);
      }
      return *this;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { close(); }

    /// Completes everything pending, leaves the epoch and frees the slot. Its last serial
    /// stays known to the store (checkpoints record it under the session's id).
    void close() {
      if (store_ == nullptr) return;
      complete_pending(true);
      check_state();
      store_->session_closed(slot_, id_, version_, serial_, cpr_point_);
      store_->epoch_.unprotect(slot_);
      store_->epoch_.release_slot(slot_);
      store_ = nullptr;
    }

    /// Serial number of the last operation started (each operation, batch element and
    /// pending operation takes the next one when it starts).
    [[nodiscard]] std::uint64_t serial() const { return serial_; }
    /// Sets the serial the next operation counts from (it gets serial + 1), for tools that
    /// number their own requests (rskv-cli numbers its input lines from 1 in every process).
    /// A checkpoint reports, per session, the serial at its CPR point in this numbering.
    void set_serial(std::uint64_t serial) { serial_ = serial; }
    /// The session's id: stable across recovery (Store::continue_session).
    [[nodiscard]] std::uint64_t id() const { return id_; }
    [[nodiscard]] std::uint32_t slot() const { return slot_; }
    /// The store version this session runs in (raised by each checkpoint).
    [[nodiscard]] std::uint64_t version() const { return version_; }
    [[nodiscard]] std::size_t pending_count() const { return state_->outstanding; }

    /// Leaves and re-enters the epoch (lets the log shift regions and checkpoints advance);
    /// an idle session should call it now and then, or be closed.
    void refresh() {
      since_refresh_ = 0;
      store_->epoch_.refresh(slot_);
      check_state();
    }

    // ---------------------------------------------------------------------------- read
    /// cb(Status, std::string_view value). Ok: cb(Ok, v) ran before read returned.
    /// NotFound: cb did not run. Pending: cb runs once in a later complete_pending().
    template <class F>
    [[gnu::always_inline]] Status read(std::string_view key, F&& cb) noexcept {
      if (!key_ok(key)) [[unlikely]]
        return Status::InvalidArgument;
      begin_op();
      std::uint64_t hash = hash_key(key);
      Handle h;
      if (!store_->index_.find(hash, h)) return Status::NotFound;
      std::uint64_t addr = h.address();
      Status s = read_in_memory(key, addr, cb);
      if (s != Status::Pending) [[likely]]
        return s;
      using Op = PendingRead<std::decay_t<F>>;
      return go_pending(new Op(std::forward<F>(cb)), key, hash, addr, h.address());
    }

    /// Synchronous read: waits for the device when needed; never returns Pending.
    Status get(std::string_view key, std::string& out) {
      Status result = Status::NotFound;
      Status s = read(key, [&](Status st, std::string_view v) {
        result = st;
        if (st == Status::Ok) out.assign(v.data(), v.size());
      });
      if (s == Status::Pending) {
        complete_pending(true);
        return result;
      }
      return s;
    }

    // -------------------------------------------------------------------------- upsert
    [[gnu::always_inline]] Status upsert(std::string_view key, std::string_view value) noexcept {
      if (!key_ok(key)) [[unlikely]]
        return Status::InvalidArgument;
      if (value.size() > store_->cfg_.max_value_bytes) [[unlikely]]
        return Status::InvalidArgument;
      begin_op();
      std::uint64_t hash = hash_key(key);
      Handle h;
      if (Status s = store_->index_.find_or_create(hash, h); s != Status::Ok) return s;
      return upsert_at(key, value, h);
    }

    // ------------------------------------------------------------------------- batches
    // Batched operations overlap the cache misses of many keys: hash the whole batch and
    // prefetch every bucket, then find every entry and prefetch every record, then complete
    // each element. statuses[i] is element i's Status, exactly what the single operation
    // would have returned. Elements that complete at once are applied in order (a key
    // repeated in a batch sees its earlier elements); a Pending element takes effect when it
    // completes in complete_pending(), as a single pending operation would.
    static constexpr std::size_t kBatchChunk = 32;

    /// cb(std::size_t i, Status, std::string_view value): runs for element i when it is
    /// found (before read_batch returns) or, for Pending elements, inside complete_pending()
    /// with the final status. cb must be copyable (a pending element keeps a copy).
    template <class F>
    void read_batch(std::span<const std::string_view> keys, Status* statuses, F&& cb) noexcept {
      std::uint64_t hashes[kBatchChunk];
      Handle handles[kBatchChunk];
      bool found[kBatchChunk];
      for (std::size_t base = 0; base < keys.size(); base += kBatchChunk) {
        const std::size_t n = std::min(kBatchChunk, keys.size() - base);
        for (std::size_t j = 0; j < n; ++j) {
          hashes[j] = hash_key(keys[base + j]);
          prefetch_bucket(hashes[j]);
        }
        const std::uint64_t head = store_->log_.head();
        for (std::size_t j = 0; j < n; ++j) {
          found[j] = store_->index_.find(hashes[j], handles[j]);
          std::uint64_t a = handles[j].address();
          if (found[j] && a >= head) __builtin_prefetch(store_->log_.get(a));
        }
        for (std::size_t j = 0; j < n; ++j) {
          const std::size_t i = base + j;
          const std::string_view key = keys[i];
          if (!key_ok(key)) [[unlikely]] {
            statuses[i] = Status::InvalidArgument;
            continue;
          }
          begin_op();
          if (!found[j]) {
            statuses[i] = Status::NotFound;
            continue;
          }
          std::uint64_t addr = handles[j].address();
          auto element_cb = [&cb, i](Status st, std::string_view v) { cb(i, st, v); };
          Status s = read_in_memory(key, addr, element_cb);
          if (s == Status::Pending) {
            auto owned = [cb, i](Status st, std::string_view v) mutable { cb(i, st, v); };
            s = go_pending(new PendingRead<decltype(owned)>(std::move(owned)), key, hashes[j], addr,
                           handles[j].address());
          }
          statuses[i] = s;
        }
      }
    }

    /// Upserts keys[i] = values[i]; never Pending.
    void upsert_batch(std::span<const std::string_view> keys,
                      std::span<const std::string_view> values, Status* statuses) noexcept {
      std::uint64_t hashes[kBatchChunk];
      for (std::size_t base = 0; base < keys.size(); base += kBatchChunk) {
        const std::size_t n = hash_and_prefetch(keys, base, hashes);
        for (std::size_t j = 0; j < n; ++j) {
          const std::size_t i = base + j;
          if (!key_ok(keys[i]) || values[i].size() > store_->cfg_.max_value_bytes) [[unlikely]] {
            statuses[i] = Status::InvalidArgument;
            continue;
          }
          begin_op();
          Handle h;
          Status s = store_->index_.find_or_create(hashes[j], h);
          statuses[i] = s == Status::Ok ? upsert_at(keys[i], values[i], h) : s;
        }
      }
    }

    /// Applies update to every key; done(std::size_t i, Status) runs for elements that went
    /// Pending, inside complete_pending(). update and done must be copyable.
    template <class U, class D>
    void rmw_batch(std::span<const std::string_view> keys, U&& update, Status* statuses,
                   D&& done) noexcept {
      std::uint64_t hashes[kBatchChunk];
      for (std::size_t base = 0; base < keys.size(); base += kBatchChunk) {
        const std::size_t n = hash_and_prefetch(keys, base, hashes);
        for (std::size_t j = 0; j < n; ++j) {
          const std::size_t i = base + j;
          const std::string_view key = keys[i];
          if (!key_ok(key)) [[unlikely]] {
            statuses[i] = Status::InvalidArgument;
            continue;
          }
          begin_op();
          Handle h;
          Status s = store_->index_.find_or_create(hashes[j], h);
          if (s != Status::Ok) {
            statuses[i] = s;
            continue;
          }
          std::uint64_t device_addr = 0;
          s = rmw_in_memory(key, update, h, &device_addr);
          if (s == Status::Pending && sync_writes_) [[unlikely]] {
            U& u = update;
            s = rmw_device_sync(key, hashes[j], u, h, device_addr);  // CPR rule 1
          }
          if (s == Status::Pending) {
            auto owned_done = [done, i](Status st) mutable { done(i, st); };
            using Op = PendingRmw<std::decay_t<U>, decltype(owned_done)>;
            s = go_pending(new Op(update, std::move(owned_done)), key, hashes[j], device_addr,
                           h.address());
          }
          statuses[i] = s;
        }
      }
    }

   private:
    // Hashes keys[base, base + n) (n <= kBatchChunk), prefetches their buckets, then the
    // records their entries point at. Returns n.
    std::size_t hash_and_prefetch(std::span<const std::string_view> keys, std::size_t base,
                                  std::uint64_t* hashes) const {
      const std::size_t n = std::min(kBatchChunk, keys.size() - base);
      for (std::size_t j = 0; j < n; ++j) {
        hashes[j] = hash_key(keys[base + j]);
        prefetch_bucket(hashes[j]);
      }
      prefetch_records(hashes, n);
      return n;
    }
    void prefetch_bucket(std::uint64_t hash) const {
      if constexpr (requires(const Index& idx) { idx.prefetch(hash); }) {
        store_->index_.prefetch(hash);
      }
    }
    // Finds each hash's entry (without creating it) and prefetches the record it points at.
    void prefetch_records(const std::uint64_t* hashes, std::size_t n) const {
      const std::uint64_t head = store_->log_.head();
      for (std::size_t j = 0; j < n; ++j) {
        Handle h;
        if (store_->index_.find(hashes[j], h) && h.address() >= head) {
          __builtin_prefetch(store_->log_.get(h.address()), 1);
        }
      }
    }

    // Upsert once the entry is known (single and batched paths).
    [[gnu::always_inline]] Status upsert_at(std::string_view key, std::string_view value,
                                            Handle& h) noexcept {
      for (;;) {
        std::uint64_t head_addr = h.address();
        std::uint64_t ro = store_->log_.read_only();
        // In place when the newest record of the key is mutable and has the same length.
        for (std::uint64_t a = head_addr; a >= ro && a != 0;) {
          RecordView r(store_->log_.get(a));
          if (r.key_equals(key)) {
            if (r.value_len() == value.size() && lock_record(r)) {
              write_value_locked(r, value);
              unlock_record(r);
              return Status::Ok;
            }
            break;  // other length, sealed or deleted: append
          }
          a = r.header().previous();
        }
        Status s = append(key, value, /*tombstone=*/false, h);
        if (s != Status::Busy) return s;  // Busy: the entry changed; h was refreshed
      }
    }

   public:
    // -------------------------------------------------------------------------- delete
    Status remove(std::string_view key) noexcept {
      if (!key_ok(key)) [[unlikely]]
        return Status::InvalidArgument;
      begin_op();
      std::uint64_t hash = hash_key(key);
      Handle h;
      if (!store_->index_.find(hash, h)) return Status::Ok;  // absent
      for (;;) {
        std::uint64_t ro = store_->log_.read_only();
        for (std::uint64_t a = h.address(); a >= ro && a != 0;) {
          RecordView r(store_->log_.get(a));
          if (r.key_equals(key)) {
            int t = tombstone_in_place(r);
            if (t >= 0) return Status::Ok;  // tombstoned now or already deleted
            break;                          // sealed: append a tombstone
          }
          a = r.header().previous();
        }
        Status s = append(key, {}, /*tombstone=*/true, h);
        if (s != Status::Busy) return s;
      }
    }

    // ----------------------------------------------------------------------------- rmw
    /// update: bool(const std::string_view* old /*nullptr when absent*/, ValueBuilder& out);
    /// false declines (-> Aborted, nothing written). done(Status) runs if this returned Pending.
    template <class U, class D = NoopDone>
    [[gnu::always_inline]] Status rmw(std::string_view key, U&& update, D&& done = D{}) noexcept {
      if (!key_ok(key)) [[unlikely]]
        return Status::InvalidArgument;
      begin_op();
      std::uint64_t hash = hash_key(key);
      Handle h;
      if (Status s = store_->index_.find_or_create(hash, h); s != Status::Ok) return s;
      if (Status s; rmw_in_place(key, update, h, &s)) [[likely]]
        return s;
      std::uint64_t device_addr = 0;
      Status s = rmw_in_memory(key, update, h, &device_addr);
      if (s != Status::Pending) return s;
      if (sync_writes_) [[unlikely]]
        return rmw_device_sync(key, hash, update, h, device_addr);  // CPR rule 1
      using Op = PendingRmw<std::decay_t<U>, std::decay_t<D>>;
      return go_pending(new Op(std::forward<U>(update), std::forward<D>(done)), key, hash,
                        device_addr, h.address());
    }

    /// Synchronous rmw: waits for the device when needed; never returns Pending.
    template <class U>
    Status rmw_sync(std::string_view key, U&& update) {
      Status result = Status::Ok;
      Status s = rmw(key, std::forward<U>(update), [&](Status st) { result = st; });
      if (s == Status::Pending) {
        complete_pending(true);
        return result;
      }
      return s;
    }

    // ---------------------------------------------------------------- complete_pending
    /// Delivers the results of this session's pending operations. With wait, returns only
    /// when none is left. Returns true when nothing of this session is pending.
    bool complete_pending(bool wait = false) {
      for (;;) {
        store_->device_->complete_pending(false);
        store_->log_.help(slot_);
        check_state();
        std::vector<PendingOp*> done;
        {
          std::lock_guard<std::mutex> g(state_->mu);
          done.swap(state_->completed);
        }
        state_->delivering = true;
        for (PendingOp* op : done) continue_pending(op);
        while (!state_->deferred.empty()) {
          std::vector<std::function<void()>> d;
          d.swap(state_->deferred);
          for (auto& f : d) f();
        }
        state_->delivering = false;
        if (state_->outstanding == 0) return true;
        if (!wait) return false;
        if (done.empty()) {
          store_->device_->complete_pending(true);
          std::this_thread::yield();
        }
      }
    }

   private:
    friend class Store;
    Session(Store* s, std::uint32_t slot, std::uint64_t id, std::uint64_t serial)
        : store_(s), slot_(slot), id_(id), serial_(serial), state_(std::make_unique<State>()) {
      store_->epoch_.protect(slot_);
      // Registration (see checkpoint/cpr.h): publish the id, then read the state word, both
      // seq_cst, against the checkpoint thread's store of the state word and its scan of the
      // ids: either this session sees the new state or the checkpoint sees this session.
      auto& e = store_->sessions_[slot_];
      e.serial.store(serial_, std::memory_order_relaxed);
      e.id.store(id_, std::memory_order_seq_cst);
      std::uint64_t st = store_->state_.load(std::memory_order_seq_cst);
      version_ = checkpoint::SystemState::version(st);
      record_version_ = checkpoint::record_version(version_);
      cpr_point_ = serial_;
      e.cpr_point.store(cpr_point_, std::memory_order_relaxed);
      acknowledge(st);
    }
    void take(Session& o) noexcept {
      store_ = std::exchange(o.store_, nullptr);
      slot_ = o.slot_;
      id_ = o.id_;
      serial_ = o.serial_;
      since_refresh_ = o.since_refresh_;
      version_ = o.version_;
      record_version_ = o.record_version_;
      seen_state_ = o.seen_state_;
      cpr_point_ = o.cpr_point_;
      sync_writes_ = o.sync_writes_;
      state_ = std::move(o.state_);
    }

    // ---- CPR (components/checkpoint/cpr.h has the protocol) ------------------------------
    void acknowledge(std::uint64_t st) {
      using checkpoint::Phase;
      using checkpoint::SystemState;
      seen_state_ = st;
      sync_writes_ = SystemState::phase(st) == Phase::Prepare;
      auto& e = store_->sessions_[slot_];
      e.serial.store(serial_, std::memory_order_relaxed);
      // release: the checkpoint thread that acquires the acknowledgement sees the CPR point.
      e.acked.store(st, std::memory_order_release);
    }
    // Looks at the state word; reacts when it changed (cold).
    void check_state() {
      std::uint64_t st = store_->state_.load(std::memory_order_acquire);
      if (st != seen_state_) [[unlikely]]
        on_state_change(st);
    }
    [[gnu::noinline]] void on_state_change(std::uint64_t st) {
      using checkpoint::Phase;
      using checkpoint::SystemState;
      const std::uint64_t v = SystemState::version(st);
      if (v != version_) {
        // Rule 2: every operation up to serial_ ran in the old version.
        move_to_version(v, serial_);
      } else if (SystemState::phase(st) == Phase::Prepare &&
                 SystemState::phase(seen_state_) != Phase::Prepare) {
        // Rule 1: no write of this version may stay pending once the version can change.
        drain_pending_writes();
      }
      acknowledge(st);
    }
    void move_to_version(std::uint64_t v, std::uint64_t point) {
      version_ = v;
      record_version_ = checkpoint::record_version(v);
      cpr_point_ = point;
      store_->sessions_[slot_].cpr_point.store(point, std::memory_order_relaxed);
    }
    // Rule 3: inside an operation that has written nothing yet, the store is already in a
    // newer version: move to it (the CPR point excludes this operation) and retry.
    [[gnu::noinline]] void shift_inside_op() {
      std::uint64_t st = store_->state_.load(std::memory_order_acquire);
      move_to_version(checkpoint::SystemState::version(st), serial_ - 1);
      acknowledge(st);
    }
    // Completes this session's pending rmws (their callbacks are deferred to the next
    // complete_pending: this may run inside another operation). Reads stay pending.
    void drain_pending_writes() {
      while (state_->outstanding_writes > 0) {
        store_->device_->complete_pending(false);
        store_->log_.help(slot_);
        std::vector<PendingOp*> done;
        {
          std::lock_guard<std::mutex> g(state_->mu);
          done.swap(state_->completed);
        }
        std::vector<PendingOp*> keep;
        for (PendingOp* op : done) {
          if (op->writes()) {
            continue_pending(op);
          } else {
            keep.push_back(op);
          }
        }
        if (!keep.empty()) {
          std::lock_guard<std::mutex> g(state_->mu);
          state_->completed.insert(state_->completed.end(), keep.begin(), keep.end());
        }
        if (done.size() == keep.size()) {
          store_->device_->complete_pending(true);
          std::this_thread::yield();
        }
      }
    }

    // ---- pending operations -------------------------------------------------------------
    struct PendingOp;
    struct State {
      std::mutex mu;
      std::vector<PendingOp*> completed;   // guarded by mu; pushed by I/O callbacks
      std::size_t outstanding = 0;         // owner thread only
      std::size_t outstanding_writes = 0;  // owner thread only: pending rmws
      // owner thread only: rmw completions whose write is done and whose callback waits for
      // the next complete_pending() (a checkpoint drained them inside another operation).
      std::vector<std::function<void()>> deferred;
      bool delivering = false;  // owner thread only: inside complete_pending (callbacks run)
      std::string scratch;      // owner thread only: copies of mutable values
      ValueBuilder builder;     // owner thread only: rmw output
    };
    // A pending op owns a copy of the key and of the caller's callable, and the I/O buffer.
    struct PendingOp {
      virtual ~PendingOp() = default;
      [[nodiscard]] virtual bool writes() const { return false; }
      // Read: deliver the outcome. Rmw: found (or not) the old value on the device.
      virtual void on_found(Session& s, Status st, const std::string_view* value) = 0;
      State* state = nullptr;
      std::string key;
      std::uint64_t hash = 0;
      std::uint64_t address = 0;        // record being read
      std::uint64_t entry_address = 0;  // the chain head when it went pending
      AlignedBuffer buf;
      std::uint32_t buf_offset = 0;  // record's offset in buf
      std::uint32_t buf_valid = 0;   // bytes of buf from the record on
      Status io_status = Status::Ok;
    };
    template <class F>
    struct PendingRead final : PendingOp {
      explicit PendingRead(F&& f) : cb(std::move(f)) {}
      explicit PendingRead(const F& f) : cb(f) {}
      void on_found(Session&, Status st, const std::string_view* value) override {
        cb(st, value ? *value : std::string_view{});
      }
      F cb;
    };
    template <class U, class D>
    struct PendingRmw final : PendingOp {
      template <class UU, class DD>
      PendingRmw(UU&& u, DD&& d) : update(std::forward<UU>(u)), done(std::forward<DD>(d)) {}
      [[nodiscard]] bool writes() const override { return true; }
      void on_found(Session& s, Status st, const std::string_view* value) override {
        Status r = st;
        if (st == Status::Ok || st == Status::NotFound) {
          r = s.rmw_after_device(this->key, this->hash, this->entry_address, value, update);
        }
        if (s.state_->delivering) {
          done(r);
        } else {
          s.state_->deferred.emplace_back([d = std::move(done), r]() mutable { d(r); });
        }
      }
      U update;
      D done;
    };

    static void on_io_done(void* ctx, Status st, std::size_t bytes) {
      auto* op = static_cast<PendingOp*>(ctx);
      op->io_status = st;
      if (st == Status::Ok && bytes < op->buf_offset + 16u) op->io_status = Status::IoError;
      std::lock_guard<std::mutex> g(op->state->mu);
      op->state->completed.push_back(op);
    }

    Status go_pending(PendingOp* op, std::string_view key, std::uint64_t hash,
                      std::uint64_t address, std::uint64_t entry_address) {
      op->state = state_.get();
      op->key.assign(key);
      op->hash = hash;
      op->entry_address = entry_address;
      ++state_->outstanding;
      if (op->writes()) ++state_->outstanding_writes;
      Status s = issue_read(op, address, kFirstReadBytes);
      if (s != Status::Ok) {
        --state_->outstanding;
        if (op->writes()) --state_->outstanding_writes;
        delete op;
        return s;
      }
      return Status::Pending;
    }

    static constexpr std::uint32_t kFirstReadBytes = 512;

    Status issue_read(PendingOp* op, std::uint64_t address, std::uint32_t len) {
      std::size_t align = std::max<std::size_t>(store_->device_->alignment(), 8);
      std::uint64_t start = address / align * align;
      std::uint64_t end = (address + len + align - 1) / align * align;
      // Never read past the flushed prefix: the bytes beyond it may be being written by a
      // flush right now (the record itself always ends below it).
      std::uint64_t limit = (store_->log_.flushed_until() + align - 1) / align * align;
      if (end > limit && limit > address) end = limit;
      if (op->buf.size() < end - start) {
        op->buf = AlignedBuffer(end - start, std::max<std::size_t>(align, 64));
      }
      op->address = address;
      op->buf_offset = static_cast<std::uint32_t>(address - start);
      op->buf_valid = static_cast<std::uint32_t>(end - address);
      op->io_status = Status::Ok;
      return store_->log_.read_async(start, op->buf.data(), static_cast<std::uint32_t>(end - start),
                                     &Session::on_io_done, op);
    }

    // Runs on the owner thread inside complete_pending().
    void continue_pending(PendingOp* op) {
      auto finish = [&](Status st, const std::string_view* v) {
        --state_->outstanding;
        op->on_found(*this, st, v);
        if (op->writes()) --state_->outstanding_writes;
        delete op;
      };
      if (op->io_status != Status::Ok) return finish(op->io_status, nullptr);
      RecordView r(op->buf.data() + op->buf_offset);
      std::uint32_t size = r.size();
      if (r.lengths_word() == 0) return finish(Status::Corruption, nullptr);
      if (size > op->buf_valid) {
        Status s = issue_read(op, op->address, size);
        if (s != Status::Ok) finish(s, nullptr);
        return;
      }
      RecordHeader hdr = r.header();
      if (r.key_equals(op->key) && !hdr.invalid()) {
        if (hdr.tombstone()) return finish(Status::NotFound, nullptr);
        std::string_view v(reinterpret_cast<const char*>(r.value_ptr()), r.value_len());
        if (!op->writes() && store_->cfg_.copy_reads_to_tail) copy_read_to_tail(*op, v);
        return finish(Status::Ok, &v);
      }
      std::uint64_t prev = hdr.previous();
      if (prev < store_->log_.begin() || prev == 0) return finish(Status::NotFound, nullptr);
      // Older records are further down the device (addresses in a chain only decrease).
      Status s = issue_read(op, prev, kFirstReadBytes);
      if (s != Status::Ok) finish(s, nullptr);
    }

    // ---- helpers --------------------------------------------------------------------------
    [[nodiscard]] [[gnu::always_inline]] bool key_ok(std::string_view key) const {
      return !key.empty() && key.size() <= store_->cfg_.max_key_bytes;
    }
    // Refresh first: a version change seen there must not take this operation's serial
    // into the CPR point (the operation runs in the new version).
    [[gnu::always_inline]] void begin_op() {
      if (++since_refresh_ >= kRefreshInterval) [[unlikely]]
        refresh();
      ++serial_;
    }

    // Walks the in-memory part of the chain from addr. Ok (cb ran), NotFound, or Pending
    // with addr set to the device address to read next.
    template <class F>
    [[gnu::always_inline]] Status read_in_memory(std::string_view key, std::uint64_t& addr, F& cb) {
      const auto& log = store_->log_;
      std::uint64_t head = log.head();
      while (addr >= head) {
        RecordView r(log.get(addr));
        if (r.key_equals(key)) {
          RecordHeader hdr = r.header();
          if (hdr.invalid()) {
            addr = hdr.previous();
            continue;
          }
          if (hdr.tombstone()) return Status::NotFound;
          read_value(r, addr, cb);
          return Status::Ok;
        }
        addr = r.header().previous();
      }
      if (addr == 0 || addr < log.begin()) return Status::NotFound;
      return Status::Pending;
    }

    // Delivers a record's value to cb without tearing: values up to 8 bytes are one atomic
    // word; larger mutable values are copied under the record's seqlock; read-only values are
    // immutable and handed out in place.
    template <class F>
    [[gnu::always_inline]] void read_value(const RecordView& r, std::uint64_t addr, F& cb) {
      std::uint32_t len = r.value_len();
      if (len <= 8) {
        // acquire: pairs with the release store of an in-place update.
        std::uint64_t w =
            std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(r.value_ptr()))
                .load(std::memory_order_acquire);
        char tmp[8];
        std::memcpy(tmp, &w, 8);
        cb(Status::Ok, std::string_view(tmp, len));
        return;
      }
      if (addr < store_->log_.safe_read_only()) {
        cb(Status::Ok, std::string_view(reinterpret_cast<const char*>(r.value_ptr()), len));
        return;
      }
      std::string& scratch = state_->scratch;
      auto seq = r.seqlock_ref();
      for (;;) {
        std::uint64_t s1 = seq.load(std::memory_order_acquire);
        if (s1 & 1) {
          std::this_thread::yield();
          continue;
        }
        // Relaxed atomic loads: a writer may be storing these words right now (the
        // textbook C++ seqlock: data accessed with relaxed atomics, ordered by the fences).
        scratch.resize(len);
        atomic_load_copy(scratch.data(), r.value_ptr(), len);
        // acquire: pairs with the writer's release fence: if a load above saw a word of a
        // write in progress, the re-check below sees that writer's odd (or a later) counter.
        std::atomic_thread_fence(std::memory_order_acquire);
        if (seq.load(std::memory_order_relaxed) == s1) break;
      }
      cb(Status::Ok, std::string_view(scratch));
    }

    // Spin briefly, then yield: the lock holder may be descheduled (oversubscribed runs).
    static void backoff(std::uint32_t& spins) {
      if (++spins < 64) {
        __builtin_ia32_pause();
      } else {
        std::this_thread::yield();
      }
    }

    // ---- in-place primitives (mutable region only; see record.h for the header flags) -----

    // Takes the record's write lock. false when it is sealed, deleted or invalid: the caller
    // appends instead. acquire: the holder sees the previous holder's value bytes.
    // Also false for a record of another version than this session's (CPR rule 4: copy it).
    [[gnu::always_inline]] bool lock_record(const RecordView& r) const {
      std::uint32_t spins = 0;
      auto h = r.header_ref();
      std::uint64_t w = h.load(std::memory_order_acquire);
      if (RecordHeader(w).version() != record_version_) [[unlikely]]
        return false;  // the version is set when the record is written and never changes
      for (;;) {
        if (w &
            (RecordHeader::kSealedBit | RecordHeader::kTombstoneBit | RecordHeader::kInvalidBit)) {
          return false;
        }
        if (w & RecordHeader::kLockBit) {
          backoff(spins);
          w = h.load(std::memory_order_acquire);
          continue;
        }
        if (h.compare_exchange_weak(w, w | RecordHeader::kLockBit, std::memory_order_acquire)) {
          return true;
        }
      }
    }
    // release: the value bytes written under the lock happen-before the next holder's. A
    // plain store suffices: while the lock is held nobody else changes the header (every
    // other change is a CAS that requires the lock bit clear).
    [[gnu::always_inline]] static void unlock_record(const RecordView& r) {
      auto h = r.header_ref();
      std::uint64_t w = h.load(std::memory_order_relaxed);
      h.store(w & ~RecordHeader::kLockBit, std::memory_order_release);
    }
    // Releases the lock and seals in one store (the holder is about to copy it to the tail).
    static void seal_locked(const RecordView& r) {
      auto h = r.header_ref();
      std::uint64_t w = h.load(std::memory_order_relaxed);  // only the holder changes it now
      h.store((w | RecordHeader::kSealedBit) & ~RecordHeader::kLockBit, std::memory_order_release);
    }
    // Freezes the value (no in-place writer can start or still be inside). false when the
    // record is deleted (the key is absent). acq_rel: the sealer sees the last value written.
    static bool seal_record(const RecordView& r) {
      std::uint32_t spins = 0;
      auto h = r.header_ref();
      std::uint64_t w = h.load(std::memory_order_acquire);
      for (;;) {
        if (w & RecordHeader::kTombstoneBit) return false;
        if (w & RecordHeader::kSealedBit) return true;
        if (w & RecordHeader::kLockBit) {
          backoff(spins);
          w = h.load(std::memory_order_acquire);
          continue;
        }
        if (h.compare_exchange_weak(w, w | RecordHeader::kSealedBit, std::memory_order_acq_rel)) {
          return true;
        }
      }
    }
    // Sets the tombstone in place. 1 = deleted now, 0 = was already deleted, -1 = sealed,
    // invalid or of another version (append a tombstone instead).
    int tombstone_in_place(const RecordView& r) const {
      std::uint32_t spins = 0;
      auto h = r.header_ref();
      std::uint64_t w = h.load(std::memory_order_acquire);
      if (RecordHeader(w).version() != record_version_ && !(w & RecordHeader::kTombstoneBit)) {
        return -1;
      }
      for (;;) {
        if (w & RecordHeader::kTombstoneBit) return 0;
        if (w & (RecordHeader::kSealedBit | RecordHeader::kInvalidBit)) return -1;
        if (w & RecordHeader::kLockBit) {
          backoff(spins);
          w = h.load(std::memory_order_acquire);
          continue;
        }
        // release: pairs with the acquire header() of readers.
        if (h.compare_exchange_weak(w, w | RecordHeader::kTombstoneBit,
                                    std::memory_order_acq_rel)) {
          return 1;
        }
      }
    }
    // Writes a value of the record's own length; the caller holds the record lock.
    [[gnu::always_inline]] static void write_value_locked(const RecordView& r,
                                                          std::string_view value) {
      if (value.size() <= 8) {
        std::uint64_t w = 0;
        // The fixed-size case without a library call (value.size() is only known at run time).
        if (value.size() == 8) [[likely]] {
          std::memcpy(&w, value.data(), 8);
        } else {
          std::memcpy(&w, value.data(), value.size());
        }
        // release: readers acquire the word.
        std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(r.value_ptr()))
            .store(w, std::memory_order_release);
        return;
      }
      // Seqlock for readers: odd while the bytes change.
      auto seq = r.seqlock_ref();
      std::uint64_t s = seq.load(std::memory_order_relaxed);
      seq.store(s + 1, std::memory_order_relaxed);
      // release: pairs with the reader's acquire fence: a reader whose loads see any of the
      // stores below sees the odd (or a later) counter in its re-check, and retries.
      std::atomic_thread_fence(std::memory_order_release);
      // Relaxed atomic stores: seqlock readers (and a snapshot checkpoint's copy) may load
      // these words concurrently; the counter tells readers whether they tore.
      atomic_store_copy(r.value_ptr(), value.data(), value.size());
      // release: readers that acquire the new even counter see the whole new value.
      seq.store(s + 2, std::memory_order_release);
    }

    // Appends a record and swings the entry from h's chain head to it. Ok; Busy when the
    // entry changed (h refreshed: caller re-examines); or an error.
    // A value a pending read found on the device is appended at the tail again (the same
    // value, this session's version), so that the next reads of a hot key hit memory: the
    // store's read cache. Only when the key's index entry still holds the chain head the read
    // started from, so the copy never hides a newer write; skipped (not an error) otherwise,
    // and while the store changes version (a copy changes no state, so no CPR shift for it).
    void copy_read_to_tail(const PendingOp& op, std::string_view value) {
      if (op.entry_address == 0) return;
      if (checkpoint::SystemState::version(store_->state_.load(std::memory_order_acquire)) !=
          version_) {
        return;
      }
      Handle h;
      if (!store_->index_.find(op.hash, h) || h.address() != op.entry_address) return;
      (void)append(op.key, value, /*tombstone=*/false, h, /*may_shift=*/false);
    }

    Status append(std::string_view key, std::string_view value, bool tombstone, Handle& h,
                  bool may_shift = true) {
      // CPR rule 3: never link a record of this session's version behind a newer one.
      // acquire: pairs with the checkpoint thread's release store of the state word, which
      // happens-before any record of the new version this thread can have seen.
      if (checkpoint::SystemState::version(store_->state_.load(std::memory_order_acquire)) !=
          version_) [[unlikely]] {
        if (!may_shift) return Status::Aborted;
        shift_inside_op();
        return Status::Busy;  // nothing written: the caller re-examines in the new version
      }
      std::uint32_t size = hlog::record_size(static_cast<std::uint32_t>(key.size()),
                                             static_cast<std::uint32_t>(value.size()));
      std::uint64_t addr = 0;
      bool helped = false;
      if (Status s = allocate(size, &addr, &helped); s != Status::Ok) return s;
      std::byte* p = store_->log_.get(addr);
      if (helped) [[unlikely]] {
        // allocate() refreshed the epoch while waiting for a frame: h may point into an index
        // table that a growth retired meanwhile, and the store may have moved to a new
        // version. Find the entry again; if anything changed, the space becomes an invalid
        // record and the caller re-examines.
        Handle fresh;
        const Status fs = store_->index_.find_or_create(hash_key(key), fresh);
        const bool moved = checkpoint::SystemState::version(
                               store_->state_.load(std::memory_order_acquire)) != version_;
        if (fs != Status::Ok || moved || fresh.address() != h.address()) {
          RecordView::write(p, RecordHeader::make(h.address(), record_version_, tombstone), key,
                            value);
          RecordView(p).header_ref().fetch_or(RecordHeader::kInvalidBit, std::memory_order_relaxed);
          if (fs != Status::Ok) return fs;
          h = fresh;
          if (!may_shift) return Status::Aborted;
          if (moved) shift_inside_op();
          return Status::Busy;
        }
        h = fresh;
      }
      RecordView::write(p, RecordHeader::make(h.address(), record_version_, tombstone), key, value);
      if (store_->index_.try_update(h, addr)) return Status::Ok;
      // Lost the race: nobody can reach this record; mark it invalid for scans.
      RecordView(p).header_ref().fetch_or(RecordHeader::kInvalidBit, std::memory_order_relaxed);
      if (!may_shift) return Status::Aborted;
      if (Status s = store_->index_.find_or_create(hash_key(key), h); s != Status::Ok) return s;
      return Status::Busy;
    }

    // *helped: the epoch was refreshed while waiting (handles taken before may be stale).
    Status allocate(std::uint32_t size, std::uint64_t* addr, bool* helped) {
      for (std::uint32_t spins = 0;; ++spins) {
        Status s = store_->log_.allocate(size, addr);
        if (s == Status::Ok) [[likely]]
          return s;
        if (Status e = store_->log_.flush_error(); e != Status::Ok) return e;
        // The next page's frame is still being flushed / evicted: help and retry.
        *helped = true;
        store_->log_.help(slot_);
        if (spins > 16) std::this_thread::yield();
      }
    }

    // The common case of an rmw, inline: the chain head is the key's record, mutable (at or
    // above read_only, hence above safe_read_only and head) and lockable (same version, not
    // sealed, deleted or invalid). true with *st set when it completed. false when it did not
    // apply (nothing written), or when the append of a value of a new length lost to a newer
    // entry (h refreshed): either way the caller goes on with rmw_in_memory from h, exactly
    // where rmw_in_memory's own loop would be. The decisions are rmw_in_memory's, in its order;
    // only its chain walk and its fuzzy-region checks are skipped, which cannot apply to a
    // record at or above read_only (bounds only rise: head <= safe_read_only <= read_only).
    template <class U>
    [[gnu::always_inline]] bool rmw_in_place(std::string_view key, U& update, Handle& h,
                                             Status* st) {
      const auto& log = store_->log_;
      const std::uint64_t a = h.address();
      if (a < log.read_only()) return false;
      RecordView r(log.get(a));
      if (!r.key_equals(key) || !lock_record(r)) return false;
      Status s = rmw_locked(r, update, state_->builder);
      if (s == Status::Busy) [[unlikely]] {
        // New length: the record is sealed and the builder holds the new value: append it.
        s = append(key, state_->builder.view(), false, h);
        if (s == Status::Busy) return false;  // the entry changed: h refreshed, start over
      }
      *st = s;
      return true;
    }

    // RMW against the in-memory chain. Ok / Aborted / error, or Pending with *device_addr
    // set when the newest record of the key can only be on the device.
    template <class U>
    Status rmw_in_memory(std::string_view key, U& update, Handle& h, std::uint64_t* device_addr) {
      auto& log = store_->log_;
      for (;;) {
        std::uint64_t head_addr = h.address();
        std::uint64_t a = head_addr;
        std::uint64_t head = log.head();
        bool found = false;
        RecordView r(nullptr);
        while (a >= head && a != 0) {
          RecordView cand(log.get(a));
          if (cand.key_equals(key) && !cand.header().invalid()) {
            r = cand;
            found = true;
            break;
          }
          a = cand.header().previous();
        }
        if (!found && a != 0 && a >= log.begin()) {
          *device_addr = a;
          return Status::Pending;
        }
        bool live = found && !r.header().tombstone();
        ValueBuilder& out = state_->builder;
        if (live && a >= log.safe_read_only()) {
          if (a < log.read_only()) {
            // Fuzzy region: a thread may still update it in place, and the flush of its page
            // may start at any moment, so it is neither updated nor sealed. Let the epoch
            // move safe_read_only past it (help() refreshes this session), then retry.
            log.help(slot_);
            refresh_handle(key, h);
            continue;
          }
          if (lock_record(r)) {
            // Mutable: update in place under the record lock.
            Status s = rmw_locked(r, update, out);
            if (s != Status::Busy) return s;
            // New length: the record is now sealed and out holds the new value: append it.
            s = append(key, out.view(), false, h);
            if (s != Status::Busy) return s;
            continue;
          }
          // Locked out (sealed or deleted meanwhile): freeze it, then copy.
          live = seal_record(r);
        }
        bool write;
        if (live) {
          std::string_view old = stable_value(r);
          write = update(&old, out);
        } else {
          write = update(static_cast<const std::string_view*>(nullptr), out);
        }
        if (!write) return Status::Aborted;
        Status s = append(key, out.view(), false, h);
        if (s != Status::Busy) return s;
      }
    }

    void refresh_handle(std::string_view key, Handle& h) {
      (void)store_->index_.find_or_create(hash_key(key), h);
    }

    // The value of a record that cannot change any more (read-only, sealed, or locked by
    // this thread). Small values are one word; copy it out to the session's scratch.
    std::string_view stable_value(const RecordView& r) {
      std::uint32_t len = r.value_len();
      if (len <= 8) {
        std::uint64_t w =
            std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(r.value_ptr()))
                .load(std::memory_order_acquire);
        state_->scratch.assign(reinterpret_cast<const char*>(&w), len);
        return state_->scratch;
      }
      return {reinterpret_cast<const char*>(r.value_ptr()), len};
    }

    // RMW of a record whose lock this thread holds. Ok / Aborted (lock released), or Busy:
    // the new value has another length, the record was sealed and out holds the new value.
    template <class U>
    [[gnu::always_inline]] Status rmw_locked(const RecordView& r, U& update, ValueBuilder& out) {
      char small[8];
      std::string_view oldv;
      if (r.value_len() <= 8) {  // one word; no other writer while the lock is held
        std::memcpy(small, r.value_ptr(), 8);
        oldv = std::string_view(small, r.value_len());
      } else {
        oldv = std::string_view(reinterpret_cast<const char*>(r.value_ptr()), r.value_len());
      }
      if (!update(&oldv, out)) {
        unlock_record(r);
        return Status::Aborted;
      }
      if (out.size() == r.value_len()) {
        write_value_locked(r, out.view());
        unlock_record(r);
        return Status::Ok;
      }
      seal_locked(r);
      return Status::Busy;
    }

    // Second half of a pending rmw: the device gave the newest on-device value (or none).
    // If the chain head moved meanwhile, a newer record may exist in memory: start over.
    template <class U>
    Status rmw_after_device(const std::string& key, std::uint64_t hash, std::uint64_t entry_address,
                            const std::string_view* old, U& update) {
      Handle h;
      if (Status s = store_->index_.find_or_create(hash, h); s != Status::Ok) return s;
      if (h.address() == entry_address) {
        ValueBuilder& out = state_->builder;
        std::string copy;
        const std::string_view* oldp = old;
        std::string_view oldv;
        if (old != nullptr) {
          copy.assign(*old);  // the I/O buffer stays valid, but update may be re-entered
          oldv = copy;
          oldp = &oldv;
        }
        if (!update(oldp, out)) return Status::Aborted;
        Status s = append(key, out.view(), false, h);
        if (s != Status::Busy) return s;
      }
      // Start over (rarely): complete synchronously, on this thread, inside complete_pending.
      std::uint64_t dev = 0;
      Status s = rmw_in_memory(key, update, h, &dev);
      if (s != Status::Pending) return s;
      return rmw_device_sync(key, hash, update, h, dev);
    }

    // An rmw whose newest record is on the device at dev, completed on this thread (blocking
    // reads): the rare restart path, and every device rmw while a checkpoint prepares.
    template <class U>
    Status rmw_device_sync(std::string_view key, std::uint64_t hash, U& update, Handle& h,
                           std::uint64_t dev) {
      for (;;) {
        std::string value;
        bool present = false;
        Status rs = read_device_chain(key, dev, &value, &present);
        if (rs != Status::Ok) return rs;
        std::uint64_t seen = h.address();
        (void)store_->index_.find_or_create(hash, h);
        if (h.address() == seen) {
          ValueBuilder& out = state_->builder;
          std::string_view v(value);
          if (!update(present ? &v : nullptr, out)) return Status::Aborted;
          Status s = append(key, out.view(), false, h);
          if (s != Status::Busy) return s;
        }
        // The chain head moved (or the append lost): look again from the new head.
        Status s = rmw_in_memory(key, update, h, &dev);
        if (s != Status::Pending) return s;
      }
    }

    // Synchronous walk of the on-device part of a chain (rare restart path).
    Status read_device_chain(std::string_view key, std::uint64_t addr, std::string* value,
                             bool* present) {
      *present = false;
      AlignedBuffer buf;
      while (addr != 0 && addr >= store_->log_.begin()) {
        std::byte* rec = nullptr;
        if (Status s = store_->read_record_blocking(addr, buf, &rec); s != Status::Ok) return s;
        RecordView r(rec);
        RecordHeader hdr = r.header();
        if (r.key_equals(key) && !hdr.invalid()) {
          if (!hdr.tombstone()) {
            value->assign(reinterpret_cast<const char*>(r.value_ptr()), r.value_len());
            *present = true;
          }
          return Status::Ok;
        }
        addr = hdr.previous();
      }
      return Status::Ok;
    }

    Store* store_ = nullptr;
    std::uint32_t slot_ = 0;
    std::uint64_t id_ = 0;
    std::uint64_t serial_ = 0;
    std::uint32_t since_refresh_ = 0;
    std::uint32_t record_version_ = 0;  // version_'s bits as record headers keep them
    std::uint64_t version_ = 0;
    std::uint64_t seen_state_ = 0;  // the state word last acknowledged
    std::uint64_t cpr_point_ = 0;   // serial when this session moved to version_
    bool sync_writes_ = false;      // CPR rule 1: PREPARE acknowledged, rmws do not go Pending
    std::unique_ptr<State> state_;
  };
};

}  // namespace rskv

#include "components/store/checkpointing.h"  // IWYU pragma: export
