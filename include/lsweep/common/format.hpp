#pragma once
/// \file
/// Number formatting shared by messages and reports.

#include <string>

namespace lsweep {

/// The shortest text that reads back as exactly `value`: "0.1", not
/// "0.10000000000000001"; integral values below 1e15 without exponent
/// ("1000000"); "nan", "inf", "-inf" for the rest.
std::string shortest_double(double value);

}  // namespace lsweep
