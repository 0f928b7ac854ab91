#include "sim/experiments/plastic_pair_config.hpp"

#include "sim/io/yaml_reader.hpp"

namespace ebsim {

const ProjectionConfig& read_plastic_pair(MapReader& m, const Config& cfg, bool pre_single, std::string& pre_name,
                                          std::string& post_name, std::string& projection) {
  pre_name = m.string("pre");
  post_name = m.string("post");
  const PopulationConfig& pre = find_population(cfg, m, "pre", pre_name);
  const PopulationConfig& post = find_population(cfg, m, "post", post_name);
  if (pre.role != Role::input || (pre_single && pre.size != 1))
    m.fail(m.node()["pre"], m.key_path("pre"),
           pre_single ? "expected an input population of one unit" : "expected an input population");
  if (post.role == Role::input || post.size != 1)
    m.fail(m.node()["post"], m.key_path("post"), "expected a hidden or output population of one unit");
  projection = m.string("projection", pre_name + "->" + post_name);
  const ProjectionConfig* proj = nullptr;
  for (const ProjectionConfig& p : cfg.projections)
    if (p.name == projection) proj = &p;
  if (!proj || proj->from != pre_name || proj->to != post_name)
    m.fail(m.node(), m.key_path("projection"),
           "expected the name of a projection from `" + pre_name + "` to `" + post_name + "`");
  if (!proj->plasticity)
    m.fail(m.node(), m.key_path("projection"), "projection `" + projection + "` has no plasticity");
  if (cfg.engine.kind != EngineKind::spiking)
    m.fail(m.node(), m.key_path("kind"), "this experiment needs engine.kind: spiking");
  return *proj;
}

}  // namespace ebsim
