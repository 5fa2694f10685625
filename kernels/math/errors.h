// The error types of the whole project, at the bottom of the layers (docs/architecture.md) so
// that every layer throws the same ones. Messages name the problem, never a command-line flag
// (host/ adds those). The command maps them to exit codes (docs/user-guide.md):
//   InputError        bad input: a file, a value, a shape the backend cannot run       exit 2
//   (training diverged: the trainer returns 3, it throws nothing)                     exit 3
//   EnvironmentError  the machine refused: disk full, permission, a run directory
//                     locked by another process, not enough memory                    exit 4
//   Any other std::exception is an internal failure                                     exit 1
#pragma once
#include <stdexcept>
#include <string>

namespace df {

struct InputError : std::runtime_error {
  explicit InputError(const std::string& msg) : std::runtime_error(msg) {}
};

struct EnvironmentError : std::runtime_error {
  explicit EnvironmentError(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace df
