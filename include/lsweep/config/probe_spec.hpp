#pragma once
/// \file
/// The job-file side of a probe: its `[probes.NAME]` table, the fields a
/// resume compares, and its datasets for a given job. Pure: no LibTorch, MPI
/// or HDF5. The computing side (include/lsweep/probes/probe.hpp) derives from
/// ProbeSpec, so a probe is one class, in one header/source pair.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lsweep/common/dataset_spec.hpp"

namespace lsweep::config {

struct JobConfig;

namespace detail {
class TableReader;
}

/// Typed, validated access to one `[probes.NAME]` table. Every getter returns
/// nullopt when the key is absent and throws ConfigError naming the field
/// (probes.NAME.key), the value and what is allowed when it is invalid. Keys
/// never asked for are rejected as unknown after ProbeSpec::parse returns.
class OptionTable {
 public:
  explicit OptionTable(detail::TableReader& reader) : reader_(reader) {}

  std::optional<std::int64_t> integer(const std::string& key, std::int64_t lo, std::int64_t hi);
  std::optional<double> number(const std::string& key, double lo, double hi, bool lo_open = false);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::string> string(const std::string& key);
  /// A list of strictly increasing integers, each from lo to hi (may be empty).
  std::optional<std::vector<std::int64_t>> increasing_integers(const std::string& key, std::int64_t lo,
                                                               std::int64_t hi);
  /// A string that must be one of `choices`; returns its index.
  std::optional<std::size_t> choice(const std::string& key, const std::vector<std::string>& choices);
  /// Throws ConfigError for a key that is present but not allowed with the rest of the job.
  [[noreturn]] void fail(const std::string& key, const std::string& allowed);

 private:
  detail::TableReader& reader_;
};

/// A probe's parsed, validated options; each probe derives its own.
struct ProbeOptions {
  virtual ~ProbeOptions() = default;
};

/// One compared field of a probe: "store_params" and its value as text.
using ProbeField = std::pair<std::string, std::string>;

class ProbeSpec {
 public:
  virtual ~ProbeSpec() = default;
  /// The table name: `[probes.NAME]`; datasets live under /probes/NAME/.
  virtual std::string name() const = 0;
  /// Reads and validates the probe's keys (defaults for absent ones). `job`
  /// has every other section parsed already.
  virtual std::shared_ptr<const ProbeOptions> parse(OptionTable& table, const JobConfig& job) const = 0;
  /// Every option that can change results, with its value as text: a resume
  /// with a job whose fields differ is refused, naming the field.
  virtual std::vector<ProbeField> fields(const ProbeOptions& options) const = 0;
  /// The probe's datasets for `job` (paths under /probes/NAME/). Scalars of
  /// shape [N] with a csv_column become report columns and reach the master.
  virtual Layout datasets(const JobConfig& job, const ProbeOptions& options) const = 0;
  /// The body of a [probes.NAME] table that turns every dataset on (docs and
  /// the docs test use it); "" when the defaults already do.
  virtual std::string example_table() const { return ""; }
};

/// The probes a job file may name.
class ProbeCatalog {
 public:
  virtual ~ProbeCatalog() = default;
  /// The probe named `name`, or null.
  virtual std::shared_ptr<const ProbeSpec> find(const std::string& name) const = 0;
  virtual std::vector<std::string> names() const = 0;
};

/// A catalog with no probes: a job with a [probes] table is refused.
const ProbeCatalog& no_probes();

/// A probe a job enables: its spec and its options.
struct EnabledProbe {
  std::shared_ptr<const ProbeSpec> spec;
  std::shared_ptr<const ProbeOptions> options;
  std::string name() const { return spec->name(); }
};

}  // namespace lsweep::config
