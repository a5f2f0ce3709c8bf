#include "lsweep/config/job_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/config/grid.hpp"
#include "toml_reader.hpp"

namespace lsweep::config {
namespace {

using detail::TableReader;

constexpr std::int64_t kMaxWidth = 1 << 20;
constexpr std::int64_t kMaxAxis = 100000;
constexpr std::int64_t kMaxPoints = 10000000;
constexpr std::size_t kMaxJobBytes = 60000;
// Integer axes pass through double: 2^53 keeps every seed exact.
constexpr std::int64_t kMaxSeed = std::int64_t{1} << 53;

std::string file_kind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

// One grid axis: a non-empty list, or a range table {from, to, num, spacing}.
struct AxisRule {
  bool integer = false;
  double lo = 0.0;
  bool lo_open = false;
  double hi = 0.0;
  bool allow_full = false;  // the string "full" (batch only)
};

std::string axis_allowed(const AxisRule& rule) {
  const auto bound = [&](double v) {
    return rule.integer ? std::to_string(static_cast<std::int64_t>(v)) : shortest_double(v);
  };
  return std::string("allowed: ") + (rule.integer ? "an integer" : "a finite number") +
         (rule.lo_open ? " > " : " >= ") + bound(rule.lo) + " and <= " + bound(rule.hi) +
         (rule.allow_full ? ", or \"full\"" : "");
}

double axis_value(TableReader& r, const toml::node& node, const std::string& name, const AxisRule& rule) {
  if (rule.allow_full) {
    if (const auto* s = node.as_string(); s && s->get() == "full") return static_cast<double>(kFullBatch);
  }
  std::optional<double> v;
  bool exact = true;  // an integer beyond 2^53 would be rounded by the double
  if (const auto* i = node.as_integer()) {
    v = static_cast<double>(i->get());
    exact = i->get() <= (std::int64_t{1} << 53) && i->get() >= -(std::int64_t{1} << 53);
  }
  if (const auto* f = node.as_floating_point(); f && !rule.integer) v = f->get();
  if (!v || !exact || !std::isfinite(*v) || *v > rule.hi || (rule.lo_open ? *v <= rule.lo : *v < rule.lo)) {
    r.fail(node, name, axis_allowed(rule));
  }
  return *v;
}

std::vector<double> axis_range(TableReader& parent, const toml::table& range, const std::string& key,
                               const AxisRule& rule) {
  TableReader r(range, parent.origin(), parent.field(key));
  const toml::node* from = r.find("from");
  const toml::node* to = r.find("to");
  if (!from) r.fail_missing("from", axis_allowed(rule));
  if (!to) r.fail_missing("to", axis_allowed(rule));
  const auto num = r.integer("num", 1, kMaxAxis);
  if (!num) r.fail_missing("num", "allowed: an integer from 1 to " + std::to_string(kMaxAxis));
  const auto spacing = r.choice("spacing", {"log", "linear"}).value_or(0);
  r.reject_unknown({"from", "to", "num", "spacing"});
  AxisRule plain = rule;
  plain.allow_full = false;
  const bool log_needs_positive = spacing == 0 && plain.lo <= 0.0;
  if (log_needs_positive) plain.lo_open = true;
  const auto end_value = [&](const toml::node& node, const std::string& name) {
    try {
      return axis_value(r, node, name, plain);
    } catch (const ConfigError& e) {
      // The hint only where positivity is the reason: a finite number <= 0.
      const auto v = node.value<double>();
      if (!log_needs_positive || !v || !std::isfinite(*v) || *v > 0.0) throw;
      throw ConfigError(std::string(e.what()) + " (log spacing needs values > 0; for 0 use spacing = \"linear\")");
    }
  };
  const double a = end_value(*from, r.field("from"));
  const double b = end_value(*to, r.field("to"));
  auto values = spaced_values(a, b, *num, spacing == 0);
  if (rule.integer) {
    for (auto& v : values) v = std::round(v);
  }
  return values;
}

std::vector<double> axis(TableReader& r, const std::string& key, const AxisRule& rule,
                         std::optional<std::vector<double>> fallback) {
  const std::string shape =
      "allowed: a non-empty list, or a range { from = A, to = B, num = N, "
      "spacing = \"log\" | \"linear\" }";
  const toml::node* node = r.find(key);
  if (!node) {
    if (fallback) return *fallback;
    r.fail_missing(key, shape);
  }
  std::vector<double> values;
  const toml::array* array = node->as_array();
  if (const auto* table = node->as_table()) {
    values = axis_range(r, *table, key, rule);
  } else if (array) {
    if (array->empty()) r.fail(*node, r.field(key), shape);
    for (std::size_t i = 0; i < array->size(); ++i) {
      values.push_back(axis_value(r, *array->get(i), r.field(key) + "[" + std::to_string(i) + "]", rule));
    }
  } else {
    r.fail(*node, r.field(key), shape);
  }
  if (static_cast<std::int64_t>(values.size()) > kMaxAxis) {
    throw ConfigError(r.origin() + ": " + r.field(key) + " has " + std::to_string(values.size()) +
                      " values: allowed at most " + std::to_string(kMaxAxis));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (values[i] == values[j]) {
        // What the user wrote ("full", not 0); a range shows the rounded value.
        const std::string v = array          ? detail::show(*array->get(i))
                              : rule.integer ? std::to_string(static_cast<std::int64_t>(values[i]))
                                             : shortest_double(values[i]);
        throw ConfigError(r.origin() + ": " + r.field(key) + "[" + std::to_string(i) + "] = " + v + ": repeats " +
                          r.field(key) + "[" + std::to_string(j) + "]" +
                          (node->is_table() ? " once the range is rounded to integers" : "") +
                          "; allowed: distinct values (a repeated value would train the same point twice)");
      }
    }
  }
  return values;
}

std::vector<std::int64_t> as_integers(const std::vector<double>& values) { return {values.begin(), values.end()}; }

GridConfig parse_grid(TableReader& r) {
  GridConfig g;
  g.lr = axis(r, "lr", {false, 0.0, true, 1e6, false}, std::nullopt);
  g.batch = as_integers(axis(r, "batch", {true, 1, false, 1e9, true}, std::nullopt));
  g.width = as_integers(axis(r, "width", {true, 1, false, kMaxWidth, false}, std::nullopt));
  g.seed =
      as_integers(axis(r, "seed", {true, 0, false, static_cast<double>(kMaxSeed), false}, std::vector<double>{0.0}));
  g.bisect = r.integer("bisect", 0, 16).value_or(0);
  if (g.bisect > 0 && g.width.size() < 2) {
    r.fail(*r.find("bisect"), r.field("bisect"),
           "needs at least two widths in grid.width (the bisection starts from their brackets); allowed: 0 with a "
           "single width");
  }
  r.reject_unknown({"lr", "batch", "width", "seed", "bisect"});
  return g;
}

// A non-empty list of at most kMaxTeacherUnits finite numbers with |v| <= 1e6.
constexpr std::size_t kMaxTeacherUnits = 1024;
std::vector<double> number_list(TableReader& r, const std::string& key) {
  const std::string allowed =
      "allowed: a list of 1 to " + std::to_string(kMaxTeacherUnits) + " finite numbers, each >= -1e6 and <= 1e6";
  const toml::node* node = r.find(key);
  if (!node) r.fail_missing(key, allowed);
  const toml::array* a = node->as_array();
  if (!a || a->empty() || a->size() > kMaxTeacherUnits) r.fail(*node, r.field(key), allowed);
  std::vector<double> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto v = a->get(i)->value<double>();
    if (!v || a->get(i)->is_boolean() || !std::isfinite(*v) || std::abs(*v) > 1e6) {
      r.fail(*a->get(i), r.field(key) + "[" + std::to_string(i) + "]", "allowed: a finite number >= -1e6 and <= 1e6");
    }
    out.push_back(*v);
  }
  return out;
}

