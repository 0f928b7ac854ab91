// Stoppable at any moment: SIGINT ends a run within a second, however dense its spiking or however
// large the network it is building, with exit 130 and a readable partial file marked incomplete.
// The runs are the built binary as a child process, signalled as a user's Ctrl-C would.
#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/subprocess.hpp"
#include "tests/support.hpp"

using namespace ebsim;
namespace fs = std::filesystem;

namespace {

// Starts `ebsim run` on `yaml`, waits until the output file exists and `delay` more, sends SIGINT,
// and checks that the run ends with exit 130 within one second and leaves a readable partial file.
void expect_stopped_within_a_second(const std::string& yaml, std::chrono::milliseconds delay,
                                    const std::vector<std::string>& extra_args = {}) {
  test::TempDir dir;
  const std::string cfg = dir.file("cfg.yaml"), out = dir.file("out.h5"), log = dir.file("run.log");
  test::write_file(cfg, yaml);
  std::vector<std::string> args{"run", cfg, "-o", out, "--quiet"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  test::Child run(args, log);
  REQUIRE(test::wait_until([&] { return test::nonempty_file(out + ".partial"); }, 30));
  std::this_thread::sleep_for(delay);
  const auto signalled = std::chrono::steady_clock::now();
  run.signal(SIGINT);
  const auto status = run.wait_for(1.0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  std::ifstream in(log);
  INFO(test::describe_status(status), " after ", seconds, " s\n", std::string(std::istreambuf_iterator<char>(in), {}));
  REQUIRE(test::exited_with(status, 130));
  const H5::H5File file(out + ".partial", H5F_ACC_RDONLY);
  std::int64_t complete = -1;
  file.openAttribute("complete").read(H5::PredType::NATIVE_INT64, &complete);
  CHECK(complete == 0);
  CHECK_FALSE(fs::exists(out));
}

}  // namespace

// A dense spiking run: one 5 ms slice of it is 4.5e7 events.
const char* const kDense = R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms, r_max: 1e9 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 6}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol:
  phases:
    - {name: free, duration: 1000 ms, clamp: {x: [0.3, -0.2, 0.1]}}
record:
  states: {populations: [h], period: 1 ms}
)";

TEST_CASE("SIGINT stops a dense spiking run (r_max = 1e9 Hz) within a second") {
  // The runner looks at the stop flag between slices of simulated time; one slice (5 ms) of this
  // run is 4.5e7 events. The engine looks at it every 4096 events.
  expect_stopped_within_a_second(kDense, std::chrono::milliseconds(300));
}

TEST_CASE("SIGINT stops a run while it builds a large fixed in-degree projection") {
  // 100 targets with 50,000 distinct sources each: 5e6 synapses, built in well under a second,
  // but a membership test linear in k took k^2/2 comparisons per target (over 1e11 in all).
  expect_stopped_within_a_second(R"(
seed: 5
model: {beta1: -0.5, tau: 10 ms}
engine: {kind: continuous, dt: 1 ms}
populations:
  x: {role: input, size: 50000}
  h: {role: hidden, size: 100}
projections:
  - {from: x, to: h, connectivity: {fixed_indegree: 50000}, weights: {uniform: [-0.001, 0.001]}}
protocol:
  phases:
    - {name: free, duration: 1000000 s, clamp: {x: 0}}
record: {weights: false}
)",
                                 std::chrono::milliseconds(300));
}

TEST_CASE("SIGINT stops a sweep running on three threads within a second, with the runs before it in the file") {
  // Three dense spiking runs at once: the writer thread relays the signal to the workers (within
  // 20 ms), hands over what the first run wrote and ends the file incomplete.
  const std::string dense = std::string(kDense) + R"(sweep: {grid: {model.tau: [10 ms, 20 ms]}, replicates: 3}
)";
  expect_stopped_within_a_second(dense, std::chrono::milliseconds(300), {"--jobs", "3"});
}
