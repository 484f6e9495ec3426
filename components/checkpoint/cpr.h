#pragma once
// The CPR state machine's shared state: the system state word and the session table.
//
// A checkpoint moves the store from version v to v + 1 (concurrent prefix recovery, CPR):
//
//   REST(v) --> PREPARE(v) --> IN_PROGRESS(v+1) --> WAIT_PENDING(v+1) --> WAIT_FLUSH(v+1)
//           --> PERSISTENCE_CALLBACK(v+1) --> REST(v+1)
//
// The checkpoint thread (Store::checkpoint) moves the state word; every session observes it at
// its next refresh (every Store::kRefreshInterval operations, refresh(), complete_pending())
// and acknowledges the phases that need it. There is no global pause and no lock on the
// operation path: a session pays one relaxed load of the state word per refresh and, per
// append, one acquire load (rule 3 below).
//
// The rules that make the recovered state of version v exactly "every session's operations up
// to its CPR point" (its serial when it moved to v + 1):
//   1. PREPARE(v): a session that sees it completes its own pending writes (rmw that went to
//      the device) before acknowledging, and from then on until it moves to v + 1 an rmw that
//      needs the device completes inside the call (never Pending). So once IN_PROGRESS starts,
//      no version-v write is outstanding anywhere, and a session that moves to v + 1 has no
//      older operation still open.
//   2. IN_PROGRESS(v+1) starts once every session acknowledged PREPARE. A session that sees it
//      records its CPR point (its serial: every operation up to it ran in v), moves to v + 1
//      and acknowledges.
//   3. A version-v session that meets version v + 1 inside an operation (a record of v + 1 it
//      would update in place, or the state word's version when it appends) stops before
//      writing anything, moves to v + 1 (CPR point = the serial before this operation: all
//      earlier ones completed in v, by rule 1) and runs the operation in v + 1. Hence no
//      version-v record is ever linked behind (points to) a version v + 1 record.
//   4. A session never updates in place (nor tombstones, nor locks) a record of another
//      version: it copies it to the tail (the read-copy-update of CPR). So a version-v record
//      holds version-v state when the checkpoint flushes or snapshots it.
//   WAIT_PENDING(v+1): by rule 1 there is no version-v operation left once every session
//      acknowledged IN_PROGRESS; the phase exists so that the order of phases is the one of
//      DESIGN.md, and it moves on at once.
//   WAIT_FLUSH(v+1): the checkpoint thread takes the log's final address (every version-v
//      record lies below it) and flushes (fold-over) or copies (snapshot) the log below it.
//   PERSISTENCE_CALLBACK(v+1): the metadata is committed; sessions learn their serials.
//
// Idle sessions: a session that does not refresh holds up PREPARE and IN_PROGRESS. The
// checkpoint waits up to its timeout for PREPARE acknowledgements and then gives up (the state
// returns to REST(v), nothing was written) with an error naming the session; once IN_PROGRESS
// has started it cannot go back, so it keeps waiting and reports the session on stderr.
//
// Memory orders: the state word is written with release stores by the checkpoint thread (only
// it writes it, under the store's checkpoint mutex) and read with acquire loads; a session's
// acknowledgement is a release store of the state word it saw into its table entry, read
// with acquire by the checkpoint thread, so the checkpoint thread sees everything the session
// did before acknowledging (its CPR point in particular).

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "components/common/address.h"
#include "components/epoch/epoch.h"

namespace rskv::checkpoint {

enum class Phase : std::uint8_t {
  Rest = 0,
  Prepare = 1,
  InProgress = 2,
  WaitPending = 3,
  WaitFlush = 4,
  PersistenceCallback = 5,
};

constexpr std::string_view phase_name(Phase p) {
  switch (p) {
    case Phase::Rest:
      return "rest";
    case Phase::Prepare:
      return "prepare";
    case Phase::InProgress:
      return "in-progress";
    case Phase::WaitPending:
      return "wait-pending";
    case Phase::WaitFlush:
      return "wait-flush";
    case Phase::PersistenceCallback:
      return "persistence-callback";
  }
  return "?";
}

/// (phase, version) packed into one word so that both are read together.
struct SystemState {
  static constexpr int kPhaseShift = 56;
  static constexpr std::uint64_t kVersionMask = (std::uint64_t{1} << kPhaseShift) - 1;

  static constexpr std::uint64_t pack(Phase p, std::uint64_t version) {
    return (std::uint64_t{static_cast<std::uint8_t>(p)} << kPhaseShift) | (version & kVersionMask);
  }
  static constexpr Phase phase(std::uint64_t w) { return static_cast<Phase>(w >> kPhaseShift); }
  static constexpr std::uint64_t version(std::uint64_t w) { return w & kVersionMask; }
};

/// The version bits a record header keeps (RecordHeader::kVersionMask): 12 bits. Comparisons
/// between a record and a session are equality tests on these bits, which stay correct across
/// wrap-around because a record a session may update in place is at most one version behind.
constexpr std::uint32_t record_version(std::uint64_t version) {
  return static_cast<std::uint32_t>(version & 0xfff);
}

/// One entry per epoch slot: what the checkpoint thread needs to know about the session that
/// holds the slot. Each entry is written by its session (and by start/close) only.
struct alignas(64) SessionEntry {
  std::atomic<std::uint64_t> id{0};         // 0 = slot not used by a session
  std::atomic<std::uint64_t> acked{0};      // the state word the session last acknowledged
  std::atomic<std::uint64_t> cpr_point{0};  // serial at its last move to a new version
  std::atomic<std::uint64_t> serial{0};     // published at refresh (diagnostics, close)
};

using SessionTable = std::array<SessionEntry, epoch::EpochManager::kMaxSlots>;

}  // namespace rskv::checkpoint