// The tanh_teacher keys: the input interval, the noise and the teacher's units.
void parse_teacher(TableReader& r, DataConfig& d) {
  for (const char* key : {"binary", "pca", "normalize", "dim", "path"}) {
    if (const toml::node* node = r.find(key)) {
      r.fail(*node, r.field(key),
             "not for kind = \"tanh_teacher\" (one input x, real targets y); allowed keys: train_size, test_size, "
             "seed, x_min, x_max, noise, teacher_alpha, teacher_w, teacher_b");
    }
  }
  d.seed = r.integer("seed", 0, kMaxSeed).value_or(0);
  d.x_min = r.number("x_min", -1e6, 1e6, false).value_or(-1.0);
  d.x_max = r.number("x_max", -1e6, 1e6, false).value_or(1.0);
  if (!(d.x_max > d.x_min)) {
    const std::string key = r.find("x_max") ? "x_max" : "x_min";
    r.fail(*r.find(key), r.field(key), "allowed: x_max > x_min (" + shortest_double(d.x_min) + ")");
  }
  d.noise = r.number("noise", 0.0, 1e6, false).value_or(0.0);
  d.teacher_alpha = number_list(r, "teacher_alpha");
  d.teacher_w = number_list(r, "teacher_w");
  d.teacher_b = number_list(r, "teacher_b");
  for (const char* key : {"teacher_w", "teacher_b"}) {
    const auto& v = std::string(key) == "teacher_w" ? d.teacher_w : d.teacher_b;
    if (v.size() != d.teacher_alpha.size()) {
      r.fail(*r.find(key), r.field(key),
             "allowed: as many values as data.teacher_alpha (" + std::to_string(d.teacher_alpha.size()) + ")");
    }
  }
}

