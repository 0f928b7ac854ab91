// Issue 5: the STDP window that Eq. 26 produces as STDP events in spiking neurons.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/support.hpp"
#include "sim/io/memory_sink.hpp"
#include "sim/experiments/stdp_window.hpp"

using namespace ebsim;

TEST_CASE("STDP window: depression for post-before-pre decaying with tau, potentiation for pre-before-post") {
  // With the post state lifted by a pulse p at t_post and decaying with tau (linear range), the
  // window estimate D over [t_pre + d, t_pre + d + T] is, for dt < d (post first),
  // p e^{(dt - d)/tau} (e^{-T/tau} - 1) / T < 0, an exponential in dt with time constant tau; for
  // d < dt <= d + T the jump lies inside the window (> 0); beyond, nothing changes (0).
  const Config cfg = test::config_file(test::source_dir() + "/configs/stdp_window.yaml",
                                      {"experiment.offsets={from: -40 ms, to: 40 ms, step: 5 ms}", "experiment.trials=3"});
  MemorySink sink;
  sink.begin_run(make_metadata(cfg, "test"));
  const StdpWindowResult r = run_stdp_window(cfg, sink, RunOptions{});
  sink.end_run(r.complete);
  REQUIRE(r.complete);
  auto at = [&](double dt) {
    for (std::size_t k = 0; k < r.dt_ms.size(); ++k)
      if (std::abs(r.dt_ms[k] - dt) < 1e-9) return r.mean[k];
    FAIL("no offset " << dt);
    return 0.0;
  };
  CHECK(at(5) > 0);    // pre before post: potentiation
  CHECK(at(10) > 0);
  CHECK(at(-5) < 0);   // post before pre: depression
  CHECK(at(-20) < 0);
  CHECK(std::abs(at(-20)) < std::abs(at(-5)));
  CHECK(at(20) == 0.0);  // the pulse comes after the window closed
  CHECK(at(40) == 0.0);
  // The depression lobe is exactly exponential with the membrane time constant tau = 10 ms.
  REQUIRE(r.depression.fitted);
  CHECK(r.depression.tau_ms == doctest::Approx(10.0).epsilon(0.01));
  CHECK(sink.arrays.count("/analysis/stdp_window/dw_per_pairing"));
}
