#include "lsweep/training/trainer.hpp"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::training {
namespace {

constexpr std::int64_t kEvalChunk = 8192;
__extension__ using uint128 = unsigned __int128;

std::uint64_t mix_seed(std::uint64_t x) {  // splitmix64: decorrelates the sampler from torch's seed use
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

torch::Dtype to_torch(config::DType d) { return d == config::DType::float64 ? torch::kFloat64 : torch::kFloat32; }

}  // namespace

BatchSampler::BatchSampler(std::int64_t n, std::int64_t batch, std::uint64_t seed)
    : n_(n), batch_(batch), pos_(n), rng_(mix_seed(seed)), order_(static_cast<std::size_t>(n)) {
  for (std::int64_t i = 0; i < n; ++i) order_[static_cast<std::size_t>(i)] = i;
}

void BatchSampler::shuffle() {
  for (std::size_t i = order_.size(); i > 1; --i) {
    // Multiply-shift bounded draw: identical on every platform.
    const auto j = static_cast<std::size_t>((static_cast<uint128>(rng_()) * i) >> 64);
    std::swap(order_[i - 1], order_[j]);
  }
  pos_ = 0;
}

torch::Tensor BatchSampler::next() {
  if (pos_ + batch_ > n_) shuffle();
  auto out = torch::from_blob(order_.data() + pos_, {batch_}, torch::kInt64).clone();
  pos_ += batch_;
  return out;
}

Trainer::Trainer(const config::JobConfig& job, const config::GridPoint& point, const Dataset& data,
                 torch::Device device)
    : job_(job),
      point_(point),
      binary_(data.binary),
      sampler_(data.x_train.size(0), point.batch, static_cast<std::uint64_t>(point.seed)),
      full_batch_(point.batch == data.x_train.size(0)) {
  if (point.batch < 1 || point.batch > data.x_train.size(0)) {
    throw TrainingError("batch " + std::to_string(point.batch) + " is outside 1.." +
                        std::to_string(data.x_train.size(0)));
  }
  x_train_ = data.x_train.to(device);
  y_train_ = data.y_train.to(device);
  x_test_ = data.x_test.to(device);
  y_test_ = data.y_test.to(device);
  torch::manual_seed(static_cast<std::uint64_t>(point.seed));
  model_ = make_mlp(data.x_train.size(1), point.width, job.model.depth, config::output_dim(job.data), job.model.init);
  model_->to(device, to_torch(job.train.dtype));
  optimizer_ = std::make_unique<torch::optim::SGD>(model_->parameters(),
                                                   torch::optim::SGDOptions(point.lr).momentum(job.train.momentum));
}

double Trainer::step() {
  torch::Tensor x = x_train_, y = y_train_;
  if (!full_batch_) {
    const auto idx = sampler_.next().to(x_train_.device());
    x = x_train_.index_select(0, idx);
    y = y_train_.index_select(0, idx);
  }
  optimizer_->zero_grad();
  auto loss = compute_loss(job_.train.loss, model_->forward(x), y, binary_);
  loss.backward();
  optimizer_->step();
  return loss.item<double>();
}

Evaluation Trainer::evaluate(const torch::Tensor& x, const torch::Tensor& y) {
  const std::int64_t n = x.size(0);
  if (n == 0) return {kNaN, kNaN};
  torch::NoGradGuard no_grad;
  double loss_sum = 0.0;
  std::int64_t correct = 0;
  for (std::int64_t lo = 0; lo < n; lo += kEvalChunk) {
    const std::int64_t hi = std::min(n, lo + kEvalChunk);
    const auto out = model_->forward(x.slice(0, lo, hi));
    const auto yc = y.slice(0, lo, hi);
    loss_sum += compute_loss(job_.train.loss, out, yc, binary_).item<double>() * static_cast<double>(hi - lo);
    correct += count_correct(out, yc, binary_).item<std::int64_t>();
  }
  return {loss_sum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n)};
}

PointRecord Trainer::run(const std::atomic<bool>* interrupt) {
  const auto start = std::chrono::steady_clock::now();
  const auto schedule = config::checkpoint_steps(job_.train.steps, job_.train.checkpoints);
  PointRecord rec;
  rec.summary.point_id = point_.id;
  rec.train_loss.assign(schedule.size(), kNaN);
  rec.train_accuracy.assign(schedule.size(), kNaN);
  auto checkpoint = [&](std::size_t k) {
    const Evaluation e = evaluate(x_train_, y_train_);
    rec.train_loss[k] = e.loss;
    rec.train_accuracy[k] = e.accuracy;
  };
  checkpoint(0);
  std::size_t next = 1;
  rec.summary.status = PointStatus::done;
  const double limit = job_.train.point_time_limit;
  for (std::int64_t s = 1; s <= job_.train.steps; ++s) {
    const double loss = step();
    rec.summary.steps = s;
    if (interrupt && interrupt->load(std::memory_order_relaxed)) {
      rec.summary.status = PointStatus::pending;
      rec.summary.error = "interrupted by a drain signal after step " + std::to_string(s) + "; runs again on resume";
      break;
    }
    if (limit > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > limit) {
      rec.summary.status = PointStatus::timed_out;
      rec.summary.error =
          "exceeded train.point_time_limit = " + shortest_double(limit) + " s after step " + std::to_string(s);
      break;
    }
    if (!std::isfinite(loss)) {
      rec.summary.status = PointStatus::diverged;
      rec.summary.error = "minibatch loss became " + std::to_string(loss) + " at step " + std::to_string(s);
      break;
    }
    if (next < schedule.size() && schedule[next] == s) checkpoint(next++);
  }
  const Evaluation train = evaluate(x_train_, y_train_);
  const Evaluation test = evaluate(x_test_, y_test_);
  rec.summary.final_train_loss = train.loss;
  rec.summary.train_accuracy = train.accuracy;
  rec.summary.final_test_loss = test.loss;
  rec.summary.test_accuracy = test.accuracy;
  rec.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return rec;
}

torch::Device resolve_device(config::DeviceKind kind, int local_rank) {
  const bool have_cuda = torch::cuda::is_available();
  if (kind == config::DeviceKind::cpu || (kind == config::DeviceKind::automatic && !have_cuda)) {
    return torch::kCPU;
  }
  if (!have_cuda) {
    throw TrainingError(
        "train.device = \"cuda\" but this LibTorch sees no CUDA device; allowed here: \"cpu\" or \"auto\"");
  }
  const auto count = static_cast<int>(torch::cuda::device_count());
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % count)};
}

void tune_allocator() {
  // Both are needed: fixing only the trim threshold turns off glibc's dynamic
  // mmap threshold, and the step's buffers then come from mmap every time.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

void set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(threads);
}

}  // namespace lsweep::training