DataConfig parse_data(TableReader& r) {
  DataConfig d;
  const auto kind = r.choice("kind", {"fashion_mnist", "gaussian", "tanh_teacher"});
  if (!kind) r.fail_missing("kind", "allowed: \"fashion_mnist\", \"gaussian\" or \"tanh_teacher\"");
  d.kind = static_cast<DataKind>(*kind);
  const bool fashion = d.kind == DataKind::fashion_mnist;
  const std::int64_t max_train = fashion ? kFashionTrainCount : 10000000;
  const std::int64_t max_test = fashion ? kFashionTestCount : 10000000;
  const auto train = r.integer("train_size", 1, max_train);
  if (!train) r.fail_missing("train_size", "allowed: an integer from 1 to " + std::to_string(max_train));
  d.train_size = *train;
  d.test_size = r.integer("test_size", 0, max_test).value_or(fashion ? kFashionTestCount : 0);
  if (d.kind == DataKind::tanh_teacher) {
    parse_teacher(r, d);
    r.reject_unknown({"kind", "train_size", "test_size", "seed", "x_min", "x_max", "noise", "teacher_alpha",
                      "teacher_w", "teacher_b"});
    return d;
  }
  for (const char* key : {"x_min", "x_max", "noise", "teacher_alpha", "teacher_w", "teacher_b"}) {
    if (const toml::node* node = r.find(key)) r.fail(*node, r.field(key), "only for kind = \"tanh_teacher\"");
  }
  const toml::node* binary = r.find("binary");
  d.binary = r.boolean("binary").value_or(!fashion);
  if (!fashion && !d.binary) r.fail(*binary, r.field("binary"), "the gaussian set has +-1 labels only; allowed: true");
  if (fashion) {
    d.path = r.string("path").value_or(kDefaultFashionMnistPath);
    if (r.find("dim"))
      r.fail(*r.find("dim"), r.field("dim"),
             "only for kind = \"gaussian\"; Fashion-MNIST has 784 pixels (use pca to reduce)");
    if (r.find("seed"))
      r.fail(*r.find("seed"), r.field("seed"),
             "only for kind = \"gaussian\"; the Fashion-MNIST subset is the first train_size images, not sampled");
  } else {
    if (r.find("path")) r.fail(*r.find("path"), r.field("path"), "only for kind = \"fashion_mnist\"");
    const auto dim = r.integer("dim", 1, 1000000);
    if (!dim) r.fail_missing("dim", "allowed: an integer from 1 to 1000000 (input dimension d)");
    d.dim = *dim;
    d.seed = r.integer("seed", 0, kMaxSeed).value_or(0);
  }
  const std::int64_t features = fashion ? kFashionPixels : d.dim;
  d.pca = r.integer("pca", 0, std::min(features, d.train_size)).value_or(0);
  d.normalize = r.boolean("normalize").value_or(false);
  r.reject_unknown({"kind", "train_size", "test_size", "binary", "pca", "normalize", "dim", "seed", "path"});
  return d;
}

