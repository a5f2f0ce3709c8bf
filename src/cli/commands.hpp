#pragma once
// The lsweep subcommands. Each returns the process exit code.

#include <string>

namespace lsweep::cli {

/// Exit codes shared by all subcommands.
enum ExitCode : int { kOk = 0, kFailure = 1, kBadInput = 2, kStorage = 3, kInterrupted = 4 };

int validate_command(const std::string& job_path);
/// Returns kInterrupted when a drain signal left points to run (resume with the same command).
int run_command(const std::string& job_path, const std::string& store_path, double progress_seconds);
/// `left_only`: print just the number of points still to run (pending or running).
int status_command(const std::string& store_path, bool left_only);
int report_command(const std::string& store_path, bool csv);

}  // namespace lsweep::cli
