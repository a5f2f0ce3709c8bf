#include "lsweep/common/format.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace lsweep {

std::string shortest_double(double value) {
  char buf[32];
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

}  // namespace lsweep
