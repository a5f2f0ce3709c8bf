#include "lsweep/training/trainer.hpp"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/common/log.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/host.hpp"
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
    : n_(n),
      batch_(batch),
      pos_(n),
      rng_(mix_seed(seed)),
      order_(static_cast<std::size_t>(n)),
      ess_(static_cast<double>(n)) {
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
  auto out = torch::empty({batch_}, torch::kInt64);
  next_into(out.data_ptr<std::int64_t>());
  return out;
}

void BatchSampler::next_into(std::int64_t* out) {
  if (!cumulative_.empty()) {
    const double total = cumulative_.back();
    for (std::int64_t k = 0; k < batch_; ++k) {
      // A uniform double in [0, total) from 53 bits, then the first running sum above it.
      const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
      auto at = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      // u rounded up to the total: the first sample whose running sum reaches it (it has weight).
      if (at == cumulative_.end()) at = std::lower_bound(cumulative_.begin(), cumulative_.end(), total);
      out[k] = at - cumulative_.begin();
    }
    return;
  }
  if (pos_ + batch_ > n_) shuffle();
  std::copy(order_.begin() + pos_, order_.begin() + pos_ + batch_, out);
  pos_ += batch_;
}

void BatchSampler::set_weights(const std::vector<double>& weights) {
  if (weights.empty()) {
    cumulative_.clear();
    ess_ = static_cast<double>(n_);
    return;
  }
  if (static_cast<std::int64_t>(weights.size()) != n_) {
    throw std::invalid_argument("sampling weights: " + std::to_string(weights.size()) + " for " + std::to_string(n_) +
                                " samples");
  }
  double sum = 0.0, squares = 0.0;
  std::vector<double> running(weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0.0) || !std::isfinite(weights[i])) {
      throw std::invalid_argument("sampling weight " + std::to_string(i) + " is " + shortest_double(weights[i]) +
                                  "; allowed: finite and >= 0");
    }
    sum += weights[i];
    squares += weights[i] * weights[i];
    running[i] = sum;
  }
  if (!(sum > 0.0)) throw std::invalid_argument("sampling weights: all are 0");
  const bool equal = std::all_of(weights.begin(), weights.end(), [&](double w) { return w == weights.front(); });
  ess_ = equal ? static_cast<double>(n_) : sum * sum / squares;
  if (equal) {
    cumulative_.clear();  // the permutation, from where it stands
  } else {
    cumulative_ = std::move(running);
  }
}

std::vector<double> importance_weights(const std::vector<double>& losses, double temperature) {
  if (!(temperature > 0.0)) throw std::invalid_argument("importance sampling: the temperature must be > 0");
  if (losses.empty()) return {};
  const double lowest = *std::min_element(losses.begin(), losses.end());
  std::vector<double> out(losses.size());
  for (std::size_t i = 0; i < losses.size(); ++i) {
    if (!std::isfinite(losses[i])) {
      throw std::invalid_argument("importance sampling: per-sample loss " + std::to_string(i) + " is " +
                                  shortest_double(losses[i]));
    }
    out[i] = std::exp(-(losses[i] - lowest) / temperature);  // U = +inf: exp(-0) = 1
  }
  return out;
}

Trainer::Trainer(const config::JobConfig& job, const config::GridPoint& point, const Dataset& data,
                 torch::Device device, Team* team)
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
  model_ = make_model(job, data.x_train.size(1), point.width);
  model_->to(device, to_torch(job.train.dtype));
  projected_ = job.model.variable_projection ? tanh_model(model_) : nullptr;
  if (projected_) projected_->project(x_train_, y_train_);
  optimizer_ = std::make_unique<Optimizer>(model_->parameters(), job.train, point.lr);
  team_ = team != nullptr && team->size() > 1 ? team : nullptr;
  // A team's step talks to others; Adam and a decaying rate change the step's
  // constants every step, which a replayed graph would not.
  try_graph_ = device.is_cuda() && job.train.cuda_graphs && team_ == nullptr && optimizer_->fixed_step() && !projected_;
  if (device.is_cuda() && job.train.cuda_graphs && !optimizer_->fixed_step()) {
    graph_fallback_ = "no CUDA graph: the step changes every step (Adam's bias corrections, or train.lr_decay)";
  } else if (device.is_cuda() && job.train.cuda_graphs && projected_) {
    graph_fallback_ = "no CUDA graph: model.variable_projection solves for alpha on the CPU after every step";
  }
}

