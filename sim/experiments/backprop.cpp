#include "sim/experiments/backprop.hpp"

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "models/energy.hpp"
#include "sim/core/clock.hpp"
#include "sim/core/continuous_engine.hpp"
#include "sim/core/fit.hpp"
#include "sim/core/network.hpp"
#include "sim/core/partitioned_engine.hpp"
#include "sim/core/protocol.hpp"
#include "sim/core/spiking_engine.hpp"
#include "sim/experiments/backprop_branches.hpp"
#include "sim/io/version.hpp"

namespace ebsim {

namespace {

using Vec = std::vector<double>;

using Layer = BranchLayer;

std::vector<Layer> find_layers(const Network& net, const std::vector<std::string>& names) {
  std::vector<Layer> out;
  for (const std::string& n : names)
    for (const Population& p : net.populations)
      if (p.name == n) out.push_back({p.name, p.offset, p.size});
  return out;
}

Vec slice(std::span<const double> v, const Layer& l) {
  return Vec(v.begin() + l.offset, v.begin() + l.offset + l.size);
}
double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
double norm(const Vec& a) { return std::sqrt(dot(a, a)); }
// |a - b| / |b|
double relative_error(const Vec& a, const Vec& b) {
  Vec d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  const double nb = norm(b);
  return nb > 0 ? norm(d) / nb : norm(d);
}
Vec scaled(const Vec& v, double f) {
  Vec out(v);
  for (double& x : out) x *= f;
  return out;
}

// The settled state and what the gradient sees of each unit.
struct FixedPoint {
  Vec s;
  Vec rho_prime;  // effective: 0 for units held on a boundary
  std::vector<std::uint8_t> held;
  Vec margin;  // held units: how far the drive lies beyond the boundary (> 0); NaN inside
  bool converged = false;
  double residual = 0.0;
};

FixedPoint settle(const EngineParams& params, const PhaseConfig& phase, const Network& net,
                  const std::vector<PhaseDrive>& drives, const std::vector<Layer>& layers) {
  const models::RateFunction& rate = params.rate;
  ContinuousEngine engine(params, net);
  engine.reset(0);
  engine.set_phase(drives[0]);
  FixedPoint fp;
  fp.converged = engine.advance_until_settled(phase.duration_ms, phase.settle->tol);
  fp.residual = engine.residual();
  fp.s.assign(engine.state().begin(), engine.state().end());
  fp.held.resize(net.n_units);
  fp.rho_prime.resize(net.n_units);
  for (std::uint32_t i = 0; i < net.n_units; ++i) {
    fp.held[i] = engine.held(i);
    fp.rho_prime[i] = fp.held[i] ? 0.0 : rate.rho_prime(fp.s[i]);
  }
  // A nudged output held on a boundary leaves it when the nudged dynamics inside point inward:
  // its inside target (1 - beta) R_y + beta y* lies inside the interval (then its rate moves with
  // it, rho' = 1), otherwise it stays held (rho' = 0).
  Vec input(net.bias), rates(net.n_units);
  for (std::uint32_t i = 0; i < net.n_units; ++i) rates[i] = rate.rho(fp.s[i]);
  models::add_synaptic_input(net.coupling(), rates, input);
  fp.margin.assign(net.n_units, std::numeric_limits<double>::quiet_NaN());
  for (std::uint32_t i = 0; i < net.n_units; ++i)
    if (fp.held[i]) fp.margin[i] = fp.s[i] >= rate.beta2() ? input[i] - rate.beta2() : rate.beta1 - input[i];
  const Layer& y = layers[0];
  for (std::uint32_t i = y.offset; i < y.offset + y.size; ++i)
    if (fp.held[i] && drives[1].beta[i] > 0) {
      const double beta = drives[1].beta[i];
      const double inside_target = (1.0 - beta) * input[i] + beta * drives[1].target[i];
      const bool upper = fp.s[i] >= rate.beta2();
      fp.rho_prime[i] = upper ? (inside_target < rate.beta2() ? 1.0 : 0.0) : (inside_target > rate.beta1 ? 1.0 : 0.0);
    }
  return fp;
}

// Back-propagated errors, layer by layer (Eq. 13-25): delta_y = beta (y^ - y*) (the first step of
// the nudge moves y by -eps delta_y), delta_{h_k} = J_k^T delta_{h_{k-1}} with
// J_k = d R_{h_{k-1}} / d h_k = diag(rho'_{k-1}) W_{k-1,k} diag(rho'_k). W^T is applied through the
// transposed coupling (the gains of every block swapped), so the reference is true
// back-propagation even when the network's own W is not symmetric.
std::vector<Vec> backpropagate(const Network& net, const FixedPoint& fp, const PhaseDrive& nudge,
                               const std::vector<Layer>& layers) {
  std::vector<models::CouplingBlock> transposed = net.coupling();
  for (auto& b : transposed) std::swap(b.gain_forward, b.gain_backward);
  std::vector<Vec> delta;
  const Layer& y = layers[0];
  Vec d0(y.size);
  for (std::uint32_t u = 0; u < y.size; ++u) {
    const std::uint32_t i = y.offset + u;
    d0[u] = nudge.beta[i] * (fp.s[i] - nudge.target[i]);
  }
  delta.push_back(d0);
  for (std::size_t k = 1; k < layers.size(); ++k) {
    Vec v(net.n_units, 0.0), out(net.n_units, 0.0);
    const Layer& prev = layers[k - 1];
    for (std::uint32_t u = 0; u < prev.size; ++u) v[prev.offset + u] = fp.rho_prime[prev.offset + u] * delta[k - 1][u];
    models::add_synaptic_input(transposed, v, out);
    const Layer& cur = layers[k];
    Vec dk(cur.size);
    for (std::uint32_t u = 0; u < cur.size; ++u) dk[u] = fp.rho_prime[cur.offset + u] * out[cur.offset + u];
    delta.push_back(dk);
  }
  return delta;
}

// The nudged continuation minus the un-nudged one from the same fixed point, with the engine's map
// at step size params.dt_ms. Returns Delta for every layer after each of `steps` steps:
// [step][layer] vectors.
std::vector<std::vector<Vec>> paired_map(const EngineParams& params, const Network& net,
                                         const std::vector<PhaseDrive>& drives, const FixedPoint& fp,
                                         const std::vector<Layer>& layers, std::uint32_t steps,
                                         std::vector<Vec>* nudged_states = nullptr) {
  ContinuousEngine nudged(params, net), free(params, net);
  nudged.set_phase(drives[1]);
  free.set_phase(drives[0]);
  std::copy(fp.s.begin(), fp.s.end(), nudged.mutable_state().begin());
  std::copy(fp.s.begin(), fp.s.end(), free.mutable_state().begin());
  std::vector<std::vector<Vec>> out;
  if (nudged_states) nudged_states->push_back(Vec(nudged.state().begin(), nudged.state().end()));
  for (std::uint32_t n = 0; n < steps; ++n) {
    nudged.step();
    free.step();
    if (nudged_states) nudged_states->push_back(Vec(nudged.state().begin(), nudged.state().end()));
    std::vector<Vec> per_layer;
    for (const Layer& l : layers) {
      Vec d(l.size);
      for (std::uint32_t u = 0; u < l.size; ++u) d[u] = nudged.state()[l.offset + u] - free.state()[l.offset + u];
      per_layer.push_back(d);
    }
    out.push_back(per_layer);
  }
  return out;
}

// The deterministic map (sigma = 0) at step size eps.
EngineParams with_eps(const EngineParams& params, double eps) {
  return params.with_dt(eps * params.tau_ms).with_sigma(0.0);
}

// Non-layered structure: connections inside a layer, or skipping one.
std::string structure_problems(const Config& cfg, const std::vector<Layer>& layers) {
  auto index = [&](const std::string& name) -> int {
    for (std::size_t k = 0; k < layers.size(); ++k)
      if (layers[k].name == name) return int(k);
    return int(layers.size());  // inputs and other populations: beyond the last layer
  };
  std::string note;
  for (const ProjectionConfig& p : cfg.projections) {
    const int a = index(p.from), b = index(p.to);
    if (a == b)
      note += (note.empty() ? "" : "; ") + ("`" + p.name + "` connects units inside a layer");
    else if (std::abs(a - b) > 1)
      note += (note.empty() ? "" : "; ") + ("`" + p.name + "` skips a layer");
  }
  return note;
}

}  // namespace

BackpropResult run_backprop(const Config& cfg, Sink& sink, const RunOptions& options) {
  const Stopwatch watch;
  const BackpropExperiment& ex = cfg.experiment_as<BackpropExperiment>();
  BackpropResult result;
  const Network net = build_network(cfg, options.stop);
  const std::vector<PhaseDrive> drives = resolve_phases(cfg, net);
  const std::vector<Layer> layers = find_layers(net, ex.layers);
  const std::size_t L = layers.size();
  result.structure_note = structure_problems(cfg, layers);
  result.layered = result.structure_note.empty();
  const EngineParams params = lower_engine_params(cfg);
  result.reference_eps = params.dt_ms / params.tau_ms;

  for (const Population& p : net.populations)
    sink.write_array("/populations/" + p.name + "/bias", std::span<const double>(net.bias).subspan(p.offset, p.size),
                     {p.size});
  for (std::size_t k = 0; k < net.projections.size(); ++k) sink.write_weights("initial", net.weight_table(k));
  sink.write_attribute("/", "weights_effective",
                       std::string(cfg.model.symmetrise ? "(W + W^T)/2 (Eq. 8)" : "W as given (directed)"));

  // 1. The fixed point and the reference errors.
  const FixedPoint fp = settle(params, cfg.protocol.phases[0], net, drives, layers);
  result.converged = fp.converged;
  const std::vector<Vec> delta = backpropagate(net, fp, drives[1], layers);
  const std::string g = "/analysis/backprop";
  sink.write_attribute(g, "layers", [&] {
    std::string s;
    for (const Layer& l : layers) s += (s.empty() ? "" : ",") + l.name;
    return s;
  }());
  sink.write_attribute(g, "converged", std::int64_t(fp.converged));
  sink.write_attribute(g, "residual", fp.residual);
  sink.write_attribute(g, "layered", std::int64_t(result.layered));
  sink.write_attribute(g, "structure", result.structure_note.empty() ? std::string("layered") : result.structure_note);
  for (const Population& p : net.populations) {
    const Layer l{p.name, p.offset, p.size};
    sink.write_array(g + "/fixed_point/" + p.name, slice(fp.s, l), {p.size});
    sink.write_array(g + "/rho_prime/" + p.name, slice(fp.rho_prime, l), {p.size});
  }
  sink.write_array(g + "/target", slice(drives[1].target, layers[0]), {layers[0].size});
  sink.write_attribute(g + "/target", "beta", drives[1].beta[layers[0].offset]);
  for (std::size_t k = 0; k < L; ++k) {
    sink.write_array(g + "/delta/" + layers[k].name, delta[k], {layers[k].size});
    LayerCheck c;
    c.layer = layers[k].name;
    for (std::uint32_t u = 0; u < layers[k].size; ++u) c.held += fp.held[layers[k].offset + u];
    // A held unit whose drive lies only just beyond its boundary is released by a finite nudge (the
    // reference, rho' = 0, says it stays): the smallest margin tells how small eps must be.
    const Vec margin = slice(fp.margin, layers[k]);
    c.min_margin = std::numeric_limits<double>::quiet_NaN();
    for (double m : margin)
      if (std::isfinite(m) && !(m >= c.min_margin)) c.min_margin = m;
    sink.write_array(g + "/margin/" + layers[k].name, margin, {layers[k].size});
    sink.write_array(g + "/held/" + layers[k].name, Vec{double(c.held)}, {});
    sink.write_array(g + "/min_margin/" + layers[k].name, Vec{c.min_margin}, {});
    result.layers.push_back(c);
  }

  // 2. The discrete map: Delta h_k at step k + 1 against -eps^(k+1) delta_{h_k}, over the eps sweep.
  const std::size_t n_eps = ex.eps.size();
  std::vector<Vec> norms(L, Vec(n_eps)), cosines(L, Vec(n_eps)), errors(L, Vec(n_eps));
  std::vector<Vec> measured(L);
  for (std::size_t e = 0; e < n_eps; ++e) {
    const auto steps = paired_map(with_eps(params, ex.eps[e]), net, drives, fp, layers, std::uint32_t(L));
    for (std::size_t k = 0; k < L; ++k) {
      const Vec& d = steps[k][k];  // layer k at step k + 1
      const Vec expected = scaled(delta[k], -std::pow(ex.eps[e], double(k + 1)));
      norms[k][e] = norm(d);
      cosines[k][e] = cosine(d, scaled(delta[k], -1.0));
      errors[k][e] = relative_error(d, expected);
      measured[k].insert(measured[k].end(), d.begin(), d.end());
    }
    if (options.progress) options.progress(0.3 * double(e + 1) / double(n_eps));
  }
  sink.write_array(g + "/discrete/eps", ex.eps, {n_eps});
  for (std::size_t k = 0; k < L; ++k) {
    const std::string lg = g + "/discrete/" + layers[k].name;
    sink.write_array(lg + "/measured", measured[k], {n_eps, layers[k].size});
    sink.write_array(lg + "/cosine", cosines[k], {n_eps});
    sink.write_array(lg + "/relative_error", errors[k], {n_eps});
    sink.write_array(lg + "/norm", norms[k], {n_eps});
    sink.write_attribute(lg, "step", std::int64_t(k + 1));
    LayerCheck& c = result.layers[k];
    c.cosine = *std::min_element(cosines[k].begin(), cosines[k].end());
    c.relative_error = *std::max_element(errors[k].begin(), errors[k].end());
    c.exponent = loglog_slope(ex.eps, norms[k]);
    sink.write_array(lg + "/exponent", Vec{c.exponent}, {});
  }

  // 3. The smooth (logistic) rate function: the o(eps) terms appear.
  if (ex.logistic) {
    models::RateFunction logistic = params.rate;
    logistic.kind = models::RateKind::logistic;
    const EngineParams pl = params.with_rate(logistic);
    const FixedPoint fpl = settle(pl, cfg.protocol.phases[0], net, drives, layers);
    const std::vector<Vec> deltal = backpropagate(net, fpl, drives[1], layers);
    std::vector<Vec> errl(L, Vec(n_eps));
    for (std::size_t e = 0; e < n_eps; ++e) {
      const auto steps = paired_map(with_eps(pl, ex.eps[e]), net, drives, fpl, layers, std::uint32_t(L));
      for (std::size_t k = 0; k < L; ++k)
        errl[k][e] = relative_error(steps[k][k], scaled(deltal[k], -std::pow(ex.eps[e], double(k + 1))));
    }
    for (std::size_t k = 0; k < L; ++k) {
      sink.write_array(g + "/logistic/" + layers[k].name + "/relative_error", errl[k], {n_eps});
      result.layers[k].logistic_error_small = errl[k].front();
      result.layers[k].logistic_error_large = errl[k].back();
    }
    sink.write_array(g + "/logistic/eps", ex.eps, {n_eps});
  }
  if (options.progress) options.progress(0.4);

  // 4. Continuous time: small eps, Delta h_k(t) ~ -((t/tau)^(k+1)/(k+1)!) delta_{h_k}.
  {
    const EngineParams pc = with_eps(params, ex.ct_eps);
    std::vector<Vec> trajectory;  // the nudged states, steps + 1 of them
    const auto steps = paired_map(pc, net, drives, fp, layers, ex.ct_steps, &trajectory);
    // Eq. 26 along the early nudged trajectory: Delta W_{post,pre} = sum_n (s_post(n+1) - s_post(n))
    // rho(s_pre(n)) for each pair of neighbouring layers, against the back-propagation gradient
    // -delta_post rho(s^_pre)^T (section 3.2: the early weight change approximates SGD).
    for (std::size_t k = 0; k + 1 < L; ++k) {
      const Layer& post = layers[k];
      const Layer& pre = layers[k + 1];
      Vec dw(std::size_t(post.size) * pre.size, 0.0), grad(dw.size());
      for (std::uint32_t n = 0; n < ex.ct_steps; ++n)
        for (std::uint32_t a = 0; a < post.size; ++a) {
          const double post_change = trajectory[n + 1][post.offset + a] - trajectory[n][post.offset + a];
          for (std::uint32_t b = 0; b < pre.size; ++b)
            dw[a * pre.size + b] += post_change * cfg.model.rate.rho(trajectory[n][pre.offset + b]);
        }
      for (std::uint32_t a = 0; a < post.size; ++a)
        for (std::uint32_t b = 0; b < pre.size; ++b)
          grad[a * pre.size + b] = -delta[k][a] * cfg.model.rate.rho(fp.s[pre.offset + b]);
      const std::string wg = g + "/weight_alignment/" + post.name + "-" + pre.name;
      sink.write_array(wg + "/delta_w", dw, {post.size, pre.size});
      sink.write_array(wg + "/gradient", grad, {post.size, pre.size});
      const double c = cosine(dw, grad);
      sink.write_array(wg + "/cosine", Vec{c}, {});
      result.weight_alignment.push_back({post.name + " <- " + pre.name, c});
    }
    Vec t_ms(ex.ct_steps);
    for (std::uint32_t n = 0; n < ex.ct_steps; ++n) t_ms[n] = double(n + 1) * pc.dt_ms;
    sink.write_array(g + "/continuous_time/t_ms", t_ms, {ex.ct_steps});
    for (std::size_t k = 0; k < L; ++k) {
      Vec nrm(ex.ct_steps), theory(ex.ct_steps), cos_t(ex.ct_steps), fit_t, fit_n;
      const double fact = std::tgamma(double(k) + 2.0);
      for (std::uint32_t n = 0; n < ex.ct_steps; ++n) {
        nrm[n] = norm(steps[n][k]);
        theory[n] = std::pow(t_ms[n] / cfg.model.tau_ms, double(k + 1)) / fact * norm(delta[k]);
        cos_t[n] = cosine(steps[n][k], scaled(delta[k], -1.0));
        // "Early t": the last 80 % of the window, past the first steps where the discrete map's
        // binomial C(n, k+1) still differs from n^(k+1)/(k+1)!.
        if (n >= ex.ct_steps / 5 && nrm[n] > 0) fit_t.push_back(t_ms[n]), fit_n.push_back(nrm[n]);
      }
      const std::string lg = g + "/continuous_time/" + layers[k].name;
      sink.write_array(lg + "/norm", nrm, {ex.ct_steps});
      sink.write_array(lg + "/theory_norm", theory, {ex.ct_steps});
      sink.write_array(lg + "/cosine", cos_t, {ex.ct_steps});
      result.layers[k].ct_slope = loglog_slope(fit_t, fit_n);
      sink.write_array(lg + "/slope", Vec{result.layers[k].ct_slope}, {});
    }
  }
  if (options.progress) options.progress(0.5);

  // 5. Noisy engines: trials branched along a free run, paired and unpaired (backprop_branches.hpp):
  // spiking neurons at each r_max, then the continuous engine with Langevin noise at each sigma.
  const std::size_t noisy = ex.spiking_r_max_hz.size() + ex.langevin_sigma.size();
  for (std::size_t r = 0; r < noisy; ++r) {
    const bool spiking = r < ex.spiking_r_max_hz.size();
    Config cs = cfg;  // the network with the transposed index the spiking engine needs
    if (spiking) cs.engine.kind = EngineKind::spiking;
    const Network net_s = build_network(cs, options.stop);
    const BranchSetup setup{ex, layers, delta, drives[0], drives[1], net_s.n_units};
    const auto progress = [&](double done) {
      if (options.progress) options.progress(0.5 + 0.5 * (double(r) + done) / double(noisy));
    };
    BranchResult b;
    if (spiking) {
      const std::string sg = g + "/spiking/" + std::to_string(r);
      const EngineParams ps = params.with_kind(EngineKind::spiking).with_r_max(ex.spiking_r_max_hz[r]);
      if (options.threads > 1 && !options.comm) {  // each branch's network over partitions: the same output
        PartitionedEngine base(ps, net_s, std::min<unsigned>(options.threads, net_s.n_units));
        b = run_branches(base, setup, sg, sink, options, progress);
      } else {  // over ranks, the branches are spread over them (run_branches)
        SpikingEngine base(ps, net_s);
        b = run_branches(base, setup, sg, sink, options, progress);
      }
      sink.write_attribute(sg, "r_max_hz", ex.spiking_r_max_hz[r]);
    } else {
      const double sigma = ex.langevin_sigma[r - ex.spiking_r_max_hz.size()];
      const std::string sg = g + "/langevin/" + std::to_string(r - ex.spiking_r_max_hz.size());
      ContinuousEngine base(params.with_kind(EngineKind::continuous).with_sigma(sigma), net_s);
      b = run_branches(base, setup, sg, sink, options, progress);
      sink.write_attribute(sg, "sigma", sigma);
      sink.write_attribute(sg, "eps", params.dt_ms / params.tau_ms);
    }
    if (!b.complete) return result;
    result.noisy.push_back({spiking ? ex.spiking_r_max_hz[r] : std::nan(""),
                            spiking ? std::nan("") : ex.langevin_sigma[r - ex.spiking_r_max_hz.size()], b.cosine,
                            b.paired, b.unpaired});
    if (spiking)
      for (std::size_t k = 0; k < L; ++k) result.layers[k].spiking_cosine = b.cosine[k];
  }
  result.complete = true;
  result.wall_s = watch.seconds();
  return result;
}

}  // namespace ebsim
