#include "sim/io/dataset.hpp"

#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_streambuf.hpp>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ebsim {

DatasetError::DatasetError(std::string location, std::string message)
    : std::runtime_error(location + ": " + message), location_(std::move(location)), message_(std::move(message)) {}

namespace {

// Text read from a data file at most (after decompression): 1 GiB, about 100 million numbers.
constexpr std::size_t kMaxDataBytes = std::size_t(1) << 30;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string at(const std::string& name, std::size_t line, std::size_t column) {
  return name + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace

Dataset parse_csv_dataset(const std::string& text, const std::string& name) {
  Dataset d;
  d.path = name;
  std::size_t line_no = 0, pos = 0;
  std::vector<double> row;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines
    row.clear();
    std::size_t field_start = 0;
    while (true) {
      const std::size_t comma = line.find(',', field_start);
      std::string_view field =
          line.substr(field_start, comma == std::string_view::npos ? std::string_view::npos : comma - field_start);
      const std::size_t column = field_start + 1;
      while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
      while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
      double v = 0;
      const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
      if (field.empty() || ec != std::errc() || ptr != field.data() + field.size() || !std::isfinite(v))
        throw DatasetError(at(name, line_no, column), "expected a number, got `" + std::string(field) + "`");
      row.push_back(v);
      if (comma == std::string_view::npos) break;
      field_start = comma + 1;
    }
    if (row.size() < 2)
      throw DatasetError(at(name, line_no, 1),
                         "expected the features and a class label separated by commas, got one field");
    if (d.n_features == 0) d.n_features = row.size() - 1;
    if (row.size() - 1 != d.n_features)
      throw DatasetError(at(name, line_no, 1),
                         "expected " + std::to_string(d.n_features + 1) + " fields (" + std::to_string(d.n_features) +
                             " features and a label, as on the first line), got " + std::to_string(row.size()));
    const double label = row.back();
    const std::size_t label_column = line.rfind(',') + 2;
    if (label < 0 || label != std::floor(label) || label > 1e6)
      throw DatasetError(at(name, line_no, label_column), "expected a class label (an integer >= 0) in the last field");
    d.features.insert(d.features.end(), row.begin(), row.end() - 1);
    d.labels.push_back(static_cast<std::uint32_t>(label));
    d.n_classes = std::max(d.n_classes, static_cast<std::uint32_t>(label) + 1);
  }
  if (d.labels.empty())
    throw DatasetError(name, "no examples: expected one example per line (features, then the class label)");
  return d;
}

Dataset load_csv_dataset(const std::string& path) {
  // A regular file only: a device (/dev/zero) or a pipe could be read forever.
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw DatasetError(path, "not a regular file: expected a CSV file (optionally .gz)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DatasetError(path, "cannot open the data file (does it exist and is it readable?)");
  std::string text;
  const auto read_all = [&](std::istream& source) {
    char block[64 * 1024];
    while (source.read(block, sizeof block) || source.gcount() > 0) {
      text.append(block, static_cast<std::size_t>(source.gcount()));
      if (text.size() > kMaxDataBytes)
        throw DatasetError(path, "larger than 1 GiB (uncompressed): expected a data set that fits in memory");
    }
  };
  if (ends_with(path, ".gz")) {
    try {
      boost::iostreams::filtering_streambuf<boost::iostreams::input> gz;
      gz.push(boost::iostreams::gzip_decompressor());
      gz.push(in);
      std::istream decompressed(&gz);
      decompressed.exceptions(std::ios::badbit);
      read_all(decompressed);
    } catch (const DatasetError&) {
      throw;
    } catch (const std::exception& e) {
      throw DatasetError(path, std::string("not a readable gzip file: ") + e.what());
    }
  } else {
    read_all(in);
  }
  return parse_csv_dataset(text, path);
}

}  // namespace ebsim
