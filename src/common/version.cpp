#include "lsweep/common/version.hpp"

#include <hdf5.h>
#include <mpi.h>
#include <torch/version.h>

#include "lsweep/git_commit.hpp"

namespace lsweep {

std::string lsweep_version() { return LSWEEP_VERSION; }

std::string git_commit() { return LSWEEP_GIT_COMMIT; }

std::string libtorch_version() { return TORCH_VERSION; }

std::string mpi_library_version() {
  char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(buf, &len);
  std::string text(buf, static_cast<std::size_t>(len));
  const auto comma = text.find(',');  // "Open MPI v4.1.4, package: ..." -> first part
  return comma == std::string::npos ? text : text.substr(0, comma);
}

std::string hdf5_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace lsweep
