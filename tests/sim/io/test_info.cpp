#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "sim/io/info.hpp"
#include "tests/support.hpp"

TEST_CASE("ebsim info on a missing or non-HDF5 file prints one line and returns 2") {
  const ebsim::test::TempDir dir;
  std::ostringstream out, err;
  CHECK(ebsim::print_info(dir.file("absent.h5"), out, err) == 2);
  CHECK(err.str() == "ebsim info: cannot open " + dir.file("absent.h5") + ": no such file\n");

  const std::string text_file = dir.file("notes.h5");
  std::ofstream(text_file) << "not hdf5\n";
  std::ostringstream out2, err2;
  CHECK(ebsim::print_info(text_file, out2, err2) == 2);
  CHECK(err2.str() == "ebsim info: cannot open " + text_file + ": not an HDF5 file\n");
  CHECK(out.str().empty());
  CHECK(out2.str().empty());
}

