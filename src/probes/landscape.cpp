#include "lsweep/probes/landscape.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>

#include "lsweep/common/format.hpp"
#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/curvature/operator.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = LandscapeProbe;

constexpr std::uint64_t kFirstDirection = 1, kSecondDirection = 2;  // measurement_seed purposes

std::string steps_text(const std::vector<std::int64_t>& steps) {
  std::string out;
  for (const auto t : steps) out += (out.empty() ? "" : ", ") + std::to_string(t);
  return "[" + out + "]";
}

DatasetSpec plane_spec(const char* path, std::int64_t m, std::string units, std::string meaning,
                       const config::JobConfig& job) {
  DatasetSpec s = L::point_row_of(path, m, std::move(units), std::move(meaning), job);
  s.dims.push_back({Axis::fixed, m});
  return s;
}

// The datasets of one set of slices: [train loss, train accuracy, test loss,
// test accuracy] for the line, the direction and the plane.
using Quad = std::array<const char*, 4>;
struct SliceNames {
  Quad line, dir, plane;
};
const SliceNames kAtEnd{{P::kLineTrainLoss, P::kLineTrainAccuracy, P::kLineTestLoss, P::kLineTestAccuracy},
                        {P::kDirTrainLoss, P::kDirTrainAccuracy, P::kDirTestLoss, P::kDirTestAccuracy},
                        {P::kPlaneTrainLoss, P::kPlaneTrainAccuracy, P::kPlaneTestLoss, P::kPlaneTestAccuracy}};
const SliceNames kAtCheckpoints{
    {P::kCkptLineTrainLoss, P::kCkptLineTrainAccuracy, P::kCkptLineTestLoss, P::kCkptLineTestAccuracy},
    {P::kCkptDirTrainLoss, P::kCkptDirTrainAccuracy, P::kCkptDirTestLoss, P::kCkptDirTestAccuracy},
    {P::kCkptPlaneTrainLoss, P::kCkptPlaneTrainAccuracy, P::kCkptPlaneTestLoss, P::kCkptPlaneTestAccuracy}};

class LandscapeObserver : public training::PointObserver {
 public:
  LandscapeObserver(const LandscapeOptions& o, std::int64_t point_id, bool test, std::vector<std::int64_t> schedule)
      : o_(o),
        point_id_(point_id),
        test_(test),
        schedule_(std::move(schedule)),
        alphas_(line_alphas(o.line_steps, o.line_extend)),
        coords_(plane_coordinates(o.plane_points, o.plane_extent)) {}

  void start(const training::PointState& s) override {
    torch::NoGradGuard no_grad;
    for (const auto& p : s.model->parameters()) initial_.push_back(p.detach().clone());
  }

  void checkpoint(const training::PointState& s, std::size_t k, Rows& rows) override {
    if (k >= schedule_.size()) return;
    const auto& chosen = o_.checkpoint_steps;
    const auto it = std::find(chosen.begin(), chosen.end(), schedule_[k]);
    if (it == chosen.end()) return;
    const auto began = std::chrono::steady_clock::now();
    take_slices(s, kAtCheckpoints, static_cast<std::size_t>(it - chosen.begin()), rows);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  }

  void finish(const training::PointState& s, Rows& rows) override {
    const auto began = std::chrono::steady_clock::now();
    // Chosen checkpoints the point never reached (it stopped early) keep
    // their rows' NaN fill.
    take_slices(s, kAtEnd, 0, rows);
    double barrier = -std::numeric_limits<double>::infinity();
    const auto& line = rows[P::kLineTrainLoss];
    for (std::size_t k = 0; k < alphas_.size(); ++k) {
      if (alphas_[k] >= 0.0 && alphas_[k] <= 1.0) barrier = std::max(barrier, line[k]);
    }
    const auto at = [&](double alpha) {
      return line[static_cast<std::size_t>(std::find(alphas_.begin(), alphas_.end(), alpha) - alphas_.begin())];
    };
    rows[P::kLineBarrier] = {barrier - std::max(at(0.0), at(1.0))};
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    rows[P::kSeconds] = {seconds_};
  }

