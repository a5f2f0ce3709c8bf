#include "lsweep/common/error.hpp"

namespace lsweep {

ConfigError::ConfigError(const std::string& field, const std::string& value, const std::string& allowed)
    : Error(field + " = " + value + ": " + allowed) {}

}  // namespace lsweep
