#pragma once
// HDF5 types of the layout's element types, shared by the writer and the reader.

#include <string>

#include "lsweep/common/dataset_spec.hpp"
#include "lsweep/store/h5.hpp"

namespace lsweep::store::detail {

/// The file type of `spec`'s elements (a new handle: caller owns it).
h5::Handle file_type(const DatasetSpec& spec);
/// Whether a dataset's stored type `type` is the one `spec` describes.
bool type_matches(hid_t type, const DatasetSpec& spec);

}  // namespace lsweep::store::detail
