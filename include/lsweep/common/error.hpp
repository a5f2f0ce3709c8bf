#pragma once
/// \file
/// The one error hierarchy of lsweep: a base class and one subclass per cause.
/// Library code throws these; only the cli catches them and chooses an exit code.

#include <stdexcept>
#include <string>

namespace lsweep {

/// Base of every error lsweep throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A job file or command-line value is invalid. Names the field, the value and
/// what is allowed.
class ConfigError : public Error {
 public:
  ConfigError(const std::string& field, const std::string& value, const std::string& allowed);
  explicit ConfigError(const std::string& message) : Error(message) {}
};

/// An MPI call failed or the ranks disagree.
class MpiError : public Error {
 public:
  using Error::Error;
};

/// Reading or writing a store (HDF5) or a data file failed.
class StorageError : public Error {
 public:
  using Error::Error;
};

/// Training could not proceed (bad data, LibTorch error wrapped with context).
class TrainingError : public Error {
 public:
  using Error::Error;
};

/// The sweep cannot go on on any rank (its store cannot be written): never
/// recorded as the failure of a point, so the point runs again on resume.
class FatalError : public Error {
 public:
  using Error::Error;
};

/// The master/worker protocol was violated.
class SchedulerError : public Error {
 public:
  using Error::Error;
};

}  // namespace lsweep
