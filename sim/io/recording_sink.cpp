#include "sim/io/recording_sink.hpp"

namespace ebsim {

void RecordingSink::replay(Sink& to) {
  for (Call& call : calls_) {
    std::visit(
        [&to](auto& c) {
          using C = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<C, BeginRun>) to.begin_run(c.meta);
          if constexpr (std::is_same_v<C, SetScope>) to.set_scope(c.prefix);
          if constexpr (std::is_same_v<C, DeclareReport>)
            to.declare_report(c.population, c.n_nodes, c.t_start_ms, c.dt_ms);
          if constexpr (std::is_same_v<C, AppendReport>) to.append_report(c.population, c.row);
          if constexpr (std::is_same_v<C, DeclareSpikes>) to.declare_spikes(c.population);
          if constexpr (std::is_same_v<C, AppendSpikes>) to.append_spikes(c.population, c.times_ms, c.node_ids);
          if constexpr (std::is_same_v<C, WriteWeights>) to.write_weights(c.label, c.table);
          if constexpr (std::is_same_v<C, WriteArray>) to.write_array(c.path, c.data, std::move(c.shape));
          if constexpr (std::is_same_v<C, WriteAttribute>) to.write_attribute(c.path, c.name, c.value);
          if constexpr (std::is_same_v<C, EndRun>) to.end_run(c.complete);
        },
        call);
    call = EndRun{false};  // frees the recorded data as soon as it is written
  }
  calls_.clear();
}

}  // namespace ebsim
