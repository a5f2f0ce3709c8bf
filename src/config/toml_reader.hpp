#pragma once
// Private helper of job_config.cpp: typed, validated access to one TOML table
// that remembers which keys were read, so unknown keys can be reported.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace lsweep::config::detail {

class TableReader {
 public:
  /// `prefix` is the dotted path of the table ("grid"), "" for the root.
  TableReader(const toml::table& table, std::string origin, std::string prefix);

  const toml::node* find(const std::string& key);
  std::string field(const std::string& key) const;
  /// A ConfigError text: "<origin>:<line>: <field> = <value>: <allowed>".
  [[noreturn]] void fail(const toml::node& node, const std::string& field, const std::string& allowed) const;
  [[noreturn]] void fail_missing(const std::string& key, const std::string& allowed) const;

  std::optional<std::int64_t> integer(const std::string& key, std::int64_t lo, std::int64_t hi);
  std::optional<double> number(const std::string& key, double lo, double hi, bool lo_open);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::string> string(const std::string& key);
  /// A string that must be one of `choices`; returns its index.
  std::optional<std::size_t> choice(const std::string& key, const std::vector<std::string>& choices);
  /// A sub-table; nullopt if absent, error if present but not a table.
  const toml::table* table(const std::string& key);

  /// Throws for the first key that was never looked up.
  void reject_unknown(const std::vector<std::string>& allowed) const;
  /// As above, listing the keys that were looked up as the allowed ones.
  void reject_unknown() const;
  /// Every key of the table, in order.
  std::vector<std::string> keys() const;

  const std::string& origin() const { return origin_; }

 private:
  const toml::table& table_;
  std::string origin_;
  std::string prefix_;
  std::set<std::string> seen_;
};

std::string show(const toml::node& node);
std::string join(const std::vector<std::string>& words);

}  // namespace lsweep::config::detail
