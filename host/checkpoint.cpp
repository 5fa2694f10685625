// Checkpoint file format; see host/checkpoint.h.
#include "host/checkpoint.h"

#include <cmath>
#include <cstring>
#include <map>
#include <sstream>

#include "host/crc32.h"
#include "host/errors.h"
#include "host/io.h"

namespace df {

int RunConfig::k_for(int N) const {
  if (adjoint_k > 0) return adjoint_k;
  int k = int(std::ceil(std::sqrt(double(N))));
  return k < 1 ? 1 : k;
}

double RunConfig::lr_factor(std::int64_t iteration) const {
  if (decay_every <= 0) return 1.0;
  return std::pow(decay_rate, double(iteration / decay_every));
}

RunConfig default_config(ModelKind k, bool gpu) {
  const ModelFamily& f = family(k);
  const TrainDefaults& t = gpu ? f.gpu : f.cpu;
  RunConfig c;
  c.model = f.name;
  c.shape.W = t.width;
  c.batch = t.batch;
  c.grid.N = t.steps;
  c.iters = t.iters;
  c.ema = t.ema;
  c.grid.kind = f.linear_grid ? GridKind::Linear : GridKind::Exponent;
  c.grid.t_start = f.t_start;
  c.grid.t_end = f.t_end;
  return c;
}

ModelDesc RunConfig::desc() const {
  ModelDesc m;
  m.shape = shape;
  m.kind = parse_model_kind(model);
  m.vp.beta_min = beta_min;
  m.vp.beta_max = beta_max;
  m.t_min = ddpm_t_min;
  m.tol = ode_tol;
  return m;
}

std::string checkpoint_path(const std::string& dir) { return dir + "/checkpoint.bin"; }

namespace {
const char kMagic[9] = "DFCKPT01";

std::string join(const std::vector<double>& v) {
  std::ostringstream os;
  os.precision(17);
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  return os.str();
}
std::vector<double> split(const std::string& s) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stod(item));
  return out;
}
void put_array(std::string& out, const std::string& name, const std::vector<float>& a) {
  out += name;
  out.push_back('\0');
  std::uint64_t n = a.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out.append(reinterpret_cast<const char*>(a.data()), a.size() * sizeof(float));
}
}  // namespace

void save_checkpoint(const std::string& dir, const RunConfig& c, const RunState& st) {
  std::ostringstream kv;
  kv.precision(17);
  kv << "model=" << c.model << "\nbeta_min=" << c.beta_min << "\nbeta_max=" << c.beta_max
     << "\nddpm_t_min=" << c.ddpm_t_min << "\ndata=" << c.data << "\nd=" << c.shape.d << "\nW=" << c.shape.W
     << "\nL=" << c.shape.L << "\ngrid=" << grid_kind_name(c.grid.kind) << "\nN=" << c.grid.N << "\nt_start=" << c.grid.t_start
     << "\nt_end=" << c.grid.t_end << "\np=" << c.grid.p << "\nrandomize=" << c.grid.randomize << "\nprogressive=";
  for (std::size_t i = 0; i < c.grid.progressive.size(); ++i)
    kv << (i ? "," : "") << c.grid.progressive[i].second << ":" << c.grid.progressive[i].first;
  kv << "\ng_t=" << join(c.g.t) << "\ng_g=" << join(c.g.g) << "\nadjoint_k=" << c.adjoint_k << "\nbatch=" << c.batch
     << "\niters=" << c.iters << "\nlr_f=" << c.lr_f << "\nlr_s=" << c.lr_s << "\nclip=" << c.clip
     << "\nema=" << c.ema << "\ndecay_every=" << c.decay_every << "\ndecay_rate=" << c.decay_rate
     << "\nseed=" << c.seed << "\nsave_every=" << c.save_every << "\niteration=" << st.iteration
     << "\nstd_a=" << join(st.stdz.a) << "\nstd_b=" << join(st.stdz.b) << "\nstd_logit=" << st.stdz.logit << "\n\n";
  std::string payload = kv.str();
  const std::pair<const char*, const NetState*> nets[] = {{"f", &st.f}, {"s", &st.s}};
  for (auto& [name, ns] : nets) {
    std::string n(name);
    put_array(payload, n + ".p", ns->p);
    put_array(payload, n + ".m", ns->m);
    put_array(payload, n + ".v", ns->v);
    put_array(payload, n + ".ema", ns->ema);
  }
  std::string file(kMagic, 8);
  std::uint64_t size = payload.size();
  const std::uint32_t crc = crc32(payload.data(), payload.size());
  file.append(reinterpret_cast<const char*>(&size), 8);
  file.append(reinterpret_cast<const char*>(&crc), 4);
  file += payload;
  atomic_write_file(checkpoint_path(dir), file);
}

