// Reading DIR/log.csv and the statistics of a training curve; see host/train_log.h.
#include "host/train_log.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "host/errors.h"
#include "host/io.h"

namespace df {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string c;
  while (std::getline(ss, c, ',')) cells.push_back(c);
  return cells;
}

}  // namespace

TrainLog read_train_log(const std::string& path) {
  std::stringstream in(read_file(path));
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> head = split(line);
  const char* names[] = {"iter", "loss", "grad_norm_f", "grad_norm_s", "lr_f", "lr_s", "seconds"};
  std::size_t col[7];
  for (int k = 0; k < 7; ++k) {
    const auto it = std::find(head.begin(), head.end(), names[k]);
    if (it == head.end()) throw InputError("cannot read '" + path + "': the header has no column '" + names[k] + "'");
    col[k] = static_cast<std::size_t>(it - head.begin());
  }
  TrainLog log;
  std::vector<double>* dst[] = {&log.iter, &log.loss, &log.grad_f, &log.grad_s, &log.lr_f, &log.lr_s, &log.seconds};
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::vector<std::string> cells = split(line);
    for (int k = 0; k < 7; ++k) {
      char* end = nullptr;
      const char* s = col[k] < cells.size() ? cells[col[k]].c_str() : "";
      const double v = std::strtod(s, &end);
      if (end == s || *end != '\0')
        throw InputError("cannot read '" + path + "': line " + std::to_string(lineno) + ": column '" + names[k] +
                         "' is not a number");
      dst[k]->push_back(v);
    }
  }
  return log;
}

int smoothing_window(std::size_t n) {
  return static_cast<int>(std::clamp<long>(std::lround(static_cast<double>(n) / 30), 1, 200));
}

std::vector<double> moving_average(const std::vector<double>& v, int w) {
  const std::size_t win = static_cast<std::size_t>(std::max(w, 1));
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {  // summed afresh: no drift, n * w is small here
    const std::size_t first = i + 1 >= win ? i + 1 - win : 0;
    double sum = 0;
    for (std::size_t j = first; j <= i; ++j) sum += v[j];
    out[i] = sum / static_cast<double>(i + 1 - first);
  }
  return out;
}

double quantile(const std::vector<double>& v, double q) {
  std::vector<double> s;
  for (double x : v)
    if (std::isfinite(x)) s.push_back(x);
  if (s.empty()) return NAN;
  std::sort(s.begin(), s.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(s.size() - 1);
  const std::size_t k = static_cast<std::size_t>(pos);
  return k + 1 < s.size() ? s[k] + (pos - k) * (s[k + 1] - s[k]) : s[k];
}

std::vector<double> lr_decay_points(const TrainLog& log) {
  std::vector<double> at;
  for (std::size_t i = 1; i < log.size(); ++i)
    if (log.lr_f[i] != log.lr_f[i - 1] || log.lr_s[i] != log.lr_s[i - 1]) at.push_back(log.iter[i - 1]);
  return at;
}

std::string loss_description(const std::string& model) {
  if (model == "ddpm") return "denoising loss |\u03b5 \u2212 \u03b5\u0302|\u00b2 (per sample, standardized data)";
  if (model == "ffjord") return "NLL (nats per sample, standardized data)";
  return "\u2212ELBO (nats per sample, standardized data)";
}

}  // namespace df