ModelConfig parse_model(TableReader& r, const DataConfig& data) {
  ModelConfig m;
  m.kind = static_cast<ModelKind>(r.choice("kind", {"mlp", "tanh"}).value_or(0));
  if (m.kind == ModelKind::tanh) {
    if (data.kind != DataKind::tanh_teacher) {
      r.fail(*r.find("kind"), r.field("kind"),
             "needs one input: data.kind = \"tanh_teacher\"; allowed with data.kind = \"" +
                 std::string(to_string(data.kind)) + "\": \"mlp\"");
    }
    for (const char* key : {"depth", "init"}) {
      if (const toml::node* node = r.find(key)) {
        r.fail(*node, r.field(key),
               "only for kind = \"mlp\" (the tanh model is one layer of tanh units with its own initialisation)");
      }
    }
    m.variable_projection = r.boolean("variable_projection").value_or(false);
  } else {
    if (const toml::node* node = r.find("variable_projection")) {
      r.fail(*node, r.field("variable_projection"), "only for kind = \"tanh\"");
    }
    m.depth = r.integer("depth", 1, 64).value_or(2);
    m.init = r.choice("init", {"pytorch", "orthogonal"}).value_or(0) == 0 ? InitKind::pytorch : InitKind::orthogonal;
  }
  r.reject_unknown({"kind", "depth", "init", "variable_projection"});
  return m;
}

