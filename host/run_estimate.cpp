// Memory and time estimates of a training run; see host/run_estimate.h.
#include "host/run_estimate.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "host/errors.h"
#include "host/number_parse.h"

namespace df {

std::uint64_t memory_budget_bytes() {
  const char* env = std::getenv("DF_MAX_MEMORY_MB");
  std::uint64_t mb = 0;
  if (env != nullptr && *env != '\0') {
    if (!parse_uint(env, mb) || mb == 0 || mb > (std::uint64_t(1) << 30))
      throw InputError(std::string("DF_MAX_MEMORY_MB: '") + env + "' is not a number of mebibytes in [1, 2^30]");
    return mb << 20;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  std::uint64_t bytes = pages > 0 && page > 0 ? std::uint64_t(pages) * std::uint64_t(page) : std::uint64_t(1) << 34;
  std::ifstream cg("/sys/fs/cgroup/memory.max");
  std::string text;
  std::uint64_t limit = 0;
  if (cg >> text && parse_uint(text, limit) && limit > 0 && limit < bytes) bytes = limit;
  return bytes;
}

MemoryEstimate estimate_train_memory(const RunConfig& cfg, const Backend* be) {
  MemoryEstimate e;
  if (be != nullptr) {
    int N = cfg.grid.N;
    for (const auto& stage : cfg.grid.progressive) N = std::max(N, stage.second);
    e.working = be->train_bytes(cfg.desc(), cfg.batch, N, cfg.k_for(N));
  }
  e.params = cfg.shape.n_params();
  const double n = double(e.params), batch = double(cfg.batch) * cfg.shape.d;
  // host: 2 networks x 4 arrays, the encoded checkpoint (8 arrays), the raw batch in doubles and
  // its float copy; device: 2 networks x 5 arrays and the batch
  e.host = std::uint64_t(4 * n * (8 + 8) + batch * (8 + 4));
  e.device = std::uint64_t(4 * n * 10 + batch * 4);
  return e;
}

void check_train_memory(const RunConfig& cfg, bool device_in_host_memory, const Backend* be) {
  const MemoryEstimate e = estimate_train_memory(cfg, be);
  const std::uint64_t need = device_in_host_memory ? e.total() : e.host, budget = memory_budget_bytes();
  if (need <= budget) return;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.3g parameters per network, B=%d", double(e.params), cfg.batch);
  throw EnvironmentError("the run needs about " + format_bytes(double(need)) + " of memory (" + cfg.shape.str() + ": " +
                         buf + "), more than the " + format_bytes(double(budget)) +
                         " this machine allows (DF_MAX_MEMORY_MB sets the budget)");
}

std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string time_projection(double seconds, std::int64_t remaining) {
  const double total = seconds * double(remaining);
  if (!(total > 600)) return "";
  const long mins = long(total / 60);
  char buf[200];
  if (mins >= 60)
    std::snprintf(buf, sizeof buf, "the first iteration took %.3g s: the %lld left will take about %ld h %02ld min",
                  seconds, (long long)remaining, mins / 60, mins % 60);
  else
    std::snprintf(buf, sizeof buf, "the first iteration took %.3g s: the %lld left will take about %ld min", seconds,
                  (long long)remaining, mins);
  return buf;
}

}  // namespace df
