// Docs follow the code: every dataset of the layout (base, and every probe of
// this lsweep with every dataset turned on) is documented in docs/store.md,
// and every probe's table and keys in docs/job-file.md.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

// A job with momentum (the momentum datasets) and every probe of this lsweep.
config::JobConfig everything() {
  std::string text =
      "[grid]\nlr = [0.1]\nbatch = [4]\nwidth = [3]\n[data]\nkind = \"gaussian\"\ntrain_size = 8\ndim = 2\n"
      "[train]\nloss = \"mse\"\nsteps = 10\nmomentum = 0.5\n";
  for (const auto& name : builtin().names()) text += "[probes." + name + "]\n" + builtin().find(name)->example_table();
  return config::parse_job(text, "everything.toml", builtin());
}

TEST(Docs, StoreMdDocumentsEveryDatasetOfTheLayout) {
  const std::string doc = read("docs/store.md");
  ASSERT_FALSE(doc.empty());
  const auto layout = config::layout::store_layout(everything());
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
  const auto job = everything();
  ASSERT_EQ(job.probes.size(), builtin().names().size());
  for (const auto& p : job.probes) {
    EXPECT_NE(doc.find("[probes." + p.name() + "]"), std::string::npos) << p.name();
    for (const auto& [key, value] : p.spec->fields(*p.options)) {
      EXPECT_NE(doc.find("`" + key + "`"), std::string::npos) << "probes." << p.name() << "." << key;
    }
  }
}

}  // namespace
}  // namespace lsweep::probes
