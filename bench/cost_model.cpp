// `diffflow-bench speed --device emu`: the cost model of the fused kernels (issue 16, item 6).
// One training iteration (engine_timing.cpp time_training: loss and gradient sweep, both norms,
// Adam and EMA for each network) runs on the emulated device with the H200's 132 SMs, so the
// backend picks the launch shapes it would pick on the GPU, and the device counts, per launch,
// its first count_blocks blocks (kernels/emu/emu_counts.h; the other blocks are skipped). Each
// launch's counts are scaled to its grid (× grid / counted blocks) and turned into an H200 time:
//   issue    counted warp instructions (FMA, loads, stores, MMA, shuffles) / 4 per clock per SM
//   tensor   MMA FLOP / the SM's share of the dense tensor rate (tf32 or bf16)
//   LSU      (shared wavefronts + global 128-byte line requests) / 1 per clock per SM
//   L2       sectors reaching L2 × 32 B / L2 bandwidth (a warp's repeated loads of a sector
//            between two of its synchronization points are L1 hits; stores always reach L2)
//   HBM      the footprint once, plus the L2 traffic that misses when the footprint exceeds L2
//   barrier  barriers per block × an exposed latency per barrier, / the blocks an SM holds
// The per-SM terms take the busiest SM: ⌈grid / 132⌉ blocks. estimate = the largest term + the
// launch overhead. Memsets and copies are HBM traffic plus the launch overhead. Everything here
// is a model: no GPU has run these kernels.
#include <algorithm>
#include <cmath>
#include <map>
#include <cstdio>
#include <sstream>

#include "bench/bench.h"
#include "host/errors.h"
#include "host/file_read.h"
#include "host/io.h"
#include "kernels/emu/emu_counts.h"