TrainConfig parse_train(TableReader& r, const DataConfig& data) {
  TrainConfig t;
  const auto loss = r.choice("loss", {"cross_entropy", "mse", "quadratic_hinge"});
  if (!loss) r.fail_missing("loss", "allowed: \"cross_entropy\", \"mse\" or \"quadratic_hinge\"");
  t.loss = static_cast<LossKind>(*loss);
  if (data.kind == DataKind::tanh_teacher && t.loss != LossKind::mse) {
    r.fail(*r.find("loss"), r.field("loss"),
           "data.kind = \"tanh_teacher\" is a regression on real targets; allowed: \"mse\"");
  }
  if (t.loss == LossKind::quadratic_hinge && !data.binary) {
    r.fail(*r.find("loss"), r.field("loss"),
           "needs binary labels (data.binary = true or data.kind = \"gaussian\"); allowed with 10 "
           "classes: \"cross_entropy\" or \"mse\"");
  }
  t.optimizer = static_cast<OptimizerKind>(r.choice("optimizer", {"sgd", "adam"}).value_or(0));
  const bool adam = t.optimizer == OptimizerKind::adam;
  t.momentum = r.number("momentum", 0.0, 0.999999, false).value_or(0.0);
  if (adam && t.momentum != 0.0) {
    r.fail(*r.find("momentum"), r.field("momentum"),
           "only for optimizer = \"sgd\"; Adam's moments are set by train.betas; allowed with Adam: 0 or absent");
  }
  t.weight_decay = r.number("weight_decay", 0.0, 1.0, false).value_or(0.0);
  if (const toml::node* betas = r.find("betas")) {
    if (!adam) r.fail(*betas, r.field("betas"), "only for optimizer = \"adam\"");
    const toml::array* a = betas->as_array();
    const auto beta = [&](std::size_t i) { return a->get(i)->value<double>(); };
    if (!a || a->size() != 2 || !beta(0) || !beta(1) || !(*beta(0) >= 0.0 && *beta(0) < 1.0) ||
        !(*beta(1) >= 0.0 && *beta(1) < 1.0)) {
      r.fail(*betas, r.field("betas"), "allowed: two numbers [beta1, beta2], each >= 0 and < 1");
    }
    t.beta1 = *beta(0);
    t.beta2 = *beta(1);
  }
  if (r.find("eps") && !adam) r.fail(*r.find("eps"), r.field("eps"), "only for optimizer = \"adam\"");
  t.eps = r.number("eps", 0.0, 1.0, true).value_or(1e-8);
  if (const toml::table* decay = r.table("lr_decay")) {
    TableReader d(*decay, r.origin(), r.field("lr_decay"));
    const auto factor = d.number("factor", 1.0, 1e6, true);
    if (!factor) d.fail_missing("factor", "allowed: a number > 1 (the rate is divided by it every `every` steps)");
    const auto every = d.integer("every", 1, 1000000000);
    if (!every) d.fail_missing("every", "allowed: an integer from 1 to 1000000000 (steps between divisions)");
    t.lr_decay = {*factor, *every, d.number("floor", 0.0, 1e6, false).value_or(0.0)};
    d.reject_unknown({"factor", "every", "floor"});
  }
  const auto steps = r.integer("steps", 1, 1000000000);
  if (!steps) r.fail_missing("steps", "allowed: an integer from 1 to 1000000000");
  t.steps = *steps;
  t.dtype = r.choice("dtype", {"float32", "float64"}).value_or(0) == 0 ? DType::float32 : DType::float64;
  t.checkpoints = r.integer("checkpoints", 1, 10000).value_or(20);
  t.threads = r.integer("threads", 1, 256).value_or(1);
  t.device = static_cast<DeviceKind>(r.choice("device", {"cpu", "cuda", "auto"}).value_or(0));
  t.point_time_limit = r.number("point_time_limit", 0.0, 1e9, false).value_or(0.0);
  t.cuda_graphs = r.boolean("cuda_graphs").value_or(true);
  t.pack = r.integer("pack", 1, 4096).value_or(1);
  t.team = r.integer("team", 1, 1024).value_or(1);
  if (t.pack > 1 && t.team > 1) {
    r.fail(*r.find("team"), r.field("team"),
           "cannot be combined with train.pack = " + std::to_string(t.pack) +
               "; allowed: packs (several points per worker) or teams (several workers per point), not both");
  }
  if (t.pack > 1 && (adam || t.lr_decay.active())) {
    r.fail(*r.find("pack"), r.field("pack"),
           std::string("cannot be combined with ") + (adam ? "train.optimizer = \"adam\"" : "train.lr_decay") +
               " (a pack takes plain SGD steps at a fixed rate); allowed: 1");
  }
  t.importance_temperature = r.number("importance_temperature", 0.0, 1e300, true).value_or(0.0);
  if (const toml::node* refresh = r.find("importance_refresh"); refresh && !t.importance_sampling()) {
    r.fail(*refresh, r.field("importance_refresh"),
           "only with train.importance_temperature (the weights' temperature U); allowed without it: absent");
  }
  t.importance_refresh = r.integer("importance_refresh", 1, 1000000000).value_or(1);
  r.reject_unknown({"loss", "optimizer", "momentum", "weight_decay", "betas", "eps", "lr_decay", "steps", "dtype",
                    "checkpoints", "threads", "device", "point_time_limit", "cuda_graphs", "pack", "team",
                    "importance_temperature", "importance_refresh"});
  return t;
}

void check_batches(const TableReader& r, const GridConfig& grid, const DataConfig& data) {
  const bool has_full = std::count(grid.batch.begin(), grid.batch.end(), kFullBatch) > 0;
  for (std::size_t i = 0; i < grid.batch.size(); ++i) {
    if (has_full && grid.batch[i] == data.train_size) {
      throw ConfigError(
          r.origin() + ": grid.batch[" + std::to_string(i) + "] = " + std::to_string(grid.batch[i]) +
          ": equals data.train_size, the same as \"full\" in the same list; allowed: distinct batch sizes");
    }
    if (grid.batch[i] > data.train_size) {
      throw ConfigError(r.origin() + ": grid.batch[" + std::to_string(i) + "] = " + std::to_string(grid.batch[i]) +
                        ": allowed: at most data.train_size = " + std::to_string(data.train_size) + ", or \"full\"");
    }
  }
}

