#pragma once
// Test helper: runs the built rskv-cli binary (fork/exec) with pipes on its standard input,
// output and error.
//   CliProcess  - a conversation: send one line, wait (bounded) for its one reply line. A
//                 reply that arrives only at exit would time out, so this also checks that
//                 every reply is flushed at once.
//   run_cli()   - a whole script at once (poll loop, so large input and output never
//                 deadlock), returning stdout, stderr and the exit status.

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rskv::cli::testing {

struct CliResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

class CliProcess {
 public:
  static constexpr std::chrono::seconds kReplyTimeout{30};

  CliProcess(const std::string& binary, const std::vector<std::string>& args) {
    std::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
        ::pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
    std::vector<std::string> argv_storage{binary};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      // Child: only async-signal-safe calls until exec.
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err[1], STDERR_FILENO);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }

  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  ~CliProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    for (int fd : {in_, out_, err_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  /// Writes all of data to the child's stdin; false when the child closed it.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(in_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Sends line + LF and returns the next reply line (without LF). Throws when no full
  /// line arrives within kReplyTimeout (not flushed, or the child died).
  std::string request(std::string_view line) {
    std::string data(line);
    data += '\n';
    if (!send(data)) throw std::runtime_error("rskv-cli closed its input");
    return reply();
  }

  /// The next reply line, waiting at most kReplyTimeout.
  std::string reply() {
    const auto deadline = std::chrono::steady_clock::now() + kReplyTimeout;
    for (;;) {
      if (const std::size_t lf = pending_.find('\n'); lf != std::string::npos) {
        std::string line = pending_.substr(0, lf);
        pending_.erase(0, lf + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error("no reply line within the timeout");
      pollfd p{out_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;  // deadline check above
      char buf[65536];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n == 0) throw std::runtime_error("rskv-cli closed its output (exited?)");
      if (n > 0) pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// Closes stdin, reads the rest of stdout and stderr, and waits for the exit status.
  CliResult finish() {
    if (in_ >= 0) {
      ::close(in_);
      in_ = -1;
    }
    CliResult result;
    result.out = pending_;
    pending_.clear();
    drain(out_, result.out, err_, result.err);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  /// Writes input while reading stdout and stderr (never deadlocks on big data), then
  /// finish()es.
  CliResult run(std::string_view input) {
    std::string out, err;
    const int fl = ::fcntl(in_, F_GETFL);
    ::fcntl(in_, F_SETFL, fl | O_NONBLOCK);
    while (!input.empty()) {
      pollfd p[3] = {{in_, POLLOUT, 0}, {out_, POLLIN, 0}, {err_, POLLIN, 0}};
      if (::poll(p, 3, -1) < 0 && errno != EINTR) break;
      if (p[0].revents & (POLLERR | POLLHUP)) break;  // child closed its input
      if (p[0].revents & POLLOUT) {
        const ssize_t n = ::write(in_, input.data(), input.size());
        if (n > 0) input.remove_prefix(static_cast<std::size_t>(n));
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      }
      for (int i = 1; i < 3; ++i) {
        if (p[i].revents & (POLLIN | POLLHUP)) {
          char buf[65536];
          const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
          if (n > 0) (i == 1 ? out : err).append(buf, static_cast<std::size_t>(n));
        }
      }
    }
    pending_ = out + pending_;
    CliResult result = finish();
    result.err = err + result.err;
    return result;
  }

 private:
  // Reads both descriptors to end of file.
  static void drain(int out_fd, std::string& out, int err_fd, std::string& err) {
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
      pollfd p[2] = {{out_open ? out_fd : -1, POLLIN, 0}, {err_open ? err_fd : -1, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[65536];
        const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n > 0) {
          (i == 0 ? out : err).append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          (i == 0 ? out_open : err_open) = false;
        }
      }
    }
  }

  pid_t pid_ = -1;
  bool reaped_ = false;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string pending_;  // stdout bytes read but not yet returned as replies
};

/// Runs the binary over a whole input script.
inline CliResult run_cli(const std::string& binary, const std::vector<std::string>& args,
                         std::string_view input) {
  CliProcess process(binary, args);
  return process.run(input);
}

}  // namespace rskv::cli::testing