 private:
  // The slices around the network as it is now (theta_c): the line from
  // theta_0 to theta_c, the direction d1 and the plane d1 x d2 through
  // theta_c, into set `c` of `names`. The parameters are theta_c again
  // afterwards, bit for bit.
  void take_slices(const training::PointState& s, const SliceNames& names, std::size_t c, Rows& rows) const {
    torch::NoGradGuard no_grad;
    auto params = s.model->parameters();
    std::vector<torch::Tensor> centre;
    for (const auto& p : params) centre.push_back(p.detach().clone());
    const auto set = [&](const std::function<torch::Tensor(std::size_t)>& value) {
      for (std::size_t i = 0; i < params.size(); ++i) params[i].detach().copy_(value(i));
    };
    const auto measure = [&](const Quad& paths, std::size_t cell) {
      const auto train = s.evaluate(s.x_train, s.y_train);
      rows[paths[0]][cell] = train.loss;
      rows[paths[1]][cell] = train.accuracy;
      if (!test_) return;
      const auto test = s.evaluate(s.x_test, s.y_test);
      rows[paths[2]][cell] = test.loss;
      rows[paths[3]][cell] = test.accuracy;
    };
    const std::size_t n = alphas_.size(), m = coords_.size();

    // The line; its ends are theta_0 and theta_c themselves.
    for (std::size_t k = 0; k < n; ++k) {
      const double a = alphas_[k];
      set([&](std::size_t i) {
        if (a == 0.0) return initial_[i];
        if (a == 1.0) return centre[i];
        return initial_[i] * (1.0 - a) + centre[i] * a;
      });
      measure(names.line, c * n + k);
    }
    // The random directions through theta_c: the same draws at every
    // checkpoint, filter-normalised to that checkpoint's rows.
    const auto d1 =
        filter_normalized_direction(centre, curvature::measurement_seed(o_.seed, point_id_, 0, kFirstDirection));
    for (std::size_t j = 0; j < m; ++j) {
      const double t = coords_[j];
      set([&](std::size_t i) { return t == 0.0 ? centre[i] : centre[i] + d1[i] * t; });
      measure(names.dir, c * m + j);
    }
    if (o_.plane) {
      const auto d2 =
          filter_normalized_direction(centre, curvature::measurement_seed(o_.seed, point_id_, 0, kSecondDirection));
      for (std::size_t a = 0; a < m; ++a) {
        for (std::size_t b = 0; b < m; ++b) {
          const double u = coords_[a], v = coords_[b];
          set([&](std::size_t i) {
            if (u == 0.0 && v == 0.0) return centre[i];
            return centre[i] + d1[i] * u + d2[i] * v;
          });
          measure(names.plane, (c * m + a) * m + b);
        }
      }
    }
    set([&](std::size_t i) { return centre[i]; });  // theta_c, bit for bit
  }

  LandscapeOptions o_;
  std::int64_t point_id_;
  bool test_;
  std::vector<std::int64_t> schedule_;
  std::vector<double> alphas_, coords_;
  std::vector<torch::Tensor> initial_;
  double seconds_ = 0.0;
};

}  // namespace

std::vector<double> line_alphas(std::int64_t steps, std::int64_t extend) {
  std::vector<double> out;
  for (std::int64_t k = 0; k <= steps + 2 * extend; ++k) {
    out.push_back(static_cast<double>(k - extend) / static_cast<double>(steps));
  }
  return out;
}

std::vector<double> plane_coordinates(std::int64_t points, double extent) {
  std::vector<double> out;
  const std::int64_t half = (points - 1) / 2;
  for (std::int64_t j = 0; j < points; ++j) {
    out.push_back(extent * static_cast<double>(j - half) / static_cast<double>(half));
  }
  return out;
}

std::vector<torch::Tensor> filter_normalized_direction(const std::vector<torch::Tensor>& params, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  curvature::VectorRng rng(seed);
  std::vector<torch::Tensor> out;
  for (const auto& p : params) {
    if (p.dim() != 2) {
      out.push_back(torch::zeros_like(p));
      continue;
    }
    const auto d = rng.gaussian(p.numel(), p.options()).reshape(p.sizes());
    out.push_back(d * (p.norm(2, {1}, true) / d.norm(2, {1}, true)));
  }
  return out;
}

std::shared_ptr<const config::ProbeOptions> LandscapeProbe::parse(config::OptionTable& table,
                                                                  const config::JobConfig& job) const {
  auto o = std::make_shared<LandscapeOptions>();
  o->line_steps = table.integer("line_steps", 1, 1000).value_or(o->line_steps);
  o->line_extend = table.integer("line_extend", 0, 1000).value_or(o->line_extend);
  o->plane_points = table.integer("plane_points", 3, 201).value_or(o->plane_points);
  if (o->plane_points % 2 == 0)
    table.fail("plane_points", "allowed: an odd integer from 3 to 201 (0 is the middle value)");
  o->plane_extent = table.number("plane_extent", 0.0, 1e6, true).value_or(o->plane_extent);
  o->plane = table.boolean("plane").value_or(o->plane);
  o->seed = static_cast<std::uint64_t>(table.integer("seed", 0, std::int64_t{1} << 53).value_or(0));
  if (auto steps = table.increasing_integers("checkpoint_steps", 0, job.train.steps)) {
    const auto schedule = config::checkpoint_steps(job.train.steps, job.train.checkpoints);
    for (const auto step : *steps) {
      if (std::find(schedule.begin(), schedule.end(), step) != schedule.end()) continue;
      table.fail("checkpoint_steps",
                 "allowed: increasing steps of the job's checkpoint schedule (train.steps, "
                 "train.checkpoints): " +
                     steps_text(schedule) + "; " + std::to_string(step) + " is not one");
    }
    o->checkpoint_steps = std::move(*steps);
  }
  return o;
}

