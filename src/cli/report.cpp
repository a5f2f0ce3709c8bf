// `lsweep report`: a store as a readable table, or as CSV. Its columns are the
// layout's per-point scalars that name a csv_column (base and probes), in
// layout order with text columns last, then row_check.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/common/fit.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/common/results.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/store/store_reader.hpp"
#include "transitions.hpp"

namespace lsweep::cli {
namespace {

// exact: the shortest text that reads back as the same double (CSV);
// otherwise 6 significant digits (the table).
std::string number(double v, bool exact) {
  if (std::isnan(v)) return "nan";
  if (exact) return shortest_double(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// One column: its header and a cell per point.
struct Column {
  std::string name;
  std::vector<std::string> cells;
};

bool finished(PointStatus s) { return s != PointStatus::pending && s != PointStatus::running; }

Column read_column(const store::StoreReader& r, const DatasetSpec& s, const std::vector<PointStatus>& status,
                   bool exact) {
  Column c{s.csv_column, {}};
  if (s.type == ElementType::status) {
    for (auto v : status) c.cells.push_back(to_string(v));
  } else if (s.type == ElementType::text) {
    c.cells = r.texts(s.path);
  } else if (s.type == ElementType::int64) {
    for (auto v : r.integers(s.path)) c.cells.push_back(std::to_string(v));
  } else {
    for (double v : r.doubles(s.path)) c.cells.push_back(number(v, exact));
  }
  return c;
}

std::vector<Column> columns(const store::StoreReader& r, bool exact) {
  const auto status = r.statuses();
  std::vector<Column> out;
  Column id{"point_id", {}};
  for (std::int64_t i = 0; i < r.num_points(); ++i) id.cells.push_back(std::to_string(i));
  out.push_back(std::move(id));
  for (bool text : {false, true}) {
    for (const auto& s : r.layout()) {
      if (!s.csv_column.empty() && (s.type == ElementType::text) == text)
        out.push_back(read_column(r, s, status, exact));
    }
  }
  // ok / torn for finished rows ("-": a version-1 store has no checksums); empty for the others.
  const auto torn = r.torn_rows(status);
  const bool checked = find_spec(r.layout(), config::layout::kChecksum) != nullptr;
  Column check{"row_check", {}};
  for (std::size_t i = 0; i < status.size(); ++i) {
    check.cells.push_back(!finished(status[i]) ? "" : !checked ? "-" : torn[i] ? "torn" : "ok");
  }
  out.push_back(std::move(check));
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void print_csv(const std::vector<Column>& cols) {
  const std::size_t rows = cols.front().cells.size();
  for (std::size_t i = 0; i <= rows; ++i) {
    std::string line;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      line += (c ? "," : "") + csv_field(i == 0 ? cols[c].name : cols[c].cells[i - 1]);
    }
    std::cout << line << "\n";
  }
}

// Columns padded to their widest cell, two spaces apart.
void print_aligned(const std::vector<Column>& cols) {
  const std::size_t rows = cols.front().cells.size();
  std::vector<std::size_t> widths;
  for (const auto& c : cols) {
    std::size_t w = c.name.size();
    for (const auto& cell : c.cells) w = std::max(w, cell.size());
    widths.push_back(w);
  }
  for (std::size_t i = 0; i <= rows; ++i) {
    std::string line;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const std::string& cell = i == 0 ? cols[c].name : cols[c].cells[i - 1];
      line += cell;
      if (c + 1 < cols.size()) line += std::string(widths[c] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

void print_table(const store::StoreReader& r, const std::vector<Column>& cols) {
  const auto attr = [&](const char* name) {
    const std::string v = r.attribute(name);
    return v.empty() ? std::string("-") : v;
  };
  std::cout << "store: " << r.path() << "    schema version " << r.version() << "\njob: " << attr("job_name")
            << "    lsweep " << attr("lsweep_version") << " (" << attr("git_commit") << ")\nhosts: " << attr("hosts")
            << "    ranks: " << r.num_ranks() << "\nstarted: " << attr("start_time")
            << "    ended: " << attr("end_time") << "\n\n";
  print_aligned(cols);
  const std::size_t rows = cols.front().cells.size();
  int counts[kPointStatusCount] = {};
  for (auto s : r.statuses()) ++counts[static_cast<int>(s)];
  std::cout << "\n" << rows << " points:";
  for (int i = 0; i < kPointStatusCount; ++i) {
    if (counts[i] > 0) std::cout << " " << counts[i] << " " << to_string(static_cast<PointStatus>(i));
  }
  std::size_t torn = 0;
  for (const auto& cell : cols.back().cells) torn += cell == "torn";
  if (torn > 0) std::cout << " (" << torn << " torn by a crash: they run again on resume)";
  std::cout << "\n";
}

// The store must hold `path`, a dataset of [probes.PROBE]; otherwise the
// report's --diffusion, --transitions or --escape is refused.
void require(const store::StoreReader& r, const char* path, const std::string& probe, const std::string& flag) {
  if (find_spec(r.layout(), path)) return;
  throw ConfigError("lsweep report " + flag + ": store " + r.path() + " has no " + probe +
                    " results (its job has no [probes." + probe + "] table); allowed: a store of a job with [probes." +
                    probe + "]");
}

// --diffusion: for each width and each intercept (the largest waiting time's,
// and the one from initialisation), least squares over the done points of
//   intercept = constant + a ln(lr) + b ln(batch)
// with a factor left out (NaN) when the width's points have one value of it.
std::vector<Column> diffusion_columns(const store::StoreReader& r, bool exact) {
  const char* const intercepts[][2] = {{"/probes/diffusion/final_intercept", "diffusion_intercept"},
                                       {"/probes/diffusion/msd_intercept", "msd_intercept"}};
  require(r, intercepts[0][0], "diffusion", "--diffusion");
  namespace L = config::layout;
  const auto lr = r.doubles(L::kLr), batch = r.doubles(L::kBatch), width = r.doubles(L::kWidth);
  const auto exponent = r.doubles("/probes/diffusion/final_exponent");
  const auto status = r.statuses();
  std::vector<double> widths;
  for (double w : width) {
    if (std::find(widths.begin(), widths.end(), w) == widths.end()) widths.push_back(w);
  }
  std::vector<Column> cols;
  for (const char* name :
       {"width", "quantity", "points", "lr_values", "batch_values", "slope_ln_lr", "slope_ln_lr_err", "slope_ln_batch",
        "slope_ln_batch_err", "constant", "constant_err", "residual_sd", "mean_diffusion_exponent"}) {
    cols.push_back({name, {}});
  }
  const std::vector<double> intercept_values[] = {r.doubles(intercepts[0][0]), r.doubles(intercepts[1][0])};
  for (double w : widths) {
    for (std::size_t q = 0; q < 2; ++q) {
      const auto& values = intercept_values[q];
      const char* quantity = intercepts[q][1];
      std::vector<std::size_t> use;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (width[i] == w && status[i] == PointStatus::done && std::isfinite(values[i])) use.push_back(i);
      }
      const auto distinct = [&](const std::vector<double>& v) {
        std::vector<double> seen;
        for (auto i : use) {
          if (std::find(seen.begin(), seen.end(), v[i]) == seen.end()) seen.push_back(v[i]);
        }
        return seen.size();
      };
      const std::size_t lr_values = distinct(lr), batch_values = distinct(batch);
      const bool by_lr = lr_values > 1, by_batch = batch_values > 1;
      std::vector<std::vector<double>> rows;
      std::vector<double> y;
      double exponent_sum = 0.0;
      std::size_t exponents = 0;
      for (auto i : use) {
        std::vector<double> row{1.0};
        if (by_lr) row.push_back(std::log(lr[i]));
        if (by_batch) row.push_back(std::log(batch[i]));
        rows.push_back(row);
        y.push_back(values[i]);
        if (std::isfinite(exponent[i])) {
          exponent_sum += exponent[i];
          ++exponents;
        }
      }
      LinearFit f = least_squares(rows, y);
      if (use.empty()) f.coef = f.err = {kNaN};
      double a = kNaN, a_err = kNaN, b = kNaN, b_err = kNaN;
      std::size_t k = 1;
      if (by_lr) {
        a = f.coef[k];
        a_err = f.err[k++];
      }
      if (by_batch) {
        b = f.coef[k];
        b_err = f.err[k];
      }
      const std::vector<std::string> cells{
          number(w, true),
          quantity,
          std::to_string(use.size()),
          std::to_string(lr_values),
          std::to_string(batch_values),
          number(a, exact),
          number(a_err, exact),
          number(b, exact),
          number(b_err, exact),
          number(f.coef[0], exact),
          number(f.err[0], exact),
          number(f.residual, exact),
          number(exponents ? exponent_sum / static_cast<double>(exponents) : kNaN, exact)};
      for (std::size_t c = 0; c < cells.size(); ++c) cols[c].cells.push_back(cells[c]);
    }
  }
  return cols;
}

// --transitions: N* per (lr, batch) from the trained points of a jamming scan.
std::vector<Column> transition_columns(const store::StoreReader& r, bool exact) {
  require(r, "/probes/jamming/fitted", "jamming", "--transitions");
  namespace L = config::layout;
  const auto lr = r.doubles(L::kLr), batch = r.doubles(L::kBatch), width = r.doubles(L::kWidth);
  const auto weights = r.doubles("/probes/jamming/weight_count");
  const auto fitted = r.doubles("/probes/jamming/fitted"), dead = r.doubles("/probes/jamming/dead_network");
  const auto status = r.statuses();
  std::vector<JammingRow> rows;
  // Diverged and timed-out points did not fit; failed ones have no training outcome.
  for (std::size_t i = 0; i < status.size(); ++i) {
    const bool done = status[i] == PointStatus::done;
    if (done || status[i] == PointStatus::diverged || status[i] == PointStatus::timed_out)
      rows.push_back({lr[i], batch[i], width[i], weights[i], done && fitted[i] == 1.0, dead[i] == 1.0});
  }
  std::vector<Column> cols;
  for (const char* name :
       {"lr", "batch", "points", "widths", "outcome", "n_star", "n_star_low", "n_star_high", "width_low", "width_high",
        "fraction_low", "fraction_high", "p_over_n_star", "dead_unfitted"}) {
    cols.push_back({name, {}});
  }
  for (const auto& t : transitions(rows, static_cast<double>(r.job().data.train_size))) {
    const std::vector<std::string> cells{number(t.lr, true),
                                         number(t.batch, true),
                                         std::to_string(t.points),
                                         std::to_string(t.widths),
                                         t.outcome,
                                         number(t.n_star, true),
                                         number(t.n_star_low, true),
                                         number(t.n_star_high, true),
                                         number(t.width_low, true),
                                         number(t.width_high, true),
                                         number(t.fraction_low, exact),
                                         number(t.fraction_high, exact),
                                         number(t.p_over_n_star, exact),
                                         std::to_string(t.dead_unfitted)};
    for (std::size_t c = 0; c < cells.size(); ++c) cols[c].cells.push_back(cells[c]);
  }
  return cols;
}

// --escape: per dynamics (SGD, GD + white noise), least squares of ln tau
// against B / lr and against 1 / lambda_max over the done points with at
// least one escape (tau finite); points whose replicas all stayed in (tau =
// +inf, a lower bound only) are counted, not fitted. Against B / lr also per
// minimum (width and seed: the points that share the minimum), where
// lambda_max is the same for every point.
std::vector<Column> escape_columns(const store::StoreReader& r, bool exact) {
  require(r, "/probes/escape/sgd_tau", "escape", "--escape");
  namespace L = config::layout;
  const auto lr = r.doubles(L::kLr), batch = r.doubles(L::kBatch), width = r.doubles(L::kWidth);
  const auto seed = r.doubles(L::kSeed), lambda_max = r.doubles("/probes/escape/lambda_max");
  const auto status = r.statuses();
  std::vector<Column> cols;
  for (const char* name : {"dynamics", "predictor", "minimum", "lambda_max", "points", "censored_points", "slope",
                           "slope_err", "intercept", "intercept_err", "r2", "residual_sd"}) {
    cols.push_back({name, {}});
  }
  // The groups: every point, then each (width, seed) in grid order.
  std::vector<std::pair<double, double>> minima;
  for (std::size_t i = 0; i < width.size(); ++i) {
    const std::pair<double, double> m{width[i], seed[i]};
    if (std::find(minima.begin(), minima.end(), m) == minima.end()) minima.push_back(m);
  }
  const auto fit_row = [&](const std::string& dynamics, const std::string& predictor, const std::string& minimum,
                           const std::vector<double>& tau, const std::function<bool(std::size_t)>& in_group) {
    std::vector<std::vector<double>> rows;
    std::vector<double> y;
    std::int64_t censored = 0;
    double lambda = kNaN;
    for (std::size_t i = 0; i < tau.size(); ++i) {
      const double x = predictor == "batch_over_lr" ? batch[i] / lr[i] : 1.0 / lambda_max[i];
      if (!in_group(i) || status[i] != PointStatus::done || !std::isfinite(x) || std::isnan(tau[i])) continue;
      lambda = lambda_max[i];
      if (std::isinf(tau[i])) {
        ++censored;
        continue;
      }
      rows.push_back({1.0, x});
      y.push_back(std::log(tau[i]));
    }
    const LinearFit f = least_squares(rows, y);
    double mean = 0.0, total = 0.0;
    for (double v : y) mean += v / static_cast<double>(y.size());
    for (double v : y) total += (v - mean) * (v - mean);
    const double residual = f.residual * f.residual * static_cast<double>(f.points - 2);  // RSS = s^2 (n - k)
    const auto coef = [&](std::size_t k, bool err) { return !f.ok ? kNaN : err ? f.err[k] : f.coef[k]; };
    const std::vector<std::string> cells{dynamics,
                                         predictor,
                                         minimum,
                                         minimum == "all" ? "" : number(lambda, exact),
                                         std::to_string(y.size()),
                                         std::to_string(censored),
                                         number(coef(1, false), exact),
                                         number(coef(1, true), exact),
                                         number(coef(0, false), exact),
                                         number(coef(0, true), exact),
                                         number(f.ok && total > 0 ? 1.0 - residual / total : kNaN, exact),
                                         number(f.ok ? f.residual : kNaN, exact)};
    for (std::size_t c = 0; c < cells.size(); ++c) cols[c].cells.push_back(cells[c]);
  };
  const auto everything = [](std::size_t) { return true; };
  for (const char* dynamics : {"sgd", "white"}) {
    const auto tau = r.doubles(std::string("/probes/escape/") + dynamics + "_tau");
    fit_row(dynamics, "batch_over_lr", "all", tau, everything);
    fit_row(dynamics, "inverse_lambda_max", "all", tau, everything);
    for (const auto& [w, sd] : minima) {
      const std::string name = "width " + number(w, true) + " seed " + number(sd, true);
      fit_row(dynamics, "batch_over_lr", name, tau, [&](std::size_t i) { return width[i] == w && seed[i] == sd; });
    }
  }
  return cols;
}

}  // namespace

int report_command(const std::string& store_path, bool csv, ReportKind kind, const config::ProbeCatalog& catalog) {
  const store::StoreReader reader(store_path, catalog);
  if (kind != ReportKind::points) {
    const auto cols = kind == ReportKind::diffusion     ? diffusion_columns(reader, csv)
                      : kind == ReportKind::transitions ? transition_columns(reader, csv)
                                                        : escape_columns(reader, csv);
    if (csv) {
      print_csv(cols);
    } else {
      print_aligned(cols);
    }
    return kOk;
  }
  const auto cols = columns(reader, csv);
  if (csv) {
    print_csv(cols);
  } else {
    print_table(reader, cols);
  }
  return kOk;
}

}  // namespace lsweep::cli
