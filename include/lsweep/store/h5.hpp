#pragma once
/// \file
/// A thin RAII layer over the HDF5 C API (the C++ API is not built with
/// parallel HDF5). Each C call is wrapped once: its return code is checked and
/// a failure throws StorageError with the call, the object and HDF5's own
/// error stack. Handles close in their destructor, which never throws.

#include <hdf5.h>

#include <string>

namespace lsweep::store::h5 {

/// Owns one hid_t (file, group, dataset, dataspace, datatype, property list or
/// attribute) and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  /// Takes ownership of `id`; throws StorageError naming `what` if id < 0.
  Handle(hid_t id, const std::string& what);
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now; throws StorageError if HDF5 reports an error.
  void close();
  /// Forgets the id without closing it: for a process about to abort, whose
  /// close could wait in a collective call the other ranks never make.
  void abandon() { id_ = H5I_INVALID_HID; }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// Throws StorageError naming `what` if `rc` < 0.
void check(herr_t rc, const std::string& what);

/// HDF5's current error stack as one line of text ("" if empty).
std::string error_stack();

/// Turns off HDF5's automatic printing of errors; lsweep reports them itself.
void silence_errors();

/// True once closing a file failed (an I/O error while flushing it): HDF5
/// keeps such a file open and may crash closing it again when the library
/// shuts down (at MPI_Finalize). A process in that state should end with
/// MPI_Abort instead.
bool library_unclean();

/// A fixed-length, null-padded UTF-8 string type of `size` bytes (>= 1).
Handle string_type(std::size_t size);

/// "float64", "int32", "enum (int8)", "string (12 bytes)", "variable-length string", ...
std::string describe_type(hid_t type);

/// Whether `path` names a link in `file` (e.g. "/results/steps").
bool exists(hid_t file, const std::string& path);

/// Writes / reads a scalar fixed-length string attribute on `object`.
/// Writing is collective in parallel HDF5: every rank calls it with the same value.
/// `min_size` reserves room, so that update_string_attribute can later write a longer value in place.
void write_string_attribute(hid_t object, const std::string& name, const std::string& value, std::size_t min_size = 0);
/// Overwrites an existing fixed-length string attribute in place (no new
/// metadata); throws StorageError if `value` is longer than its size. Collective in parallel HDF5.
void update_string_attribute(hid_t object, const std::string& name, const std::string& value);
std::string read_string_attribute(hid_t object, const std::string& name);
void write_int_attribute(hid_t object, const std::string& name, long long value);
long long read_int_attribute(hid_t object, const std::string& name);

}  // namespace lsweep::store::h5
