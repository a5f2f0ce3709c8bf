#include "transitions.hpp"

#include <limits>
#include <map>
#include <utility>

#include "lsweep/scheduler/bisection.hpp"

namespace lsweep::cli {

std::vector<Transition> transitions(const std::vector<JammingRow>& rows, double train_size) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  struct Cell {
    std::int64_t seeds = 0, fitted = 0, dead_unfitted = 0;
    double weights = 0.0;
  };
  std::map<std::pair<double, double>, std::map<double, Cell>> lines;  // (lr, batch) -> width -> seeds
  for (const auto& r : rows) {
    Cell& c = lines[{r.lr, r.batch}][r.width];
    ++c.seeds;
    c.fitted += r.fitted ? 1 : 0;
    c.dead_unfitted += !r.fitted && r.dead ? 1 : 0;
    c.weights = r.weights;
  }
  std::vector<Transition> out;
  for (const auto& [key, cells] : lines) {
    Transition t;
    t.lr = key.first;
    t.batch = key.second;
    t.widths = static_cast<std::int64_t>(cells.size());
    t.width_low = t.width_high = t.n_star = t.n_star_low = t.n_star_high = kNan;
    t.fraction_low = t.fraction_high = t.p_over_n_star = kNan;
    const Cell* below = nullptr;
    double below_width = kNan;
    bool found = false;
    for (const auto& [width, c] : cells) {
      t.points += c.seeds;
      if (found) continue;
      const double fraction = static_cast<double>(c.fitted) / static_cast<double>(c.seeds);
      if (scheduler::half_fitted(c.fitted, c.seeds)) {
        found = true;
        t.width_high = width;
        t.n_star = t.n_star_high = c.weights;
        t.fraction_high = fraction;
        t.p_over_n_star = train_size / c.weights;
        if (below) {
          t.width_low = below_width;
          t.n_star_low = below->weights;
          t.fraction_low = static_cast<double>(below->fitted) / static_cast<double>(below->seeds);
        }
      } else {
        t.dead_unfitted += c.dead_unfitted;
        below = &c;
        below_width = width;
      }
    }
    if (!found) {
      t.outcome = "never_fits";
      t.width_low = below_width;
      t.n_star_low = below->weights;
      t.fraction_low = static_cast<double>(below->fitted) / static_cast<double>(below->seeds);
    } else {
      t.outcome = below ? "transition" : "fits_at_every_width";
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace lsweep::cli
