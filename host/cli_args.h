// Command-line flags for the `diffflow` subcommands: "--name value" and boolean "--name"
// flags, each declared with its help text. Unknown flags, missing values, malformed or
// out-of-range numbers are InputErrors naming the flag. Numbers are decimal (host/number_parse.h:
// no hex floats).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace df {

class Args {
 public:
  Args(std::string command, std::string synopsis) : command_(std::move(command)), synopsis_(std::move(synopsis)) {}
  // Declare before parse(). def is the default shown in --help ("" = none).
  void option(const std::string& name, const std::string& meta, const std::string& help, const std::string& def = "");
  void flag(const std::string& name, const std::string& help);
  // Returns false when --help was given (help already printed).
  bool parse(int argc, char** argv, int first);
  std::string help() const;
  const std::string& command() const { return command_; }

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string str(const std::string& name) const;  // value or default
  std::string required(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t lo, std::int64_t hi) const;
  double real(const std::string& name, double lo, double hi, bool lo_open = false, bool hi_open = false) const;
  bool on(const std::string& name) const { return values_.count(name) > 0; }
  // A comma-separated list ("5,10,20"): its items as given (an empty item stays, "" for ",,"),
  // or each checked as integer() / real() check one value.
  std::vector<std::string> list(const std::string& name) const;
  std::vector<int> integers(const std::string& name, int lo, int hi) const;
  std::vector<double> reals(const std::string& name, double lo, double hi, bool lo_open = false) const;
  std::vector<std::string> given() const;  // the flags on the command line, by name

 private:
  std::int64_t int_value(const std::string& name, const std::string& v, std::int64_t lo, std::int64_t hi) const;
  double real_value(const std::string& name, const std::string& v, double lo, double hi, bool lo_open,
                    bool hi_open = false) const;
  struct Spec {
    std::string meta, help, def;
    bool is_flag = false;
  };
  std::string command_, synopsis_;
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
};

}  // namespace df
