// Training steps per second of lsweep's Trainer::step() on random data, single thread.
// Prints one JSON line; bench/train_bench.py is the same loop in PyTorch Python.
// --device cuda trains on GPU 0 (--graph 1: CUDA graphs, the job default; 0: eager).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lsweep/config/grid.hpp"
#include "lsweep/config/job_config.hpp"
#include "lsweep/training/dataset.hpp"
#include "lsweep/training/pack.hpp"
#include "lsweep/training/trainer.hpp"

namespace config = lsweep::config;
namespace training = lsweep::training;

static int run(int argc, char** argv) {
  std::map<std::string, std::int64_t> opt = {{"width", 0}, {"batch", 0},         {"steps", 300},     {"warmup", 20},
                                             {"depth", 2}, {"train-size", 4096}, {"input-dim", 784}, {"classes", 10},
                                             {"graph", 1}, {"pack", 1},          {"adam", 0}};
  std::string device_name = "cpu";
  for (int i = 1; i < argc; i += 2) {
    if (std::strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
      device_name = argv[i + 1];
      continue;
    }
    const auto it = std::strncmp(argv[i], "--", 2) == 0 ? opt.find(argv[i] + 2) : opt.end();
    char* end = nullptr;
    if (it != opt.end() && i + 1 < argc) it->second = std::strtoll(argv[i + 1], &end, 10);
    if (end == nullptr || *end != '\0' || end == argv[i + 1]) {
      std::fprintf(stderr,
                   "usage: %s --width W --batch B [--steps 300] [--warmup 20] [--depth 2] "
                   "[--train-size 4096] [--input-dim 784] [--classes 10] [--device cpu|cuda] [--graph 1|0] [--pack 1] "
                   "[--adam 0|1]\n",
                   argv[0]);
      return 2;
    }
  }
  // Trainer sizes its output layer from config::output_dim(): 10 for non-binary data.
  if (opt["width"] < 1 || opt["batch"] < 1 || opt["steps"] < 1 || opt["classes"] != 10 || opt["pack"] < 1 ||
      (device_name != "cpu" && device_name != "cuda")) {
    std::fprintf(stderr, "need --width >= 1, --batch >= 1, --steps >= 1, --classes 10 and --device cpu or cuda\n");
    return 2;
  }
  const bool cuda = device_name == "cuda";

  config::JobConfig job;
  job.data.kind = config::DataKind::fashion_mnist;  // any non-binary kind: only output_dim() reads it
  job.data.binary = false;
  job.model.depth = opt["depth"];
  job.train.loss = config::LossKind::cross_entropy;
  job.train.momentum = opt["adam"] != 0 ? 0.0 : 0.9;
  if (opt["adam"] != 0) job.train.optimizer = config::OptimizerKind::adam;
  job.train.dtype = config::DType::float32;
  job.train.cuda_graphs = opt["graph"] != 0;

  config::GridPoint point;
  point.id = 0;
  point.lr = opt["adam"] != 0 ? 1e-3 : 0.01;
  point.batch = opt["batch"];
  point.width = opt["width"];
  point.seed = 0;

  torch::manual_seed(0);
  training::Dataset data;
  const std::int64_t p = opt["train-size"];
  data.x_train = torch::randn({p, opt["input-dim"]}, torch::kFloat32);
  data.y_train = torch::randint(0, opt["classes"], {p}, torch::kInt64);
  data.x_test = torch::zeros({0, opt["input-dim"]}, torch::kFloat32);
  data.y_test = torch::zeros({0}, torch::kInt64);

  training::set_compute_threads(1);
  training::tune_allocator();
  const torch::Device device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  const std::int64_t k = opt["pack"];
  std::unique_ptr<training::Trainer> trainer;
  std::unique_ptr<training::PackTrainer> pack;
  if (k == 1) {
    trainer = std::make_unique<training::Trainer>(job, point, data, device);
  } else {  // K models: learning rates from 0.005 to 0.02, seeds 0..K-1
    std::vector<config::GridPoint> points;
    for (std::int64_t i = 0; i < k; ++i) {
      config::GridPoint q = point;
      q.id = i;
      q.seed = i;
      q.lr = 0.005 + 0.015 * static_cast<double>(i) / static_cast<double>(k - 1);
      points.push_back(q);
    }
    pack = std::make_unique<training::PackTrainer>(job, points, data, device);
  }
  // Each step reads every model's loss (a sync on a GPU), as a worker does.
  auto step = [&] { trainer ? (void)trainer->step() : (void)pack->step(); };
  for (std::int64_t s = 0; s < opt["warmup"]; ++s) step();
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t s = 0; s < opt["steps"]; ++s) step();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string fallback = trainer ? trainer->graph_fallback() : pack->graph_fallback();
  const bool graph = trainer ? trainer->graph_active() : pack->graph_active();
  for (auto& c : fallback) c = (c == '"' || c == '\\') ? '\'' : c;

  std::printf(
      "{\"impl\":\"lsweep\",\"device\":\"%s\",\"graph\":%s,\"width\":%lld,\"batch\":%lld,\"k\":%lld,"
      "\"steps_per_second\":%.3f,\"model_steps_per_second\":%.1f%s}\n",
      device_name.c_str(), graph ? "true" : "false", static_cast<long long>(point.width),
      static_cast<long long>(point.batch), static_cast<long long>(k), static_cast<double>(opt["steps"]) / seconds,
      static_cast<double>(k * opt["steps"]) / seconds,
      fallback.empty() ? "" : (",\"graph_fallback\":\"" + fallback + "\"").c_str());
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
