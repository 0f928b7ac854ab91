#include "sim/io/output_claim.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>  // renameat2, RENAME_NOREPLACE (glibc, _GNU_SOURCE)
#include <cstring>
#include <filesystem>

namespace ebsim {

namespace fs = std::filesystem;

namespace {

std::string in_backticks(const std::string& path) { return "`" + path + "`"; }

std::string os_error() { return std::strerror(errno); }

// True if both paths name one existing file (through links, `..`, or another spelling).
bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  return fs::exists(a, error) && fs::exists(b, error) && fs::equivalent(a, b, error);
}

// Checks that need no file of ours yet, so that the common mistakes get a precise message.
void check_destination(const std::string& final_path, const std::string& partial_path, const std::string& lock_path,
                       const std::vector<std::string>& inputs) {
  std::error_code error;
  if (fs::is_directory(final_path, error))
    throw OutputPathError("output " + in_backticks(final_path) + " is a directory");
  for (const std::string& input : inputs)
    for (const std::string& ours : {final_path, partial_path, lock_path})
      if (same_file(ours, input))
        throw OutputPathError("output " + in_backticks(ours) + " is " + in_backticks(input) +
                              ", an input of this run: writing it would destroy it (--force does not change this)");
  const fs::path parent = fs::path(final_path).parent_path();
  const fs::path dir = parent.empty() ? fs::path(".") : parent;
  if (!fs::is_directory(dir, error))
    throw OutputPathError("output directory " + in_backticks(dir.string()) + " does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw OutputPathError("output directory " + in_backticks(dir.string()) + " is not writable");
}

// flock on a file we may have to create. Another process can remove the lock file between our
// open and our flock (its owner removes it when done): then the lock we hold is on a file nobody
// else will see, so look again until the locked file is the one the path names.
int take_lock(const std::string& final_path, const std::string& lock_path) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) throw OutputPathError("cannot create the lock file " + in_backticks(lock_path) + ": " + os_error());
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int reason = errno;
      ::close(fd);
      if (reason == EWOULDBLOCK)
        throw OutputPathError("output " + in_backticks(final_path) +
                              " is being written by another ebsim run (it holds " + in_backticks(lock_path) + ")");
      errno = reason;
      throw OutputPathError("cannot lock " + in_backticks(lock_path) + ": " + os_error());
    }
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino)
      return fd;
    ::close(fd);
  }
  throw OutputPathError("cannot lock " + in_backticks(lock_path) + ": it keeps being replaced");
}

}  // namespace

OutputClaim::OutputClaim(std::string final_path, bool replace, const std::vector<std::string>& inputs)
    : final_path_(std::move(final_path)),
      partial_path_(final_path_ + ".partial"),
      lock_path_(final_path_ + ".lock"),
      replace_(replace) {
  check_destination(final_path_, partial_path_, lock_path_, inputs);
  lock_fd_ = take_lock(final_path_, lock_path_);
  try {
    // From here on no other ebsim run touches these paths: look again, now that the answer holds.
    std::error_code error;
    if (fs::is_directory(final_path_, error))
      throw OutputPathError("output " + in_backticks(final_path_) + " is a directory");
    if (!replace_ && fs::exists(fs::symlink_status(final_path_, error)))
      throw OutputPathError("output " + in_backticks(final_path_) + " already exists (use --force to overwrite it)");
    const fs::file_status partial = fs::symlink_status(partial_path_, error);
    if (fs::is_directory(partial))
      throw OutputPathError("the partial output " + in_backticks(partial_path_) + " is a directory");
    if (fs::exists(partial)) {
      if (!replace_)
        throw OutputPathError("a partial output kept from an interrupted run is at " + in_backticks(partial_path_) +
                              " (look at it with `ebsim info`; use --force to replace it)");
      if (::unlink(partial_path_.c_str()) != 0)
        throw OutputPathError("cannot remove the old partial output " + in_backticks(partial_path_) + ": " +
                              os_error());
    }
    // Whether the system lets us create the files at all (a read-only file system, a name too
    // long): asked with the longest name the sink uses, which it creates first (and a run killed
    // then may have left behind: it is never a result).
    const std::string probe = partial_path_ + ".new";
    ::unlink(probe.c_str());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
      throw OutputPathError("cannot create the output file " + in_backticks(partial_path_) + ": " + os_error());
    ::close(fd);
    ::unlink(probe.c_str());
  } catch (...) {
    ::unlink(lock_path_.c_str());
    ::close(lock_fd_);
    throw;
  }
}

OutputClaim::~OutputClaim() {
  // Removed while still locked: a run that opened the old file notices the swap (take_lock).
  ::unlink(lock_path_.c_str());
  ::close(lock_fd_);
}

void publish_file(const std::string& partial, const std::string& final_path, bool replace) {
  const auto appeared = [&] {
    return std::runtime_error(
        in_backticks(final_path) + " was created by someone else while this run wrote it; it is left as it is, and " +
        "the complete output is kept at " + in_backticks(partial) + " (use --force to overwrite)");
  };
  if (replace) {
    if (std::rename(partial.c_str(), final_path.c_str()) != 0)
      throw std::runtime_error(partial + ": complete, but renaming it to " + final_path + " failed: " + os_error());
    return;
  }
  if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno == EEXIST) throw appeared();
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    throw std::runtime_error(partial + ": complete, but renaming it to " + final_path + " failed: " + os_error());
  // A file system without RENAME_NOREPLACE: a hard link is just as atomic, and fails if the name exists.
  if (::link(partial.c_str(), final_path.c_str()) != 0) {
    if (errno == EEXIST) throw appeared();
    throw std::runtime_error(partial + ": complete, but linking it to " + final_path + " failed: " + os_error());
  }
  ::unlink(partial.c_str());
}

}  // namespace ebsim
