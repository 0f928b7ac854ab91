#pragma once
// `ebsim sonata SWEEP.h5 -o DIR`: each run of a sweep file as a SONATA file of its own. A SONATA
// reader looks for /spikes, /report, /nodes and /edges at a file's root, where a sweep file has
// none of them (its runs sit under /sweep/<k>). So DIR/<k>.h5 gets SONATA's root attributes
// (`magic`, `version`), the run's own attributes, and an HDF5 external link in place of each
// child of /sweep/<k> (plus /config): nothing is copied, the sweep file stays the one file that
// holds the data, and the views find it by a path relative to DIR wherever the pair is moved.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace ebsim {

// The input is wrong (no such file, not a complete sweep file, the directory exists): exit 2.
struct SonataViewsInputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SonataViews {
  std::size_t runs = 0;  // files written, one per run
  std::string target;    // the sweep file as the links name it (relative to the directory)
};

// Writes the views into `directory`, which must not exist (it is made whole or not at all: the
// files go to a temporary directory beside it, renamed at the end). Throws SonataViewsInputError
// when `sweep_path` is not a complete ebsim sweep file or the directory exists or has no parent,
// std::runtime_error when writing fails (one-line messages).
SonataViews write_sonata_views(const std::string& sweep_path, const std::string& directory);

}  // namespace ebsim
