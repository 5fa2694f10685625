// Error types shared by the whole project.
//   InputError: bad input from the user (file, flag, value). The command prints its message on
//   one line and exits with code 2; nothing partial is left on disk.
//   Any other std::exception is an internal failure (exit code 1).
#pragma once
#include <stdexcept>
#include <string>

namespace df {

struct InputError : std::runtime_error {
  explicit InputError(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace df
