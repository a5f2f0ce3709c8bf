#pragma once
// The lsweep subcommands. Each returns the process exit code.

#include <string>

namespace lsweep::cli {

/// Exit codes shared by all subcommands.
enum ExitCode : int { kOk = 0, kFailure = 1, kBadInput = 2, kStorage = 3 };

int validate_command(const std::string& job_path);
int run_command(const std::string& job_path, const std::string& store_path);
int report_command(const std::string& store_path, bool csv);

/// "2026-11-23T22:00:00Z"
std::string utc_now();

}  // namespace lsweep::cli