namespace dfb {
namespace {

// The H200 figures of the model (PERF.md §1 where it has them; the rest are stated assumptions).
struct H200 {
  int sms = 132;
  double clock_hz = 1.98e9;         // boost clock (with 128 FP32 lanes per SM: PERF.md's 67 TFLOP/s)
  double issue_per_clk = 4;         // warp instructions per SM per clock (4 schedulers)
  double tf32_flops = 495e12;       // dense tensor rates, PERF.md datasheet figures
  double bf16_flops = 990e12;
  double lsu_per_clk = 1;           // shared wavefronts or global line requests per SM per clock
  double l2_bytes_s = 7e12;         // not in PERF.md: an assumption, to be measured
  double hbm_bytes_s = 4.3e12;      // PERF.md: device copy measured
  double l2_capacity = 60e6;        // PERF.md
  double smem_per_sm = 228 * 1024;  // with 1 KB reserved per block
  double barrier_cycles = 300;      // exposed latency per barrier (about one L2 round trip)
  double launch_s = 2e-6;           // per kernel launch on one stream, no graph
};

struct Row {
  std::string name;
  int launches = 0;
  std::string shape;  // grid × threads, dynamic shared memory
  int resident = 0;   // blocks per SM
  df::emu::Counts c;  // scaled to the grids, summed over the launches
  double footprint = 0, bytes = 0;
  double t[6] = {0, 0, 0, 0, 0, 0};  // issue, tensor, LSU, L2, HBM, barrier (s, summed)
  double total = 0;
  std::string bound;
};

const char* kTerm[6] = {"issue", "tensor", "LSU", "L2", "HBM", "barrier"};

long scaled(long v, double f) { return long(std::llround(double(v) * f)); }

df::emu::Counts scale(const df::emu::Counts& c, double f) {
  df::emu::Counts o;
  const long* a = &c.fma_lanes;
  long* b = &o.fma_lanes;
  for (std::size_t i = 0; i < df::emu::Counts::kFields; ++i) b[i] = scaled(a[i], f);
  return o;
}

// Blocks of this launch one SM holds at once (threads, warps, blocks, shared memory; registers
// are not known here: the ptxas table beside this one has them).
int resident_blocks(const df::emu::LaunchCounts& l, const H200& h) {
  const int warps = (l.block + 31) / 32;
  int r = std::min(32, 64 / std::max(1, warps));
  r = std::min(r, int(h.smem_per_sm / (double(l.smem) + 1024.0)));
  return std::max(1, r);
}

// The whole grid's footprint in bytes from the counted blocks: what they share (C) once, what
// each holds alone (p) per block. One counted block: its footprint per block (an upper bound).
double grid_footprint(const df::emu::LaunchCounts& l) {
  const double U = double(l.sum.footprint_sectors), S = double(l.block_footprint_sectors), n = l.counted_blocks;
  if (l.counted_blocks < 2) return 32.0 * S * l.grid;
  const double C = std::max(0.0, (S - U) / (n - 1));
  const double p = std::max(0.0, S / n - C);
  return 32.0 * (C + p * l.grid);
}

void add_launch(Row& r, const df::emu::LaunchCounts& l, const H200& h) {
  double t[6] = {0, 0, 0, 0, 0, 0};
  ++r.launches;
  if (l.counted_blocks == 0) {  // a memset (writes) or a copy (reads and writes)
    r.bytes += double(l.bytes);
    t[4] = double(l.bytes) * (l.name == "copy" ? 2.0 : 1.0) / h.hbm_bytes_s;
    r.shape = "-";
  } else {
    const double f = double(l.grid) / l.counted_blocks;
    const df::emu::Counts g = scale(l.sum, f), b = scale(l.sum, 1.0 / l.counted_blocks);
    const int res = resident_blocks(l, h);
    const double k = std::ceil(double(l.grid) / h.sms);  // blocks on the busiest SM
    const double mma_flop = double(b.mma_tf32) * 2048.0 * (h.bf16_flops / h.tf32_flops) + double(b.mma_bf16) * 4096.0;
    const double instr =
        double(b.fma_warp + b.shared_ld + b.shared_st + b.global_ld + b.global_st + b.mma_tf32 + b.mma_bf16 + b.shfl);
    t[0] = k * instr / h.issue_per_clk / h.clock_hz;
    t[1] = k * mma_flop / (h.bf16_flops / h.sms);  // tf32 MMAs weighted to the bf16 rate above
    t[2] = k * double(b.shared_wavefronts + b.global_lines) / h.lsu_per_clk / h.clock_hz;
    const double l2 = 32.0 * double(g.l2_sectors);
    t[3] = l2 / h.l2_bytes_s;
    const double fp = grid_footprint(l);
    const double miss = fp > h.l2_capacity ? 1.0 - h.l2_capacity / fp : 0.0;
    t[4] = (fp + miss * std::max(0.0, l2 - fp)) / h.hbm_bytes_s;
    t[5] = std::ceil(k / res) * double(b.barriers) * h.barrier_cycles / h.clock_hz;
    r.c += g;
    r.footprint += fp;
    r.resident = res;
    std::ostringstream s;
    s << l.grid << " × " << l.block << ", " << l.smem << " B";
    r.shape = s.str();
  }
  double most = 0;
  int arg = 0;
  for (int i = 0; i < 6; ++i) {
    r.t[i] += t[i];
    if (t[i] > most) most = t[i], arg = i;
  }
  r.total += most + h.launch_s;
  if (r.bound.empty() || r.bound == kTerm[arg]) r.bound = kTerm[arg];
  else r.bound = "mixed";
}

std::vector<Row> estimate(const std::vector<df::emu::LaunchCounts>& log, const H200& h) {
  std::vector<Row> rows;
  for (const auto& l : log) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.name == l.name; });
    if (it == rows.end()) {
      rows.push_back(Row{});
      rows.back().name = l.name;
      it = rows.end() - 1;
    }
    add_launch(*it, l, h);
  }
  return rows;
}

