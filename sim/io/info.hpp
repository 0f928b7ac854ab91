#pragma once
// `ebsim info FILE.h5`: what a run file holds (provenance, completeness, populations, its SONATA
// parts, and every group and dataset with its type, shape, units and attributes) without reaching
// for h5py. A SONATA file ebsim did not write is recognised as such (magic without ebsim_version),
// any other file is listed as a plain HDF5 file; links are shown (soft, external, a second hard
// link), not followed; a sweep's points are one line each.
#include <iosfwd>
#include <string>

namespace ebsim {

struct InfoOptions {
  bool json = false;  // one JSON document (format, root attributes, every object with its attributes)
  bool all = false;   // list every object of every sweep point too (by default: one line per point)
};

// Returns 0; or 2 after one line "ebsim info: cannot open FILE: reason" (or "cannot read") on err.
int print_info(const std::string& path, std::ostream& out, std::ostream& err, const InfoOptions& options = {});

}  // namespace ebsim
