// crash_writer: the process the crash tests (crash_test.cc) start and kill. It opens a store
// directory with the chosen index and device, runs the deterministic operation stream of
// crash_stream.h from 1 or 2 sessions (each on its own thread) and takes checkpoints of the
// chosen kinds on a checkpoint thread, requested every --every operations of session 0 (and,
// with --hold-resize, each time an index resize is held open). It reports on stdout, one
// line each, flushed at once:
//
//   OPEN <recovered checkpoint id, 0 = none> <serial of session 0> [<serial of session 1>]
//   CKPT <id> <foldover|snapshot|index> <serial 0> [<serial 1>] <1 if a resize was held>
//   RESIZES <index resizes> held <how many were held>     (at the end)
//   DONE                       (every operation ran and a final checkpoint was taken)
//
// Pacing: the sessions stay within 300 operations of each other, and session 0 requests its
// next checkpoint only once the previous one completed (refreshing while it waits), so that
// checkpoints interleave with the operations of both sessions.
//
// Session i has the id i + 1 (the first sessions of a fresh store); with --recover the writer
// continues them at their recovered serials, so the stream goes on where the checkpoint left it.
//
// Ways to die (SIGKILL, raised by the writer itself):
//   --kill-phase P --kill-at N   when a checkpoint enters phase P (the names of
//                                Store::set_checkpoint_hook) for the N-th time in this process;
//   --kill-fs-op K               with --kill-phase: not at once, but before the K-th
//                                file-system call that changes something (create, write, sync,
//                                rename, unlink) after that point, e.g. inside the metadata
//                                commit that follows "meta";
//   --kill-after-ops N           when session 0 is about to run its operation N.
// The test may also kill it from outside at any moment.
//
// --hold-resize: an index resize (cuckoo) or growth (chained) that starts while no checkpoint
// runs blocks in the index's resize hook; the checkpoint thread then takes a checkpoint, which
// releases the resize when it reaches its "index" phase (cuckoo), or 2 ms after it was called
// (chained: the checkpoint waits for a running growth before its first phase). The CKPT line
// of a checkpoint called while a resize was held ends in 1.
//
// Exit codes: 0 done, 2 usage, 3 open failed, 4 a checkpoint failed, 5 a read returned
// something else than the stream's state, 6 an operation failed.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "components/device/fs.h"
#include "policies/bundles.h"
#include "tests/crash/crash_stream.h"

