#pragma once
/// \file
/// The store's layout as data: one DatasetSpec per dataset, pure (no HDF5
/// types). The store creates, opens, checks, reads, writes and sizes datasets
/// by iterating over specs; `lsweep report` takes its columns from them; the
/// docs test checks every path is documented. Base specs come from
/// config/layout.hpp, probe specs from each enabled probe.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lsweep {

/// Element types as stored (little-endian in the file).
enum class ElementType {
  float64,  ///< H5T_IEEE_F64LE
  int64,    ///< H5T_STD_I64LE
  uint64,   ///< H5T_STD_U64LE
  status,   ///< enum over int8, names as to_string(PointStatus)
  text,     ///< fixed-length string, `text_bytes` bytes, null-padded UTF-8
};

/// What one dimension of a dataset counts.
enum class Axis {
  points,       ///< the point id (always the first dimension of a per-point dataset)
  checkpoints,  ///< the checkpoint steps of the job (K)
  fixed,        ///< a size fixed by the job (e.g. the k of top-k eigenvalues)
  packed,       ///< the concatenation of every point's row, rows of different lengths (see `packed`)
};

struct Dim {
  Axis axis = Axis::fixed;
  std::int64_t size = 0;
};

/// Who writes a dataset, and when.
enum class Role {
  job,       ///< at creation, from the job (`content`); a resume checks it equals the job's
  result,    ///< a point's result row, computed by its worker, written when the point ends (in the row checksum)
  summary,   ///< filled by the store from the point's summary when the point ends (in the row checksum)
  started,   ///< written when a worker takes the point (started_at)
  checksum,  ///< the row checksum, written after the results and before the status
  status,    ///< /points/status, written first (running) and last (when the point ends)
};

/// Where each point's row lies in a packed dataset: row i is the elements
/// [offsets[i], offsets[i + 1]). N + 1 entries, offsets[0] = 0.
using PackedOffsets = std::shared_ptr<const std::vector<std::int64_t>>;

/// One dataset of the store.
struct DatasetSpec {
  std::string path;  ///< absolute HDF5 path, e.g. "/results/final_train_loss"
  ElementType type = ElementType::float64;
  std::vector<Dim> dims;
  double fill = 0.0;           ///< value before written (float64: usually NaN); ignored for text
  std::size_t text_bytes = 0;  ///< text only
  std::string units;           ///< stored as the dataset attribute "units"
  std::string meaning;         ///< one line, stored as the dataset attribute "meaning"
  std::string csv_column;      ///< column of `lsweep report`; "" if none (per-point scalars only)
  Role role = Role::result;
  PackedOffsets packed;  ///< Axis::packed only
  /// Role::job only: every value in row-major order (as double; integers are exact below 2^53).
  std::function<std::vector<double>()> content;

  /// Whether the first dimension is the point id (or the dataset is packed by point).
  bool per_point() const { return !dims.empty() && (dims[0].axis == Axis::points || dims[0].axis == Axis::packed); }
  /// Values in one point's row (the product of the dimensions after the first).
  std::int64_t row_size(std::int64_t point_id) const;
  /// Values in the whole dataset.
  std::int64_t total_size() const;
  /// Bytes of one element in the file.
  std::size_t element_bytes() const;
  /// "[N, K]", "[K]", "[total]" as in docs/store.md.
  std::string shape_text() const;
};

using Layout = std::vector<DatasetSpec>;

/// The spec named `path`, or nullptr.
const DatasetSpec* find_spec(const Layout& layout, const std::string& path);

/// "float64", "int64", "uint64", "enum (int8)", "string (512 bytes)".
std::string to_string(ElementType type, std::size_t text_bytes = 0);

}  // namespace lsweep