torch::Tensor Trainer::train_step(const torch::Tensor& idx) {
  torch::Tensor x = x_train_, y = y_train_;
  if (!full_batch_) {
    x = x_train_.index_select(0, idx);
    y = y_train_.index_select(0, idx);
  }
  if (team_) return team_step(x, y);
  optimizer_->zero_grad();
  auto loss = compute_loss(job_.train.loss, model_->forward(x), y, binary_);
  loss.backward();
  optimizer_->step();
  return loss.detach();
}

// This rank's rows of the minibatch, its loss weighted by their share, and
// one sum over the team of [loss, failures, gradient]: every rank then takes
// the whole minibatch's step. A rank that fails still takes part in the sum
// (with a failure counted), so that no rank waits for it.
torch::Tensor Trainer::team_step(const torch::Tensor& x, const torch::Tensor& y) {
  const std::int64_t n = x.size(0), k = team_->size(), r = team_->rank();
  const std::int64_t lo = n * r / k, hi = n * (r + 1) / k;
  optimizer_->zero_grad();
  const auto params = model_->parameters();
  const auto options = params.front().options();
  torch::Tensor share = torch::zeros({1}, options);
  std::string failure;
  try {
    if (hi > lo) {
      const auto loss =
          compute_loss(job_.train.loss, model_->forward(x.slice(0, lo, hi)), y.slice(0, lo, hi), binary_) *
          (static_cast<double>(hi - lo) / static_cast<double>(n));
      loss.backward();
      share = loss.detach().reshape({1});
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  std::vector<torch::Tensor> parts{share, torch::full({1}, failure.empty() ? 0.0 : 1.0, options)};
  for (const auto& p : params) {
    const bool mine = failure.empty() && p.grad().defined();
    parts.push_back(mine ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, options));
  }
  torch::Tensor flat = torch::cat(parts);
  team_->sum(flat);
  if (!failure.empty()) throw TrainingError(failure);
  if (flat[1].item<double>() > 0) throw TrainingError("a team member failed at this step (its log says why)");
  std::int64_t at = 2;
  for (auto p : params) {
    p.mutable_grad() = flat.slice(0, at, at + p.numel()).view_as(p);
    at += p.numel();
  }
  optimizer_->step();
  return flat.slice(0, 0, 1).reshape({});
}

double Trainer::step() {
  if (team_) {
    if (team_->rank() != 0) throw TrainingError("a team member follows its leader: call follow(), not step()");
    config::GridPoint p = point_;
    team_->broadcast(Team::kStep, p);
  }
  return take_step();
}

void Trainer::follow() {
  if (!team_ || team_->rank() == 0) throw TrainingError("follow() is for team members other than the leader");
  config::GridPoint ignored;
  while (team_->broadcast(0, ignored) == Team::kStep) {
    try {
      take_step();
    } catch (const std::exception& e) {  // the leader learned of it in the step's sum
      log::warn("point ", point_.id, ": team rank ", team_->rank(), ": ", e.what());
    }
  }
}

void Trainer::refresh_sampling() {
  const auto& t = job_.train;
  const std::int64_t steps = optimizer_->steps();
  if (!t.importance_sampling() || full_batch_) return;
  if (sampling_refreshed_ >= 0 && steps - sampling_refreshed_ < t.importance_refresh) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (std::int64_t lo = 0; lo < x_train_.size(0); lo += kEvalChunk) {
    const std::int64_t hi = std::min(x_train_.size(0), lo + kEvalChunk);
    // Each sample as a model of its own: the loss formulas, unreduced.
    const auto out = model_->forward(x_train_.slice(0, lo, hi)).unsqueeze(1);
    parts.push_back(compute_pack_losses(t.loss, out, y_train_.slice(0, lo, hi).unsqueeze(1), binary_));
  }
  const std::vector<double> losses = host_doubles(torch::cat(parts));
  // importance_weights() takes finite losses only; a non-finite one: the point is about to diverge.
  if (!std::all_of(losses.begin(), losses.end(), [](double l) { return std::isfinite(l); })) return;
  sampler_.set_weights(importance_weights(losses, t.importance_temperature));
  sampling_refreshed_ = steps;
}

double Trainer::take_step() {
  refresh_sampling();
  if (graph_) {
    if (!full_batch_) graph_idx_.copy_(sampler_.next());
    const double loss = graph_->replay().item<double>();
    optimizer_->set_steps(optimizer_->steps() + 1);
    return loss;
  }
  torch::Tensor idx;
  if (!full_batch_) idx = sampler_.next().to(x_train_.device());
  const double loss = train_step(idx).item<double>();
  if (projected_) projected_->project(x_train_, y_train_);
  if (try_graph_ && ++eager_steps_ == kEagerSteps) capture_step();
  return loss;
}

// Capturing runs nothing: the next step() replays the graph for the first time.
void Trainer::capture_step() {
  try_graph_ = false;
  if (!full_batch_) graph_idx_ = torch::zeros({point_.batch}, torch::dtype(torch::kInt64).device(x_train_.device()));
  const std::int64_t taken = optimizer_->steps();
  try {
    graph_ = StepGraph::capture(x_train_.device(), [this] { return train_step(graph_idx_); });
  } catch (const std::exception& e) {
    graph_fallback_ = e.what();
    log::warn("point ", point_.id, ": ", graph_fallback_, "; training eagerly");
  }
  optimizer_->set_steps(taken);  // the capture ran no step
}

Evaluation Trainer::evaluate(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  return evaluate_chunks(x, y, nullptr);
}

Evaluation Trainer::evaluate_with_gradient(const torch::Tensor& x, const torch::Tensor& y,
                                           std::vector<torch::Tensor>& gradient) {
  return evaluate_chunks(x, y, &gradient);
}

Evaluation Trainer::evaluate_chunks(const torch::Tensor& x, const torch::Tensor& y,
                                    std::vector<torch::Tensor>* gradient) {
  const std::int64_t n = x.size(0);
  if (n == 0) return {kNaN, kNaN};
  const auto params = model_->parameters();
  if (gradient) {
    gradient->clear();
    for (const auto& p : params) gradient->push_back(torch::zeros_like(p));
  }
  double loss_sum = 0.0;
  std::int64_t correct = 0;
  for (std::int64_t lo = 0; lo < n; lo += kEvalChunk) {
    const std::int64_t hi = std::min(n, lo + kEvalChunk);
    const auto out = model_->forward(x.slice(0, lo, hi));
    const auto yc = y.slice(0, lo, hi);
    const auto loss = compute_loss(job_.train.loss, out, yc, binary_);
    loss_sum += loss.item<double>() * static_cast<double>(hi - lo);
    correct += count_correct(out.detach(), yc, binary_).item<std::int64_t>();
    if (!gradient) continue;
    // d(mean over the set)/dtheta = sum over chunks of (chunk size / n) d(chunk mean)/dtheta.
    const auto g = torch::autograd::grad({loss}, params);
    const double weight = static_cast<double>(hi - lo) / static_cast<double>(n);
    for (std::size_t i = 0; i < g.size(); ++i) (*gradient)[i].add_(g[i], weight);
  }
  return {loss_sum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n)};
}

