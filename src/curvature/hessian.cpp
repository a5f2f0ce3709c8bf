#include "lsweep/curvature/hessian.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace lsweep::curvature {
namespace {

// `flat` cut into tensors shaped like `like`, in their dtype.
std::vector<torch::Tensor> unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& like) {
  std::vector<torch::Tensor> out;
  std::int64_t at = 0;
  for (const auto& p : like) {
    out.push_back(flat.narrow(0, at, p.numel()).view(p.sizes()).to(p.dtype()));
    at += p.numel();
  }
  return out;
}

}  // namespace

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> parts;
  for (const auto& t : tensors) {
    if (t.defined()) parts.push_back(t.detach().flatten().to(torch::kFloat64));
  }
  return parts.empty() ? torch::zeros({0}, torch::kFloat64) : torch::cat(parts);
}

HessianOperator::HessianOperator(torch::nn::Sequential model, torch::Tensor x, torch::Tensor y, LossFn loss,
                                 std::int64_t chunk)
    : model_(std::move(model)),
      params_(model_->parameters()),
      x_(std::move(x)),
      y_(std::move(y)),
      loss_(std::move(loss)),
      chunk_(chunk),
      size_(0) {
  for (const auto& p : params_) size_ += p.numel();
}

torch::TensorOptions HessianOperator::options() const {
  return torch::TensorOptions().dtype(torch::kFloat64).device(x_.device());
}

std::vector<torch::Tensor> HessianOperator::chunk_gradient(std::int64_t at, bool create_graph) {
  const auto n = x_.size(0), len = std::min(chunk_, n - at);
  const auto loss = loss_(model_->forward(x_.narrow(0, at, len)), y_.narrow(0, at, len)) *
                    (static_cast<double>(len) / static_cast<double>(n));
  return torch::autograd::grad({loss}, params_, {}, create_graph, create_graph);
}

torch::Tensor HessianOperator::apply(const torch::Tensor& v) {
  const auto parts = unflatten(v, params_);
  const auto n = x_.size(0);
  const bool one_chunk = n <= chunk_;  // then its gradient graph is kept for every product
  torch::Tensor out = torch::zeros({size_}, options());
  for (std::int64_t at = 0; at < n; at += chunk_) {
    if (!one_chunk || cached_.empty()) cached_ = chunk_gradient(at, true);
    auto dot = (cached_[0] * parts[0]).sum();
    for (std::size_t i = 1; i < cached_.size(); ++i) dot = dot + (cached_[i] * parts[i]).sum();
    out += flatten(torch::autograd::grad({dot}, params_, {}, one_chunk));
  }
  if (!one_chunk) cached_.clear();
  return out;
}

torch::Tensor HessianOperator::gradient() {
  torch::Tensor out = torch::zeros({size_}, options());
  for (std::int64_t at = 0; at < x_.size(0); at += chunk_) out += flatten(chunk_gradient(at, false));
  return out;
}

torch::nn::Sequential float64_copy(const torch::nn::Sequential& model) {
  // clone() re-initialises each layer (reset()) before copying the values in: that draws from LibTorch's
  // global generator, which an observer must leave alone. Put its state back.
  auto generator = at::detail::getDefaultCPUGenerator();
  const auto state = generator.get_state();
  auto copy = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(model->clone());
  generator.set_state(state);
  copy->to(torch::kFloat64);
  return torch::nn::Sequential(copy);
}

torch::Tensor per_sample_gradients(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                                   const LossFn& loss, std::int64_t m) {
  const auto params = model->parameters();
  torch::Tensor out;
  for (std::int64_t i = 0; i < m; ++i) {
    const auto l = loss(model->forward(x.narrow(0, i, 1)), y.narrow(0, i, 1));
    const auto row = flatten(torch::autograd::grad({l}, params));
    if (!out.defined()) out = torch::empty({m, row.numel()}, row.options());  // one [m, n] block, no copies
    out[i].copy_(row);
  }
  return out;
}

}  // namespace lsweep::curvature
