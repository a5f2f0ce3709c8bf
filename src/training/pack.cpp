#include "lsweep/training/pack.hpp"

#include <torch/torch.h>

#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"
#include "lsweep/training/host.hpp"
#include "lsweep/training/loss.hpp"

namespace lsweep::training {
namespace {

std::string describe(const config::GridPoint& p) {
  return "point " + std::to_string(p.id) + " (width " + std::to_string(p.width) + ", batch " + std::to_string(p.batch) +
         ")";
}

}  // namespace

PackTrainer::PackTrainer(const config::JobConfig& job, std::vector<config::GridPoint> points, const Dataset& data,
                         torch::Device device)
    : job_(job), points_(std::move(points)), binary_(data.binary) {
  if (points_.empty()) throw TrainingError("a pack needs at least one point");
  for (const auto& p : points_) {
    if (p.width != points_[0].width || p.batch != points_[0].batch) {
      throw TrainingError("a pack's points share width and batch: " + describe(p) + " cannot join " +
                          describe(points_[0]));
    }
  }
  // The data on the device once; every member's Trainer then finds it there.
  Dataset on_device = data;
  on_device.x_train = data.x_train.to(device);
  on_device.y_train = data.y_train.to(device);
  on_device.x_test = data.x_test.to(device);
  on_device.y_test = data.y_test.to(device);
  x_train_ = on_device.x_train;
  y_train_ = on_device.y_train;
  full_batch_ = points_[0].batch == x_train_.size(0);
  for (const auto& p : points_) {
    members_.push_back(std::make_unique<Trainer>(job, p, on_device, device));  // the one-point init, from p.seed
  }

  // Stack each parameter over the models; the members' parameters become
  // slices of the stacks (same storage), so they follow the training.
  const auto first = members_[0]->model()->parameters();
  const auto k = static_cast<std::int64_t>(points_.size());
  std::vector<double> rates;
  for (const auto& p : points_) rates.push_back(p.lr);
  for (std::size_t i = 0; i < first.size(); ++i) {
    std::vector<torch::Tensor> slices;
    for (auto& m : members_) slices.push_back(m->model()->parameters()[i].detach());
    params_.push_back(torch::stack(slices).requires_grad_(true));
    std::vector<std::int64_t> shape(static_cast<std::size_t>(first[i].dim()) + 1, 1);
    shape[0] = k;
    lr_.push_back(torch::tensor(rates, torch::kFloat64).to(params_[i].options()).view(shape));
  }
  for (std::size_t m = 0; m < members_.size(); ++m) {
    auto mine = members_[m]->model()->parameters();
    for (std::size_t i = 0; i < mine.size(); ++i) mine[i].set_data(params_[i].detach()[static_cast<std::int64_t>(m)]);
  }
  momentum_.resize(params_.size());
  try_graph_ = device.is_cuda() && job.train.cuda_graphs;
}

PackTrainer::~PackTrainer() = default;

torch::Tensor packed_mlp_forward(const std::vector<torch::Tensor>& stacked, const torch::Tensor& x) {
  torch::Tensor h = x;
  std::size_t i = 0;
  if (x.dim() == 2) {  // shared inputs: one [B, in] x [in, K * out] product, viewed as [K, B, out]
    const auto& w = stacked[0];
    const std::int64_t k = w.size(0), out = w.size(1);
    h = torch::mm(x, w.reshape({k * out, w.size(2)}).t()).view({x.size(0), k, out}).transpose(0, 1) +
        stacked[1].unsqueeze(1);
    if (stacked.size() > 2) h = torch::relu(h);
    i = 2;
  }
  for (; i + 1 < stacked.size(); i += 2) {
    h = torch::baddbmm(stacked[i + 1].unsqueeze(1), h, stacked[i].transpose(1, 2));
    if (i + 2 < stacked.size()) h = torch::relu(h);
  }
  return h;
}

torch::Tensor PackTrainer::train_step(const torch::Tensor& idx) {
  const auto k = static_cast<std::int64_t>(points_.size());
  torch::Tensor x, y;
  if (full_batch_) {
    x = x_train_.unsqueeze(0).expand({k, x_train_.size(0), x_train_.size(1)});
    y = y_train_.unsqueeze(0).expand({k, y_train_.size(0)});
  } else {
    const auto flat = idx.reshape({-1});
    x = x_train_.index_select(0, flat).view({k, idx.size(1), x_train_.size(1)});
    y = y_train_.index_select(0, flat).view({k, idx.size(1)});
  }
  for (auto& p : params_) p.mutable_grad().reset();
  const auto losses = compute_pack_losses(job_.train.loss, packed_mlp_forward(params_, x), y, binary_);
  losses.sum().backward();  // each model's loss depends on its own slice only
  torch::NoGradGuard no_grad;
  const double m = job_.train.momentum, wd = job_.train.weight_decay;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor d = params_[i].grad();
    if (wd != 0.0) d = d.add(params_[i], wd);  // coupled L2, as Optimizer's SGD
    if (m != 0.0) {                            // Optimizer's SGD recursion, per model
      if (!momentum_[i].defined()) {
        momentum_[i] = torch::clone(d).detach();
      } else {
        momentum_[i].mul_(m).add_(d, 1.0);
      }
      d = momentum_[i];
    }
    params_[i].sub_(d * lr_[i]);
  }
  return losses.detach();
}

