#pragma once
// A labelled data set for the learning experiment: one example per line of a CSV file (optionally
// gzip-compressed, `.gz`), the features first and the class label (an integer >= 0) last. This is
// the layout of scikit-learn's digits.csv.gz, which Debian's python3-sklearn ships.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebsim {

class DatasetError : public std::runtime_error {
 public:
  // location: "file" or "file:line:column"
  DatasetError(std::string location, std::string message);
  const std::string& location() const { return location_; }
  const std::string& message() const { return message_; }

 private:
  std::string location_, message_;
};

struct Dataset {
  std::string path;
  std::size_t n_features = 0;
  std::uint32_t n_classes = 0;   // 1 + the largest label
  std::vector<double> features;  // example-major: size() x n_features
  std::vector<std::uint32_t> labels;

  std::size_t size() const { return labels.size(); }
  std::span<const double> example(std::size_t i) const { return {features.data() + i * n_features, n_features}; }
};

// Reads the file; every malformed line is an error naming file, line and column.
Dataset load_csv_dataset(const std::string& path);
// The same from text already in memory (tests); `name` stands for the file name in messages.
Dataset parse_csv_dataset(const std::string& text, const std::string& name);

}  // namespace ebsim