void load_checkpoint(const std::string& dir, RunConfig& c, RunState& st) {
  const std::string path = checkpoint_path(dir);
  std::string file = read_file(path);
  auto bad = [&](const std::string& why) { return InputError("checkpoint '" + path + "': " + why); };
  if (file.size() < 20 || std::memcmp(file.data(), kMagic, 8) != 0) throw bad("not a diffflow checkpoint");
  std::uint64_t size;
  std::uint32_t crc;
  std::memcpy(&size, file.data() + 8, 8);
  std::memcpy(&crc, file.data() + 16, 4);
  if (file.size() - 20 != size) throw bad("truncated (expected " + std::to_string(size) + " payload bytes)");
  const char* pl = file.data() + 20;
  if (crc32(pl, std::size_t(size)) != crc)
    throw bad("checksum mismatch (the file is damaged)");
  std::string payload(pl, size);
  std::size_t hdr_end = payload.find("\n\n");
  if (hdr_end == std::string::npos) throw bad("no header");
  std::map<std::string, std::string> kv;
  std::stringstream hs(payload.substr(0, hdr_end));
  std::string line;
  while (std::getline(hs, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  try {
    auto get = [&](const char* k) {
      auto it = kv.find(k);
      if (it == kv.end()) throw bad(std::string("missing key '") + k + "'");
      return it->second;
    };
    c.model = get("model");
    parse_model_kind(c.model);
    c.beta_min = std::stod(get("beta_min"));
    c.beta_max = std::stod(get("beta_max"));
    c.ddpm_t_min = std::stod(get("ddpm_t_min"));
    c.data = get("data");
    c.shape = NetShape{std::stoi(get("d")), std::stoi(get("W")), std::stoi(get("L"))};
    c.grid.kind = parse_grid_kind(get("grid"));
    c.grid.N = std::stoi(get("N"));
    c.grid.t_start = std::stod(get("t_start"));
    c.grid.t_end = std::stod(get("t_end"));
    c.grid.p = std::stod(get("p"));
    c.grid.randomize = get("randomize") == "1";
    std::string prog = get("progressive");
    c.grid.progressive = prog.empty() ? decltype(c.grid.progressive){} : parse_progressive(prog);
    c.g.t = split(get("g_t"));
    c.g.g = split(get("g_g"));
    c.adjoint_k = std::stoi(get("adjoint_k"));
    c.batch = std::stoi(get("batch"));
    c.iters = std::stoll(get("iters"));
    c.lr_f = std::stod(get("lr_f"));
    c.lr_s = std::stod(get("lr_s"));
    c.clip = std::stod(get("clip"));
    c.ema = std::stod(get("ema"));
    c.decay_every = std::stoi(get("decay_every"));
    c.decay_rate = std::stod(get("decay_rate"));
    c.seed = std::stoull(get("seed"));
    c.save_every = std::stoi(get("save_every"));
    st.iteration = std::stoll(get("iteration"));
    st.stdz.a = split(get("std_a"));
    st.stdz.b = split(get("std_b"));
    // the logit map of image data (host/standardize.h); absent in checkpoints written before it
    st.stdz.logit = kv.count("std_logit") ? std::stod(kv["std_logit"]) : 0.0;
    if (!(st.stdz.logit >= 0 && st.stdz.logit < 0.5)) throw bad("std_logit must be in [0, 0.5)");
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw bad(std::string("malformed header (") + e.what() + ")");
  }
  std::map<std::string, std::vector<float>> arrays;
  std::size_t pos = hdr_end + 2;
  while (pos < payload.size()) {
    std::size_t z = payload.find('\0', pos);
    if (z == std::string::npos || z + 9 > payload.size()) throw bad("malformed array table");
    std::string name = payload.substr(pos, z - pos);
    std::uint64_t n;
    std::memcpy(&n, payload.data() + z + 1, 8);
    pos = z + 9;
    if (n > (payload.size() - pos) / sizeof(float)) throw bad("array '" + name + "' overruns the file");
    std::vector<float> a(n);
    std::memcpy(a.data(), payload.data() + pos, n * sizeof(float));
    pos += n * sizeof(float);
    arrays[name] = std::move(a);
  }
  const std::size_t np = c.shape.n_params();
  auto take = [&](const std::string& name) {
    auto it = arrays.find(name);
    if (it == arrays.end()) throw bad("missing array '" + name + "'");
    if (it->second.size() != np)
      throw bad("array '" + name + "' has " + std::to_string(it->second.size()) + " values, the shape " +
                c.shape.str() + " needs " + std::to_string(np));
    return it->second;
  };
  for (auto& [name, ns] : {std::pair<std::string, NetState*>{"f", &st.f}, {"s", &st.s}}) {
    ns->p = take(name + ".p");
    ns->m = take(name + ".m");
    ns->v = take(name + ".v");
    ns->ema = take(name + ".ema");
  }
  if (int(st.stdz.a.size()) != c.shape.d || st.stdz.b.size() != st.stdz.a.size())
    throw bad("standardization does not match d = " + std::to_string(c.shape.d));
}

}  // namespace df