std::string g3(double v) { return fmt(v, "%.3g"); }
std::string ms(double s) { return fmt(1e3 * s, "%.3g"); }

std::string table(const std::vector<Row>& rows, double* total_s) {
  std::ostringstream o;
  o << "| kernel | launches | grid × threads, smem | blocks/SM | FMA warp-instr | MMA | shared wavefronts "
       "(per instr) | L2 sectors (requested) | footprint MB | barriers | issue | tensor | LSU | L2 | HBM | barrier | bound | "
       "estimate (ms) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  double tot = 0;
  for (const Row& r : rows) {
    const long sh = r.c.shared_ld + r.c.shared_st;
    o << "| " << r.name << " | " << r.launches << " | " << r.shape << " | " << (r.resident ? std::to_string(r.resident) : "-")
      << " | " << g3(double(r.c.fma_warp)) << " | " << g3(double(r.c.mma_tf32 + r.c.mma_bf16)) << " | "
      << g3(double(r.c.shared_wavefronts)) << " (" << (sh ? fmt(double(r.c.shared_wavefronts) / double(sh), "%.2f") : "-")
      << ") | " << g3(double(r.c.l2_sectors)) << " (" << g3(double(r.c.global_sectors)) << ") | " << fmt((r.footprint + r.bytes) / 1e6, "%.3g") << " | "
      << g3(double(r.c.barriers));
    for (double t : r.t) o << " | " << ms(t);
    o << " | " << r.bound << " | " << fmt(1e3 * r.total, "%.4g") << " |\n";
    tot += r.total;
  }
  *total_s = tot;
  return o.str();
}

std::string assumptions(const H200& h, int count_blocks) {
  std::ostringstream o;
  o << "Assumptions (bench/cost_model.cpp): " << h.sms << " SMs at " << fmt(h.clock_hz / 1e9, "%.3g") << " GHz; "
    << h.issue_per_clk << " warp instructions issued per SM per clock (only the counted ones: FMAs, loads, stores, "
    << "MMAs, shuffles; address arithmetic, GELU, the noise's Philox and log/sincos, and loop control are not "
    << "counted); tensor cores at the dense datasheet rates (TF32 " << fmt(h.tf32_flops / 1e12, "%.0f")
    << ", BF16 " << fmt(h.bf16_flops / 1e12, "%.0f") << " TFLOP/s; mma.sync reaching them is optimistic); "
    << h.lsu_per_clk << " shared-memory wavefront or global 128-byte line request per SM per clock (one L1/shared "
    << "data pipe); L2 " << fmt(h.l2_bytes_s / 1e12, "%.3g") << " TB/s (an assumption, not in PERF.md), reached by "
    << "every store sector and by every load sector except a warp's repeats between two of its synchronization "
    << "points (L1 hits; nothing else is taken from L1), a reduction in memory (ex.red, red.global.add) counted as a "
    << "store, its sectors reduced in L2 at the store rate (an assumption, not measured); HBM " << fmt(h.hbm_bytes_s / 1e12, "%.3g") << " TB/s (PERF.md's "
    << "device copy), the footprint read or written once plus, when it exceeds the " << fmt(h.l2_capacity / 1e6, "%.0f")
    << " MB of L2, the fraction 1 − L2/footprint of the L2 traffic; " << h.barrier_cycles << " cycles of exposed "
    << "latency per block barrier, divided among the blocks an SM holds at once (shared memory, threads and the "
    << "32-block limit; registers not modelled); " << fmt(h.launch_s * 1e6, "%.3g") << " µs per launch, memset and "
    << "copy. A kernel's time is the largest of its terms (no overlap of latency with throughput is claimed beyond "
    << "that), per launch, summed over its launches. Counts: the first " << count_blocks << " block(s) of every "
    << "launch run on the block emulator and are scaled by grid / counted blocks; the per-SM terms take the busiest "
    << "SM (⌈grid / 132⌉ blocks); the footprint is what the counted blocks share plus grid × what each holds alone. "
    << "Warp instructions are the lanes' accesses lined up between synchronization points (kernels/emu/emu_counts.h); "
    << "shared wavefronts follow 32 banks of 4 bytes with broadcast, 8- and 16-byte accesses per half- and "
    << "quarter-warp.";
  return o.str();
}

