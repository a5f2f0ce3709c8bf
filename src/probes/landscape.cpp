#include "lsweep/probes/landscape.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>

#include "lsweep/common/format.hpp"
#include "lsweep/common/results.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/curvature/operator.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = LandscapeProbe;

constexpr std::uint64_t kFirstDirection = 1, kSecondDirection = 2;  // measurement_seed purposes

DatasetSpec coordinate_column(const char* path, const std::vector<double>& values, std::string meaning) {
  DatasetSpec s;
  s.path = path;
  s.dims = {{Axis::fixed, static_cast<std::int64_t>(values.size())}};
  s.units = "1";
  s.meaning = std::move(meaning);
  s.role = Role::job;
  s.content = [values] { return values; };
  return s;
}

DatasetSpec plane_spec(const char* path, std::int64_t m, std::string units, std::string meaning,
                       const config::JobConfig& job) {
  DatasetSpec s = L::point_row_of(path, m, std::move(units), std::move(meaning), job);
  s.dims.push_back({Axis::fixed, m});
  return s;
}

class LandscapeObserver : public training::PointObserver {
 public:
  LandscapeObserver(const LandscapeOptions& o, const config::GridPoint& point, bool test)
      : o_(o), point_(point), test_(test) {}

  void start(const training::PointState& s) override {
    torch::NoGradGuard no_grad;
    for (const auto& p : s.model->parameters()) initial_.push_back(p.detach().clone());
  }

  void finish(const training::PointState& s, Rows& rows) override {
    const auto began = std::chrono::steady_clock::now();
    torch::NoGradGuard no_grad;
    auto params = s.model->parameters();
    std::vector<torch::Tensor> trained;
    for (const auto& p : params) trained.push_back(p.detach().clone());
    const auto set = [&](const std::function<torch::Tensor(std::size_t)>& value) {
      for (std::size_t i = 0; i < params.size(); ++i) params[i].detach().copy_(value(i));
    };
    const auto measure = [&](std::size_t cell, const char* train_loss, const char* train_acc, const char* test_loss,
                             const char* test_acc) {
      const auto train = s.evaluate(s.x_train, s.y_train);
      rows[train_loss][cell] = train.loss;
      rows[train_acc][cell] = train.accuracy;
      if (!test_) return;
      const auto test = s.evaluate(s.x_test, s.y_test);
      rows[test_loss][cell] = test.loss;
      rows[test_acc][cell] = test.accuracy;
    };
    const auto alphas = line_alphas(o_.line_steps, o_.line_extend);
    const auto coords = plane_coordinates(o_.plane_points, o_.plane_extent);
    const auto m = coords.size();
    const auto fill = [&](std::initializer_list<const char*> paths, std::size_t n) {
      for (const char* p : paths) rows[p].assign(n, kNaN);
    };
    fill({P::kLineTrainLoss, P::kLineTrainAccuracy}, alphas.size());
    fill({P::kDirTrainLoss, P::kDirTrainAccuracy}, m);
    if (test_) {
      fill({P::kLineTestLoss, P::kLineTestAccuracy}, alphas.size());
      fill({P::kDirTestLoss, P::kDirTestAccuracy}, m);
    }
    if (o_.plane) {
      fill({P::kPlaneTrainLoss, P::kPlaneTrainAccuracy}, m * m);
      if (test_) fill({P::kPlaneTestLoss, P::kPlaneTestAccuracy}, m * m);
    }

    // The line; its ends are theta_0 and theta_final themselves.
    for (std::size_t k = 0; k < alphas.size(); ++k) {
      const double a = alphas[k];
      set([&](std::size_t i) {
        if (a == 0.0) return initial_[i];
        if (a == 1.0) return trained[i];
        return initial_[i] * (1.0 - a) + trained[i] * a;
      });
      measure(k, P::kLineTrainLoss, P::kLineTrainAccuracy, P::kLineTestLoss, P::kLineTestAccuracy);
    }
    double barrier = -std::numeric_limits<double>::infinity();
    const auto& line = rows[P::kLineTrainLoss];
    for (std::size_t k = 0; k < alphas.size(); ++k) {
      if (alphas[k] >= 0.0 && alphas[k] <= 1.0) barrier = std::max(barrier, line[k]);
    }
    const auto at = [&](double alpha) {
      return line[static_cast<std::size_t>(std::find(alphas.begin(), alphas.end(), alpha) - alphas.begin())];
    };
    rows[P::kLineBarrier] = {barrier - std::max(at(0.0), at(1.0))};

    // The random directions through theta_final.
    const auto d1 =
        filter_normalized_direction(trained, curvature::measurement_seed(o_.seed, point_.id, 0, kFirstDirection));
    for (std::size_t j = 0; j < m; ++j) {
      const double t = coords[j];
      set([&](std::size_t i) { return t == 0.0 ? trained[i] : trained[i] + d1[i] * t; });
      measure(j, P::kDirTrainLoss, P::kDirTrainAccuracy, P::kDirTestLoss, P::kDirTestAccuracy);
    }
    if (o_.plane) {
      const auto d2 =
          filter_normalized_direction(trained, curvature::measurement_seed(o_.seed, point_.id, 0, kSecondDirection));
      for (std::size_t a = 0; a < m; ++a) {
        for (std::size_t b = 0; b < m; ++b) {
          const double u = coords[a], v = coords[b];
          set([&](std::size_t i) {
            if (u == 0.0 && v == 0.0) return trained[i];
            return trained[i] + d1[i] * u + d2[i] * v;
          });
          measure(a * m + b, P::kPlaneTrainLoss, P::kPlaneTrainAccuracy, P::kPlaneTestLoss, P::kPlaneTestAccuracy);
        }
      }
    }
    set([&](std::size_t i) { return trained[i]; });  // the trained network, bit for bit
    rows[P::kSeconds] = {std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()};
  }

