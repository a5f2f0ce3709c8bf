#pragma once
// `lsweep report --transitions`: where each (lr, batch) line of a width scan
// stops fitting its training set (the jamming transition N*). Pure: the
// report reads the store, this aggregates.

#include <cstdint>
#include <string>
#include <vector>

namespace lsweep::cli {

/// One done point of a store with [probes.jamming].
struct JammingRow {
  double lr = 0.0, batch = 0.0, width = 0.0;
  double weights = 0.0;  ///< N: weights without biases
  bool fitted = false;   ///< no Delta above the probe's tolerance at the end
  bool dead = false;     ///< the output no longer depends on the input
};

/// N* of one (lr, batch): the smallest width at which at least half of the
/// seeds fitted, bracketed by the next smaller width of the scan.
struct Transition {
  double lr = 0.0, batch = 0.0;
  std::int64_t points = 0, widths = 0;
  /// "transition"; "fits_at_every_width" (N* at or below the smallest width:
  /// no lower end); "never_fits" (no width reached half: N* above the largest).
  std::string outcome;
  double width_low, width_high;            ///< the bracket's widths (NaN where open)
  double n_star, n_star_low, n_star_high;  ///< as weight counts: n_star = n_star_high
  double fraction_low, fraction_high;      ///< fraction of seeds fitted at the bracket's widths
  double p_over_n_star;                    ///< P / n_star
  std::int64_t dead_unfitted = 0;          ///< unfitted points below N* whose network is dead, not jammed
};

/// One row per (lr, batch), in order of lr then batch; `train_size` is P.
std::vector<Transition> transitions(const std::vector<JammingRow>& rows, double train_size);

}  // namespace lsweep::cli
