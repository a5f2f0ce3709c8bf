#pragma once
/// \file
/// Wall-clock readings as the store and the logs write them.

#include <string>

namespace lsweep {

/// Seconds since the Unix epoch (UTC), with sub-second resolution.
double unix_now();
/// ISO 8601 UTC to the second: "2026-11-23T22:00:00Z" (20 characters).
std::string utc_now();

}  // namespace lsweep
