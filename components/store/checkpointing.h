#pragma once
// Store checkpoints and recovery (CPR): the out-of-line members of Store, included by
// store.h. The protocol sessions follow is in components/checkpoint/cpr.h; the files are
// written and validated by components/checkpoint/checkpoint_dir.h.
//
// What a checkpoint writes, in <store>/checkpoints/<id>/:
//   index          (when it captures the index) "RSKVIDX1", the index geometry, then one
//                  (representative hash, address) pair per entry, fuzzy; then the entry count.
//   snapshot       (snapshot kind) the log bytes [snapshot_start, log_final) copied from memory.
//   log_checksums  "RSKVRNG1", then (from, to, checksum) for every flushed range of the log
//                  that recovery replays (HybridLog::flushed_ranges).
//   meta           the commit record (CheckpointMeta), written last and durably.
//
// The index part. tail A0 is taken, then one epoch bump makes sure every operation that
// allocated below A0 has published its record in the index; the capture then runs while
// sessions keep operating, and ends at tail A1. An entry the capture saw below A0 is what the
// entry held at A0 (any later change points at A0 or above). An entry it saw at A0 or above
// is unknown ("pending") at recovery: its value at A0 is the previous address of the first
// record at or above A0 that belongs to it, which the replay meets first (addresses in a
// chain only grow, and a record's previous address is the chain head it replaced).
//
// The log part moves the version (PREPARE, IN_PROGRESS, ...) and takes the final address
// Af = tail in WAIT_FLUSH: every record of the captured version v lies below Af, and records
// of v + 1 below Af are dropped by recovery (by version). Fold-over flushes the log to Af;
// snapshot copies [page of the flushed bound, Af) to the snapshot file.
//
// Recovery: write the snapshot (if any) to the log device at its addresses; load the index
// (pending entries marked); replay [A0, Af) in address order from the device, verifying each
// flushed range's checksum: a record of version <= v (and not invalid) becomes its entry's
// value; a pending entry first takes the previous address of its first record; records of
// v + 1 (and of versions dropped by earlier recoveries, the "dead" versions) are skipped.
// Then the log restarts at a fence: the page boundary past Af and past everything the device
// holds, so a stale tail of the crashed process is never replayed ([Af, fence) joins the skip
// ranges later checkpoints carry). The store continues in version v + 2: v + 1 is dead,
// because records of v + 1 below Af stay on the device.

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>

