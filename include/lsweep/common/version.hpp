#pragma once
/// \file
/// Versions of lsweep and of the libraries it was built against, for provenance.

#include <string>

namespace lsweep {

std::string lsweep_version();
/// The commit the binary was built from, "-dirty" appended for local changes.
std::string git_commit();
std::string libtorch_version();
/// Open MPI's full library version string (MPI_Get_library_version); callable before MPI_Init.
std::string mpi_library_version();
std::string hdf5_version();

}  // namespace lsweep