namespace rskv::crash {
namespace {

std::mutex g_out_mu;

void say(const std::string& line) {
  std::lock_guard<std::mutex> g(g_out_mu);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

[[noreturn]] void die(int code, const std::string& why) {
  std::fprintf(stderr, "crash_writer: %s\n", why.c_str());
  std::fflush(stderr);
  std::_Exit(code);
}

[[noreturn]] void kill_self() {
  std::raise(SIGKILL);
  std::_Exit(99);  // not reached
}

// The OS file system, with a countdown that kills the process before the K-th mutating call.
class KillingFs final : public device::FileSystem {
 public:
  void arm(std::int64_t calls) { countdown_.store(calls); }

  Result<void> create_dir(const std::string& p) override { return tick(), os_.create_dir(p); }
  Result<void> write_file(const std::string& p, std::string_view d) override {
    return tick(), os_.write_file(p, d);
  }
  Result<void> sync_file(const std::string& p) override { return tick(), os_.sync_file(p); }
  Result<void> rename(const std::string& a, const std::string& b) override {
    return tick(), os_.rename(a, b);
  }
  Result<void> sync_dir(const std::string& d) override { return tick(), os_.sync_dir(d); }
  Result<void> unlink(const std::string& p) override { return tick(), os_.unlink(p); }
  Result<std::string> read_file(const std::string& p) override { return os_.read_file(p); }
  Result<bool> exists(const std::string& p) override { return os_.exists(p); }
  Result<std::vector<std::string>> list(const std::string& d) override { return os_.list(d); }
  Result<std::unique_ptr<device::FileLock>> lock_file(const std::string& p) override {
    return os_.lock_file(p);
  }
  Result<std::unique_ptr<device::FileWriter>> open_writer(const std::string& p) override {
    tick();
    auto w = os_.open_writer(p);
    if (!w) return w.error();
    return std::unique_ptr<device::FileWriter>(new Writer(this, std::move(w).value()));
  }
  Result<std::unique_ptr<device::FileReader>> open_reader(const std::string& p) override {
    return os_.open_reader(p);
  }
  Result<void> remove_dir(const std::string& p) override { return tick(), os_.remove_dir(p); }
  Result<std::uint64_t> file_size(const std::string& p) override { return os_.file_size(p); }

 private:
  class Writer final : public device::FileWriter {
   public:
    Writer(KillingFs* fs, std::unique_ptr<device::FileWriter> w) : fs_(fs), w_(std::move(w)) {}
    Result<std::size_t> write_some(std::string_view d) override {
      fs_->tick();
      return w_->write_some(d);
    }
    Result<void> sync() override { return fs_->tick(), w_->sync(); }
    Result<void> close() override { return w_->close(); }
    [[nodiscard]] std::uint64_t bytes() const override { return w_->bytes(); }
    [[nodiscard]] const std::string& path() const override { return w_->path(); }

   private:
    KillingFs* fs_;
    std::unique_ptr<device::FileWriter> w_;
  };

  void tick() {
    if (countdown_.load() > 0 && countdown_.fetch_sub(1) == 1) kill_self();
  }

  device::OsFileSystem os_;
  std::atomic<std::int64_t> countdown_{0};
};

struct Options {
  std::string dir, index = "cuckoo", device = "file", kinds = "foldover";
  std::uint64_t seed = 1, ops = 6000, every = 1000, buckets = 256;
  unsigned sessions = 2;
  bool recover = false, hold_resize = false;
  std::string kill_phase;
  std::uint64_t kill_at = 1, kill_fs_op = 0, kill_after_ops = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(2, "missing value after " + a);
      return argv[++i];
    };
    auto number = [&]() { return std::strtoull(value().c_str(), nullptr, 10); };
    if (a == "--dir") {
      o.dir = value();
    } else if (a == "--index") {
      o.index = value();
    } else if (a == "--device") {
      o.device = value();
    } else if (a == "--kinds") {
      o.kinds = value();
    } else if (a == "--seed") {
      o.seed = number();
    } else if (a == "--ops") {
      o.ops = number();
    } else if (a == "--every") {
      o.every = number();
    } else if (a == "--buckets") {
      o.buckets = number();
    } else if (a == "--sessions") {
      o.sessions = static_cast<unsigned>(number());
    } else if (a == "--recover") {
      o.recover = true;
    } else if (a == "--hold-resize") {
      o.hold_resize = true;
    } else if (a == "--kill-phase") {
      o.kill_phase = value();
    } else if (a == "--kill-at") {
      o.kill_at = number();
    } else if (a == "--kill-fs-op") {
      o.kill_fs_op = number();
    } else if (a == "--kill-after-ops") {
      o.kill_after_ops = number();
    } else {
      die(2, "unknown argument " + a);
    }
  }
  if (o.dir.empty()) die(2, "--dir is required");
  if (o.sessions < 1 || o.sessions > 2) die(2, "--sessions is 1 or 2");
  if (o.kinds != "foldover" && o.kinds != "snapshot" && o.kinds != "mixed" &&
      o.kinds != "index-log") {
    die(2, "--kinds is foldover, snapshot, mixed or index-log");
  }
  return o;
}

template <class S>
class Writer {
 public:
  using Session = typename S::Session;
  using Req = typename S::CheckpointRequest;

  explicit Writer(const Options& o) : o_(o) {}

  int run() {
    StoreConfig cfg = crash_config(o_.dir, o_.buckets);
    cfg.recover = o_.recover;
    cfg.fs = &fs_;
    auto opened = S::open(cfg);
    if (!opened) die(3, "open: " + opened.error().message);
    store_ = std::move(opened).value();
    if (!store_->recovery().warning.empty()) {
      std::fprintf(stderr, "crash_writer: recovery warning: %s\n",
                   store_->recovery().warning.c_str());
    }
    const std::uint64_t recovered = store_->recovery().checkpoint_id;
    std::string open_line = "OPEN " + std::to_string(recovered);
    for (unsigned i = 0; i < o_.sessions; ++i) {
      auto s = recovered != 0 ? store_->continue_session(i + 1) : store_->start_session();
      if (!s) die(3, "session " + std::to_string(i) + ": " + s.error().message);
      if (s->id() != i + 1)
        die(3, "session " + std::to_string(i) + " got id " + std::to_string(s->id()));
      open_line += " " + std::to_string(s->serial());
      models_.push_back(replay(o_.seed, i, s->serial()));
      progress_[i].store(s->serial());
      sessions_.push_back(std::make_unique<Session>(std::move(s).value()));
    }
    say(open_line);

    store_->set_checkpoint_hook([this](std::string_view phase) { on_phase(phase); });
    if (o_.hold_resize) store_->index().set_resize_hook(&Writer::on_resize, this);

    std::thread checkpointer([this] { checkpoint_loop(); });
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < o_.sessions; ++i) threads.emplace_back([this, i] { run_session(i); });
    for (auto& t : threads) t.join();
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    checkpointer.join();
    // Every session is closed: the final checkpoint holds every operation.
    Req req;
    req.kind = CheckpointKind::FoldOver;
    req.index = o_.kinds != "index-log";
    take(req);
    if constexpr (requires(typename S::IndexType & x) { x.resize_count(); }) {
      say("RESIZES " + std::to_string(store_->index().resize_count()) + " held " +
          std::to_string(resizes_held_));
    }
    say("DONE");
    store_.reset();
    return 0;
  }

