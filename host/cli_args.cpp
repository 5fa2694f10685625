// Flag parsing for the `diffflow` command; see host/cli_args.h.
#include "host/cli_args.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "host/errors.h"
#include "host/number_parse.h"

namespace df {

void Args::option(const std::string& name, const std::string& meta, const std::string& help, const std::string& def) {
  order_.push_back(name);
  specs_[name] = Spec{meta, help, def, false};
}

void Args::flag(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = Spec{"", help, "", true};
}

std::string Args::help() const {
  std::ostringstream os;
  os << "usage: " << synopsis_ << "\n\noptions:\n";
  for (auto& n : order_) {
    const Spec& s = specs_.at(n);
    std::string left = "  --" + n + (s.is_flag ? "" : " " + s.meta);
    os << left;
    if (left.size() < 28) os << std::string(28 - left.size(), ' ');
    else os << "\n" << std::string(28, ' ');
    os << s.help;
    if (!s.def.empty()) os << " (default " << s.def << ")";
    os << "\n";
  }
  os << "  --help                    this text\n";
  return os.str();
}

bool Args::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(help().c_str(), stdout);
      return false;
    }
    if (a.rfind("--", 0) != 0)
      throw InputError(command_ + ": unexpected argument '" + a + "' (flags start with --; see diffflow " + command_ + " --help)");
    std::string name = a.substr(2), value;
    bool inline_value = false;
    auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    auto it = specs_.find(name);
    if (it == specs_.end())
      throw InputError(command_ + ": unknown flag --" + name + " (see diffflow " + command_ + " --help)");
    if (values_.count(name)) throw InputError(command_ + ": --" + name + " given twice");
    if (it->second.is_flag) {
      if (inline_value) throw InputError(command_ + ": --" + name + " takes no value");
      values_[name] = "1";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) throw InputError(command_ + ": --" + name + " needs a value (" + it->second.meta + ")");
      value = argv[++i];
    }
    values_[name] = value;
  }
  return true;
}

std::vector<std::string> Args::given() const {
  std::vector<std::string> out;
  for (const auto& kv : values_) out.push_back(kv.first);
  return out;
}

std::string Args::str(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  return specs_.at(name).def;
}

std::string Args::required(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty())
    throw InputError(command_ + ": --" + name + " is required (see diffflow " + command_ + " --help)");
  return it->second;
}

std::int64_t Args::integer(const std::string& name, std::int64_t lo, std::int64_t hi) const {
  return int_value(name, str(name), lo, hi);
}

std::int64_t Args::int_value(const std::string& name, const std::string& v, std::int64_t lo, std::int64_t hi) const {
  std::int64_t x = 0;
  if (!parse_int(v, x))
    throw InputError(command_ + ": --" + name + ": '" + v + "' is not an integer");
  if (x < lo || x > hi)
    throw InputError(command_ + ": --" + name + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "] (got " + v + ")");
  return x;
}

double Args::real(const std::string& name, double lo, double hi, bool lo_open, bool hi_open) const {
  return real_value(name, str(name), lo, hi, lo_open, hi_open);
}

double Args::real_value(const std::string& name, const std::string& v, double lo, double hi, bool lo_open,
                        bool hi_open) const {
  double x = 0;
  if (!parse_real(v, x) || !std::isfinite(x))
    throw InputError(command_ + ": --" + name + ": '" + v + "' is not a finite decimal number");
  if (x < lo || x > hi || (lo_open && x == lo) || (hi_open && x == hi)) {
    std::ostringstream os;
    os << command_ << ": --" << name << " must be in " << (lo_open ? "(" : "[") << lo << ", " << hi
       << (hi_open ? ")" : "]") << " (got " << v << ")";
    throw InputError(os.str());
  }
  return x;
}

std::vector<std::string> Args::list(const std::string& name) const {
  const std::string text = str(name);
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    out.push_back(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::vector<int> Args::integers(const std::string& name, int lo, int hi) const {
  std::vector<int> out;
  for (const std::string& v : list(name)) out.push_back(int(int_value(name, v, lo, hi)));
  return out;
}

std::vector<double> Args::reals(const std::string& name, double lo, double hi, bool lo_open) const {
  std::vector<double> out;
  for (const std::string& v : list(name)) out.push_back(real_value(name, v, lo, hi, lo_open));
  return out;
}

}  // namespace df
