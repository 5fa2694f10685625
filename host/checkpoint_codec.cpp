// Checkpoint bytes: encoding, and a decoding that trusts nothing; see host/checkpoint_codec.h.
#include "host/checkpoint_codec.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>

#include "host/crc32.h"
#include "host/errors.h"
#include "host/number_parse.h"
#include "host/run_limits.h"

namespace df {
namespace {

const char kMagic[9] = "DFCKPT02", kMagicV1[9] = "DFCKPT01";
const char* const kArrays[8] = {"f.p", "f.m", "f.v", "f.ema", "s.p", "s.m", "s.v", "s.ema"};

std::string join(const std::vector<double>& v) {
  std::ostringstream os;
  os.precision(17);
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  return os.str();
}

void put_entry(std::string& out, const char* name, char type, const void* data, std::uint64_t count, std::size_t elem) {
  out += name;
  out.push_back('\0');
  out.push_back(type);
  out.append(reinterpret_cast<const char*>(&count), 8);
  if (count > 0) out.append(static_cast<const char*>(data), std::size_t(count) * elem);
}

std::vector<const std::vector<float>*> arrays_of(const RunState& st) {
  return {&st.f.p, &st.f.m, &st.f.v, &st.f.ema, &st.s.p, &st.s.m, &st.s.v, &st.s.ema};
}

// The key=value lines of the payload: every key once, each one read exactly once.
class Header {
 public:
  Header(const FieldNames& names, std::string_view text) : names_(names) {
    for (std::size_t pos = 0; pos <= text.size();) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view line = text.substr(pos, end - pos);
      const std::size_t eq = line.find('=');
      if (eq == std::string_view::npos || eq == 0) fail("malformed header line " + quote(line));
      if (!kv_.emplace(std::string(line.substr(0, eq)), line.substr(eq + 1)).second)
        fail("key " + quote(line.substr(0, eq)) + " appears twice");
      pos = end + 1;
    }
  }
  [[noreturn]] void fail(const std::string& why) const { throw InputError(names_.prefix + why); }
  static std::string quote(std::string_view s) {
    std::string out(s.substr(0, 40));
    for (char& ch : out)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
    return "'" + out + (s.size() > 40 ? "...'" : "'");
  }
  std::string_view str(const char* key) {
    const auto it = kv_.find(key);
    if (it == kv_.end()) fail(std::string("missing key '") + key + "'");
    const std::string_view v = it->second;
    kv_.erase(it);
    return v;
  }
  std::int64_t integer(const Limit& l) {
    const std::string_view v = str(l.key);
    std::int64_t x = 0;
    if (!parse_int(v, x)) fail(std::string(l.key) + " = " + quote(v) + " is not an integer");
    check_limit(l, double(x), names_);
    return x;
  }
  double real(const Limit& l) {
    const std::string_view v = str(l.key);
    double x = 0;
    if (!parse_real(v, x)) fail(std::string(l.key) + " = " + quote(v) + " is not a decimal number");
    check_limit(l, x, names_);
    return x;
  }
  std::vector<double> list(const char* key) {
    const std::string_view v = str(key);
    std::vector<double> out;
    for (std::size_t pos = 0; pos <= v.size();) {
      std::size_t end = v.find(',', pos);
      if (end == std::string_view::npos) end = v.size();
      double x = 0;
      if (!parse_real(v.substr(pos, end - pos), x) || !std::isfinite(x))
        fail(std::string(key) + " = " + quote(v) + " is not a list of finite numbers");
      out.push_back(x);
      pos = end + 1;
    }
    return out;
  }
  bool has(const char* key) const { return kv_.count(key) != 0; }
  void check_all_read() const {
    if (!kv_.empty()) fail("unknown key " + quote(kv_.begin()->first));
  }

 private:
  FieldNames names_;
  std::map<std::string, std::string_view> kv_;
};

struct Entry {
  char type = 'f';
  std::uint64_t count = 0;
  const char* data = nullptr;
};

}  // namespace

