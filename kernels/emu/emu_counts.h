// What the block emulator counts for the cost model (bench/cost_model.cpp): per block of a
// launch, the warp-level work a kernel body asks of an SM, from the accesses and operations it
// makes through the Exec interface (EmuExec: ld, st, add, fma, sync, shfl*, mma_*).
//   Counts          the totals of one block (or a sum over blocks)
//   Access          one lane's access: the site (file and line of the ld/st call: GCC has no
//                   __builtin_COLUMN, so two calls on one line are one site), the address, its
//                   size and whether it stores
//   count_warp(...) turns the accesses the lanes of one warp made between two synchronization
//                   points into warp instructions and adds them to a Counts
// Warp instructions: between two synchronization points of a warp (a block barrier, a warp
// operation, the end of the block) the lanes' accesses are lined up as SIMT executes them. When
// every lane made the same sequence of sites (uniform control flow, the common case), the i-th
// access of each lane is one instruction. Otherwise the n-th access of each lane at a site is one
// instruction (lanes that leave a loop early are inactive in its later iterations); this pairs
// lanes wrongly when the same site runs a different number of times per lane before another loop
// reaches it again before the next synchronization point, or when two calls on one line run in a
// different order in different lanes.
// Shared memory (the address lies in the block's dynamic shared memory): 32 banks of 4 bytes. A
// 4-byte (or smaller) access takes, per instruction, as many wavefronts as the most distinct
// 4-byte words any one bank serves (lanes reading the same word are one broadcast). An 8-byte
// access is served per half-warp (lanes 0–15, 16–31) and a 16-byte one per quarter-warp, each
// group costing the most distinct words of one bank within it (an access of 2 or 4 words touches
// 2 or 4 consecutive banks); the wavefronts of the groups add up. Conflict-free: 1 wavefront
// per 128 bytes.
// Global memory (any other address): per instruction the bytes the lanes ask for, the distinct
// 32-byte sectors and the distinct 128-byte lines they touch; the sectors that reach L2 (a load's
// sectors the warp has not loaded since its last synchronization point: repeats in that interval
// are taken as L1 hits; a store's sectors always, L1 being write-through); and over the block
// the distinct sectors touched at all (its footprint, a set kept by the caller).
// FMAs: ex.fma calls, per lane; a warp's FMA instructions in an interval are the most any of its
// lanes made (lockstep).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace df {
namespace emu {

struct Counts {
  long fma_lanes = 0, fma_warp = 0;       // ex.fma per lane; warp FMA instructions
  long mma_tf32 = 0, mma_bf16 = 0;        // warp MMAs (m16n8k8 tf32, m16n8k16 bf16)
  long shfl = 0;                          // warp shuffles
  long barriers = 0;                      // block barriers
  long shared_ld = 0, shared_st = 0;      // shared-memory warp instructions
  long shared_wavefronts = 0;             // their wavefronts, bank conflicts included
  long global_ld = 0, global_st = 0;      // global-memory warp instructions
  long global_bytes = 0;                  // bytes the lanes asked for
  long global_sectors = 0;                // distinct 32-byte sectors per instruction, summed
  long global_lines = 0;                  // distinct 128-byte lines per instruction, summed
  long l2_sectors = 0;                    // sectors that reach L2 (L1 hits within an interval out)
  long footprint_sectors = 0;             // distinct sectors over the block (or the launch)
  Counts& operator+=(const Counts& o) {
    long* a = &fma_lanes;
    const long* b = &o.fma_lanes;
    for (std::size_t i = 0; i < kFields; ++i) a[i] += b[i];
    return *this;
  }
  static constexpr std::size_t kFields = 16;
};
static_assert(sizeof(Counts) == Counts::kFields * sizeof(long), "Counts: every field a long");

struct Access {
  const char* file;
  std::uint32_t line;
  std::uint32_t size_store;  // bytes << 1 | store
  std::uintptr_t addr;
  bool same_site(const Access& o) const { return file == o.file && line == o.line && size_store == o.size_store; }
};

inline Access make_access(const void* p, std::size_t bytes, bool store, const char* file, int line) {
  return Access{file, std::uint32_t(line), (std::uint32_t(bytes) << 1) | (store ? 1u : 0u),
                reinterpret_cast<std::uintptr_t>(p)};
}

namespace detail {

// Adds x to the set s[0..n) of at most cap values; true when it was new.
inline bool add_distinct(std::uintptr_t* s, int& n, int cap, std::uintptr_t x) {
  for (int i = 0; i < n; ++i)
    if (s[i] == x) return false;
  if (n < cap) s[n++] = x;
  return true;
}

// Wavefronts of one shared-memory instruction of n lanes (lane[i] made acc[i]).
inline long shared_wavefronts(int n, const int* lane, const Access* const* acc, std::uintptr_t smem_lo) {
  const std::size_t bytes = acc[0]->size_store >> 1;
  const int words = bytes <= 4 ? 1 : int(bytes / 4);
  const int group = 32 / words;  // lanes served together: 32, 16 (8 bytes), 8 (16 bytes)
  long total = 0;
  for (int g0 = 0; g0 < 32; g0 += group) {
    std::uintptr_t seen[32];  // distinct words of the group (group · words = 32 at most)
    int nseen = 0, per_bank[32] = {0};
    for (int i = 0; i < n; ++i) {
      if (lane[i] < g0 || lane[i] >= g0 + group) continue;
      const std::uintptr_t w0 = (acc[i]->addr - smem_lo) / 4;
      for (int k = 0; k < words; ++k)
        if (add_distinct(seen, nseen, 32, w0 + std::uintptr_t(k))) ++per_bank[(w0 + std::uintptr_t(k)) % 32];
    }
    if (nseen == 0) continue;
    total += *std::max_element(per_bank, per_bank + 32);
  }
  return total;
}

// One warp instruction: the accesses acc[i] of its n active lanes lane[i] (one per lane).
// warp_loaded: the sectors this warp loaded since its last synchronization point.
inline void count_instruction(int n, const int* lane, const Access* const* acc, std::uintptr_t smem_lo,
                              std::uintptr_t smem_hi, Counts& c, std::unordered_set<std::uintptr_t>& footprint,
                              std::unordered_set<std::uintptr_t>& warp_loaded) {
  int sl[32];
  const Access* sa[32];
  std::uintptr_t sectors[64], lines[64];
  int ns = 0, nsec = 0, nlin = 0;
  bool global = false;
  for (int i = 0; i < n; ++i) {
    const Access& a = *acc[i];
    if (a.addr >= smem_lo && a.addr < smem_hi) {
      sl[ns] = lane[i];
      sa[ns++] = &a;
      continue;
    }
    global = true;
    const std::uintptr_t bytes = a.size_store >> 1;
    c.global_bytes += long(bytes);
    for (std::uintptr_t s = a.addr / 32; s <= (a.addr + bytes - 1) / 32; ++s)
      if (add_distinct(sectors, nsec, 64, s)) footprint.insert(s);
    for (std::uintptr_t l = a.addr / 128; l <= (a.addr + bytes - 1) / 128; ++l) add_distinct(lines, nlin, 64, l);
  }
  const bool store = acc[0]->size_store & 1u;
  if (global) {
    (store ? c.global_st : c.global_ld) += 1;
    c.global_sectors += nsec;
    c.global_lines += nlin;
    for (int i = 0; i < nsec; ++i) c.l2_sectors += store || warp_loaded.insert(sectors[i]).second;
  }
  if (ns > 0) {
    (store ? c.shared_st : c.shared_ld) += 1;
    c.shared_wavefronts += shared_wavefronts(ns, sl, sa, smem_lo);
  }
}

}  // namespace detail

// A site of accesses (file and line of the ld/st call) and its counts, for the cost model's
// per-site table (diffflow-bench speed --sites).
struct SiteKey {
  const char* file;
  std::uint32_t line;
  bool operator==(const SiteKey& o) const { return file == o.file && line == o.line; }
};
struct SiteKeyHash {
  std::size_t operator()(const SiteKey& k) const {
    return std::hash<const void*>()(k.file) ^ (std::size_t(k.line) * 0x9E3779B97F4A7C15ull);
  }
};
using SiteCounts = std::unordered_map<SiteKey, Counts, SiteKeyHash>;

namespace detail {
// count_instruction into c and, when sites is given, into the instruction's site.
inline void count_at_site(int n, const int* lane, const Access* const* acc, std::uintptr_t smem_lo,
                          std::uintptr_t smem_hi, Counts& c, std::unordered_set<std::uintptr_t>& footprint,
                          std::unordered_set<std::uintptr_t>& warp_loaded, SiteCounts* sites) {
  if (!sites) return count_instruction(n, lane, acc, smem_lo, smem_hi, c, footprint, warp_loaded);
  Counts one;
  count_instruction(n, lane, acc, smem_lo, smem_hi, one, footprint, warp_loaded);
  c += one;
  (*sites)[SiteKey{acc[0]->file, acc[0]->line}] += one;
}
}  // namespace detail

// The accesses lane l of one warp made since the warp's last synchronization point are
// lanes[l] (nlanes ≤ 32 lanes). Adds the warp instructions they form to c (and, with sites, to
// their sites) and the global sectors to footprint. The instructions are counted in a fixed
// order (program order; with divergent lanes, the order in which the sites first appear, lane 0
// first), so the L1 hits among them, and the counts, are the same on every run.
inline void count_warp(const std::vector<Access>* const* lanes, int nlanes, std::uintptr_t smem_lo,
                       std::uintptr_t smem_hi, Counts& c, std::unordered_set<std::uintptr_t>& footprint,
                       SiteCounts* sites = nullptr) {
  std::size_t most = 0;
  bool uniform = true;
  for (int l = 0; l < nlanes; ++l) {
    most = std::max(most, lanes[l]->size());
    uniform = uniform && lanes[l]->size() == lanes[0]->size();
  }
  if (most == 0) return;
  std::unordered_set<std::uintptr_t> loaded;
  for (std::size_t i = 0; uniform && i < most; ++i)
    for (int l = 1; l < nlanes && uniform; ++l) uniform = (*lanes[l])[i].same_site((*lanes[0])[i]);
  if (uniform) {
    int il[32];
    const Access* ia[32];
    for (int l = 0; l < nlanes; ++l) il[l] = l;
    for (std::size_t i = 0; i < most; ++i) {
      for (int l = 0; l < nlanes; ++l) ia[l] = &(*lanes[l])[i];
      detail::count_at_site(nlanes, il, ia, smem_lo, smem_hi, c, footprint, loaded, sites);
    }
    return;
  }
  // divergent: the n-th access of each lane at a site is one instruction
  struct Key {
    const char* file;
    std::uint32_t line, size_store;
    std::size_t occurrence;
    bool operator==(const Key& o) const {
      return file == o.file && line == o.line && size_store == o.size_store && occurrence == o.occurrence;
    }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<const void*>()(k.file) ^ (std::size_t(k.line) * 0x9E3779B97F4A7C15ull) ^
             (std::size_t(k.size_store) << 7) ^ (k.occurrence * 0xC2B2AE3D27D4EB4Full);
    }
  };
  struct Group {
    std::vector<int> lanes;
    std::vector<const Access*> acc;
  };
  std::unordered_map<Key, std::size_t, KeyHash> index;  // a group's place in groups
  std::vector<Group> groups;                             // in order of first appearance
  for (int l = 0; l < nlanes; ++l) {
    std::unordered_map<Key, std::size_t, KeyHash> seen;  // occurrences per site in this lane
    for (const Access& a : *lanes[l]) {
      Key k{a.file, a.line, a.size_store, 0};
      k.occurrence = seen[k]++;
      const auto ins = index.emplace(k, groups.size());
      if (ins.second) groups.emplace_back();
      Group& g = groups[ins.first->second];
      g.lanes.push_back(l);
      g.acc.push_back(&a);
    }
  }
  for (const Group& g : groups)
    detail::count_at_site(int(g.lanes.size()), g.lanes.data(), g.acc.data(), smem_lo, smem_hi, c, footprint, loaded,
                          sites);
}

// The counts of one launch: its shape and the sum over the blocks it counted.
struct LaunchCounts {
  std::string name;
  int grid = 0, block = 0;
  std::size_t smem = 0;
  int counted_blocks = 0;   // blocks 0 .. counted_blocks-1 ran and were counted
  Counts sum;               // over the counted blocks (footprint_sectors: their union)
  long block_footprint_sectors = 0;  // Σ over the counted blocks of each block's own footprint
  std::size_t bytes = 0;    // a memset or copy (name "memset", "copy"): bytes written; else 0
  SiteCounts sites;         // per site, over the counted blocks (CountLog::sites only)
};

// Where an emulated device records its launches for the cost model (EmuDevice::Props::log).
struct CountLog {
  int count_blocks = 1;  // blocks counted (and run) per launch; the others are skipped
  bool sites = false;    // also count per site (LaunchCounts::sites)
  std::vector<LaunchCounts> launches;
};

}  // namespace emu
}  // namespace df