 private:
  void run_session(unsigned i) {
    Session& s = *sessions_[i];
    Model& model = models_[i];
    std::string got;
    for (std::uint64_t n = s.serial() + 1; n <= o_.ops; ++n) {
      if (i == 0 && n == o_.kill_after_ops) kill_self();
      // The sessions stay within kSlack operations of each other, so that both run while
      // checkpoints are taken. A waiting session refreshes (checkpoints wait for it).
      const unsigned other = 1 - i;
      while (o_.sessions == 2 && !finished_[other].load() && n > progress_[other].load() + kSlack) {
        idle(s);
      }
      const Op op = op_at(o_.seed, i, n);
      const std::string key = key_name(i, op.key);
      Status st = Status::Ok;
      switch (op.kind) {
        case OpKind::Upsert:
          st = s.upsert(key, op.value);
          break;
        case OpKind::Rmw:
          st = s.rmw_sync(key, [n](const std::string_view* old, ValueBuilder& out) {
            std::string o;
            if (old != nullptr) o.assign(old->data(), old->size());
            out.assign(rmw_apply(old != nullptr ? &o : nullptr, n));
            return true;
          });
          break;
        case OpKind::Delete:
          st = s.remove(key);
          break;
        case OpKind::Read: {
          st = s.get(key, got);
          const std::optional<std::string>& want = model.values[op.key];
          if (want ? (st != Status::Ok || got != *want) : st != Status::NotFound) {
            die(5, "session " + std::to_string(i) + " serial " + std::to_string(n) + " read " +
                       key + ": " + std::string(to_string(st)) + " '" + got + "', expected " +
                       (want ? "'" + *want + "'" : std::string("NotFound")));
          }
          st = Status::Ok;
          break;
        }
      }
      if (st != Status::Ok) {
        die(6, "session " + std::to_string(i) + " serial " + std::to_string(n) + " on " + key +
                   ": " + std::string(to_string(st)));
      }
      if (s.serial() != n)
        die(6, "serial " + std::to_string(s.serial()) + " != " + std::to_string(n));
      model.apply(op, n);
      progress_[i].store(n);
      if (i == 0 && o_.every != 0 && n % o_.every == 0) {
        // At most one requested checkpoint outstanding: wait (refreshing) for the previous
        // one, so that checkpoints keep pace with the operations.
        for (;;) {
          {
            std::lock_guard<std::mutex> g(mu_);
            if (completed_ == requested_) {
              ++requested_;
              break;
            }
          }
          idle(s);
        }
        cv_.notify_all();
      }
    }
    finished_[i].store(true);
    s.close();  // an idle open session would hold up the checkpoints that follow
  }

  static void idle(Session& s) {
    s.refresh();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }

  // The kinds of this process's j-th checkpoint (0-based).
  Req request(std::uint64_t j) const {
    Req r;
    const std::uint64_t h = mix(o_.seed ^ (j * 0x51ED27ull));
    if (o_.kinds == "snapshot") {
      r.kind = CheckpointKind::Snapshot;
    } else if (o_.kinds == "mixed") {
      r.kind = (h & 1) ? CheckpointKind::Snapshot : CheckpointKind::FoldOver;
      switch ((h >> 1) % 4) {
        case 0:
          r.index = false;  // log-only
          break;
        case 1:
          r.log = false;  // index-only
          break;
        default:
          break;  // both
      }
    } else if (o_.kinds == "index-log") {
      r.kind = (j / 3) % 2 ? CheckpointKind::Snapshot : CheckpointKind::FoldOver;
      r.index = j % 3 == 0;
      r.log = j % 3 != 0;
    }
    return r;
  }