std::string encode_checkpoint(const RunConfig& c, const RunState& st) {
  std::ostringstream kv;
  kv.precision(17);
  kv << "model=" << c.model << "\nbeta_min=" << c.beta_min << "\nbeta_max=" << c.beta_max
     << "\nddpm_t_min=" << c.ddpm_t_min << "\ndata=" << c.data << "\ndata_size=" << c.data_size
     << "\ndata_sha256=" << c.data_sha256 << "\nd=" << c.shape.d << "\nW=" << c.shape.W << "\nL=" << c.shape.L
     << "\ngrid=" << grid_kind_name(c.grid.kind) << "\nN=" << c.grid.N << "\nt_start=" << c.grid.t_start
     << "\nt_end=" << c.grid.t_end << "\np=" << c.grid.p << "\nrandomize=" << c.grid.randomize << "\nprogressive=";
  for (std::size_t i = 0; i < c.grid.progressive.size(); ++i)
    kv << (i ? "," : "") << c.grid.progressive[i].second << ":" << c.grid.progressive[i].first;
  kv << "\ng_t=" << join(c.g.t) << "\ng_g=" << join(c.g.g) << "\nadjoint_k=" << c.adjoint_k << "\nbatch=" << c.batch
     << "\niters=" << c.iters << "\nlr_f=" << c.lr_f << "\nlr_s=" << c.lr_s << "\nclip=" << c.clip
     << "\nema=" << c.ema << "\ndecay_every=" << c.decay_every << "\ndecay_rate=" << c.decay_rate
     << "\nseed=" << c.seed << "\nsave_every=" << c.save_every << "\ndiverge=" << c.diverge
     << "\niteration=" << st.iteration << "\nstd_a=" << join(st.stdz.a) << "\nstd_b=" << join(st.stdz.b)
     << "\nstd_logit=" << st.stdz.logit << "\n\n";
  std::string file(kMagic, 8);
  file.append(12, '\0');  // size and CRC, filled in below
  file += kv.str();
  const auto arrays = arrays_of(st);
  for (int k = 0; k < 8; ++k) put_entry(file, kArrays[k], 'f', arrays[k]->data(), arrays[k]->size(), sizeof(float));
  put_entry(file, "log", 't', st.log_rows.data(), st.log_rows.size(), 1);
  const std::uint64_t size = file.size() - kCheckpointHeader;
  const std::uint32_t crc = crc32(file.data() + kCheckpointHeader, std::size_t(size));
  std::memcpy(&file[8], &size, 8);
  std::memcpy(&file[16], &crc, 4);
  return file;
}

std::size_t checkpoint_payload_size(const std::string& path, std::string_view header) {
  if (header.size() < kCheckpointHeader ||
      (header.compare(0, 8, kMagic) != 0 && header.compare(0, 8, kMagicV1) != 0))
    throw InputError("checkpoint '" + path + "': not a diffflow checkpoint");
  std::uint64_t size = 0;
  std::memcpy(&size, header.data() + 8, 8);
  if (size > SIZE_MAX - kCheckpointHeader) throw InputError("checkpoint '" + path + "': impossible payload size");
  return std::size_t(size);
}