// Every model's next minibatch, [K, B] on the CPU, in one tensor.
torch::Tensor PackTrainer::next_indices() {
  const auto batch = points_[0].batch;
  auto idx = torch::empty({static_cast<std::int64_t>(members_.size()), batch}, torch::kInt64);
  auto* out = idx.data_ptr<std::int64_t>();
  for (auto& m : members_) {
    m->refresh_sampling();  // its own model's per-sample losses (its optimizer counts the pack's steps)
    m->sampler().next_into(out);
    out += batch;
  }
  return idx;
}

std::vector<double> PackTrainer::step() {
  torch::Tensor losses;
  if (graph_) {
    if (!full_batch_) graph_idx_.copy_(next_indices());
    losses = graph_->replay();
  } else {
    torch::Tensor idx;
    if (!full_batch_) idx = next_indices().to(x_train_.device());
    losses = train_step(idx);
    if (try_graph_ && ++eager_steps_ == Trainer::kEagerSteps) capture_step();
  }
  if (!buffers_shared_ && job_.train.momentum != 0.0) {
    for (std::size_t m = 0; m < members_.size(); ++m) {
      std::vector<torch::Tensor> mine;
      for (const auto& buf : momentum_) mine.push_back(buf[static_cast<std::int64_t>(m)]);
      members_[m]->optimizer().adopt_buffers(std::move(mine));
    }
    buffers_shared_ = true;
  }
  return host_doubles(losses);
}

void PackTrainer::capture_step() {
  try_graph_ = false;
  if (!full_batch_) {
    graph_idx_ = torch::zeros({static_cast<std::int64_t>(points_.size()), points_[0].batch},
                              torch::dtype(torch::kInt64).device(x_train_.device()));
  }
  try {
    graph_ = StepGraph::capture(x_train_.device(), [this] { return train_step(graph_idx_); });
  } catch (const std::exception& e) {
    graph_fallback_ = e.what();
    log::warn("pack of ", points_.size(), " points from point ", points_[0].id, ": ", graph_fallback_,
              "; training eagerly");
  }
}

std::vector<PointRecord> PackTrainer::run(const Layout& layout, const std::vector<RunOptions>& options) {
  if (options.size() != members_.size()) {
    throw TrainingError("pack run: " + std::to_string(options.size()) + " option sets for " +
                        std::to_string(members_.size()) + " points");
  }
  std::vector<PointRecord> records(members_.size());
  std::vector<bool> running(members_.size(), true);
  std::size_t left = members_.size();
  for (std::size_t k = 0; k < members_.size(); ++k) members_[k]->begin(layout, options[k]);
  for (std::int64_t s = 1; s <= job_.train.steps && left > 0; ++s) {
    const auto losses = step();
    for (std::size_t k = 0; k < members_.size(); ++k) {
      if (!running[k]) continue;
      members_[k]->optimizer().set_steps(s);  // the pack's step, not the member optimizer's
      if (!members_[k]->after_step(s, losses[k])) {
        records[k] = members_[k]->end();  // its weights as they are now
        running[k] = false;
        --left;
      }
    }
  }
  for (std::size_t k = 0; k < members_.size(); ++k) {
    if (running[k]) records[k] = members_[k]->end();
  }
  return records;
}

}  // namespace lsweep::training