 private:
  LandscapeOptions o_;
  config::GridPoint point_;
  bool test_;
  std::vector<torch::Tensor> initial_;
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
                                                                  const config::JobConfig& /*job*/) const {
  auto o = std::make_shared<LandscapeOptions>();
  o->line_steps = table.integer("line_steps", 1, 1000).value_or(o->line_steps);
  o->line_extend = table.integer("line_extend", 0, 1000).value_or(o->line_extend);
  o->plane_points = table.integer("plane_points", 3, 201).value_or(o->plane_points);
  if (o->plane_points % 2 == 0)
    table.fail("plane_points", "allowed: an odd integer from 3 to 201 (0 is the middle value)");
  o->plane_extent = table.number("plane_extent", 0.0, 1e6, true).value_or(o->plane_extent);
  o->plane = table.boolean("plane").value_or(o->plane);
  o->seed = static_cast<std::uint64_t>(table.integer("seed", 0, std::int64_t{1} << 53).value_or(0));
  return o;
}

std::vector<config::ProbeField> LandscapeProbe::fields(const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const LandscapeOptions&>(options);
  return {{"line_steps", std::to_string(o.line_steps)},
          {"line_extend", std::to_string(o.line_extend)},
          {"plane_points", std::to_string(o.plane_points)},
          {"plane_extent", shortest_double(o.plane_extent)},
          {"plane", o.plane ? "true" : "false"},
          {"seed", std::to_string(o.seed)}};
}

Layout LandscapeProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const LandscapeOptions&>(options);
  const auto alphas = line_alphas(o.line_steps, o.line_extend);
  const auto coords = plane_coordinates(o.plane_points, o.plane_extent);
  const auto n = static_cast<std::int64_t>(alphas.size()), m = static_cast<std::int64_t>(coords.size());
  const bool test = job.data.test_size > 0;
  Layout l;
  l.push_back(coordinate_column(kLineAlpha, alphas,
                                "alpha of the line theta(alpha) = (1 - alpha) theta_0 + alpha theta_final: 0 is the "
                                "initial network, 1 the trained one."));
  l.push_back(L::point_row_of(kLineTrainLoss, n, "loss", "Training loss along the line, at each line_alpha.", job));
  l.push_back(L::point_row_of(kLineTrainAccuracy, n, "1", "Training accuracy along the line.", job));
  if (test) {
    l.push_back(L::point_row_of(kLineTestLoss, n, "loss", "Test loss along the line.", job));
    l.push_back(L::point_row_of(kLineTestAccuracy, n, "1", "Test accuracy along the line.", job));
  }
  l.push_back(L::point_scalar(kLineBarrier, "loss",
                              "Largest training loss on the line between its ends (0 <= alpha <= 1) minus the larger "
                              "end: > 0 where the straight path from the initialisation climbs a barrier.",
                              "line_barrier", job));
  l.push_back(coordinate_column(kCoordinate, coords,
                                "Coefficients t of the random directions: theta_final + t d1 (and + s d1 + t d2 on "
                                "the plane)."));
  l.push_back(L::point_row_of(kDirTrainLoss, m, "loss",
                              "Training loss along one filter-normalised random direction d1 through the trained "
                              "network, at each coordinate.",
                              job));
  l.push_back(L::point_row_of(kDirTrainAccuracy, m, "1", "Training accuracy along d1.", job));
  if (test) {
    l.push_back(L::point_row_of(kDirTestLoss, m, "loss", "Test loss along d1.", job));
    l.push_back(L::point_row_of(kDirTestAccuracy, m, "1", "Test accuracy along d1.", job));
  }
  if (o.plane) {
    l.push_back(plane_spec(kPlaneTrainLoss, m, "loss",
                           "Training loss on the plane theta_final + s d1 + t d2 [point, s, t], s and t the "
                           "coordinates.",
                           job));
    l.push_back(plane_spec(kPlaneTrainAccuracy, m, "1", "Training accuracy on the plane [point, s, t].", job));
    if (test) {
      l.push_back(plane_spec(kPlaneTestLoss, m, "loss", "Test loss on the plane [point, s, t].", job));
      l.push_back(plane_spec(kPlaneTestAccuracy, m, "1", "Test accuracy on the plane [point, s, t].", job));
    }
  }
  l.push_back(L::point_scalar(kSeconds, "s", "Wall time the probe took.", "", job));
  return l;
}

std::unique_ptr<training::PointObserver> LandscapeProbe::observe(const config::JobConfig& job,
                                                                 const config::ProbeOptions& options,
                                                                 const config::GridPoint& point) const {
  return std::make_unique<LandscapeObserver>(dynamic_cast<const LandscapeOptions&>(options), point,
                                             job.data.test_size > 0);
}

}  // namespace lsweep::probes
