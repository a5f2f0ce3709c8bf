#include "lsweep/store/schema.hpp"

namespace lsweep::store::schema {

std::int64_t estimate_bytes(std::int64_t points, std::int64_t checkpoints, std::size_t job_text_bytes) {
  constexpr std::int64_t kMetadata = 24 * 1024;  // superblock, groups, object headers, attributes
  const std::int64_t per_point = 4 * 8           // grid
                                 + 1 + static_cast<std::int64_t>(kErrorBytes)  // status, error
                                 + 8 * 8                                       // results
                                 + 2 * 8 * checkpoints;                        // series rows
  return kMetadata + static_cast<std::int64_t>(job_text_bytes) + 8 * checkpoints + per_point * points;
}

}  // namespace lsweep::store::schema