int decode_checkpoint(const std::string& path, std::string_view bytes, RunConfig& out_cfg, RunState& out_st) {
  const FieldNames names{"checkpoint '" + path + "': ", false};
  const auto bad = [&](const std::string& why) { return InputError(names.prefix + why); };
  const std::size_t size = checkpoint_payload_size(path, bytes.substr(0, kCheckpointHeader));
  const int version = bytes[7] == '2' ? 2 : 1;
  if (bytes.size() - kCheckpointHeader != size)
    throw bad("truncated or padded (expected " + std::to_string(size) + " payload bytes, found " +
              std::to_string(bytes.size() - kCheckpointHeader) + ")");
  const std::string_view payload = bytes.substr(kCheckpointHeader);
  std::uint32_t crc = 0;
  std::memcpy(&crc, bytes.data() + 16, 4);
  if (crc32(payload.data(), payload.size()) != crc) throw bad("checksum mismatch (the file is damaged)");
  const std::size_t hdr_end = payload.find("\n\n");
  if (hdr_end == std::string_view::npos) throw bad("no header");
  const auto named = [&](auto parse) {  // the parsers' own InputErrors, with the file named
    try {
      return parse();
    } catch (const InputError& e) {
      throw bad(e.what());
    }
  };

  RunConfig c;
  RunState st;
  Header h(names, payload.substr(0, hdr_end));
  c.model = std::string(h.str("model"));
  named([&] { return parse_model_kind(c.model); });
  c.beta_min = h.real(limits::beta_min);
  c.beta_max = h.real(limits::beta_max);
  c.ddpm_t_min = h.real(limits::ddpm_t_min);
  c.data = std::string(h.str("data"));
  if (version >= 2) {
    if (!parse_uint(h.str("data_size"), c.data_size)) throw bad("data_size is not a whole number");
    c.data_sha256 = std::string(h.str("data_sha256"));
    if (c.data_sha256.find_first_not_of("0123456789abcdef") != std::string::npos ||
        (c.data_sha256.size() != 64 && !c.data_sha256.empty()))
      throw bad("data_sha256 is not 64 hexadecimal digits");
    c.diverge = h.real(limits::diverge);
  }
  c.shape = NetShape{int(h.integer(limits::dim)), int(h.integer(limits::width)), int(h.integer(limits::layers))};
  const std::string grid(h.str("grid"));
  c.grid.kind = named([&] { return parse_grid_kind(grid); });
  c.grid.N = int(h.integer(limits::steps));
  c.grid.t_start = h.real(limits::t_start);
  c.grid.t_end = h.real(limits::t_end);
  c.grid.p = h.real(limits::grid_p);
  const std::string_view randomize = h.str("randomize");
  if (randomize != "0" && randomize != "1") throw bad("randomize must be 0 or 1");
  c.grid.randomize = randomize == "1";
  const std::string prog(h.str("progressive"));
  if (!prog.empty()) c.grid.progressive = named([&] { return parse_progressive(prog); });
  c.g.t = h.list("g_t");
  c.g.g = h.list("g_g");
  c.adjoint_k = int(h.integer(limits::adjoint_k));
  c.batch = int(h.integer(limits::batch));
  c.iters = h.integer(limits::iters);
  c.lr_f = h.real(limits::lr_drift);
  c.lr_s = h.real(limits::lr_score);
  c.clip = h.real(limits::clip);
  c.ema = h.real(limits::ema);
  c.decay_every = int(h.integer(limits::decay_every));
  c.decay_rate = h.real(limits::decay_rate);
  if (!parse_uint(h.str("seed"), c.seed)) throw bad("seed is not a whole number");
  c.save_every = int(h.integer(limits::save_every));
  if (!parse_int(h.str("iteration"), st.iteration)) throw bad("iteration is not an integer");
  st.stdz.a = h.list("std_a");
  st.stdz.b = h.list("std_b");
  // the logit map of image data (host/standardize.h); absent in checkpoints written before it
  if (h.has("std_logit")) st.stdz.logit = h.real(limits::std_logit);
  h.check_all_read();
  validate_config(c, names);

  std::map<std::string, Entry> entries;
  for (std::size_t pos = hdr_end + 2; pos < payload.size();) {
    const std::size_t z = payload.find('\0', pos);
    const std::size_t fixed = version >= 2 ? 9 : 8;
    if (z == std::string_view::npos || z == pos || payload.size() - z - 1 < fixed) throw bad("malformed entry table");
    const std::string name(payload.substr(pos, z - pos));
    Entry e;
    if (version >= 2) e.type = payload[z + 1];
    std::memcpy(&e.count, payload.data() + z + 1 + (fixed - 8), 8);
    pos = z + 1 + fixed;
    const std::size_t elem = e.type == 'f' ? sizeof(float) : e.type == 't' ? 1 : 0;
    if (elem == 0) throw bad("entry " + Header::quote(name) + " has an unknown type");
    if (e.count > (payload.size() - pos) / elem) throw bad("entry " + Header::quote(name) + " overruns the file");
    e.data = payload.data() + pos;
    pos += std::size_t(e.count) * elem;
    if (!entries.emplace(name, e).second) throw bad("entry " + Header::quote(name) + " appears twice");
  }
  const std::size_t np = c.shape.n_params();
  std::vector<float>* arrays[8] = {&st.f.p, &st.f.m, &st.f.v, &st.f.ema, &st.s.p, &st.s.m, &st.s.v, &st.s.ema};
  for (int k = 0; k < 8; ++k) {
    const auto it = entries.find(kArrays[k]);
    if (it == entries.end() || it->second.type != 'f') throw bad(std::string("missing array '") + kArrays[k] + "'");
    if (it->second.count != np)
      throw bad(std::string("array '") + kArrays[k] + "' has " + std::to_string(it->second.count) +
                " values, the shape " + c.shape.str() + " needs " + std::to_string(np));
    arrays[k]->resize(np);
    if (np > 0) std::memcpy(arrays[k]->data(), it->second.data, np * sizeof(float));
    entries.erase(it);
  }
  if (version >= 2) {
    const auto it = entries.find("log");
    if (it == entries.end() || it->second.type != 't') throw bad("missing entry 'log'");
    st.log_rows.assign(it->second.data, std::size_t(it->second.count));
    entries.erase(it);
  }
  if (!entries.empty()) throw bad("unknown entry " + Header::quote(entries.begin()->first));
  validate_state(c, st, names);
  if (version >= 2) validate_log_rows(st, names);
  out_cfg = std::move(c);
  out_st = std::move(st);
  return version;
}

}  // namespace df
