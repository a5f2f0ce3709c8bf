#include "lsweep/common/results.hpp"

#include <stdexcept>

namespace lsweep {

double PointSummary::scalar(const std::string& path) const {
  const auto it = scalars.find(path);
  return it == scalars.end() ? kNaN : it->second;
}

PointSummary unfinished_summary(std::int64_t point_id, PointStatus status, std::string error) {
  PointSummary s;
  s.point_id = point_id;
  s.status = status;
  s.error = std::move(error);
  return s;
}

Rows::Rows(const Layout& layout, std::int64_t point_id) {
  for (const auto& spec : layout) {
    if (spec.role != Role::result) continue;
    rows_[spec.path].assign(static_cast<std::size_t>(spec.row_size(point_id)), spec.fill);
  }
}

std::vector<double>& Rows::operator[](const std::string& path) {
  const auto it = rows_.find(path);
  if (it == rows_.end()) throw std::out_of_range("no result dataset " + path + " in this store's layout");
  return it->second;
}

const std::vector<double>* Rows::find(const std::string& path) const {
  const auto it = rows_.find(path);
  return it == rows_.end() ? nullptr : &it->second;
}

void PointRecord::collect_scalars() {
  for (const auto& [path, values] : rows.all()) {
    if (values.size() == 1) summary.scalars[path] = values[0];
  }
}

}  // namespace lsweep