// grid.bisect chooses widths from the jamming probe's results, one point per
// worker; each extra width is a free width in the rows reserved for it.
void check_bisect(const TableReader& r, const JobConfig& job) {
  if (job.grid.bisect == 0) return;
  const std::string head = r.origin() + ": grid.bisect = " + std::to_string(job.grid.bisect) + ": ";
  if (!job.probe("jamming")) {
    throw ConfigError(head +
                      "needs [probes.jamming] (the bisection follows whether the seeds fit); allowed: 0 "
                      "without it");
  }
  if (job.probe("weights")) {
    throw ConfigError(head +
                      "cannot be combined with [probes.weights] (its rows are packed by the width, fixed "
                      "when the store is made); allowed: 0 with it");
  }
  if (job.train.pack > 1) {
    throw ConfigError(head + "cannot be combined with train.pack = " + std::to_string(job.train.pack) +
                      " (packs group points by width); allowed: train.pack = 1");
  }
}

// The tanh model trains one point per worker: a pack stacks MLP layers.
void check_tanh_model(TableReader& root, const JobConfig& job) {
  if (job.model.kind != ModelKind::tanh || job.train.pack == 1) return;
  TableReader train(*root.table("train"), root.origin(), "train");
  train.fail(*train.find("pack"), train.field("pack"),
             "cannot be combined with model.kind = \"tanh\" (a pack stacks the layers of MLPs); allowed: 1");
}

// The grid and the job text must fit the store: one row per point, and the
// job text in an attribute (HDF5 keeps attributes under 64 KiB by default).
void check_sizes(const std::string& origin, const JobConfig& job) {
  const auto& g = job.grid;
  const double points = static_cast<double>(g.lr.size()) * static_cast<double>(g.batch.size()) *
                        static_cast<double>(static_cast<std::int64_t>(g.width.size()) + g.bisect) *
                        static_cast<double>(g.seed.size());
  if (points > static_cast<double>(kMaxPoints)) {
    throw ConfigError(origin + ": the grid has " + std::to_string(g.lr.size()) + " lr x " +
                      std::to_string(g.batch.size()) + " batch x " +
                      std::to_string(static_cast<std::int64_t>(g.width.size()) + g.bisect) + " width x " +
                      std::to_string(g.seed.size()) + " seed = " + shortest_double(points) +
                      " points: allowed at most " + std::to_string(kMaxPoints) + " (split the sweep)");
  }
  if (job.source_text.size() > kMaxJobBytes) {
    throw ConfigError(origin + ": the job file has " + std::to_string(job.source_text.size()) +
                      " bytes: allowed at most " + std::to_string(kMaxJobBytes) +
                      " (it is stored in the store; write long lists as ranges)");
  }
}

std::vector<EnabledProbe> parse_probes(TableReader& root, const JobConfig& job, const ProbeCatalog& catalog) {
  std::vector<EnabledProbe> out;
  const toml::table* probes = root.table("probes");
  if (!probes) return out;
  TableReader all(*probes, root.origin(), "probes");
  const auto known = catalog.names();
  const std::string allowed = known.empty() ? "this lsweep has no probes" : "allowed: " + detail::join(known);
  for (const auto& name : all.keys()) {
    const toml::node* node = all.find(name);
    const auto spec = catalog.find(name);
    if (!spec) all.fail(*node, all.field(name), "no such probe; " + allowed);
    const toml::table* table = all.table(name);
    TableReader r(*table, root.origin(), all.field(name));
    OptionTable options(r);
    out.push_back({spec, spec->parse(options, job)});
    r.reject_unknown();
  }
  return out;
}

template <typename Parse>
auto section(TableReader& root, const std::string& key, Parse parse) {
  const toml::table* table = root.table(key);
  if (!table) root.fail_missing(key, "allowed: a table [" + key + "]");
  TableReader r(*table, root.origin(), key);
  return parse(r);
}

}  // namespace

const EnabledProbe* JobConfig::probe(const std::string& probe_name) const {
  for (const auto& p : probes) {
    if (p.name() == probe_name) return &p;
  }
  return nullptr;
}

