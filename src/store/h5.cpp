#include "lsweep/store/h5.hpp"

#include <algorithm>
#include <vector>

#include "lsweep/common/error.hpp"

namespace lsweep::store::h5 {
namespace {

herr_t collect(unsigned /*n*/, const H5E_error2_t* err, void* data) {
  auto* frames = static_cast<std::vector<std::string>*>(data);
  std::string frame = std::string(err->func_name ? err->func_name : "?") + ": " + (err->desc ? err->desc : "");
  for (char& c : frame) c = c == '\n' ? ' ' : c;  // one line per message
  frames->push_back(frame);
  return 0;
}

bool unclean = false;

herr_t close_file(hid_t id) {
  const herr_t rc = H5Fclose(id);
  if (rc < 0) unclean = true;  // the file stays open inside HDF5, which may crash closing it at exit
  return rc;
}

herr_t close_any(hid_t id) {
  switch (H5Iget_type(id)) {
    case H5I_FILE: return close_file(id);
    case H5I_GROUP: return H5Gclose(id);
    case H5I_DATASET: return H5Dclose(id);
    case H5I_DATASPACE: return H5Sclose(id);
    case H5I_DATATYPE: return H5Tclose(id);
    case H5I_ATTR: return H5Aclose(id);
    case H5I_GENPROP_LST: return H5Pclose(id);
    default: return H5Idec_ref(id) < 0 ? -1 : 0;
  }
}

}  // namespace

std::string error_stack() {
  std::vector<std::string> frames;  // outermost first
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &frames);
  // The outermost frame says what failed, the innermost why (an MPI-IO or
  // system error: "No space left on device").
  std::string text;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i > 0 && i + 2 < frames.size()) continue;
    text += (text.empty() ? "" : i == 1 && frames.size() > 3 ? "; ...; " : "; ") + frames[i];
  }
  return text;
}

bool library_unclean() { return unclean; }

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void check(herr_t rc, const std::string& what) {
  if (rc >= 0) return;
  const std::string stack = error_stack();
  H5Eclear2(H5E_DEFAULT);
  throw StorageError(what + " failed" + (stack.empty() ? "" : " (HDF5: " + stack + ")"));
}

Handle::Handle(hid_t id, const std::string& what) : id_(id) {
  if (id < 0) check(-1, what);
}

Handle::Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = H5I_INVALID_HID; }

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (valid()) close_any(id_);
    id_ = other.id_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

Handle::~Handle() {
  if (valid()) close_any(id_);  // errors here are dropped: a destructor never throws
}

void Handle::close() {
  if (!valid()) return;
  const hid_t id = id_;
  id_ = H5I_INVALID_HID;
  check(close_any(id), "closing HDF5 object");
}

Handle string_type(std::size_t size) {
  Handle t(H5Tcopy(H5T_C_S1), "H5Tcopy(string)");
  check(H5Tset_size(t.get(), size == 0 ? 1 : size), "H5Tset_size");
  check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

bool exists(hid_t file, const std::string& path) {
  std::size_t pos = 0;
  while ((pos = path.find('/', pos + 1)) != std::string::npos) {
    const htri_t part = H5Lexists(file, path.substr(0, pos).c_str(), H5P_DEFAULT);
    if (part <= 0) return false;
  }
  return H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0;
}

void write_string_attribute(hid_t object, const std::string& name, const std::string& value, std::size_t min_size) {
  std::string padded = value;
  padded.resize(std::max({value.size(), min_size, std::size_t{1}}), '\0');
  Handle type = string_type(padded.size());
  Handle space(H5Screate(H5S_SCALAR), "H5Screate(scalar)");
  Handle attr(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              "creating attribute '" + name + "'");
  check(H5Awrite(attr.get(), type.get(), padded.data()), "writing attribute '" + name + "'");
}

void update_string_attribute(hid_t object, const std::string& name, const std::string& value) {
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
  Handle type(H5Aget_type(attr.get()), "H5Aget_type");
  const std::size_t size = H5Tget_size(type.get());
  if (value.size() > size) {
    throw StorageError("attribute '" + name + "' holds " + std::to_string(size) + " bytes; '" + value +
                       "' does not fit");
  }
  std::string padded = value;
  padded.resize(size, '\0');
  Handle mem = string_type(size);
  check(H5Awrite(attr.get(), mem.get(), padded.data()), "writing attribute '" + name + "'");
}

std::string describe_type(hid_t type) {
  const std::string bits = std::to_string(H5Tget_size(type) * 8);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: return "float" + bits;
    case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_ENUM: return "enum (int" + bits + ")";
    case H5T_STRING:
      return H5Tis_variable_str(type) > 0 ? "variable-length string"
                                          : "string (" + std::to_string(H5Tget_size(type)) + " bytes)";
    case H5T_COMPOUND: return "compound";
    default: return "another HDF5 type";
  }
}

std::string read_string_attribute(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) {
    throw StorageError("attribute '" + name + "' is missing");
  }
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
  Handle file_type(H5Aget_type(attr.get()), "H5Aget_type");
  Handle space(H5Aget_space(attr.get()), "H5Aget_space");
  if (H5Tget_class(file_type.get()) != H5T_STRING || H5Tis_variable_str(file_type.get()) > 0 ||
      H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) {
    const std::string type = describe_type(file_type.get());
    const bool vowel = type.find_first_of("aeiou") == 0;
    throw StorageError(
        "attribute '" + name + "' holds " +
        (H5Sget_simple_extent_type(space.get()) == H5S_SCALAR ? (vowel ? "an " : "a ") : "an array of ") + type +
        "; allowed: a scalar fixed-length string (as lsweep writes)");
  }
  const std::size_t size = H5Tget_size(file_type.get());
  Handle mem_type = string_type(size);
  std::vector<char> buf(size + 1, '\0');
  check(H5Aread(attr.get(), mem_type.get(), buf.data()), "reading attribute '" + name + "'");
  return std::string(buf.data());
}

void write_int_attribute(hid_t object, const std::string& name, long long value) {
  Handle space(H5Screate(H5S_SCALAR), "H5Screate(scalar)");
  Handle attr(H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              "creating attribute '" + name + "'");
  check(H5Awrite(attr.get(), H5T_NATIVE_LLONG, &value), "writing attribute '" + name + "'");
}

long long read_int_attribute(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) throw StorageError("attribute '" + name + "' is missing");
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
  Handle type(H5Aget_type(attr.get()), "H5Aget_type");
  Handle space(H5Aget_space(attr.get()), "H5Aget_space");
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) {
    throw StorageError("attribute '" + name + "' holds " + describe_type(type.get()) + "; allowed: a scalar integer");
  }
  long long value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_LLONG, &value), "reading attribute '" + name + "'");
  return value;
}

}  // namespace lsweep::store::h5