Evaluation Trainer::evaluate_train(bool with_gradient) {
  if (!with_gradient) return evaluate(x_train_, y_train_);
  return evaluate_with_gradient(x_train_, y_train_, full_gradient_);
}

torch::Tensor PointState::loss(const torch::Tensor& out, const torch::Tensor& y) const {
  return compute_loss(job.train.loss, out, y, config::output_dim(job.data) == 1);
}

PointState Trainer::state(std::int64_t step) {
  return PointState{job_,
                    point_,
                    model_,
                    x_train_,
                    y_train_,
                    *optimizer_,
                    step,
                    full_gradient_,
                    x_test_,
                    y_test_,
                    [this](const torch::Tensor& x, const torch::Tensor& y) { return evaluate(x, y); }};
}

StopCriteria Trainer::stop_criteria(const RunOptions& options) const {
  StopCriteria criteria;
  if (options.interrupt) criteria.push_back(stop_on_interrupt(options.interrupt));
  if (job_.train.point_time_limit > 0) criteria.push_back(stop_after_seconds(job_.train.point_time_limit));
  criteria.push_back(stop_on_divergence());
  for (auto* o : options.observers) {
    if (auto c = o->stop_criterion()) criteria.push_back(std::move(c));
  }
  return criteria;
}

PointRecord Trainer::run(const RunOptions& options) { return run(config::layout::store_layout(job_), options); }

