#include <torch/torch.h>

#include "lsweep/common/error.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/curvature.hpp"
#include "lsweep/probes/diffusion.hpp"
#include "lsweep/probes/escape.hpp"
#include "lsweep/probes/jamming.hpp"
#include "lsweep/probes/landscape.hpp"
#include "lsweep/probes/noise_split.hpp"
#include "lsweep/probes/probe.hpp"
#include "lsweep/probes/weights.hpp"

namespace lsweep::probes {

void Registry::add(std::shared_ptr<const Probe> probe) {
  const std::string name = probe->name();
  if (!probes_.emplace(name, std::move(probe)).second) throw ConfigError("probe '" + name + "' is registered twice");
}

std::shared_ptr<const config::ProbeSpec> Registry::find(const std::string& name) const {
  const auto it = probes_.find(name);
  return it == probes_.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, probe] : probes_) out.push_back(name);
  return out;
}

torch::Tensor flatten_to_cpu(const std::vector<torch::Tensor>& tensors, torch::ScalarType dtype) {
  std::vector<torch::Tensor> parts;
  for (const auto& t : tensors) {
    if (t.defined()) parts.push_back(t.detach().reshape({-1}));
  }
  if (parts.empty()) return torch::zeros({0}, torch::TensorOptions().dtype(dtype));
  return torch::cat(parts).to(torch::kCPU, dtype).contiguous();
}

DatasetSpec job_column(const char* path, std::shared_ptr<const std::vector<double>> values, std::string units,
                       std::string meaning, const config::JobConfig& job) {
  DatasetSpec s = config::layout::point_scalar(path, std::move(units), std::move(meaning), "", job);
  s.type = ElementType::int64;
  s.fill = 0.0;
  s.role = Role::job;
  s.content = [values] { return *values; };
  return s;
}

DatasetSpec coordinate_column(const char* path, std::vector<double> values, std::string units, std::string meaning) {
  DatasetSpec s;
  s.path = path;
  s.dims = {{Axis::fixed, static_cast<std::int64_t>(values.size())}};
  s.units = std::move(units);
  s.meaning = std::move(meaning);
  s.role = Role::job;
  s.content = [values = std::move(values)] { return values; };
  return s;
}

const Registry& builtin() {
  static const Registry registry = [] {
    Registry r;
    r.add(std::make_shared<CurvatureProbe>());
    r.add(std::make_shared<DiffusionProbe>());
    r.add(std::make_shared<EscapeProbe>());
    r.add(std::make_shared<JammingProbe>());
    r.add(std::make_shared<LandscapeProbe>());
    r.add(std::make_shared<NoiseSplitProbe>());
    r.add(std::make_shared<WeightsProbe>());
    return r;
  }();
  return registry;
}

std::vector<std::unique_ptr<training::PointObserver>> observers_for(const config::JobConfig& job,
                                                                    const config::GridPoint& point) {
  std::vector<std::unique_ptr<training::PointObserver>> out;
  for (const auto& enabled : job.probes) {
    const auto* probe = dynamic_cast<const Probe*>(enabled.spec.get());
    if (!probe) throw ConfigError("probe '" + enabled.name() + "' has no computing side in this lsweep");
    out.push_back(probe->observe(job, *enabled.options, point));
  }
  return out;
}

PointRecord run_with_probes(training::Trainer& trainer, const config::JobConfig& job, const config::GridPoint& point,
                            const Layout& layout, const std::atomic<bool>* interrupt) {
  const auto observers = observers_for(job, point);
  training::RunOptions options;
  options.interrupt = interrupt;
  for (const auto& o : observers) options.observers.push_back(o.get());
  return trainer.run(layout, options);
}

std::vector<PointRecord> run_pack_with_probes(training::PackTrainer& pack, const config::JobConfig& job,
                                              const Layout& layout, const std::atomic<bool>* interrupt) {
  std::vector<std::vector<std::unique_ptr<training::PointObserver>>> observers;
  std::vector<training::RunOptions> options(pack.size());
  for (std::size_t k = 0; k < pack.size(); ++k) {
    observers.push_back(observers_for(job, pack.point(k)));
    options[k].interrupt = interrupt;
    for (const auto& o : observers.back()) options[k].observers.push_back(o.get());
  }
  return pack.run(layout, options);
}

}  // namespace lsweep::probes
