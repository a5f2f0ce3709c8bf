// The curvature estimators on a trained network: the edge-of-stability job's
// point at lr 0.2 (Fashion-MNIST, 1000 images, PCA 32, width 64, full-batch
// GD, MSE), trained to its last step, measured in float64 as the job does.
// Prints one JSON line each:
//  - hvp:     seconds of one gradient and one Hessian-vector product (best of 5), float32 and float64;
//  - lanczos: HVPs until lambda_max and the top 5 are within 1e-3 (relative) of a 300-step reference,
//             against deflated power iteration as PyHessian runs it (tol 1e-3, at most 100 per eigenvalue:
//             the HVPs it spends and whether it got there), and the HVPs it needs to get there;
//  - trace:   median relative error over 21 seeds, against the exact trace (the dense diagonal, n products),
//             of Hutchinson, Hutch++ and ours (Hutchinson deflated by the Lanczos basis) at 30 trace HVPs.
// Usage: lsweep_curvature_bench JOB   (jobs/edge-of-stability.toml); single thread.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

#include "lsweep/config/grid.hpp"
#include "lsweep/curvature/hessian.hpp"
#include "lsweep/curvature/lanczos.hpp"
#include "lsweep/curvature/trace.hpp"
#include "lsweep/probes/probe.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/trainer.hpp"

namespace config = lsweep::config;
namespace training = lsweep::training;
namespace C = lsweep::curvature;

namespace {

template <class F>
double best_seconds(F&& f, int reps = 5) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

double relative(double a, double b) { return std::abs(a - b) / std::abs(b); }

// Lanczos steps until the top `k` Ritz values are all within `tol` of `ref` (the leading j x j part of one run).
std::int64_t lanczos_steps_to(const C::Tridiagonal& t, const std::vector<double>& ref, std::size_t k, double tol) {
  for (std::int64_t j = static_cast<std::int64_t>(k); j <= t.steps(); ++j) {
    C::Tridiagonal head;
    head.alpha.assign(t.alpha.begin(), t.alpha.begin() + j);
    head.beta.assign(t.beta.begin(), t.beta.begin() + j);
    const auto r = C::ritz_pairs(head);
    bool ok = true;
    for (std::size_t i = 0; i < k; ++i) ok = ok && relative(r.values[r.values.size() - 1 - i], ref[i]) < tol;
    if (ok) return j;
  }
  return -1;
}

// PyHessian's eigenvalues(): for each of the top k, power iteration on H deflated by the vectors found,
// until the Rayleigh quotient changes by less than tol (relative), at most max_iter products each.
struct PowerResult {
  std::int64_t products_to_stop = 0;     // HVPs its own criterion uses for all k
  std::int64_t products_to_within = -1;  // HVPs until all k are within tol of the reference
  std::vector<double> values;
};
// With stop_early = false it runs on until all k are within tol (at most max_iter each): the HVPs it needs.
PowerResult deflated_power_iteration(C::Operator& h, std::size_t k, const std::vector<double>& ref, double tol,
                                     int max_iter, std::uint64_t seed, bool stop_early = true) {
  C::VectorRng rng(seed);
  PowerResult out;
  std::vector<torch::Tensor> found;
  bool all_within = true;
  for (std::size_t i = 0; i < k; ++i) {
    auto v = rng.gaussian(h.size(), h.options());
    v /= v.norm();
    double value = 0.0;
    std::int64_t within_at = -1;
    for (int it = 0; it < max_iter; ++it) {
      for (const auto& u : found) v -= u.dot(v) * u;
      v /= v.norm();
      const auto hv = h(v);
      ++out.products_to_stop;
      const double next = hv.dot(v).item<double>();
      if (within_at < 0 && relative(next, ref[i]) < tol) within_at = out.products_to_stop;
      v = hv / hv.norm();
      const bool done = stop_early ? it > 0 && std::abs(value - next) / (std::abs(value) + 1e-6) < tol : within_at >= 0;
      value = next;
      if (done) break;
    }
    found.push_back(v);
    out.values.push_back(value);
    all_within = all_within && within_at >= 0;
  }
  if (all_within) out.products_to_within = out.products_to_stop;  // all k within tol by the last product
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fprintf(stderr, "usage: %s JOB\n", argv[0]);
      return 2;
    }
    const auto job = config::load_job(argv[1], lsweep::probes::builtin());
    training::set_compute_threads(1);
    const auto data = training::load_dataset(job.data, torch::kFloat32);
    auto points = config::expand_grid(job);
    const auto point = *std::find_if(points.begin(), points.end(), [](const auto& p) { return p.lr == 0.2; });
    training::Trainer trainer(job, point, data, torch::kCPU);
    trainer.run();
    const C::LossFn loss = [&](const torch::Tensor& out, const torch::Tensor& y) {
      return training::compute_loss(job.train.loss, out, y, false);
    };
    C::HessianOperator h32(trainer.model(), data.x_train, data.y_train, loss, 4096);
    auto model64 = C::float64_copy(trainer.model());
    C::HessianOperator h(model64, data.x_train.to(torch::kFloat64), data.y_train, loss, 4096);
    const auto v = C::VectorRng(1).gaussian(h.size(), h.options());
    const double g32 = best_seconds([&] { h32.gradient(); }), hv32 = best_seconds([&] { h32(v); });
    const double g64 = best_seconds([&] { h.gradient(); }), hv64 = best_seconds([&] { h(v); });
    std::printf(
        "{\"bench\":\"hvp\",\"impl\":\"lsweep\",\"params\":%lld,\"samples\":%lld,\"grad32_s\":%.6f,\"hvp32_s\":%.6f,"
        "\"ratio32\":%.3f,\"grad64_s\":%.6f,\"hvp64_s\":%.6f,\"ratio64\":%.3f}\n",
        static_cast<long long>(h.size()), static_cast<long long>(data.x_train.size(0)), g32, hv32, hv32 / g32, g64,
        hv64, hv64 / g64);
    std::fflush(stdout);

