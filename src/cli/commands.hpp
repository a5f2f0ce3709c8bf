#pragma once
// The lsweep subcommands. Each returns the process exit code.

#include <string>

#include "lsweep/config/probe_spec.hpp"

namespace lsweep::cli {

/// Exit codes shared by all subcommands.
enum ExitCode : int { kOk = 0, kFailure = 1, kBadInput = 2, kStorage = 3, kInterrupted = 4 };

// `catalog`: the probes a job may name (the product's: probes::builtin()).
int validate_command(const std::string& job_path, const config::ProbeCatalog& catalog);
/// Returns kInterrupted when a drain signal left points to run (resume with the same command).
int run_command(const std::string& job_path, const std::string& store_path, double progress_seconds,
                const config::ProbeCatalog& catalog);
/// `left_only`: print just the number of points still to run (pending, running, or torn).
int status_command(const std::string& store_path, bool left_only, const config::ProbeCatalog& catalog);
/// What `lsweep report` prints: the per-point table, or one of the
/// across-grid summaries (one row per width and quantity of the diffusion
/// intercepts' fit; N* per (lr, batch) line, transitions.hpp; the fits of
/// ln tau of the escape probe).
enum class ReportKind { points, diffusion, transitions, escape };
int report_command(const std::string& store_path, bool csv, ReportKind kind, const config::ProbeCatalog& catalog);
/// Draws every figure the store's probes support into `out_dir` (default: the
/// store's folder; made if missing) with tools/lsweep_plot.py, which prints
/// the paths it wrote. kFailure when a figure tool failed.
int plot_command(const std::string& store_path, const std::string& out_dir, const config::ProbeCatalog& catalog);

}  // namespace lsweep::cli
