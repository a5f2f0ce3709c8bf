// Docs follow the code: every dataset of the layout (base, and every probe of
// this lsweep with every dataset turned on) is documented in docs/store.md,
// and every probe's table and keys in docs/job-file.md.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "lsweep/common/error.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {
namespace {

std::string read(const std::string& relative) {
  std::ifstream in(std::string(LSWEEP_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Jobs that turn every dataset on: on gaussian data with momentum (the
// momentum datasets) and without (probes that refuse it), and the tanh model
// on its teacher's data; each with every probe of this lsweep that takes it.
std::vector<config::JobConfig> everything() {
  const std::string grid = "[grid]\nlr = [0.1]\nbatch = [4]\nwidth = [3]\n";
  const std::string gaussian = "[data]\nkind = \"gaussian\"\ntrain_size = 8\ndim = 2\n";
  const std::string train = "[train]\nloss = \"mse\"\nsteps = 10\n";
  const std::vector<std::string> bases = {
      grid + gaussian + train + "momentum = 0.5\n", grid + gaussian + train,
      grid +
          "[data]\nkind = \"tanh_teacher\"\ntrain_size = 8\nteacher_alpha = [1]\nteacher_w = [2]\n"
          "teacher_b = [0]\n[model]\nkind = \"tanh\"\n" +
          train};
  std::vector<config::JobConfig> jobs;
  for (const auto& base : bases) {
    std::string text = base;
    for (const auto& name : builtin().names()) {
      const std::string table = "[probes." + name + "]\n" + builtin().find(name)->example_table();
      try {
        config::parse_job(base + table, "probe.toml", builtin());
      } catch (const ConfigError&) {
        continue;  // a probe for other data
      }
      text += table;
    }
    jobs.push_back(config::parse_job(text, "everything.toml", builtin()));
  }
  return jobs;
}

TEST(Docs, StoreMdDocumentsEveryDatasetOfTheLayout) {
  const std::string doc = read("docs/store.md");
  ASSERT_FALSE(doc.empty());
  Layout layout;
  for (const auto& job : everything()) {
    for (auto& spec : config::layout::store_layout(job)) layout.push_back(std::move(spec));
  }
  EXPECT_GT(layout.size(), 20u);
  for (const auto& spec : layout) {
    EXPECT_NE(doc.find("`" + spec.path + "`"), std::string::npos) << spec.path << " is not in docs/store.md";
    if (!spec.csv_column.empty()) {
      EXPECT_NE(doc.find("`" + spec.csv_column + "`"), std::string::npos)
          << "report column " << spec.csv_column << " is not in docs/store.md";
    }
  }
}

TEST(Docs, JobFileMdDocumentsEveryProbeAndItsKeys) {
  const std::string doc = read("docs/job-file.md");
  std::set<std::string> seen;
  for (const auto& job : everything()) {
    for (const auto& p : job.probes) {
      seen.insert(p.name());
      EXPECT_NE(doc.find("[probes." + p.name() + "]"), std::string::npos) << p.name();
      for (const auto& [key, value] : p.spec->fields(*p.options)) {
        EXPECT_NE(doc.find("`" + key + "`"), std::string::npos) << "probes." << p.name() << "." << key;
      }
    }
  }
  EXPECT_EQ(seen.size(), builtin().names().size()) << "a probe that no job of everything() takes";
}

}  // namespace
}  // namespace lsweep::probes