    const auto reference = C::extreme_eigenvalues(h, 5, 300, 99);
    const auto run = C::lanczos(h, C::VectorRng(7).gaussian(h.size(), h.options()), 100);
    const auto power1 = deflated_power_iteration(h, 1, reference.top, 1e-3, 100, 7);
    const auto power5 = deflated_power_iteration(h, 5, reference.top, 1e-3, 100, 7);
    const auto power1_to = deflated_power_iteration(h, 1, reference.top, 1e-3, 5000, 7, false);
    const auto power5_to = deflated_power_iteration(h, 5, reference.top, 1e-3, 5000, 7, false);
    std::printf(
        "{\"bench\":\"lanczos\",\"lambda_max\":%.6f,\"reference_residual\":%.2e,\"lanczos_top1\":%lld,"
        "\"lanczos_top5\":%lld,\"power_top1\":%lld,\"power_top1_within\":%lld,\"power_top5\":%lld,"
        "\"power_top5_within\":%lld,\"power_top5_worst_rel_err\":%.2e,\"power_top1_to_tol\":%lld,"
        "\"power_top5_to_tol\":%lld}\n",
        reference.top[0], reference.top_residuals[0],
        static_cast<long long>(lanczos_steps_to(run, reference.top, 1, 1e-3)),
        static_cast<long long>(lanczos_steps_to(run, reference.top, 5, 1e-3)),
        static_cast<long long>(power1.products_to_stop), static_cast<long long>(power1.products_to_within),
        static_cast<long long>(power5.products_to_stop), static_cast<long long>(power5.products_to_within),
        [&] {
          double worst = 0.0;
          for (std::size_t i = 0; i < 5; ++i) worst = std::max(worst, relative(power5.values[i], reference.top[i]));
          return worst;
        }(),
        static_cast<long long>(power1_to.products_to_within), static_cast<long long>(power5_to.products_to_within));
    std::fflush(stdout);

    double exact = 0.0;  // the dense diagonal: e_i^T H e_i
    for (std::int64_t i = 0; i < h.size(); ++i) {
      auto e = torch::zeros({h.size()}, h.options());
      e[i] = 1.0;
      exact += h(e)[i].item<double>();
    }
    // At 30 trace products: plain Hutchinson; Hutch++; ours, deflated by the probe's 20-step Lanczos run
    // (paid for by lambda_max); and ours at 30 products in all (a 10-step run + 20).
    std::vector<double> plain, hutchpp, ours, ours_total;
    for (std::uint64_t seed = 0; seed < 21; ++seed) {
      plain.push_back(relative(C::hutchinson(h, 30, seed).trace, exact));
      hutchpp.push_back(relative(C::hutch_plus_plus(h, 30, seed).trace, exact));
      C::Tridiagonal basis;
      C::extreme_eigenvalues(h, 3, 20, 1000 + seed, &basis);
      ours.push_back(relative(C::lanczos_deflated_trace(h, basis, 30, seed).trace, exact));
      C::extreme_eigenvalues(h, 3, 10, 1000 + seed, &basis);
      ours_total.push_back(relative(C::lanczos_deflated_trace(h, basis, 20, seed).trace, exact));
    }
    for (auto* errors : {&plain, &hutchpp, &ours, &ours_total}) std::sort(errors->begin(), errors->end());
    std::printf(
        "{\"bench\":\"trace\",\"exact\":%.6f,\"trace_hvps\":30,\"hutchinson_median_rel_err\":%.4f,"
        "\"hutchpp_median_rel_err\":%.4f,\"lanczos_deflated_median_rel_err\":%.4f,"
        "\"lanczos10_plus_20_median_rel_err\":%.4f,\"hutchinson_over_ours\":%.2f}\n",
        exact, plain[10], hutchpp[10], ours[10], ours_total[10], plain[10] / ours[10]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lsweep_curvature_bench: %s\n", e.what());
    return 1;
  }
}