// A site's file name from the repository root on (its __FILE__ may be absolute).
std::string site_name(const df::emu::SiteKey& k) {
  std::string f = k.file ? k.file : "?";
  for (const char* root : {"kernels/", "engine/", "bench/", "tests/"}) {
    const std::size_t at = f.rfind(root);
    if (at != std::string::npos) {
      f = f.substr(at);
      break;
    }
  }
  return f + ":" + std::to_string(k.line);
}

// Per kernel, its n costliest access sites by LSU cycles (shared wavefronts + global line
// requests on the busiest SM, the kernel's LSU term split by site), summed over its launches.
std::string site_table(const std::vector<df::emu::LaunchCounts>& log, const H200& h, int n) {
  struct Site {
    df::emu::Counts c;  // scaled to the grids
    double lsu = 0, l2 = 0;
  };
  std::vector<std::pair<std::string, std::map<std::string, Site>>> kernels;
  for (const auto& l : log) {
    if (l.counted_blocks == 0) continue;
    auto it = std::find_if(kernels.begin(), kernels.end(), [&](const auto& k) { return k.first == l.name; });
    if (it == kernels.end()) it = kernels.insert(kernels.end(), {l.name, {}});
    const double f = double(l.grid) / l.counted_blocks, k = std::ceil(double(l.grid) / h.sms);
    for (const auto& kv : l.sites) {
      Site& s = it->second[site_name(kv.first)];
      s.c += scale(kv.second, f);
      s.lsu += k * double(kv.second.shared_wavefronts + kv.second.global_lines) / l.counted_blocks / h.lsu_per_clk /
               h.clock_hz;
      s.l2 += 32.0 * f * double(kv.second.l2_sectors) / h.l2_bytes_s;
    }
  }
  std::ostringstream o;
  o << "| kernel | site | loads | stores | shared wavefronts (per instr) | global lines (per instr) | L2 sectors | "
       "LSU (ms) | L2 (ms) |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& k : kernels) {
    std::vector<std::pair<std::string, Site>> v(k.second.begin(), k.second.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.lsu > b.second.lsu; });
    if (int(v.size()) > n) v.resize(std::size_t(n));
    for (const auto& s : v) {
      const df::emu::Counts& c = s.second.c;
      const long sh = c.shared_ld + c.shared_st, gl = c.global_ld + c.global_st;
      o << "| " << k.first << " | " << s.first << " | " << g3(double(c.shared_ld + c.global_ld)) << " | "
        << g3(double(c.shared_st + c.global_st)) << " | " << g3(double(c.shared_wavefronts)) << " ("
        << (sh ? fmt(double(c.shared_wavefronts) / double(sh), "%.2f") : "-") << ") | " << g3(double(c.global_lines))
        << " (" << (gl ? fmt(double(c.global_lines) / double(gl), "%.2f") : "-") << ") | " << g3(double(c.l2_sectors))
        << " | " << ms(s.second.lsu) << " | " << ms(s.second.l2) << " |\n";
    }
  }
  return o.str();
}

const char* kBegin = "<!-- cost-model: begin -->";
const char* kEnd = "<!-- cost-model: end -->";

// The section of doc between the markers replaced by text; InputError when it has none.
std::string replace_section(const std::string& doc, const std::string& text, const std::string& path) {
  const std::size_t b = doc.find(kBegin), e = doc.find(kEnd);
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw df::InputError("speed: --write-doc: '" + path + "' has no " + kBegin + " ... " + kEnd + " section");
  return doc.substr(0, b + std::string(kBegin).size()) + "\n" + text + doc.substr(e);
}

}  // namespace

