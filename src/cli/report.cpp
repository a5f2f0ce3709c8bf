// `lsweep report`: a store as a readable table, or as CSV.

#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/store/store.hpp"

namespace lsweep::cli {
namespace {

const std::vector<std::string> kColumns{"point_id",
                                        "lr",
                                        "batch",
                                        "width",
                                        "seed",
                                        "status",
                                        "final_train_loss",
                                        "final_test_loss",
                                        "train_accuracy",
                                        "test_accuracy",
                                        "steps",
                                        "wall_seconds",
                                        "error"};

// exact: the shortest text that reads back as the same double (CSV);
// otherwise 6 significant digits (the table).
std::string number(double v, bool exact) {
  if (std::isnan(v)) return "nan";
  if (exact) return shortest_double(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::vector<std::string> cells(const store::StoredPoint& row, bool exact) {
  const auto& p = row.point;
  const auto& s = row.summary;
  return {std::to_string(p.id),
          number(p.lr, exact),
          std::to_string(p.batch),
          std::to_string(p.width),
          std::to_string(p.seed),
          to_string(s.status),
          number(s.final_train_loss, exact),
          number(s.final_test_loss, exact),
          number(s.train_accuracy, exact),
          number(s.test_accuracy, exact),
          std::to_string(s.steps),
          number(s.wall_seconds, exact),
          s.error};
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void print_csv(const store::StoreContents& contents) {
  std::string line;
  for (const auto& c : kColumns) line += (line.empty() ? "" : ",") + c;
  std::cout << line << "\n";
  for (const auto& row : contents.points) {
    line.clear();
    bool first = true;
    for (const auto& cell : cells(row, true)) {
      line += (first ? "" : ",") + csv_field(cell);
      first = false;
    }
    std::cout << line << "\n";
  }
}

void print_table(const std::string& path, const store::StoreContents& contents) {
  const auto attr = [&](const char* name) {
    auto it = contents.attributes.find(name);
    return it == contents.attributes.end() || it->second.empty() ? std::string("-") : it->second;
  };
  std::cout << "store: " << path << "\njob: " << attr("job_name") << "    lsweep " << attr("lsweep_version") << " ("
            << attr("git_commit") << ")\nhosts: " << attr("hosts") << "    ranks: " << contents.num_ranks
            << "\nstarted: " << attr("start_time") << "    ended: " << attr("end_time") << "\n\n";
  std::vector<std::vector<std::string>> rows{kColumns};
  int counts[kPointStatusCount] = {};
  for (const auto& row : contents.points) {
    rows.push_back(cells(row, false));
    ++counts[static_cast<int>(row.summary.status)];
  }
  std::vector<std::size_t> widths(kColumns.size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(widths[i] - r[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
  std::cout << "\n" << contents.points.size() << " points:";
  for (int i = 0; i < kPointStatusCount; ++i) {
    if (counts[i] > 0) std::cout << " " << counts[i] << " " << to_string(static_cast<PointStatus>(i));
  }
  std::cout << "\n";
}

}  // namespace

int report_command(const std::string& store_path, bool csv) {
  const store::StoreContents contents = store::read_store(store_path);
  if (csv) {
    print_csv(contents);
  } else {
    print_table(store_path, contents);
  }
  return kOk;
}

}  // namespace lsweep::cli
