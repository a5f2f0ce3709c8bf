#include "toml_reader.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"

namespace lsweep::config::detail {

std::string show(const toml::node& node) {
  std::ostringstream out;
  if (const auto* s = node.as_string()) {
    out << '"' << s->get() << '"';
  } else if (const auto* f = node.as_floating_point()) {
    // An integral float keeps its decimal point: "16.0", so that it is not mistaken for the integer 16.
    const std::string text = shortest_double(f->get());
    out << text << (std::isfinite(f->get()) && text.find_first_of(".eE") == std::string::npos ? ".0" : "");
  } else if (const auto* i = node.as_integer()) {
    out << i->get();
  } else if (const auto* b = node.as_boolean()) {
    out << (b->get() ? "true" : "false");
  } else if (const auto* a = node.as_array(); a && a->size() <= 20) {
    out << '[';
    for (std::size_t k = 0; k < a->size(); ++k) out << (k ? ", " : "") << show(*a->get(k));
    out << ']';
  } else {
    out << "(" << node.type() << ")";
  }
  return out.str();
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

TableReader::TableReader(const toml::table& table, std::string origin, std::string prefix)
    : table_(table), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

const toml::node* TableReader::find(const std::string& key) {
  seen_.insert(key);
  return table_.get(key);
}

std::string TableReader::field(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

void TableReader::fail(const toml::node& node, const std::string& name, const std::string& allowed) const {
  const auto line = node.source().begin.line;
  throw ConfigError(origin_ + ":" + std::to_string(line) + ": " + name + " = " + show(node) + ": " + allowed);
}

void TableReader::fail_missing(const std::string& key, const std::string& allowed) const {
  throw ConfigError(origin_ + ": " + field(key) + " is missing: " + allowed);
}

std::optional<std::int64_t> TableReader::integer(const std::string& key, std::int64_t lo, std::int64_t hi) {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const std::string range = "allowed: an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  const auto* value = node->as_integer();
  if (!value || value->get() < lo || value->get() > hi) fail(*node, field(key), range);
  return value->get();
}

std::optional<double> TableReader::number(const std::string& key, double lo, double hi, bool lo_open) {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  std::optional<double> value;
  if (const auto* f = node->as_floating_point()) value = f->get();
  if (const auto* i = node->as_integer()) value = static_cast<double>(i->get());
  const std::string range = std::string("allowed: a finite number ") + (lo_open ? "> " : ">= ") + shortest_double(lo) +
                            " and <= " + shortest_double(hi);
  if (!value || !std::isfinite(*value) || *value > hi || (lo_open ? *value <= lo : *value < lo)) {
    fail(*node, field(key), range);
  }
  return value;
}

std::optional<bool> TableReader::boolean(const std::string& key) {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const auto* value = node->as_boolean();
  if (!value) fail(*node, field(key), "allowed: true or false");
  return value->get();
}

std::optional<std::string> TableReader::string(const std::string& key) {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const auto* value = node->as_string();
  if (!value) fail(*node, field(key), "allowed: a string");
  return value->get();
}

std::optional<std::size_t> TableReader::choice(const std::string& key, const std::vector<std::string>& choices) {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  if (const auto* value = node->as_string()) {
    for (std::size_t i = 0; i < choices.size(); ++i) {
      if (value->get() == choices[i]) return i;
    }
  }
  std::vector<std::string> quoted;
  for (const auto& c : choices) quoted.push_back("\"" + c + "\"");
  fail(*node, field(key), "allowed: one of " + join(quoted));
}

const toml::table* TableReader::table(const std::string& key) {
  const toml::node* node = find(key);
  if (!node) return nullptr;
  if (!node->is_table()) fail(*node, field(key), "allowed: a table [" + field(key) + "]");
  return node->as_table();
}

void TableReader::reject_unknown(const std::vector<std::string>& allowed) const {
  for (const auto& [key, node] : table_) {
    const std::string name(key.str());
    if (seen_.count(name) == 0) {
      const auto line = node.source().begin.line;
      throw ConfigError(origin_ + ":" + std::to_string(line) + ": unknown key '" + field(name) + "': allowed keys" +
                        (prefix_.empty() ? "" : " in [" + prefix_ + "]") + " are " + join(allowed));
    }
  }
}

void TableReader::reject_unknown() const { reject_unknown({seen_.begin(), seen_.end()}); }

std::vector<std::string> TableReader::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, node] : table_) out.emplace_back(key.str());
  return out;
}

}  // namespace lsweep::config::detail
