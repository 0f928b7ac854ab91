#include "sim/run/sweep_stats.hpp"

#include <cmath>
#include <limits>

#include "sim/core/fit.hpp"

namespace ebsim {

void ReportTap::write_array(const std::string& path, std::span<const double> data, std::vector<std::uint64_t> shape) {
  const bool reported = path.rfind("/analysis/", 0) == 0 || path.rfind("/training/", 0) == 0;
  if (reported && !data.empty() && data.size() <= kMaxReportedElements)
    reported_.arrays[path] = ReportedArray{{data.begin(), data.end()}, shape};
  const std::string_view tail = "/converged";
  if (reported && path.size() > tail.size() && path.ends_with(tail))
    for (double v : data) reported_.unconverged = reported_.unconverged || v == 0.0;
  to_.write_array(path, data, std::move(shape));
}

void ReportTap::write_attribute(const std::string& path, const std::string& name, const AttributeValue& value) {
  if (name == "converged")
    if (const auto* flag = std::get_if<std::int64_t>(&value); flag && *flag == 0) reported_.unconverged = true;
  to_.write_attribute(path, name, value);
}

double t_quantile_975(std::uint64_t dof) { return t_quantile_95(double(dof)); }

SampleStats sample_stats(const std::vector<double>& values) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SampleStats s;
  double sum = 0.0;
  for (double v : values)
    if (std::isfinite(v)) {
      sum += v;
      ++s.n;
    }
  if (s.n == 0) return {nan, nan, nan, 0};
  s.mean = sum / double(s.n);
  if (s.n < 2) {
    s.sd = s.half_width = nan;
    return s;
  }
  double ss = 0.0;  // two passes: no cancellation when the spread is small against the mean
  for (double v : values)
    if (std::isfinite(v)) ss += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(ss / double(s.n - 1));
  s.half_width = t_quantile_975(s.n - 1) * s.sd / std::sqrt(double(s.n));
  return s;
}

SweepStats sweep_statistics(const std::vector<Reported>& reported, const std::vector<SweepRun>& runs,
                            std::size_t points) {
  SweepStats out;
  out.runs.assign(points, 0);
  out.unconverged.assign(points, 0);
  for (std::size_t k = 0; k < reported.size() && k < runs.size(); ++k) {
    ++out.runs[runs[k].point];
    out.unconverged[runs[k].point] += reported[k].unconverged;
  }
  std::map<std::string, std::size_t> elements;
  for (const Reported& r : reported)
    for (const auto& [path, array] : r.arrays)
      if (!out.paths.count(path)) {
        out.paths[path].shape = array.shape;
        elements[path] = array.data.size();
      }
  for (auto& [path, ps] : out.paths) {
    const std::size_t m = elements[path];
    ps.stats.resize(points * m);
    for (std::size_t p = 0; p < points; ++p)
      for (std::size_t e = 0; e < m; ++e) {
        std::vector<double> values;
        for (std::size_t k = 0; k < reported.size() && k < runs.size(); ++k) {
          if (runs[k].point != p || reported[k].unconverged) continue;
          const auto found = reported[k].arrays.find(path);
          if (found == reported[k].arrays.end() || found->second.shape != ps.shape) continue;
          values.push_back(found->second.data[e]);
        }
        ps.stats[p * m + e] = sample_stats(values);
      }
  }
  return out;
}

void write_sweep_statistics(Sink& sink, const std::string& group, const SweepStats& stats, std::size_t points) {
  const auto as_double = [](const std::vector<std::uint64_t>& v) { return std::vector<double>(v.begin(), v.end()); };
  sink.write_array(group + "/runs", as_double(stats.runs), {points});
  sink.write_array(group + "/unconverged", as_double(stats.unconverged), {points});
  for (const auto& [path, ps] : stats.paths) {
    std::vector<std::uint64_t> shape{points};
    shape.insert(shape.end(), ps.shape.begin(), ps.shape.end());
    std::vector<double> mean, sd, n, half, low, high;
    for (const SampleStats& s : ps.stats) {
      mean.push_back(s.mean);
      sd.push_back(s.sd);
      n.push_back(double(s.n));
      half.push_back(s.half_width);
      low.push_back(s.mean - s.half_width);
      high.push_back(s.mean + s.half_width);
    }
    const std::string g = group + "/stats" + path;
    sink.write_array(g + "/mean", mean, shape);
    sink.write_array(g + "/sd", sd, shape);
    sink.write_array(g + "/n", n, shape);
    sink.write_array(g + "/ci95_half_width", half, shape);
    sink.write_array(g + "/ci95_low", low, shape);
    sink.write_array(g + "/ci95_high", high, shape);
  }
}

}  // namespace ebsim