JobConfig parse_job(std::string_view text, const std::string& origin, const ProbeCatalog& catalog) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw ConfigError(origin + ":" + std::to_string(e.source().begin.line) +
                      ": not valid TOML: " + std::string(e.description()));
  }
  TableReader root(doc, origin, "");
  JobConfig job;
  job.source_text = std::string(text);
  job.name = root.string("name").value_or("sweep");
  job.data = section(root, "data", parse_data);
  job.grid = section(root, "grid", parse_grid);
  job.model = root.table("model") ? section(root, "model", [&](TableReader& r) { return parse_model(r, job.data); })
                                  : ModelConfig{};
  job.train = section(root, "train", [&](TableReader& r) { return parse_train(r, job.data); });
  check_batches(root, job.grid, job.data);
  job.probes = parse_probes(root, job, catalog);
  check_bisect(root, job);
  check_tanh_model(root, job);
  root.reject_unknown({"name", "grid", "data", "model", "train", "probes"});
  check_sizes(origin, job);
  return job;
}

std::string read_job_text(const std::string& path) {
  const std::string name = "job file '" + path + "'";
  if (path.empty()) throw ConfigError("job file = '': allowed: the path of a TOML job file");
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked on
  // the opened file, so it cannot change between the check and the read.
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw ConfigError(name + " cannot be read: " + std::strerror(errno));
  struct stat st {};
  const bool ok = fstat(fd, &st) == 0;
  const auto fail = [&](const std::string& why) {
    close(fd);
    throw ConfigError(name + " " + why);
  };
  if (!ok) fail(std::string("cannot be examined: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail("is a folder; allowed: a job file (TOML)");
  if (!S_ISREG(st.st_mode)) fail("is " + file_kind(st.st_mode) + ", not a regular file; allowed: a job file (TOML)");
  if (static_cast<std::size_t>(st.st_size) > kMaxJobBytes) {
    fail("has " + std::to_string(st.st_size) + " bytes: allowed at most " + std::to_string(kMaxJobBytes) +
         " (it is stored in the store; write long lists as ranges)");
  }
  std::string text(kMaxJobBytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {  // at most one byte past the limit, even if the file grows meanwhile
    const ssize_t n = read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  if (got > kMaxJobBytes)
    throw ConfigError(name + " grew beyond " + std::to_string(kMaxJobBytes) + " bytes while read");
  text.resize(got);
  return text;
}

JobConfig load_job(const std::string& path, const ProbeCatalog& catalog) {
  return parse_job(read_job_text(path), path, catalog);
}

std::int64_t input_dim(const DataConfig& data) {
  if (data.pca > 0) return data.pca;
  if (data.kind == DataKind::tanh_teacher) return 1;
  return data.kind == DataKind::fashion_mnist ? kFashionPixels : data.dim;
}

std::int64_t output_dim(const DataConfig& data) { return data.binary || data.kind == DataKind::tanh_teacher ? 1 : 10; }

const char* to_string(DataKind kind) {
  switch (kind) {
    case DataKind::fashion_mnist: return "fashion_mnist";
    case DataKind::gaussian: return "gaussian";
    case DataKind::tanh_teacher: return "tanh_teacher";
  }
  return "?";
}
const char* to_string(LossKind kind) {
  switch (kind) {
    case LossKind::cross_entropy: return "cross_entropy";
    case LossKind::mse: return "mse";
    case LossKind::quadratic_hinge: return "quadratic_hinge";
  }
  return "?";
}
const char* to_string(OptimizerKind kind) { return kind == OptimizerKind::sgd ? "sgd" : "adam"; }
const char* to_string(DType kind) { return kind == DType::float32 ? "float32" : "float64"; }
const char* to_string(InitKind kind) { return kind == InitKind::pytorch ? "pytorch" : "orthogonal"; }
const char* to_string(ModelKind kind) { return kind == ModelKind::mlp ? "mlp" : "tanh"; }
const char* to_string(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::cpu: return "cpu";
    case DeviceKind::cuda: return "cuda";
    case DeviceKind::automatic: return "auto";
  }
  return "?";
}

}  // namespace lsweep::config
