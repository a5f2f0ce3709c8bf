#include "lsweep/config/job_diff.hpp"

#include <map>
#include <set>
#include <sstream>

#include "lsweep/common/format.hpp"

namespace lsweep::config {
namespace {

std::string text(double v) { return shortest_double(v); }
std::string text(std::int64_t v) { return std::to_string(v); }
std::string text(bool v) { return v ? "true" : "false"; }
template <typename E, typename = decltype(to_string(E{}))>
std::string text(E v) {
  return std::string("\"") + to_string(v) + "\"";
}
template <typename T>
std::string text(const std::vector<T>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + text(values[i]);
  return out + "]";
}
std::string batches(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i ? ", " : "") + (values[i] == kFullBatch ? std::string("\"full\"") : std::to_string(values[i]));
  }
  return out + "]";
}

class Differences {
 public:
  template <typename T>
  void compare(const char* field, const T& stored, const T& current) {
    if (!(stored == current))
      lines_.push_back(std::string(field) + ": store has " + text(stored) + ", job has " + text(current));
  }
  void compare_text(const char* field, const std::string& stored, const std::string& current) {
    if (stored != current) lines_.push_back(std::string(field) + ": store has " + stored + ", job has " + current);
  }
  std::vector<std::string> lines() && { return std::move(lines_); }

 private:
  std::vector<std::string> lines_;
};

std::map<std::string, std::string> probe_fields(const EnabledProbe& p) {
  std::map<std::string, std::string> out;
  for (auto& [key, value] : p.spec->fields(*p.options)) out[key] = value;
  return out;
}

// A probe on one side only, or any of its fields different.
void compare_probes(Differences& d, const JobConfig& s, const JobConfig& c) {
  std::set<std::string> names;
  for (const auto& p : s.probes) names.insert(p.name());
  for (const auto& p : c.probes) names.insert(p.name());
  for (const auto& name : names) {
    const EnabledProbe* a = s.probe(name);
    const EnabledProbe* b = c.probe(name);
    const std::string table = "probes." + name;
    if (!a || !b) {
      d.compare_text(table.c_str(), a ? "[" + table + "]" : "no [" + table + "]",
                     b ? "[" + table + "]" : "no [" + table + "]");
      continue;
    }
    const auto fa = probe_fields(*a), fb = probe_fields(*b);
    std::set<std::string> keys;
    for (const auto& [k, v] : fa) keys.insert(k);
    for (const auto& [k, v] : fb) keys.insert(k);
    for (const auto& key : keys) {
      const auto ia = fa.find(key), ib = fb.find(key);
      d.compare_text((table + "." + key).c_str(), ia == fa.end() ? "(none)" : ia->second,
                     ib == fb.end() ? "(none)" : ib->second);
    }
  }
}

}  // namespace

std::vector<std::string> job_differences(const JobConfig& s, const JobConfig& c) {
  Differences d;
  d.compare("grid.lr", s.grid.lr, c.grid.lr);
  d.compare_text("grid.batch", batches(s.grid.batch), batches(c.grid.batch));
  d.compare("grid.width", s.grid.width, c.grid.width);
  d.compare("grid.seed", s.grid.seed, c.grid.seed);
  d.compare("grid.bisect", s.grid.bisect, c.grid.bisect);
  d.compare("data.kind", s.data.kind, c.data.kind);
  d.compare("data.train_size", s.data.train_size, c.data.train_size);
  d.compare("data.test_size", s.data.test_size, c.data.test_size);
  d.compare("data.binary", s.data.binary, c.data.binary);
  d.compare("data.pca", s.data.pca, c.data.pca);
  d.compare("data.normalize", s.data.normalize, c.data.normalize);
  d.compare("data.dim", s.data.dim, c.data.dim);
  d.compare("data.seed", s.data.seed, c.data.seed);
  d.compare("data.x_min", s.data.x_min, c.data.x_min);
  d.compare("data.x_max", s.data.x_max, c.data.x_max);
  d.compare("data.noise", s.data.noise, c.data.noise);
  d.compare("data.teacher_alpha", s.data.teacher_alpha, c.data.teacher_alpha);
  d.compare("data.teacher_w", s.data.teacher_w, c.data.teacher_w);
  d.compare("data.teacher_b", s.data.teacher_b, c.data.teacher_b);
  d.compare("model.kind", s.model.kind, c.model.kind);
  d.compare("model.depth", s.model.depth, c.model.depth);
  d.compare("model.init", s.model.init, c.model.init);
  d.compare("model.variable_projection", s.model.variable_projection, c.model.variable_projection);
  d.compare("train.loss", s.train.loss, c.train.loss);
  d.compare("train.optimizer", s.train.optimizer, c.train.optimizer);
  d.compare("train.momentum", s.train.momentum, c.train.momentum);
  d.compare("train.betas", std::vector<double>{s.train.beta1, s.train.beta2},
            std::vector<double>{c.train.beta1, c.train.beta2});
  d.compare("train.eps", s.train.eps, c.train.eps);
  d.compare("train.lr_decay.factor", s.train.lr_decay.factor, c.train.lr_decay.factor);
  d.compare("train.lr_decay.every", s.train.lr_decay.every, c.train.lr_decay.every);
  d.compare("train.lr_decay.floor", s.train.lr_decay.floor, c.train.lr_decay.floor);
  d.compare("train.weight_decay", s.train.weight_decay, c.train.weight_decay);
  d.compare("train.steps", s.train.steps, c.train.steps);
  d.compare("train.dtype", s.train.dtype, c.train.dtype);
  d.compare("train.checkpoints", s.train.checkpoints, c.train.checkpoints);
  d.compare("train.importance_temperature", s.train.importance_temperature, c.train.importance_temperature);
  d.compare("train.importance_refresh", s.train.importance_refresh, c.train.importance_refresh);
  compare_probes(d, s, c);
  return std::move(d).lines();
}

}  // namespace lsweep::config
