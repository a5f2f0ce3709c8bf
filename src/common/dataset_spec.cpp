#include "lsweep/common/dataset_spec.hpp"

namespace lsweep {

std::int64_t DatasetSpec::row_size(std::int64_t point_id) const {
  if (!dims.empty() && dims[0].axis == Axis::packed) {
    const auto& off = *packed;
    return off[static_cast<std::size_t>(point_id) + 1] - off[static_cast<std::size_t>(point_id)];
  }
  std::int64_t n = 1;
  for (std::size_t d = 1; d < dims.size(); ++d) n *= dims[d].size;
  return n;
}

std::int64_t DatasetSpec::total_size() const {
  std::int64_t n = 1;
  for (const auto& d : dims) n *= d.size;
  return n;
}

std::size_t DatasetSpec::element_bytes() const {
  switch (type) {
    case ElementType::status: return 1;
    case ElementType::text: return text_bytes;
    default: return 8;
  }
}

std::string DatasetSpec::shape_text() const {
  std::string out = "[";
  for (std::size_t d = 0; d < dims.size(); ++d) {
    out += d ? ", " : "";
    switch (dims[d].axis) {
      case Axis::points: out += "N"; break;
      case Axis::checkpoints: out += "K"; break;
      case Axis::packed: out += "total"; break;
      case Axis::fixed: out += std::to_string(dims[d].size); break;
    }
  }
  return out + "]";
}

const DatasetSpec* find_spec(const Layout& layout, const std::string& path) {
  for (const auto& s : layout) {
    if (s.path == path) return &s;
  }
  return nullptr;
}

std::string to_string(ElementType type, std::size_t text_bytes) {
  switch (type) {
    case ElementType::float64: return "float64";
    case ElementType::int64: return "int64";
    case ElementType::uint64: return "uint64";
    case ElementType::status: return "enum (int8)";
    case ElementType::text: return "string (" + std::to_string(text_bytes) + " bytes)";
  }
  return "?";
}

}  // namespace lsweep
