#include <iostream>

#include "commands.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::cli {
namespace {

std::string human_bytes(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// "weights (store_params = true), ..." or "none".
std::string probe_list(const config::JobConfig& job) {
  std::string out;
  for (const auto& p : job.probes) {
    std::string fields;
    for (const auto& [key, value] : p.spec->fields(*p.options))
      fields += (fields.empty() ? "" : ", ") + key + " = " + value;
    out += (out.empty() ? "" : "; ") + p.name() + (fields.empty() ? "" : " (" + fields + ")");
  }
  return out.empty() ? "none" : out;
}

std::string model_text(const config::JobConfig& job) {
  if (job.model.kind == config::ModelKind::mlp) return "depth " + std::to_string(job.model.depth);
  return std::string("tanh regression") + (job.model.variable_projection ? " (variable projection)" : "");
}

}  // namespace

int validate_command(const std::string& job_path, const config::ProbeCatalog& catalog) {
  const config::JobConfig job = config::load_job(job_path, catalog);
  const auto& g = job.grid;
  const std::int64_t n = config::grid_size(g);
  const auto k = static_cast<std::int64_t>(config::checkpoint_steps(job.train.steps, job.train.checkpoints).size());
  const std::int64_t in = config::input_dim(job.data), out = config::output_dim(job.data);
  std::int64_t wmin = g.width.front(), wmax = g.width.front();
  for (auto w : g.width) wmin = std::min(wmin, w), wmax = std::max(wmax, w);
  std::cout << job_path << ": valid\n"
            << "  points: " << n << " (lr " << g.lr.size() << " x batch " << g.batch.size() << " x width "
            << g.width.size() << (g.bisect > 0 ? " + " + std::to_string(g.bisect) + " bisected" : std::string())
            << " x seed " << g.seed.size() << ")\n"
            << "  data: " << config::to_string(job.data.kind) << ", P = " << job.data.train_size << ", test "
            << job.data.test_size << ", input dim " << in << ", outputs " << out << "\n"
            << "  model: " << model_text(job) << ", parameters " << training::parameter_count(job, wmin) << " to "
            << training::parameter_count(job, wmax) << "\n"
            << "  training: " << job.train.steps << " steps, evaluated at " << k << " checkpoint steps (0 to "
            << job.train.steps << "), " << config::to_string(job.train.optimizer) << ", loss "
            << config::to_string(job.train.loss) << ", " << config::to_string(job.train.dtype)
            << (job.train.importance_sampling()
                    ? ", importance sampling at U = " + shortest_double(job.train.importance_temperature) +
                          " refreshed every " + std::to_string(job.train.importance_refresh) + " steps"
                    : std::string())
            << "\n"
            << "  probes: " << probe_list(job) << "\n"
            << "  store size: about "
            << human_bytes(config::layout::estimate_bytes(config::layout::store_layout(job), job.source_text.size()))
            << "\n";
  return kOk;
}

}  // namespace lsweep::cli
