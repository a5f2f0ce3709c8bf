#pragma once
/// \file
/// The Hessian of a network's mean loss as an Operator (Hessian-vector
/// products by double backpropagation, accumulated over chunks of samples),
/// and per-sample gradients. Vectors are the parameters flattened in
/// parameters() order, as float64.

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include "lsweep/curvature/operator.hpp"

namespace lsweep::curvature {

/// The loss of outputs `out` for labels `y`: a mean over the samples.
using LossFn = std::function<torch::Tensor(const torch::Tensor& out, const torch::Tensor& y)>;

/// Every tensor flattened and concatenated, as float64 (undefined ones skipped).
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors);

/// H v for the Hessian H of mean_i loss(model(x_i), y_i) over (x, y), in
/// the model's dtype, `chunk` samples at a time (memory: one chunk's graph
/// of the gradient). The model's parameters and their .grad are not
/// changed, and must not change while the operator is used: when all
/// samples fit in one chunk, the gradient's graph is built once and every
/// product is one backward pass through it; otherwise each product costs a
/// forward and two backward passes per chunk.
class HessianOperator : public Operator {
 public:
  HessianOperator(torch::nn::Sequential model, torch::Tensor x, torch::Tensor y, LossFn loss, std::int64_t chunk);
  std::int64_t size() const override { return size_; }
  torch::TensorOptions options() const override;
  /// The gradient of the mean loss (flat, float64).
  torch::Tensor gradient();

 protected:
  torch::Tensor apply(const torch::Tensor& v) override;

 private:
  torch::nn::Sequential model_;
  std::vector<torch::Tensor> params_;
  torch::Tensor x_, y_;
  std::vector<torch::Tensor> chunk_gradient(std::int64_t at, bool create_graph);

  LossFn loss_;
  std::int64_t chunk_, size_;
  std::vector<torch::Tensor> cached_;  // the one chunk's gradient, with its graph
};

/// A float64 copy of `model` (same parameters), for measuring in float64
/// without touching the trained model.
torch::nn::Sequential float64_copy(const torch::nn::Sequential& model);

/// The gradients of loss(model(x_i), y_i) for i < m, one row each: [m, P], float64.
torch::Tensor per_sample_gradients(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                                   const LossFn& loss, std::int64_t m);

}  // namespace lsweep::curvature