// What run() keeps between its pieces.
struct Trainer::Run {
  std::chrono::steady_clock::time_point start;
  std::vector<std::int64_t> schedule;
  std::size_t next = 1;  // the next checkpoint
  RunOptions options;
  PointRecord rec;
  StopCriteria criteria;
  bool gradient = false;                 // an observer wants the full gradient
  std::vector<PointObserver*> stepping;  // observers that want every step
};

Trainer::~Trainer() = default;

PointRecord Trainer::run(const Layout& layout, const RunOptions& options) {
  begin(layout, options);
  for (std::int64_t s = 1; s <= job_.train.steps; ++s) {
    if (!after_step(s, step())) break;
  }
  return end();
}

void Trainer::checkpoint(std::size_t k, std::int64_t step) {
  namespace L = config::layout;
  const Evaluation e = evaluate_train(run_->gradient);
  run_->rec.rows[L::kSeriesTrainLoss][k] = e.loss;
  run_->rec.rows[L::kSeriesTrainAccuracy][k] = e.accuracy;
  if (job_.train.importance_sampling()) {
    refresh_sampling();  // the weights the next step draws from (the same refresh that step would make)
    run_->rec.rows[L::kSeriesSamplingEss][k] = full_batch_ ? kNaN : sampler_.effective_sample_size();
  }
  const PointState now = state(step);
  for (auto* o : run_->options.observers) o->checkpoint(now, k, run_->rec.rows);
}

void Trainer::begin(const Layout& layout, const RunOptions& options) {
  run_ = std::make_unique<Run>();
  run_->start = std::chrono::steady_clock::now();
  run_->schedule = config::checkpoint_steps(job_.train.steps, job_.train.checkpoints);
  run_->options = options;
  run_->rec.summary.point_id = point_.id;
  run_->rec.rows = Rows(layout, point_.id);
  for (auto* o : options.observers) {
    run_->gradient = run_->gradient || o->wants_full_gradient();
    if (o->wants_steps()) run_->stepping.push_back(o);
  }
  for (auto* o : options.observers) o->start(state(0));
  checkpoint(0, 0);
  run_->rec.summary.status = PointStatus::done;
  run_->criteria = stop_criteria(options);
}

bool Trainer::after_step(std::int64_t s, double loss) {
  Run& r = *run_;
  r.rec.summary.steps = s;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
  if (auto stop = first_stop(r.criteria, {s, loss, elapsed})) {
    r.rec.summary.status = stop->status;
    r.rec.summary.error = stop->why;
    return false;
  }
  if (!r.stepping.empty()) {
    const PointState now = state(s);
    for (auto* o : r.stepping) o->step(now);
  }
  if (r.next < r.schedule.size() && r.schedule[r.next] == s) checkpoint(r.next++, s);
  return true;
}

PointRecord Trainer::end() {
  namespace L = config::layout;
  auto run = std::move(run_);
  PointRecord& rec = run->rec;
  const Evaluation train = evaluate_train(run->gradient);
  const Evaluation test = evaluate(x_test_, y_test_);
  rec.rows[L::kFinalTrainLoss] = {train.loss};
  rec.rows[L::kTrainAccuracy] = {train.accuracy};
  rec.rows[L::kFinalTestLoss] = {test.loss};
  rec.rows[L::kTestAccuracy] = {test.accuracy};
  const PointState last = state(rec.summary.steps);
  for (auto* o : run->options.observers) o->finish(last, rec.rows);
  rec.collect_scalars();
  rec.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - run->start).count();
  return std::move(rec);
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