namespace rskv {
namespace store_detail {

inline constexpr std::uint64_t kPendingEntry = Address::kMax;  // recovery: value unknown yet
inline constexpr std::string_view kIndexMagic = "RSKVIDX1";
inline constexpr std::string_view kRangesMagic = "RSKVRNG1";
inline constexpr std::uint64_t kMaxVersionSpan = 4000;  // < 4096 record versions

inline void put64(std::string& out, std::uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
inline std::uint64_t get64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t round_up(std::uint64_t v, std::uint64_t to) {
  return (v + to - 1) / to * to;
}

}  // namespace store_detail

// ---------------------------------------------------------------------------- helpers
template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
void Store<Index, Device, Gc>::set_state(checkpoint::Phase p, std::uint64_t v) {
  // seq_cst: the session registration protocol (Session's constructor) relies on it.
  state_.store(checkpoint::SystemState::pack(p, v), std::memory_order_seq_cst);
  if (checkpoint_hook_) checkpoint_hook_(checkpoint::phase_name(p));
}

// Lets the epoch, the flush path and the caller's session move on while a checkpoint waits.
template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
void Store<Index, Device, Gc>::pump(Session* caller) {
  if (caller != nullptr) {
    caller->refresh();
    log_.help(caller->slot());
  } else {
    epoch_.protect(pump_slot_);
    log_.help(pump_slot_);
    epoch_.unprotect(pump_slot_);
  }
  std::this_thread::sleep_for(std::chrono::microseconds(20));
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Result<void> Store<Index, Device, Gc>::wait_acks(
    std::uint64_t st, Session* caller,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  auto next_report = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    pump(caller);
    std::vector<std::uint64_t> missing;
    for (auto& e : sessions_) {
      // seq_cst: pairs with the registration of sessions (see Session's constructor).
      std::uint64_t id = e.id.load(std::memory_order_seq_cst);
      if (id == 0) continue;
      // acquire: pairs with the session's release store of its acknowledgement.
      if (e.acked.load(std::memory_order_acquire) != st) missing.push_back(id);
    }
    if (missing.empty()) return {};
    auto now = std::chrono::steady_clock::now();
    std::string who;
    for (std::uint64_t id : missing) who += (who.empty() ? "" : ", ") + std::to_string(id);
    std::string phase(checkpoint::phase_name(checkpoint::SystemState::phase(st)));
    if (deadline && now > *deadline) {
      return make_error(Status::Busy, "checkpoint gave up: session(s) " + who +
                                          " did not acknowledge the " + phase +
                                          " phase in time; an open session must call "
                                          "refresh() now and then (or be closed)");
    }
    if (!deadline && now > next_report) {
      std::fprintf(stderr, "rskv: checkpoint waits in phase %s for session(s) %s to refresh\n",
                   phase.c_str(), who.c_str());
      next_report = now + std::chrono::seconds(10);
    }
  }
}

// Reads [offset, offset + len) of the log device into out, blocking.
template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Status Store<Index, Device, Gc>::read_device_sync(std::uint64_t offset, std::uint64_t len,
                                                  char* out) {
  const std::size_t align = std::max<std::size_t>(device_->alignment(), 8);
  constexpr std::uint64_t kChunk = 8ull << 20;
  AlignedBuffer buf;
  while (len > 0) {
    std::uint64_t n = std::min(len, kChunk);
    std::uint64_t start = offset / align * align;
    std::uint64_t end = store_detail::round_up(offset + n, align);
    if (buf.size() < end - start)
      buf = AlignedBuffer(end - start, std::max<std::size_t>(align, 64));
    if (Status st = io_blocking(false, start, buf.data(), static_cast<std::uint32_t>(end - start));
        st != Status::Ok) {
      return st;
    }
    std::memcpy(out, buf.data() + (offset - start), n);
    out += n;
    offset += n;
    len -= n;
  }
  return Status::Ok;
}

// Writes [offset, offset + data.size()) to the log device (offset aligned), blocking.
template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Status Store<Index, Device, Gc>::write_device_sync(std::uint64_t offset, std::string_view data) {
  const std::size_t align = std::max<std::size_t>(device_->alignment(), 8);
  constexpr std::uint64_t kChunk = 8ull << 20;
  AlignedBuffer buf;
  std::uint64_t done = 0;
  while (done < data.size()) {
    std::uint64_t n = std::min<std::uint64_t>(data.size() - done, kChunk);
    std::uint64_t padded = store_detail::round_up(n, align);
    if (buf.size() < padded) buf = AlignedBuffer(padded, std::max<std::size_t>(align, 64));
    std::memset(buf.data() + n, 0, padded - n);
    std::memcpy(buf.data(), data.data() + done, n);
    if (Status st =
            io_blocking(true, offset + done, buf.data(), static_cast<std::uint32_t>(padded));
        st != Status::Ok) {
      return st;
    }
    done += n;
  }
  return Status::Ok;
}

// --------------------------------------------------------------------------- checkpoint
template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
auto Store<Index, Device, Gc>::checkpoint(const CheckpointRequest& req, Session* caller)
    -> Result<CheckpointInfo> {
  if constexpr (!Device::kPersistent) {
    (void)req;
    (void)caller;
    return make_error(Status::InvalidArgument,
                      std::string("the ") + std::string(Device::kName) +
                          " device keeps nothing across processes: checkpoints need a "
                          "persistent device (file or io_uring)");
  } else {
    if (!req.index && !req.log) {
      return make_error(Status::InvalidArgument, "a checkpoint must include the index or the log");
    }
    std::lock_guard<std::mutex> g(checkpoint_mu_);
    pump_slot_ = epoch_.acquire_slot();
    if (pump_slot_ == epoch::EpochManager::kMaxSlots) {
      return make_error(Status::Busy, "checkpoint: all epoch slots are in use");
    }
    Result<CheckpointInfo> r = checkpoint_locked(req, caller);
    epoch_.release_slot(pump_slot_);
    return r;
  }
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Result<void> Store<Index, Device, Gc>::capture_index(
    std::uint64_t id, checkpoint::CheckpointMeta& m, Session* caller,
    std::chrono::steady_clock::time_point deadline) {
  const std::uint64_t a0 = log_.tail();
  // One epoch bump: once its action ran, every operation that allocated below a0 has
  // finished (published its record through the index).
  auto safe = std::make_shared<std::atomic<bool>>(false);
  const std::uint64_t bumped = epoch_.current_epoch();
  epoch_.bump_epoch([safe] { safe->store(true, std::memory_order_release); });
  while (!safe->load(std::memory_order_acquire)) {
    pump(caller);
    if (std::chrono::steady_clock::now() > deadline) {
      std::string who;
      for (std::uint32_t slot = 0; slot < sessions_.size(); ++slot) {
        const std::uint64_t e = epoch_.local_epoch(slot);
        const std::uint64_t sid = sessions_[slot].id.load(std::memory_order_seq_cst);
        if (sid != 0 && e != epoch::EpochManager::kUnprotected && e <= bumped) {
          who += (who.empty() ? "" : ", ") + std::to_string(sid);
        }
      }
      return make_error(Status::Busy, "checkpoint gave up: session(s) " +
                                          (who.empty() ? std::string("?") : who) +
                                          " did not refresh in time (the index capture waits "
                                          "for every session); an open session must call "
                                          "refresh() now and then (or be closed)");
    }
  }
  const std::uint64_t geometry = index_.checkpoint_geometry();
  // The capture may wait for a running index resize; it must not hold epoch protection while
  // it waits (a resize may wait for the epoch), so the caller's session steps out of it.
  if (caller != nullptr) epoch_.unprotect(caller->slot());
  Result<checkpoint::FileInfo> info =
      ckdir_->write_data(id, "index", [&](device::FileWriter& w) -> Result<void> {
        std::string buf;
        buf.reserve(1 << 20);
        buf.append(store_detail::kIndexMagic);
        store_detail::put64(buf, geometry);
        std::uint64_t count = 0;
        Result<void> err;
        index_.capture([&](std::uint64_t rep, std::uint64_t address) {
          store_detail::put64(buf, rep);
          store_detail::put64(buf, address);
          ++count;
          if (buf.size() >= (1u << 20) && err) {
            err = w.append(buf);
            buf.clear();
          }
        });
        if (!err) return err;
        store_detail::put64(buf, count);
        return w.append(buf);
      });
  if (caller != nullptr) epoch_.protect(caller->slot());
  if (!info) return info.error();
  m.has_index = true;
  m.index_checkpoint_id = id;
  m.index_start = a0;
  m.index_end = log_.tail();
  m.index_geometry = geometry;
  m.index_version = m.version;
  m.index_file = std::move(info).value();
  return {};
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Result<void> Store<Index, Device, Gc>::write_snapshot(std::uint64_t id, std::uint64_t from,
                                                      std::uint64_t to, Session* caller,
                                                      checkpoint::CheckpointMeta& m) {
  const std::uint64_t page = log_.page_size();
  Result<checkpoint::FileInfo> info =
      ckdir_->write_data(id, "snapshot", [&](device::FileWriter& w) -> Result<void> {
        std::string buf;
        for (std::uint64_t a = from; a < to;) {
          const std::uint64_t end = std::min(to, (a / page + 1) * page);
          buf.resize(end - a);
          const std::uint32_t slot = caller != nullptr ? caller->slot() : pump_slot_;
          if (caller == nullptr) epoch_.protect(slot);
          Status s = Status::Ok;
          if (end <= log_.head()) {
            // Wholly below head: flushed (head never passes the flushed bound); read it back.
            s = read_device_sync(a, end - a, buf.data());
          } else {
            // At least partly at or above head: the page's frame is not evicted, and cannot be
            // while this thread stays protected (eviction is an epoch action).
            // Sessions of v + 1 may update records of v + 1 in this range in place meanwhile
            // (header CAS / fetch_or, seqlock word, values: all atomic stores). Recovery drops
            // those records, so whatever bytes of theirs are copied do not matter, but the
            // copy must not race: relaxed atomic loads, one per word.
            atomic_load_copy(buf.data(), log_.get(a), end - a);
          }
          if (caller == nullptr) epoch_.unprotect(slot);
          if (s != Status::Ok) {
            return make_error(s, "snapshot: reading log range [" + std::to_string(a) + ", " +
                                     std::to_string(end) + ") back from the device failed");
          }
          if (Result<void> r = w.append(buf); !r) return r;
          a = end;
          pump(caller);
        }
        return {};
      });
  if (!info) return info.error();
  m.snapshot_file = std::move(info).value();
  return {};
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
auto Store<Index, Device, Gc>::checkpoint_locked(const CheckpointRequest& req, Session* caller)
    -> Result<CheckpointInfo> {
  using checkpoint::Phase;
  using checkpoint::SystemState;
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(req.wait_ms ? req.wait_ms : cfg_.checkpoint_wait_ms);
  const std::uint64_t v = SystemState::version(state_.load(std::memory_order_acquire));
  const std::uint64_t latest = dir_->stored() ? dir_->stored()->latest_checkpoint : 0;
  Result<std::uint64_t> idr = ckdir_->next_id(latest);
  if (!idr) return idr.error();
  const std::uint64_t id = *idr;
  if (Result<void> r = ckdir_->begin(id); !r) return r.error();

  // Index growth that changes which entry a key belongs to (the chained index's doubling)
  // must not happen between the index capture (or the geometry check of a log-only
  // checkpoint) and the final address: the replay rebuilds entries with the captured
  // geometry. Growth and the checkpoint are exclusive phases: hold it off until WAIT_FLUSH.
  struct GrowthHold {
    Index& index;
    bool held = false;
    void hold() {
      if constexpr (requires(Index & i) {
                      i.hold_growth();
                      i.release_growth();
                    }) {
        index.hold_growth();
        held = true;
      }
    }
    void release() {
      if constexpr (requires(Index & i) { i.release_growth(); }) {
        if (held) index.release_growth();
      }
      held = false;
    }
    ~GrowthHold() { release(); }
  } growth{index_};
  growth.hold();

  checkpoint::CheckpointMeta m;
  m.id = id;
  m.version = v;
  m.policies = dir_->stored() ? dir_->stored()->policies() : std::string();
  m.page_bytes = log_.page_size();
  bool own_index = req.index || !req.log;
  if (!own_index && (index_.checkpoint_geometry() != index_ckpt_.geometry ||
                     v - index_ckpt_.version >= store_detail::kMaxVersionSpan)) {
    // The index checkpoint a log-only one relies on must have today's geometry (growth
    // changes which entry a key belongs to) and be within the span record versions can tell
    // apart: capture the index too.
    own_index = true;
  }
  if (checkpoint_hook_) checkpoint_hook_("index");
  if (own_index) {
    if (Result<void> r = capture_index(id, m, caller, deadline); !r) return r.error();
  } else {
    m.index_checkpoint_id = index_ckpt_.id;
    m.index_start = index_ckpt_.start;
    m.index_end = index_ckpt_.end;
    m.index_geometry = index_ckpt_.geometry;
    m.index_version = index_ckpt_.version;
    m.index_file = index_ckpt_.file;
  }
  auto remember_index = [&] {
    if (own_index) {
      index_ckpt_ = IndexCheckpoint{
          id, m.index_start, m.index_end, m.index_geometry, m.index_version, m.index_file};
    }
  };
  CheckpointInfo info;
  info.id = id;
  info.version = v;
  info.index = own_index;

  if (!req.log) {
    m.kind = "index";
    m.has_log = false;
    if (checkpoint_hook_) checkpoint_hook_("meta");
    if (Result<void> r = ckdir_->commit(m); !r) return r.error();
    if (Result<void> r = dir_->set_latest_checkpoint(id); !r) return r.error();
    remember_index();
    info.kind = m.kind;
    return info;
  }

  // ---- PREPARE: every session drains its pending writes (rule 1) --------------------------
  set_state(Phase::Prepare, v);
  if (Result<void> r = wait_acks(SystemState::pack(Phase::Prepare, v), caller, deadline); !r) {
    set_state(Phase::Rest, v);  // nobody moved on: the checkpoint can be abandoned
    return r.error();
  }
  // ---- IN_PROGRESS: sessions move to v + 1 and record their CPR points -------------------
  set_state(Phase::InProgress, v + 1);
  (void)wait_acks(SystemState::pack(Phase::InProgress, v + 1), caller, std::nullopt);
  std::map<std::uint64_t, std::uint64_t> serials;
  for (auto& e : sessions_) {
    std::uint64_t sid = e.id.load(std::memory_order_seq_cst);
    if (sid == 0) continue;
    // acquire (through acked, loaded by wait_acks): the CPR point of the move to v + 1.
    if (SystemState::version(e.acked.load(std::memory_order_acquire)) == v + 1) {
      serials[sid] = e.cpr_point.load(std::memory_order_relaxed);
    }
  }
  {
    std::lock_guard<std::mutex> gs(sessions_mu_);
    for (const auto& [sid, k] : known_sessions_) {
      if (k.open || serials.count(sid)) continue;
      serials[sid] = k.version <= v ? k.serial : k.cpr_point;
    }
  }
  // ---- WAIT_PENDING: nothing of v is outstanding (rule 1 drained it) ---------------------
  set_state(Phase::WaitPending, v + 1);
  // ---- WAIT_FLUSH --------------------------------------------------------------------------
  set_state(Phase::WaitFlush, v + 1);
  const std::uint64_t af = log_.tail();
  growth.release();
  std::uint64_t snapshot_start = af;
  auto fail = [&](Error e) -> Result<CheckpointInfo> {
    set_state(Phase::Rest, v + 1);
    return e;
  };
  if (req.kind == CheckpointKind::FoldOver) {
    log_.shift_read_only(af);
    while (log_.flushed_until() < af) {
      if (Status e = log_.flush_error(); e != Status::Ok) {
        return fail(make_error(e, "fold-over checkpoint: flushing the log failed (" +
                                      std::string(to_string(e)) + ")"));
      }
      pump(caller);
    }
  } else {
    const std::uint64_t page = log_.page_size();
    // A record below af may still be being written by the session that allocated it (a
    // fold-over flushes only after the epoch made that safe). Copy only once every session
    // has refreshed past this point: a half-written record would end the replay of its page.
    auto written = std::make_shared<std::atomic<bool>>(false);
    epoch_.bump_epoch([written] { written->store(true, std::memory_order_release); });
    while (!written->load(std::memory_order_acquire)) pump(caller);
    // Page-aligned (so aligned for the device when recovery writes it back).
    snapshot_start = log_.flushed_until() / page * page;
    if (Result<void> r = write_snapshot(id, snapshot_start, af, caller, m); !r) {
      return fail(r.error());
    }
  }
  if (Status s = device_->flush(); s != Status::Ok) {
    return fail(make_error(s, "checkpoint: the device's durability barrier failed (" +
                                  std::string(to_string(s)) + ")"));
  }
  std::vector<hlog::FlushedRange> ranges =
      log_.flushed_ranges(std::min(m.index_start, snapshot_start), snapshot_start);
  Result<checkpoint::FileInfo> rf =
      ckdir_->write_data(id, "log_checksums", [&](device::FileWriter& w) -> Result<void> {
        std::string buf(store_detail::kRangesMagic);
        for (const auto& r : ranges) {
          if (r.to > snapshot_start && r.from >= snapshot_start) continue;
          store_detail::put64(buf, r.from);
          store_detail::put64(buf, r.to);
          store_detail::put64(buf, r.checksum);
        }
        return w.append(buf);
      });
  if (!rf) return fail(rf.error());
  m.page_checksums_file = std::move(rf).value();
  m.kind = std::string(checkpoint_kind_name(req.kind));
  m.has_log = true;
  m.log_begin = log_.begin();
  m.log_final = af;
  m.snapshot_start = snapshot_start;
  m.skip_ranges = skip_ranges_;
  // Dead versions below the index checkpoint's version have no records in the replayed
  // range (see replay): this checkpoint records only the others. The store keeps them all:
  // if this checkpoint fails, a later one may rely on an older index checkpoint.
  for (std::uint64_t dv : dead_versions_) {
    if (dv >= m.index_version) m.dead_versions.push_back(dv);
  }
  for (const auto& [sid, serial] : serials) m.sessions.push_back({sid, serial});
  // ---- PERSISTENCE_CALLBACK: commit -------------------------------------------------------
  set_state(Phase::PersistenceCallback, v + 1);
  if (checkpoint_hook_) checkpoint_hook_("meta");
  if (Result<void> r = ckdir_->commit(m); !r) return fail(r.error());
  if (Result<void> r = dir_->set_latest_checkpoint(id); !r) return fail(r.error());
  remember_index();
  if (Result<void> r = ckdir_->retain(cfg_.checkpoints_kept); !r) {
    std::fprintf(stderr,
                 "rskv: checkpoint %" PRIu64 " committed, but removing old ones failed: %s\n", id,
                 r.error().message.c_str());
  }
  log_.prune_ranges_below(index_ckpt_.start);
  {
    std::lock_guard<std::mutex> gs(sessions_mu_);
    last_persisted_ = m.sessions;
    last_persisted_id_ = id;
  }
  set_state(Phase::Rest, v + 1);
  info.kind = m.kind;
  info.log_final = af;
  info.sessions = m.sessions;
  return info;
}

// ---------------------------------------------------------------------------- recovery
template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Result<std::uint64_t> Store<Index, Device, Gc>::log_extent() {
  Result<std::vector<std::string>> names = fs_->list(dir_->path());
  if (!names) return names.error();
  std::uint64_t extent = 0;
  const std::uint64_t seg = cfg_.device.segment_bytes;
  for (const std::string& n : *names) {
    if (n.size() < 5 || n.compare(0, 4, "log.") != 0) continue;
    std::uint64_t index = 0;
    bool digits = true;
    for (std::size_t i = 4; i < n.size(); ++i) {
      if (n[i] < '0' || n[i] > '9') digits = false;
      index = index * 10 + static_cast<std::uint64_t>(n[i] - '0');
    }
    if (!digits) continue;
    Result<std::uint64_t> size = fs_->file_size(device::join_path(dir_->path(), n));
    if (!size) return size.error();
    if (*size > 0) extent = std::max(extent, index * seg + *size);
  }
  return extent;
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Result<void> Store<Index, Device, Gc>::recover(bool existed) {
  if (!existed) {  // a new store: nothing to recover
    if (cfg_.recover_checkpoint != 0) {
      return make_error(Status::NotFound, "cannot recover checkpoint " +
                                              std::to_string(cfg_.recover_checkpoint) + ": `" +
                                              dir_->path() + "` holds no store");
    }
    return {};
  }
  const std::uint64_t latest = dir_->stored() ? dir_->stored()->latest_checkpoint : 0;
  std::optional<std::uint64_t> wanted;
  if (cfg_.recover_checkpoint != 0) wanted = cfg_.recover_checkpoint;
  Result<checkpoint::Chosen> chosen = ckdir_->choose(wanted, latest);
  if (!chosen) return chosen.error();
  if (!chosen->warning.empty()) {
    std::fprintf(stderr, "rskv: %s\n", chosen->warning.c_str());
    recovery_.warning = chosen->warning;
  }
  const std::uint64_t page = log_.page_size();
  if (!chosen->meta) {
    // No committed checkpoint: an empty store, its log fenced past whatever the device holds.
    Result<std::uint64_t> extent = log_extent();
    if (!extent) return extent.error();
    std::uint64_t fence =
        store_detail::round_up(std::max<std::uint64_t>(*extent, kFirstValidAddress), page);
    log_.recover_at(fence, fence);
    index_ckpt_.start = index_ckpt_.end = fence;
    if (Result<void> r = ckdir_->invalidate_after(0); !r) return r.error();
    return ckdir_->remove_uncommitted();
  }
  const checkpoint::CheckpointMeta& m = *chosen->meta;
  if (Result<void> r = ckdir_->invalidate_after(m.id); !r) return r.error();
  if (Result<void> r = ckdir_->remove_uncommitted(); !r) return r.error();
  if (latest != m.id) {
    if (Result<void> r = dir_->set_latest_checkpoint(m.id); !r) return r.error();
  }
  return recover_checkpoint(m);
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Result<void> Store<Index, Device, Gc>::recover_checkpoint(const checkpoint::CheckpointMeta& m) {
  const std::uint64_t page = log_.page_size();
  if (m.page_bytes != page) {
    return make_error(Status::InvalidArgument,
                      "checkpoint " + std::to_string(m.id) + " was taken with log pages of " +
                          std::to_string(m.page_bytes) + " B; this store uses " +
                          std::to_string(page) + " B");
  }
  const auto t0 = std::chrono::steady_clock::now();
  // The log restarts at the fence first: everything recovered lies below it, on the device
  // (an index that rehashes reads records through the resolver from there). The index may
  // grow while entries are loaded and replayed: both indexes keep an entry's identity (the
  // representative hash a capture records) across growth, so replay with the captured
  // geometry and growth on top of it address the same entries.
  Result<std::uint64_t> extent = log_extent();
  if (!extent) return extent.error();
  const std::uint64_t fence = store_detail::round_up(std::max(m.log_final, *extent), page);
  log_.recover_at(m.log_begin, fence);
  // The recovering thread holds index handles across a growth it may trigger itself: stay
  // epoch-protected for the whole load and replay, so a table a growth retires is freed only
  // afterwards (bump_epoch actions wait for this slot).
  struct Protect {
    epoch::EpochManager& epoch;
    std::uint32_t slot;
    explicit Protect(epoch::EpochManager& e) : epoch(e), slot(e.acquire_slot()) {
      if (slot != epoch::EpochManager::kMaxSlots) epoch.protect(slot);
    }
    ~Protect() {
      if (slot != epoch::EpochManager::kMaxSlots) epoch.release_slot(slot);
      epoch.drain();
    }
  } protect(epoch_);
  // 1. The snapshot goes back to the log device, at its addresses.
  if (!m.snapshot_file.name.empty()) {
    const std::string path = ckdir_->file_path(m.id, m.snapshot_file.name);
    Result<std::string> data = fs_->read_file(path);
    if (!data) return data.error();
    if (data->size() != m.log_final - m.snapshot_start) {
      return make_error(Status::Corruption, "snapshot file `" + path + "` holds " +
                                                std::to_string(data->size()) + " bytes; expected " +
                                                std::to_string(m.log_final - m.snapshot_start));
    }
    if (Status s = write_device_sync(m.snapshot_start, *data); s != Status::Ok) {
      return make_error(s, "recovery: writing the snapshot back to the log device failed");
    }
    if (Status s = device_->flush(); s != Status::Ok) {
      return make_error(s, "recovery: the device's durability barrier failed");
    }
    std::vector<hlog::FlushedRange> snap;
    for (std::uint64_t a = m.snapshot_start; a < m.log_final;) {
      std::uint64_t end = std::min(m.log_final, (a / page + 1) * page);
      snap.push_back({a, end, checksum64(data->data() + (a - m.snapshot_start), end - a)});
      a = end;
    }
    log_.install_ranges(snap);
  }
  // 2. The checksums of every flushed range recovery replays.
  {
    const std::string path = ckdir_->file_path(m.id, m.page_checksums_file.name);
    Result<std::string> data = fs_->read_file(path);
    if (!data) return data.error();
    const std::string& d = *data;
    if (d.size() < 8 || d.compare(0, 8, store_detail::kRangesMagic) != 0 ||
        (d.size() - 8) % 24 != 0) {
      return make_error(Status::Corruption, "log checksum file `" + path + "` is malformed");
    }
    std::vector<hlog::FlushedRange> ranges;
    for (std::size_t o = 8; o < d.size(); o += 24) {
      ranges.push_back({store_detail::get64(d.data() + o), store_detail::get64(d.data() + o + 8),
                        store_detail::get64(d.data() + o + 16)});
    }
    log_.install_ranges(ranges);
  }
  // 3. The fuzzy index.
  std::uint64_t pending = 0;
  if (m.index_checkpoint_id != 0) {
    const std::string path = ckdir_->file_path(m.index_checkpoint_id, m.index_file.name);
    Result<std::string> data = fs_->read_file(path);
    if (!data) return data.error();
    const std::string& d = *data;
    auto bad = [&](const std::string& why) {
      return make_error(Status::Corruption, "index checkpoint file `" + path + "` " + why);
    };
    if (d.size() < 24 || d.compare(0, 8, store_detail::kIndexMagic) != 0 || (d.size() - 24) % 16) {
      return bad("is malformed");
    }
    const std::uint64_t count = store_detail::get64(d.data() + d.size() - 8);
    if (count != (d.size() - 24) / 16) return bad("has a wrong entry count");
    if (Status s = index_.prepare_recovery(store_detail::get64(d.data() + 8)); s != Status::Ok) {
      return make_error(s, "index checkpoint file `" + path + "`: cannot size the index");
    }
    std::unordered_set<std::uint64_t> pending_reps;
    for (std::uint64_t i = 0; i < count; ++i) {
      const char* p = d.data() + 16 + i * 16;
      const std::uint64_t rep = store_detail::get64(p);
      const std::uint64_t address = store_detail::get64(p + 8);
      bool ok = true;
      if (address >= m.index_start) {
        if (pending_reps.insert(rep).second)
          ok = index_.recover_entry(rep, store_detail::kPendingEntry);
      } else if (!pending_reps.count(rep)) {
        ok = index_.recover_entry(rep, address);
      }
      if (!ok) return make_error(Status::OutOfMemory, "recovery: the index ran out of memory");
    }
    pending = pending_reps.size();
  }
  // 4. Replay.
  const auto t_replay = std::chrono::steady_clock::now();
  recovery_.load_seconds = std::chrono::duration<double>(t_replay - t0).count();
  if (Result<void> r = replay(m, &pending); !r) return r;
  recovery_.log_replay_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_replay).count();
  if (pending != 0) {
    return make_error(Status::Corruption,
                      "checkpoint " + std::to_string(m.id) + ": " + std::to_string(pending) +
                          " index entries point at log records missing from the replayed range");
  }
  recovery_.replay_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // 5. Continue in version v + 2.
  skip_ranges_ = m.skip_ranges;
  if (fence > m.log_final) skip_ranges_.push_back({m.log_final, fence});
  dead_versions_ = m.dead_versions;
  dead_versions_.push_back(m.version + 1);
  std::erase_if(dead_versions_, [&](std::uint64_t dv) { return dv < m.index_version; });
  state_.store(checkpoint::SystemState::pack(checkpoint::Phase::Rest, m.version + 2),
               std::memory_order_seq_cst);
  index_ckpt_ = IndexCheckpoint{m.index_checkpoint_id, m.index_start,   m.index_end,
                                m.index_geometry,      m.index_version, m.index_file};
  std::uint64_t max_id = 0;
  {
    std::lock_guard<std::mutex> g(sessions_mu_);
    for (const auto& s : m.sessions) {
      KnownSession& k = known_sessions_[s.id];
      k.serial = s.serial;
      k.version = 0;
      max_id = std::max(max_id, s.id);
    }
    last_persisted_ = m.sessions;
    last_persisted_id_ = m.id;
  }
  next_session_id_.store(max_id + 1, std::memory_order_relaxed);
  recovery_.checkpoint_id = m.id;
  recovery_.version = m.version;
  recovery_.sessions = m.sessions;
  return {};
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
Result<void> Store<Index, Device, Gc>::replay(const checkpoint::CheckpointMeta& m,
                                              std::uint64_t* pending) {
  const std::uint64_t a0 = m.index_start;
  const std::uint64_t af = m.log_final;
  const std::uint32_t future = checkpoint::record_version(m.version + 1);
  // Only dead versions at or above the index checkpoint's version can have records in the
  // replayed range [a0, af) (every record there was written at a version >= index_version).
  // Older ones must not be compared: records carry 12 version bits, and a live version
  // 4096 above a dead one has its bits. Within [index_version, version + 1] (at most
  // kMaxVersionSpan + 1 versions) the bits tell versions apart.
  std::vector<std::uint32_t> dead;
  for (std::uint64_t dv : m.dead_versions) {
    if (dv >= m.index_version) dead.push_back(checkpoint::record_version(dv));
  }
  std::vector<checkpoint::Range> skips = m.skip_ranges;
  std::sort(skips.begin(), skips.end(),
            [](const checkpoint::Range& a, const checkpoint::Range& b) { return a.from < b.from; });
  auto skip_end = [&](std::uint64_t a) -> std::uint64_t {  // end of a skip range holding a
    for (const auto& s : skips)
      if (a >= s.from && a < s.to) return s.to;
    return 0;
  };
  std::vector<hlog::FlushedRange> ranges = log_.flushed_ranges(a0, af);
  auto corrupt = [&](const std::string& why) {
    return make_error(Status::Corruption,
                      "recovery of checkpoint " + std::to_string(m.id) + ": " + why);
  };
  // The plan: which ranges to read and where parsing starts in each; every address of
  // [a0, af) is covered by a range or a skip range.
  struct Planned {
    hlog::FlushedRange r;
    std::uint64_t parse_from;
  };
  std::vector<Planned> plan;
  std::uint64_t cursor = a0;
  for (const hlog::FlushedRange& r : ranges) {
    if (cursor >= af) break;
    if (r.to <= cursor) continue;
    while (cursor < r.from) {
      std::uint64_t e = skip_end(cursor);
      if (e == 0) {
        return corrupt("no flushed-range checksum covers log address " + std::to_string(cursor));
      }
      cursor = e;
    }
    if (r.to <= cursor) continue;
    plan.push_back({r, std::max(r.from, cursor)});
    cursor = r.to;
  }
  while (cursor < af) {
    std::uint64_t e = skip_end(cursor);
    if (e == 0) {
      return corrupt("the flushed-range checksums end at " + std::to_string(cursor) +
                     ", before the checkpoint's final address " + std::to_string(af));
    }
    cursor = e;
  }
  // The pipeline. Contiguous ranges are grouped into chunks (up to kChunk bytes; a single
  // larger range is one chunk). kReaders reader threads each claim the next chunk, read it
  // into a slot buffer with one device read (an inline device such as FileDevice blocks in
  // it, so the readers are what keeps several reads in flight), verify the checksum of each
  // of its ranges and parse its records into a compact list (address, hash, previous
  // address, drop). This thread (the applier) takes the chunks in address order and applies
  // their lists to the index, prefetching buckets ahead. The readers never touch the index,
  // the log or the epoch; the applier is the only thread that changes the index, so the
  // replay applies records in address order exactly as a single thread would.
  //
  // Chunk k uses slot k % nslots. Handoffs (each a release store read by an acquire load):
  //   - Slot::ready = k + 1 (reader, after the slot's buffer, records and outcome for chunk k
  //     are written) -> the applier reads them only after it has seen that value.
  //   - consumed = k + 1 (applier, after it is done with chunk k's slot) -> a reader claiming
  //     chunk k + nslots reuses the slot only after it has seen consumed > k.
  //   - the claim counter `next` only hands out chunk numbers (relaxed).
  // No deadlock: chunks are claimed in order, so the lowest unpublished claimed chunk j has
  // all chunks below it published; the applier consumes them, and consumed = j lets j's reader
  // have its slot (j < j + nslots). On an early return the applier sets `stop`, moves
  // `consumed` past every chunk (waking readers that wait for a slot) and joins the readers;
  // a reader finishes the read it issued (waiting for its callback) before it looks at stop,
  // so no read is in flight into a buffer once the readers are joined.
  constexpr std::uint64_t kChunk = 4ull << 20;
  constexpr std::uint64_t kSlotBytes = 64ull << 20;  // all slot buffers, about
  constexpr std::size_t kMaxSlots = 8;
  constexpr std::size_t kReaders = 3;
  constexpr std::uint64_t kVerifyBlock = 64ull << 10;  // hashed, then parsed while cached
  constexpr std::size_t kPrefetchAhead = 16;           // records whose index buckets are prefetched
  struct Chunk {
    std::size_t first = 0, last = 0;  // plan[first, last)
    std::uint64_t from = 0, to = 0;
  };
  std::vector<Chunk> chunks;
  for (std::size_t i = 0; i < plan.size();) {
    Chunk c;
    c.first = i;
    c.from = plan[i].r.from;
    c.to = plan[i].r.to;
    ++i;
    while (i < plan.size() && plan[i].r.from == c.to && plan[i].r.to - c.from <= kChunk) {
      c.to = plan[i].r.to;
      ++i;
    }
    c.last = i;
    chunks.push_back(c);
  }
  if (chunks.empty()) return {};
  struct Rec {
    std::uint64_t address, hash, previous;
    bool drop;
  };
  struct Slot {
    AlignedBuffer buf;      // the chunk's bytes from an aligned start
    std::vector<Rec> recs;  // its valid records in address order (drop: v + 1 or dead)
    std::uint64_t bytes = 0;
    Result<void> outcome;
    std::atomic<std::uint64_t> ready{0};  // chunk number + 1 once filled (see above)
  };
  // As many slots as fit kSlotBytes (fresh memory is costly to fault in: the slots are
  // reused), at least one per reader plus the one being applied.
  std::uint64_t largest = 0;
  for (const Chunk& c : chunks) largest = std::max(largest, c.to - c.from);
  const std::size_t nslots = std::clamp<std::size_t>(
      kSlotBytes / std::max<std::uint64_t>(largest, 1), kReaders + 1, kMaxSlots);
  std::vector<Slot> slots(nslots);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> consumed{0};
  std::atomic<bool> stop{false};
  const std::size_t align = std::max<std::size_t>(device_->alignment(), 8);

  // Reads, verifies and parses chunk k into s; the outcome carries the first error.
  auto fill = [&](std::size_t k, Slot& s) -> Result<void> {
    const Chunk& c = chunks[k];
    s.recs.clear();
    s.bytes = 0;
    const std::uint64_t start = c.from / align * align;
    const std::uint64_t len = store_detail::round_up(c.to, align) - start;
    if (s.buf.size() < len) {
      // Whole huge pages (the kernel pins fewer pages per O_DIRECT read); reused by later
      // chunks of this slot, so the pages are faulted in once.
      const std::uint64_t size = store_detail::round_up(std::max(len, kChunk), 2ull << 20);
      s.buf = AlignedBuffer();
      s.buf = AlignedBuffer(size, std::max<std::size_t>(align, 64), /*huge_pages=*/true);
    }
    struct Io {
      std::atomic<bool> done{false};
      Status st = Status::Ok;
    } io;
    Status st = device_->read_async(
        start, s.buf.data(), static_cast<std::uint32_t>(len),
        [](void* ctx, Status st, std::size_t) {
          auto* y = static_cast<Io*>(ctx);
          y->st = st;
          y->done.store(true, std::memory_order_release);  // acquire below
        },
        &io);
    if (st == Status::Ok) {
      while (!io.done.load(std::memory_order_acquire)) device_->complete_pending(true);
      st = io.st;
    }
    if (st != Status::Ok) {
      return make_error(st, "recovery: reading log range [" + std::to_string(c.from) + ", " +
                                std::to_string(c.to) + ") failed");
    }
    // Each range is hashed in kVerifyBlock steps, and the records starting in a step are
    // parsed right after it, while its bytes are in the cache. The records become visible
    // to the applier only after the whole chunk verified; a parse error is reported after
    // the range's checksum (a corrupt range reports the checksum failure, as before).
    for (std::size_t pi = c.first; pi < c.last; ++pi) {
      const hlog::FlushedRange& r = plan[pi].r;
      const char* base = reinterpret_cast<const char*>(s.buf.data()) + (r.from - start);
      Checksum64Stream sum;
      Result<void> parsed;
      bool parsing = true;
      std::uint64_t x = plan[pi].parse_from;
      const std::uint64_t end = std::min(r.to, af);
      for (std::uint64_t at = r.from; at < r.to;) {
        const std::uint64_t step_end = std::min(r.to, at + kVerifyBlock);
        sum.update(base + (at - r.from), step_end - at);
        at = step_end;
        while (parsing && x < step_end && x + 16 <= end) {
          hlog::RecordView rec(
              reinterpret_cast<std::byte*>(const_cast<char*>(base) + (x - r.from)));
          if (rec.lengths_word() == 0) {  // the rest of this page is empty
            parsing = false;
            break;
          }
          const std::uint64_t size = rec.size();
          if (x + size > end) {
            parsed = corrupt("a record at " + std::to_string(x) + " runs past its flushed range");
            parsing = false;
            break;
          }
          const hlog::RecordHeader hdr = rec.header();
          if (!hdr.invalid()) {
            const std::uint32_t ver = hdr.version();
            const bool drop =
                ver == future || std::find(dead.begin(), dead.end(), ver) != dead.end();
            s.recs.push_back(Rec{x, hash_key(rec.key()), hdr.previous(), drop});
          }
          x += size;
        }
      }
      if (sum.digest() != r.checksum) {
        return corrupt("log range [" + std::to_string(r.from) + ", " + std::to_string(r.to) +
                       ") of the log files fails its checksum (torn or corrupt segment file)");
      }
      if (!parsed) return parsed;
      s.bytes += r.to - r.from;
    }
    return {};
  };
  auto reader = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1, std::memory_order_relaxed);
      if (k >= chunks.size()) return;
      Slot& s = slots[k % nslots];
      for (;;) {  // wait until chunk k - nslots has left the slot
        const std::size_t c = consumed.load(std::memory_order_acquire);
        if (stop.load(std::memory_order_relaxed)) return;
        if (k < c + nslots) break;
        consumed.wait(c, std::memory_order_acquire);
      }
      try {
        s.outcome = fill(k, s);
      } catch (const std::exception& e) {  // bad_alloc: a slot buffer or record list
        s.outcome = make_error(Status::OutOfMemory,
                               std::string("recovery: reading the log failed: ") + e.what());
      }
      s.ready.store(k + 1, std::memory_order_release);  // acquire by the applier
      s.ready.notify_all();
      if (!s.outcome) return;  // the applier stops at this chunk
    }
  };
  struct Readers {
    std::vector<std::thread> threads;
    std::atomic<bool>& stop;
    std::atomic<std::size_t>& consumed;
    ~Readers() {
      stop.store(true, std::memory_order_relaxed);
      // Past every chunk: wakes readers waiting for a slot (they then see stop). The release
      // orders the stop store before it for a reader that acquires this value.
      consumed.store(std::numeric_limits<std::size_t>::max() / 2, std::memory_order_release);
      consumed.notify_all();
      for (std::thread& t : threads) t.join();
    }
  } readers{{}, stop, consumed};
  try {
    for (std::size_t i = 0; i < std::min(kReaders, chunks.size()); ++i) {
      readers.threads.emplace_back(reader);
    }
  } catch (const std::system_error&) {
    if (readers.threads.empty()) {
      return make_error(Status::OutOfMemory, "recovery: cannot start the log reader threads");
    }
  }

  for (std::size_t k = 0; k < chunks.size(); ++k) {
    Slot& s = slots[k % nslots];
    for (std::uint64_t v = s.ready.load(std::memory_order_acquire); v != k + 1;
         v = s.ready.load(std::memory_order_acquire)) {
      s.ready.wait(v, std::memory_order_acquire);
    }
    if (!s.outcome) return s.outcome;
    recovery_.replayed_bytes += s.bytes;
    // Records are applied in address order; the index buckets of the records kPrefetchAhead
    // further on are prefetched (the replay is bound by index misses once the reads stream).
    const Rec* recs = s.recs.data();
    const std::size_t n = s.recs.size();
    if constexpr (requires(const Index& i) { i.prefetch(std::uint64_t{}); }) {
      for (std::size_t i = 0; i < std::min(n, kPrefetchAhead); ++i) index_.prefetch(recs[i].hash);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if constexpr (requires(const Index& ix) { ix.prefetch(std::uint64_t{}); }) {
        if (i + kPrefetchAhead < n) index_.prefetch(recs[i + kPrefetchAhead].hash);
      }
      const Rec& b = recs[i];
      Handle h;
      if (Status st = index_.find_or_create(b.hash, h); st != Status::Ok) {
        return make_error(st, "recovery: the index ran out of memory");
      }
      const std::uint64_t cur = h.address();
      std::uint64_t next_address = cur;
      if (cur == store_detail::kPendingEntry) {
        next_address = b.previous;  // the entry's value at a0 (see the top of this file)
        --*pending;
      }
      if (!b.drop) next_address = b.address;
      if (next_address != cur && !index_.try_update(h, next_address)) {
        return corrupt("the index refused an update during replay");
      }
    }
    consumed.store(k + 1, std::memory_order_release);  // acquire by a reader wanting the slot
    consumed.notify_all();
  }
  return {};
}

// --------------------------------------------------------------------- periodic timer
template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
void Store<Index, Device, Gc>::start_timer() {
  if (!Device::kPersistent || cfg_.checkpoint_every_ms == 0) return;
  timer_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(timer_mu_);
    for (;;) {
      if (timer_cv_.wait_for(lk, std::chrono::milliseconds(cfg_.checkpoint_every_ms),
                             [this] { return timer_stop_; })) {
        return;
      }
      lk.unlock();
      CheckpointRequest req;
      req.kind = cfg_.checkpoint_kind;
      Result<CheckpointInfo> r = checkpoint(req);
      if (!r) {
        std::fprintf(stderr, "rskv: periodic checkpoint failed: %s\n", r.error().message.c_str());
      }
      lk.lock();
    }
  });
}

template <IndexPolicy Index, DevicePolicy Device, GcPolicy Gc>
void Store<Index, Device, Gc>::stop_timer() {
  {
    std::lock_guard<std::mutex> g(timer_mu_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

}  // namespace rskv
