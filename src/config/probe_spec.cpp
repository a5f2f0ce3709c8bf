#include "lsweep/config/probe_spec.hpp"

#include "toml_reader.hpp"

namespace lsweep::config {

std::optional<std::int64_t> OptionTable::integer(const std::string& key, std::int64_t lo, std::int64_t hi) {
  return reader_.integer(key, lo, hi);
}

std::optional<double> OptionTable::number(const std::string& key, double lo, double hi, bool lo_open) {
  return reader_.number(key, lo, hi, lo_open);
}

std::optional<bool> OptionTable::boolean(const std::string& key) { return reader_.boolean(key); }

std::optional<std::string> OptionTable::string(const std::string& key) { return reader_.string(key); }

std::optional<std::vector<std::int64_t>> OptionTable::increasing_integers(const std::string& key, std::int64_t lo,
                                                                          std::int64_t hi) {
  const toml::node* node = reader_.find(key);
  if (!node) return std::nullopt;
  const std::string allowed = "allowed: a list of increasing integers from " + std::to_string(lo) + " to " +
                              std::to_string(hi) + ", e.g. [" + std::to_string(lo) + "]";
  const auto* array = node->as_array();
  if (!array) reader_.fail(*node, reader_.field(key), allowed);
  std::vector<std::int64_t> out;
  for (const auto& element : *array) {
    const auto* value = element.as_integer();
    if (!value || value->get() < lo || value->get() > hi || (!out.empty() && value->get() <= out.back())) {
      reader_.fail(*node, reader_.field(key), allowed);
    }
    out.push_back(value->get());
  }
  return out;
}

std::optional<std::size_t> OptionTable::choice(const std::string& key, const std::vector<std::string>& choices) {
  return reader_.choice(key, choices);
}

void OptionTable::fail(const std::string& key, const std::string& allowed) {
  if (const toml::node* node = reader_.find(key)) reader_.fail(*node, reader_.field(key), allowed);
  reader_.fail_missing(key, allowed);
}

namespace {

class EmptyCatalog : public ProbeCatalog {
 public:
  std::shared_ptr<const ProbeSpec> find(const std::string&) const override { return nullptr; }
  std::vector<std::string> names() const override { return {}; }
};

}  // namespace

const ProbeCatalog& no_probes() {
  static const EmptyCatalog empty;
  return empty;
}

}  // namespace lsweep::config
