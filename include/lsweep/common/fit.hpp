#pragma once
/// \file
/// Ordinary least squares with standard errors, for the few-parameter fits
/// of the probes and the report (power laws on log-log axes, the Kunin
/// scaling of diffusion intercepts across the grid). Pure, no libraries.

#include <cstdint>
#include <vector>

namespace lsweep {

/// y ~ X b by least squares. `coef` and `err` (standard errors from
/// s^2 (X^T X)^-1, s^2 = RSS / (n - k)) are NaN when there are fewer than
/// k + 1 rows or X^T X is singular; then `ok` is false.
struct LinearFit {
  bool ok = false;
  std::vector<double> coef, err;
  std::int64_t points = 0;  ///< rows used
  double residual = 0.0;    ///< s: the residuals' standard deviation (n - k degrees of freedom)
};

/// `rows` are X's rows (each of the same length k >= 1), `y` one value per row.
LinearFit least_squares(const std::vector<std::vector<double>>& rows, const std::vector<double>& y);

/// log y = intercept + exponent * log t over the points with t > 0 and
/// finite y > 0, after skipping the first floor(skip * n) of those n points
/// (the short-time transient). Natural logarithms: y ~ exp(intercept) t^exponent.
struct PowerLawFit {
  double exponent = 0.0, exponent_err = 0.0, intercept = 0.0, intercept_err = 0.0;
  std::int64_t points = 0;  ///< points in the fit; values are NaN below 3 (no error without a residual)
};
PowerLawFit fit_power_law(const std::vector<double>& t, const std::vector<double>& y, double skip);

}  // namespace lsweep
