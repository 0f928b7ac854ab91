#pragma once
// Claiming an output path for one run, and publishing the finished file under it.
//
// A run writes OUT.partial and renames it to OUT when it completes. Two runs to the same OUT, a
// partial file kept from an interrupted run, or an OUT that appears while a run writes must never
// cost anyone data, so before anything is created or truncated the run takes an exclusive lock
// (flock on OUT.lock, released by the kernel even if the process is killed), and the final rename
// refuses to replace a file that exists (renameat2 RENAME_NOREPLACE) unless asked to.
#include <stdexcept>
#include <string>
#include <vector>

namespace ebsim {

// The output path cannot be used: it is taken, exists, is a directory, is an input, or the
// operating system refuses to create files there. Bad input: nothing was run or written.
class OutputPathError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OutputClaim {
 public:
  // Takes the lock on `final_path`, then checks: `final_path` is absent (or `replace`), is not a
  // directory, and is none of `inputs` (never, even with `replace`); `final_path`.partial is absent
  // (or `replace`: a partial kept from an interrupted run is removed only then) and not a
  // directory; and that a file can be created there (a probe, removed at once). Throws
  // OutputPathError, having touched nothing but the lock file.
  OutputClaim(std::string final_path, bool replace, const std::vector<std::string>& inputs);
  // Releases the lock and removes the lock file.
  ~OutputClaim();
  OutputClaim(const OutputClaim&) = delete;
  OutputClaim& operator=(const OutputClaim&) = delete;

  const std::string& final_path() const { return final_path_; }
  const std::string& partial_path() const { return partial_path_; }
  const std::string& lock_path() const { return lock_path_; }
  bool replace() const { return replace_; }

 private:
  std::string final_path_, partial_path_, lock_path_;
  bool replace_;
  int lock_fd_ = -1;
};

// Renames `partial` to `final_path`. Without `replace`, an existing `final_path` is never replaced
// (std::runtime_error, `partial` left as it is); the check and the rename are one atomic step.
void publish_file(const std::string& partial, const std::string& final_path, bool replace);

}  // namespace ebsim