std::vector<config::ProbeField> LandscapeProbe::fields(const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const LandscapeOptions&>(options);
  return {{"line_steps", std::to_string(o.line_steps)},
          {"line_extend", std::to_string(o.line_extend)},
          {"plane_points", std::to_string(o.plane_points)},
          {"plane_extent", shortest_double(o.plane_extent)},
          {"plane", o.plane ? "true" : "false"},
          {"seed", std::to_string(o.seed)},
          {"checkpoint_steps", steps_text(o.checkpoint_steps)}};
}

namespace {

enum class Part { line, dir, plane };

// One part of a set of slices' datasets: at the end ([point, ...]) or, with
// `count` > 0, at each chosen checkpoint ([point, checkpoint, ...]).
void slice_datasets(Layout& l, Part part, const SliceNames& names, std::int64_t cells, bool test, std::int64_t count,
                    const config::JobConfig& job) {
  const std::string where = count > 0 ? " [point, checkpoint, " : " [point, ";
  const std::string centre = count > 0 ? "the network at the checkpoint" : "the trained network";
  // Train loss, train accuracy, test loss, test accuracy (the last two with a test set).
  const auto four = [&](const Quad& paths, bool square, const std::string& along, const std::string& axes) {
    static const std::array<const char*, 4> what{"Training loss", "Training accuracy", "Test loss", "Test accuracy"};
    static const std::array<const char*, 4> units{"loss", "1", "loss", "1"};
    for (std::size_t q = 0; q < (test ? 4U : 2U); ++q) {
      DatasetSpec s = square ? plane_spec(paths[q], cells, units[q], what[q] + along + where + axes + "].", job)
                             : L::point_row_of(paths[q], cells, units[q], what[q] + along + where + axes + "].", job);
      if (count > 0) s.dims.insert(s.dims.begin() + 1, {Axis::fixed, count});
      l.push_back(std::move(s));
    }
  };
  switch (part) {
    case Part::line:
      four(names.line, false,
           count > 0 ? " along the line from theta_0 to the network at the checkpoint" : " along the line", "alpha");
      break;
    case Part::dir:
      four(names.dir, false, " along one filter-normalised random direction d1 through " + centre, "t");
      break;
    case Part::plane:
      four(names.plane, true, " on the plane theta + s d1 + t d2 (theta: " + centre + ")", "s, t");
      break;
  }
}

}  // namespace

Layout LandscapeProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const LandscapeOptions&>(options);
  const auto alphas = line_alphas(o.line_steps, o.line_extend);
  const auto coords = plane_coordinates(o.plane_points, o.plane_extent);
  const auto n = static_cast<std::int64_t>(alphas.size()), m = static_cast<std::int64_t>(coords.size());
  const bool test = job.data.test_size > 0;
  Layout l;
  l.push_back(coordinate_column(kLineAlpha, alphas, "1",
                                "alpha of the line theta(alpha) = (1 - alpha) theta_0 + alpha theta_final: 0 is the "
                                "initial network, 1 the trained one."));
  slice_datasets(l, Part::line, kAtEnd, n, test, 0, job);
  l.push_back(L::point_scalar(kLineBarrier, "loss",
                              "Largest training loss on the line between its ends (0 <= alpha <= 1) minus the larger "
                              "end: > 0 where the straight path from the initialisation climbs a barrier.",
                              "line_barrier", job));
  l.push_back(coordinate_column(kCoordinate, coords, "1",
                                "Coefficients t of the random directions: theta_final + t d1 (and + s d1 + t d2 on "
                                "the plane)."));
  slice_datasets(l, Part::dir, kAtEnd, m, test, 0, job);
  if (o.plane) slice_datasets(l, Part::plane, kAtEnd, m, test, 0, job);
  if (!o.checkpoint_steps.empty()) {
    std::vector<double> steps(o.checkpoint_steps.begin(), o.checkpoint_steps.end());
    l.push_back(coordinate_column(kCheckpointStep, steps, "1",
                                  "The steps (checkpoint_steps) of the checkpoint_* slices: the line from theta_0 to "
                                  "the network at that step, and the directions through it."));
    const auto c = static_cast<std::int64_t>(steps.size());
    slice_datasets(l, Part::line, kAtCheckpoints, n, test, c, job);
    slice_datasets(l, Part::dir, kAtCheckpoints, m, test, c, job);
    if (o.plane) slice_datasets(l, Part::plane, kAtCheckpoints, m, test, c, job);
  }
  l.push_back(L::point_scalar(kSeconds, "s", "Wall time the probe took (its checkpoints and its end).", "", job));
  return l;
}

std::unique_ptr<training::PointObserver> LandscapeProbe::observe(const config::JobConfig& job,
                                                                 const config::ProbeOptions& options,
                                                                 const config::GridPoint& point) const {
  return std::make_unique<LandscapeObserver>(dynamic_cast<const LandscapeOptions&>(options), point.id,
                                             job.data.test_size > 0,
                                             config::checkpoint_steps(job.train.steps, job.train.checkpoints));
}

}  // namespace lsweep::probes
