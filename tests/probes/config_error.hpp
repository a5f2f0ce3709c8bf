#pragma once
// What the probe tests share to check a probe's table validation: the
// message a parse gives, and the check that it names what it should.

#include <gtest/gtest.h>

#include <string>

#include "lsweep/common/error.hpp"

namespace lsweep::probes {

/// The message `parse()` throws as a ConfigError, or "" when it accepts.
template <class Parse>
std::string config_error(Parse&& parse) {
  try {
    parse();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

/// Expects `got` (from config_error on the job with `table`) to contain `wanted`.
inline void expect_config_error(const std::string& table, const std::string& got, const std::string& wanted) {
  EXPECT_NE(got.find(wanted), std::string::npos) << "job table: " << table << "\ngot: " << got;
}

}  // namespace lsweep::probes
