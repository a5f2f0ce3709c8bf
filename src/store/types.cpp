#include "types.hpp"

#include "lsweep/store/store.hpp"

namespace lsweep::store::detail {

h5::Handle file_type(const DatasetSpec& spec) {
  switch (spec.type) {
    case ElementType::float64: return h5::Handle(H5Tcopy(H5T_IEEE_F64LE), "H5Tcopy(float64)");
    case ElementType::int64: return h5::Handle(H5Tcopy(H5T_STD_I64LE), "H5Tcopy(int64)");
    case ElementType::uint64: return h5::Handle(H5Tcopy(H5T_STD_U64LE), "H5Tcopy(uint64)");
    case ElementType::status: return status_type();
    case ElementType::text: return h5::string_type(spec.text_bytes);
  }
  return h5::Handle(H5Tcopy(H5T_IEEE_F64LE), "H5Tcopy");
}

bool type_matches(hid_t type, const DatasetSpec& spec) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  switch (spec.type) {
    case ElementType::float64: return cls == H5T_FLOAT && size == 8;
    case ElementType::int64: return cls == H5T_INTEGER && size == 8 && H5Tget_sign(type) == H5T_SGN_2;
    case ElementType::uint64: return cls == H5T_INTEGER && size == 8 && H5Tget_sign(type) == H5T_SGN_NONE;
    case ElementType::status: return cls == H5T_ENUM && size == 1;
    case ElementType::text: return cls == H5T_STRING && H5Tis_variable_str(type) <= 0 && size == spec.text_bytes;
  }
  return false;
}

}  // namespace lsweep::store::detail
