// lsweep: the command line. The only place that catches errors and turns
// them into messages and exit codes.

#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"
#include "lsweep/common/version.hpp"
#include "lsweep/probes/probe.hpp"

int main(int argc, char** argv) {
  using namespace lsweep;
  CLI::App app{"lsweep: sweeps SGD training over (learning rate, batch, width, seed) with MPI + HDF5"};
  app.set_version_flag("--version", lsweep_version() + " (" + git_commit() + ")");
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug, info, warn, error or off")->capture_default_str();

  std::string job_path, store_path;
  bool csv = false;
  auto* validate = app.add_subcommand("validate", "Check a job file; print the number of points and the store size");
  validate->add_option("JOB", job_path, "job file (TOML)")->required();
  auto* run = app.add_subcommand("run", "Run a sweep (under mpirun: rank 0 is the master, the others train)");
  run->add_option("JOB", job_path, "job file (TOML)")->required();
  run->add_option("--store", store_path,
                  "HDF5 file for the results: created if missing; an existing store of the same job is resumed")
      ->required();
  double progress_seconds = 60;
  run->add_option("--progress-seconds", progress_seconds, "seconds between progress lines in the log")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  auto* status = app.add_subcommand("status", "Print a store's progress (also while a sweep writes it)");
  status->add_option("STORE", store_path, "store written by lsweep run")->required();
  bool left_only = false;
  status->add_flag("--left", left_only, "print only the number of points left to run (for job scripts)");
  auto* report = app.add_subcommand("report", "Print a table of a store's points");
  report->add_option("STORE", store_path, "store written by lsweep run")->required();
  report->add_flag("--csv", csv, "write CSV to stdout instead of a table");
  bool diffusion = false;
  auto* diffusion_flag =
      report->add_flag("--diffusion", diffusion,
                       "per width: fit the diffusion intercepts of the done points against ln lr and ln batch "
                       "(needs [probes.diffusion])");
  bool transitions = false;
  report
      ->add_flag("--transitions", transitions,
                 "per (lr, batch): N*, the smallest width at which at least half of the seeds fit, with its bracket "
                 "(needs [probes.jamming])")
      ->excludes(diffusion_flag);
  bool escape = false;
  report
      ->add_flag("--escape", escape,
                 "per dynamics (sgd, white noise): fit ln tau against batch/lr and against 1/lambda_max "
                 "(needs [probes.escape])")
      ->excludes(diffusion_flag)
      ->excludes("--transitions");

  std::string out_dir;
  auto* plot = app.add_subcommand("plot", "Draw every figure a store's probes support (PNG); print their paths");
  plot->add_option("STORE", store_path, "store written by lsweep run")->required();
  plot->add_option("--out", out_dir, "folder for the figures (default: the store's folder; made if missing)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::kOk : cli::kBadInput;
  }
  try {
    log::set_level(log::parse_level(log_level));
    const auto& catalog = probes::builtin();
    if (*validate) return cli::validate_command(job_path, catalog);
    if (*run) return cli::run_command(job_path, store_path, progress_seconds, catalog);
    if (*status) return cli::status_command(store_path, left_only, catalog);
    if (*report) {
      const auto kind = diffusion     ? cli::ReportKind::diffusion
                        : transitions ? cli::ReportKind::transitions
                        : escape      ? cli::ReportKind::escape
                                      : cli::ReportKind::points;
      return cli::report_command(store_path, csv, kind, catalog);
    }
    if (*plot) return cli::plot_command(store_path, out_dir, catalog);
  } catch (const ConfigError& e) {
    std::cerr << "lsweep: error: " << e.what() << "\n";
    return cli::kBadInput;
  } catch (const StorageError& e) {
    std::cerr << "lsweep: error: " << e.what() << "\n";
    return cli::kStorage;
  } catch (const std::exception& e) {
    std::cerr << "lsweep: error: " << e.what() << "\n";
    return cli::kFailure;
  }
  return cli::kFailure;
}
