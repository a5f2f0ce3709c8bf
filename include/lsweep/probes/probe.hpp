#pragma once
/// \file
/// A probe is one class: its job-file side (config::ProbeSpec: the
/// [probes.NAME] table, the fields a resume compares, its datasets) and its
/// computing side (an observer of each point's training). Adding one is a
/// header/source pair, one line in builtin() (registry.cpp), its tests and
/// its row in docs/store.md; nothing in the store, report, messages or the
/// master changes.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lsweep/config/job_config.hpp"
#include "lsweep/training/pack.hpp"
#include "lsweep/training/trainer.hpp"

namespace lsweep::probes {

class Probe : public config::ProbeSpec {
 public:
  /// A fresh observer for one point of `job` (its state lives for that point only).
  virtual std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job,
                                                           const config::ProbeOptions& options,
                                                           const config::GridPoint& point) const = 0;
};

/// Probes by name: the catalog a job file is parsed with, and the factories
/// of their observers.
class Registry : public config::ProbeCatalog {
 public:
  /// Adds `probe`; throws ConfigError if its name is taken.
  void add(std::shared_ptr<const Probe> probe);
  std::shared_ptr<const config::ProbeSpec> find(const std::string& name) const override;
  std::vector<std::string> names() const override;

 private:
  std::map<std::string, std::shared_ptr<const Probe>> probes_;
};

/// Every defined tensor of `tensors` (parameters() order), flattened and
/// concatenated, on the CPU in `dtype`.
torch::Tensor flatten_to_cpu(const std::vector<torch::Tensor>& tensors, torch::ScalarType dtype);

/// A per-point int64 column the job determines ([N], Role::job, written at
/// creation): `values` by point id.
DatasetSpec job_column(const char* path, std::shared_ptr<const std::vector<double>> values, std::string units,
                       std::string meaning, const config::JobConfig& job);

/// A coordinate the job determines, not per point ([values.size()],
/// Role::job, written at creation): `values` in order.
DatasetSpec coordinate_column(const char* path, std::vector<double> values, std::string units, std::string meaning);

/// The probes of this lsweep.
const Registry& builtin();

/// The observers of the probes `job` enables, for one point, in the job's
/// order. Throws ConfigError for a probe spec with no computing side.
std::vector<std::unique_ptr<training::PointObserver>> observers_for(const config::JobConfig& job,
                                                                    const config::GridPoint& point);

/// Trains `trainer` (built for `point` of `job`) with the job's probes
/// observing, rows following `layout`; `interrupt` as RunOptions::interrupt.
PointRecord run_with_probes(training::Trainer& trainer, const config::JobConfig& job, const config::GridPoint& point,
                            const Layout& layout, const std::atomic<bool>* interrupt = nullptr);

/// The same for a pack: each point with its own observers; the records in
/// the order of the pack's points.
std::vector<PointRecord> run_pack_with_probes(training::PackTrainer& pack, const config::JobConfig& job,
                                              const Layout& layout, const std::atomic<bool>* interrupt = nullptr);

}  // namespace lsweep::probes
