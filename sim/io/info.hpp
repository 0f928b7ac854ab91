#pragma once
// `ebsim info FILE.h5`: what a run file holds (provenance, completeness, populations, and every
// group and dataset with its type and shape) without reaching for h5py. A file ebsim did not write
// is listed as a plain HDF5 file; links are shown (soft, external, a second hard link), not followed.
#include <iosfwd>
#include <string>

namespace ebsim {

// Returns 0; or 2 after one line "ebsim info: cannot open FILE: reason" (or "cannot read") on err.
int print_info(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace ebsim
