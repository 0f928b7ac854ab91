#include <doctest/doctest.h>

#include <string>

#include "sim/io/dataset.hpp"
#include "tests/support.hpp"

using namespace ebsim;

TEST_CASE("dataset: reads plain CSV, and the digits file Debian ships") {
  const Dataset p = parse_csv_dataset("1, 2.5,0\n\n3,4,1\r\n", "mem.csv");
  CHECK(p.size() == 2);
  CHECK(p.example(0)[1] == 2.5);
  CHECK(p.labels[1] == 1);
  if (test::digits_missing()) return;
  const Dataset d = load_csv_dataset(test::kDigits);
  CHECK(d.size() == 1797);
  CHECK(d.n_features == 64);
  CHECK(d.n_classes == 10);
  CHECK(d.labels[0] == 0);
  CHECK(d.example(0)[2] == 5.0);  // the first image's third pixel (digits.csv.gz, line 1)
}

TEST_CASE("dataset: malformed files are errors that name file, line and column") {
  auto message = [](const std::string& text) {
    try {
      parse_csv_dataset(text, "d.csv");
    } catch (const DatasetError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("1,2,0\n1,x,1\n") == "d.csv:2:3: expected a number, got `x`");
  CHECK(message("1,2,0\n1,2,3,1\n").find("d.csv:2:1: expected 3 fields") == 0);
  CHECK(message("1,2,0\n1,2,-1\n").find("d.csv:2:5: expected a class label") == 0);
  CHECK(message("1,2,0\n1,2,0.5\n").find("d.csv:2:5: expected a class label") == 0);
  CHECK(message("7\n").find("d.csv:1:1: expected the features and a class label") == 0);
  CHECK(message("").find("d.csv: no examples") == 0);
  CHECK(message("1,,0\n") == "d.csv:1:3: expected a number, got ``");
}
