#pragma once
// The synaptic rule of the paper (Eq. 26): Delta W_ij ∝ ds_i/dt * rho(s_j) — the rate of change of
// the postsynaptic state times the presynaptic rate. Discretised per step of the map:
//   Delta W_ij = lr * (s_i(t+1) - s_i(t)) * rho(s_j(t))                 (post: state_derivative)
//   Delta W_ij = lr * (rho(s_i(t+1)) - rho(s_i(t))) * rho(s_j(t))       (post: rate_derivative,
//                                         the discrete d rho(s_i)/dt = rho'(s_i) ds_i/dt)
namespace ebsim::models {

enum class PostFactor { state_derivative, rate_derivative };

// The change of the postsynaptic factor over one step.
template <class Rate>
double post_change(PostFactor post, double s_before, double s_after, const Rate& rate) {
  return post == PostFactor::state_derivative ? s_after - s_before : rate.rho(s_after) - rate.rho(s_before);
}

// Eq. 26 for one synapse over one step.
inline double weight_change(double lr, double post_delta, double pre_rate) { return lr * post_delta * pre_rate; }

}  // namespace ebsim::models
