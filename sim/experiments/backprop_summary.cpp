// The backprop-equivalence experiment's summary text (what `ebsim run` prints at the end).
#include <cmath>
#include <iomanip>
#include <sstream>

#include "sim/experiments/backprop.hpp"

namespace ebsim {

std::string format_backprop_summary(const Config& cfg, const BackpropResult& r) {
  const BackpropExperiment& ex = cfg.experiment_as<BackpropExperiment>();
  std::ostringstream os;
  os << "ebsim backprop-equivalence experiment (paper §3): " << (r.complete ? "" : "[INTERRUPTED] ") << r.wall_s
     << " s\n";
  os << "  fixed point " << (r.converged ? "converged" : "NOT converged (the comparison is not meaningful)")
     << "; network "
     << (r.layered ? "layered" : "NOT layered: " + r.structure_note + " (the equality is not exact; see the errors)")
     << "\n";
  os << "  discrete map, Delta h_k at step k+1 vs -eps^(k+1) delta_{h_k}, worst over eps in [" << ex.eps.front() << ", "
     << ex.eps.back() << "]; continuous-time slope over t in (" << ex.ct_steps / 5 * ex.ct_eps << ", "
     << ex.ct_steps * ex.ct_eps << "] tau\n";
  os << "    layer   k  held  min margin  cosine            rel. error   exponent (k+1)  slope in t (k+1)";
  if (ex.logistic) os << "  logistic rel. error (eps small -> large)";
  if (!ex.spiking_r_max_hz.empty()) os << "  spiking cosine";
  os << "\n";
  for (std::size_t k = 0; k < r.layers.size(); ++k) {
    const LayerCheck& c = r.layers[k];
    os << "    " << std::left << std::setw(7) << c.layer << std::right << " " << k << "  " << std::setw(4) << c.held
       << "  " << std::setw(10) << std::setprecision(2) << std::scientific;
    if (std::isnan(c.min_margin))
      os << "-";  // no unit held
    else
      os << c.min_margin;
    os << std::defaultfloat << "  " << std::setprecision(12) << std::fixed << c.cosine << std::defaultfloat
       << std::setprecision(3) << "  " << std::setw(10) << std::scientific << c.relative_error << std::defaultfloat
       << "  " << std::setw(8) << std::fixed << std::setprecision(4) << c.exponent << " (" << k + 1 << ")   "
       << std::setw(8) << c.ct_slope << " (" << k + 1 << ")" << std::defaultfloat << std::setprecision(3);
    if (ex.logistic)
      os << "       " << std::scientific << c.logistic_error_small << " -> " << c.logistic_error_large
         << std::defaultfloat;
    if (!ex.spiking_r_max_hz.empty())
      os << "       " << std::fixed << std::setprecision(3) << c.spiking_cosine << std::defaultfloat;
    os << "\n";
  }
  if (!r.weight_alignment.empty()) {
    os << "  Eq. 26 over the early nudge (t <= " << ex.ct_steps * ex.ct_eps
       << " tau): cosine of Delta W with the gradient -delta_post rho(pre)^T:";
    for (const auto& [name, c] : r.weight_alignment)
      os << "  " << name << " " << std::fixed << std::setprecision(4) << c << std::defaultfloat;
    os << "\n";
  }
  if (!r.noisy.empty()) {
    // One row per noisy engine: spiking at each r_max, then the continuous engine at each sigma.
    const auto label = [](const NoisyBranches& n) {
      std::ostringstream l;
      if (std::isnan(n.sigma))
        l << "spiking " << std::fixed << std::setprecision(0) << n.r_max_hz << " Hz";
      else
        l << "Langevin sigma " << n.sigma;
      return l.str();
    };
    const auto header = [&](const std::string& first) {
      os << "    " << std::left << std::setw(24) << first << std::right;
      for (const LayerCheck& c : r.layers) os << "  " << std::setw(15) << c.layer;
      os << "\n";
    };
    os << "  noisy engines: cosine of the trial-averaged Delta h_k(" << ex.report_at_ms << " ms) with -delta_{h_k}, "
       << ex.branches << " paired trials each\n";
    header("");
    for (const NoisyBranches& n : r.noisy) {
      os << "    " << std::left << std::setw(24) << label(n) << std::right;
      for (double c : n.cosine)
        os << "  " << std::setw(15) << std::fixed << std::setprecision(3) << c << std::defaultfloat;
      os << "\n";
    }
    os << "  trials for an expected cosine >= " << kDetectableCosine
       << " (from the per-trial mean and noise; inf: the mean itself is not within it; >N: the mean not resolved, a "
          "bound), paired | unpaired\n";
    header("");
    const auto count = [](double t) {
      std::ostringstream o;
      o << std::setprecision(t < 1e4 ? 0 : 1) << (t < 1e4 ? std::fixed : std::scientific) << std::ceil(t);
      return o.str();
    };
    const auto trials = [&](const Detectability& d) {
      const double t = d.trials_needed(kDetectableCosine);
      if (std::isinf(t)) return std::string("inf");
      if (!std::isnan(t)) return count(t);
      std::string bound(1, '>');
      bound += count(d.trials_at_least(kDetectableCosine));
      return bound;
    };
    for (const NoisyBranches& n : r.noisy) {
      os << "    " << std::left << std::setw(24) << label(n) << std::right;
      for (std::size_t k = 0; k < n.paired.size(); ++k)
        os << "  " << std::setw(15) << (trials(n.paired[k]).append(" | ").append(trials(n.unpaired[k])));
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace ebsim
