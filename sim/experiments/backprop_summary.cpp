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
  if (!r.spiking_r_max_hz.empty()) os << "  spiking cosine";
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
    if (!r.spiking_r_max_hz.empty())
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
  if (!r.spiking_r_max_hz.empty()) {
    os << "  spiking: cosine of the trial-averaged Delta h_k(" << ex.report_at_ms << " ms) with -delta_{h_k}, "
       << ex.branches << " paired branches each\n    r_max (Hz)";
    for (const LayerCheck& c : r.layers) os << "  " << std::setw(7) << c.layer;
    os << "\n";
    for (std::size_t i = 0; i < r.spiking_r_max_hz.size(); ++i) {
      os << "    " << std::setw(10) << std::fixed << std::setprecision(0) << r.spiking_r_max_hz[i] << std::defaultfloat;
      for (double c : r.spiking_cosine[i])
        os << "  " << std::setw(7) << std::fixed << std::setprecision(3) << c << std::defaultfloat;
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace ebsim