int run_cost_model(const Config& c, const CostConfig& cc) {
  const H200 h{};
  if (!cc.write_doc.empty()) replace_section(df::read_file(cc.write_doc), "", cc.write_doc);  // before the work
  std::vector<float> x0 = olympic_batch(c.B, c.seed);
  std::ostringstream md;
  md << "Cost model of one training iteration, B = " << c.B << ", N = " << c.N << ", W = " << c.shape.W
     << ", L = " << c.shape.L << ", d = " << c.shape.d << ", K = " << c.K
     << ": counted by the block emulator, **a model, not a measurement: no GPU has run these kernels**. Times in ms "
     << "per iteration; counts per iteration (whole grids).\n\n";
  std::ostringstream sites;
  for (df::MatPrecision p : cc.precisions) {
    df::emu::CountLog log;
    log.count_blocks = cc.count_blocks;
    log.sites = cc.sites > 0;
    df::BackendOptions o;
    o.emu_sms = h.sms;
    o.emu_log = &log;
    o.precision = p;
    o.tile_samples = cc.tile_samples;
    std::unique_ptr<df::Backend> be = df::make_emu_backend(o);
    be->set_precision(p);
    std::fprintf(stderr, "[bench] cost model, %s operands: one training iteration on the emulated H200 (%d of each "
                 "launch's blocks counted)\n", df::mat_precision_name(p), cc.count_blocks);
    Config one = c;
    (void)time_training(*be, one, x0, c.B, 1, 0);
    const std::vector<Row> rows = estimate(log.launches, h);  // uploads and downloads are not logged
    double total = 0;
    const std::string t = table(rows, &total);
    long fma = 0, mma = 0;
    for (const Row& r : rows) fma += r.c.fma_lanes, mma += r.c.mma_tf32 + r.c.mma_bf16;
    md << "**" << df::mat_precision_name(p) << " operands: " << fmt(1e3 * total, "%.4g") << " ms per iteration "
       << "(model).** Counted: " << fmt(2.0 * double(fma) / 1e9, "%.4g") << " GFLOP on FMAs and "
       << g3(double(mma)) << " warp MMAs; PERF.md's count is " << fmt(iter_flop(c.shape, c.N, c.B) / 1e9, "%.4g")
       << " GFLOP per iteration.\n\n" << t << "\n";
    std::fprintf(stderr, "[bench]   %s: %.4g ms per iteration (model)\n", df::mat_precision_name(p), 1e3 * total);
    if (cc.sites > 0)
      sites << "**" << df::mat_precision_name(p) << " operands**: the " << cc.sites << " costliest access sites of "
            << "each kernel (a model, not a measurement).\n\n" << site_table(log.launches, h, cc.sites) << "\n";
  }
  md << assumptions(h, cc.count_blocks) << "\n";
  const std::string text = md.str();
  std::fputs(text.c_str(), stdout);
  df::atomic_write_file(c.out + "/cost-model.md", text);
  if (!cc.write_doc.empty()) {
    df::atomic_write_file(cc.write_doc, replace_section(df::read_file(cc.write_doc), text, cc.write_doc));
    std::fprintf(stderr, "[bench] wrote the cost model into %s\n", cc.write_doc.c_str());
  }
  std::fprintf(stderr, "[bench] wrote %s/cost-model.md\n", c.out.c_str());
  if (cc.sites > 0) {
    df::atomic_write_file(c.out + "/cost-sites.md", "Cost model by access site, B = " + std::to_string(c.B) +
                                                        ", N = " + std::to_string(c.N) + ", W = " +
                                                        std::to_string(c.shape.W) + ".\n\n" + sites.str());
    std::fprintf(stderr, "[bench] wrote %s/cost-sites.md\n", c.out.c_str());
  }
  return 0;
}

}  // namespace dfb