  void checkpoint_loop() {
    std::uint64_t j = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || taken_ < requested_ || (held_ && !released_); });
        if (stop_) return;
        if (taken_ < requested_) ++taken_;
        in_progress_ = true;
        held_at_call_ = held_ && !released_;
      }
      cv_.notify_all();  // a held resize starts its clock (on_resize)
      take(request(j++));
      {
        std::lock_guard<std::mutex> g(mu_);
        in_progress_ = false;
        completed_ = taken_;
      }
    }
  }

  void take(const Req& req) {
    auto info = store_->checkpoint(req, nullptr);
    if (!info) die(4, "checkpoint: " + info.error().message);
    std::string line = "CKPT " + std::to_string(info->id) + " " + info->kind;
    for (unsigned i = 0; i < o_.sessions; ++i) line += " " + std::to_string(info->serial_of(i + 1));
    {
      std::lock_guard<std::mutex> g(mu_);
      line += held_at_call_ ? " 1" : " 0";
      held_at_call_ = false;
    }
    say(line);
  }

  void on_phase(std::string_view phase) {
    const std::uint64_t n = ++phase_count_[std::string(phase)];
    if (phase == o_.kill_phase && n == o_.kill_at) {
      if (o_.kill_fs_op == 0) kill_self();
      fs_.arm(static_cast<std::int64_t>(o_.kill_fs_op));
    }
    if (phase == "index") {
      std::lock_guard<std::mutex> g(mu_);
      if (held_ && !released_) {
        released_ = true;  // the resize goes on; this checkpoint started while it was open
        cv_.notify_all();
      }
    }
  }

  // Runs on the session thread that starts a resize, which stays open until this returns.
  static void on_resize(void* ctx) {
    auto* self = static_cast<Writer*>(ctx);
    std::unique_lock<std::mutex> lk(self->mu_);
    // A checkpoint already under way may wait for this session: do not hold it then.
    if (self->in_progress_ || self->stop_) return;
    self->held_ = true;
    self->released_ = false;
    ++self->resizes_held_;
    self->cv_.notify_all();
    // Released by the "index" phase of the checkpoint this starts (the cuckoo index: the
    // checkpoint is then inside, and its capture waits for the resize), or, when that
    // checkpoint waits for the resize before any phase (the chained index holds growth off
    // over a whole checkpoint), a little after the checkpoint was called.
    std::optional<std::chrono::steady_clock::time_point> release_at;
    while (!self->released_) {
      if (!self->in_progress_) {
        self->cv_.wait(lk);
        continue;
      }
      if (!release_at) release_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
      if (self->cv_.wait_until(lk, *release_at) == std::cv_status::timeout) self->released_ = true;
    }
    self->held_ = false;
  }

  const Options o_;
  KillingFs fs_;
  std::unique_ptr<S> store_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<Model> models_;
  std::map<std::string, std::uint64_t> phase_count_;  // checkpoint thread only
  std::mutex mu_;
  std::condition_variable cv_;
  static constexpr std::uint64_t kSlack = 300;
  std::atomic<std::uint64_t> progress_[2] = {};  // last operation each session completed
  std::atomic<bool> finished_[2] = {};
  std::uint64_t requested_ = 0, taken_ = 0, completed_ = 0;  // guarded by mu_
  bool stop_ = false, in_progress_ = false;                  // guarded by mu_
  bool held_ = false, released_ = false;  // guarded by mu_: a resize is held open
  bool held_at_call_ = false;             // guarded by mu_: the running checkpoint began while held
  std::uint64_t resizes_held_ = 0;        // guarded by mu_
};

}  // namespace
}  // namespace rskv::crash

int main(int argc, char** argv) {
  using namespace rskv;
  using namespace rskv::crash;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Options o = parse(argc, argv);
  int rc = 2;
  Result<void> r = with_bundle(o.index, o.device, "none", [&](auto t) {
    using S = typename decltype(t)::type;
    if constexpr (!S::DeviceType::kPersistent) {
      die(2, "the crash writer needs a persistent device (file or io_uring)");
    } else {
      rc = Writer<S>(o).run();
    }
  });
  if (!r) die(2, r.error().message);
  return rc;
}
