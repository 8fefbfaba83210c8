#include "launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "command_line.h"
#include "results.h"

extern char** environ;

namespace holdup::workload {
namespace {

// The fd number each worker finds its socket end at.
constexpr int kWorkerPeerFd = 3;

std::string part_path(const WorkloadConfig& config, int rank) {
  if (config.json_path.empty()) return {};
  return config.json_path + ".rank" + std::to_string(rank) + ".part";
}

// Moves `fd` above the low numbers so that dup2 onto kWorkerPeerFd in the
// child never has source == target (which would leave FD_CLOEXEC set).
int move_above_low_fds(int fd) {
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return moved;
}

pid_t spawn_worker(const std::string& executable, const std::vector<std::string>& args, int socket_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, socket_fd, kWorkerPeerFd);
  std::vector<char*> argv;
  std::string program_name = "holdup-workload";
  argv.push_back(program_name.data());
  std::vector<std::string> storage = args;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, executable.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    std::fprintf(stderr, "holdup-workload: error: cannot start worker '%s': %s\n", executable.c_str(),
                 std::strerror(error));
    return -1;
  }
  return pid;
}

// Describes how a worker ended; returns its contribution to the exit code.
int worker_exit_code(int rank, int status) {
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    if (code != 0) std::fprintf(stderr, "holdup-workload: worker rank %d exited with code %d\n", rank, code);
    return code;
  }
  if (WIFSIGNALED(status)) {
    std::fprintf(stderr, "holdup-workload: worker rank %d was killed by signal %d (%s)\n", rank, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
  }
  return kExitFailure;
}

bool merge_json_parts(const WorkloadConfig& config) {
  std::vector<nlohmann::json> processes;
  bool complete = true;
  for (int rank = 0; rank < config.procs; ++rank) {
    const std::string path = part_path(config, rank);
    std::ifstream in(path);
    if (!in) {
      std::fprintf(stderr, "holdup-workload: worker rank %d wrote no results to %s\n", rank, path.c_str());
      complete = false;
      continue;
    }
    try {
      processes.push_back(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception& error) {
      std::fprintf(stderr, "holdup-workload: %s: unreadable results of worker rank %d: %s\n", path.c_str(), rank,
                   error.what());
      complete = false;
    }
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  std::ofstream out(config.json_path);
  out << make_document(config, processes).dump(2) << '\n';
  if (!out) {
    std::fprintf(stderr, "holdup-workload: cannot write %s: %s\n", config.json_path.c_str(), std::strerror(errno));
    return false;
  }
  return complete;
}

}  // namespace

int run_launcher(const WorkloadConfig& config, const std::vector<std::string>& user_args) {
  std::array<int, 2> sockets{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets.data()) != 0) {
    std::fprintf(stderr, "holdup-workload: error: socketpair: %s\n", std::strerror(errno));
    return kExitFailure;
  }
  for (int& fd : sockets) fd = move_above_low_fds(fd);

  std::error_code error;
  const std::string executable = std::filesystem::read_symlink("/proc/self/exe", error).string();
  if (error) {
    std::fprintf(stderr, "holdup-workload: error: cannot find my own executable (/proc/self/exe): %s\n",
                 error.message().c_str());
    return kExitFailure;
  }

  std::array<pid_t, 2> pids{-1, -1};
  for (int rank = 0; rank < 2; ++rank) {
    pids[rank] = spawn_worker(executable, worker_arguments(user_args, rank, kWorkerPeerFd, part_path(config, rank)),
                              sockets[rank]);
    ::close(sockets[rank]);  // the worker has its own copy now
    if (pids[rank] < 0) {
      if (rank == 1) {
        ::kill(pids[0], SIGKILL);
        ::waitpid(pids[0], nullptr, 0);
      }
      return kExitFailure;
    }
  }

  // Workers bound every wait themselves; this deadline only catches a worker
  // that cannot even run its own watchdog.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(watchdog_seconds(config) + 15);
  std::array<int, 2> codes{-1, -1};
  int running = 2;
  while (running > 0) {
    for (int rank = 0; rank < 2; ++rank) {
      if (codes[rank] >= 0) continue;
      int status = 0;
      const pid_t done = ::waitpid(pids[rank], &status, WNOHANG);
      if (done == pids[rank]) {
        codes[rank] = worker_exit_code(rank, status);
        --running;
      }
    }
    if (running == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (int rank = 0; rank < 2; ++rank) {
        if (codes[rank] >= 0) continue;
        std::fprintf(stderr, "holdup-workload: worker rank %d (pid %d) did not end in time; killing it\n", rank,
                     pids[rank]);
        ::kill(pids[rank], SIGKILL);
        ::waitpid(pids[rank], nullptr, 0);
        codes[rank] = kExitWatchdog;
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  int exit_code = kExitOk;
  for (int code : codes) {
    if (code == kExitWatchdog) exit_code = kExitWatchdog;
    else if (code != 0 && exit_code == kExitOk) exit_code = code;
  }
  if (!config.json_path.empty()) {
    if (exit_code == kExitOk) {
      if (!merge_json_parts(config)) exit_code = kExitFailure;
    } else {
      for (int rank = 0; rank < config.procs; ++rank) {
        std::error_code ignored;
        std::filesystem::remove(part_path(config, rank), ignored);
      }
    }
  }
  return exit_code;
}

}  // namespace holdup::workload
