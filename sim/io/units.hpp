#pragma once
// The one list of the numeric datasets ebsim writes: each path pattern with its units and whether
// its values are integers (stored as int64/uint64 rather than float64). The HDF5 sink labels every
// dataset it writes from this list (attribute `units`; "1" is dimensionless, UDUNITS' spelling, and
// covers identifiers, indices and counts too), so a reader never has to guess; the list is also the
// README's units table. Paths are written without the sweep scope ("/sweep/<k>").
#include <span>
#include <string_view>

namespace ebsim {

enum class Storage { real, integer };

struct DatasetUnits {
  std::string_view pattern;  // "/" separated; "*" matches one component, "**" any number (zero included)
  std::string_view units;    // UDUNITS text: "ms", "Hz", "s", "1/s", "1"
  Storage storage = Storage::real;
};

std::span<const DatasetUnits> dataset_units();

// The entry whose pattern matches `path` (the first in list order), or null when none does.
const DatasetUnits* find_dataset_units(std::string_view path);

bool path_matches(std::string_view pattern, std::string_view path);

}  // namespace ebsim
