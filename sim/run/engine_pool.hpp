#pragma once
// Engines of one kind for independent work on threads (the learning experiment's evaluation
// passes): made on first use, handed back after each item and reused, so that there are as many
// as threads use them at once. An engine may keep a pointer to the drive of its phase (the
// continuous engine does, and reads it again at reset), so each comes with a drive of its own that
// lives as long as it does: set the drive, then reset and set_phase with it.
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/engine_factory.hpp"
#include "sim/core/engine_params.hpp"
#include "sim/core/network.hpp"
#include "sim/core/protocol.hpp"

namespace ebsim {

class EnginePool {
 public:
  EnginePool(const EngineParams& params, const Network& net, const std::atomic<bool>* stop, bool integrals)
      : params_(params), net_(net), stop_(stop), integrals_(integrals) {}
  struct Item {
    std::unique_ptr<Engine> engine;
    PhaseDrive drive;
  };
  std::unique_ptr<Item> take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        std::unique_ptr<Item> e = std::move(free_.back());
        free_.pop_back();
        return e;
      }
    }
    auto e = std::make_unique<Item>();
    e->engine = make_engine(params_, net_);
    e->engine->set_stop_flag(stop_);
    if (integrals_) e->engine->enable_integrals();
    return e;
  }
  void give_back(std::unique_ptr<Item> e) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(e));
  }

 private:
  EngineParams params_;
  const Network& net_;
  const std::atomic<bool>* stop_;
  bool integrals_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Item>> free_;
};

}  // namespace ebsim
