// Reading DIR/log.csv and the statistics of a training curve; see host/train_log.h.
#include "host/train_log.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "host/errors.h"
#include "host/io.h"
#include "host/number_parse.h"

namespace df {

const char* const kLogHeader = "iter,loss,grad_norm_f,grad_norm_s,lr_f,lr_s,N,seconds\n";

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string c;
  while (std::getline(ss, c, ',')) cells.push_back(c);
  return cells;
}

std::int64_t count_rows(const std::string& rows) { return std::count(rows.begin(), rows.end(), '\n'); }

}  // namespace

std::string format_log_row(std::int64_t iter, double loss, double grad_f, double grad_s, double lr_f, double lr_s,
                           int N, double seconds) {
  char row[256];
  std::snprintf(row, sizeof row, "%lld,%.9g,%.6g,%.6g,%.6g,%.6g,%d,%.3f\n", (long long)iter, loss, grad_f, grad_s, lr_f,
                lr_s, N, seconds);
  return row;
}

std::vector<double> log_losses(const std::string& rows) {
  std::vector<double> out;
  for (std::size_t pos = 0; pos < rows.size();) {
    std::size_t end = rows.find('\n', pos);
    if (end == std::string::npos) end = rows.size();
    const std::size_t c1 = rows.find(',', pos), c2 = c1 == std::string::npos ? c1 : rows.find(',', c1 + 1);
    double v = 0;
    if (c2 != std::string::npos && c2 < end && parse_real(std::string_view(rows).substr(c1 + 1, c2 - c1 - 1), v))
      out.push_back(v);
    pos = end + 1;
  }
  return out;
}

std::int64_t restore_log_file(const std::string& path, const std::string& rows) {
  const std::string want = kLogHeader + rows;
  struct stat sb;
  if (::lstat(path.c_str(), &sb) != 0) {
    if (errno != ENOENT) throw_file_error("cannot read", path, errno);
    atomic_write_file(path, want);
    return count_rows(rows);
  }
  const std::string have = read_file(path);
  if (have == want) return 0;
  if (have.size() < want.size() && have.size() >= std::strlen(kLogHeader) && want.compare(0, have.size(), have) == 0 &&
      have.back() == '\n') {
    atomic_write_file(path, want);
    return count_rows(rows) - (count_rows(have) - 1);
  }
  if (have.size() > want.size() && want.compare(0, std::string::npos, have, 0, want.size()) == 0)
    return 0;  // a later state of the same log (resumed from an older state): the next save rewrites it
  throw InputError("'" + path + "' does not match the run's checkpoint (edited, or another run's log); move it away "
                   "and it is rewritten from the checkpoint");
}

std::string log_rows_upto(const std::string& path, std::int64_t upto) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0 && errno == ENOENT) return "";
  std::stringstream in(read_file(path));
  std::string line, out;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::int64_t it = 0;
    if (parse_int(line.substr(0, line.find(',')), it) && it >= 1 && it <= upto) out += line + "\n";
  }
  return out;
}

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
      double v = 0;
      if (col[k] >= cells.size() || !parse_real(cells[col[k]], v))
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
