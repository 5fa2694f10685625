// Small stand-ins for the real data sets' files, in their own formats and at their packages'
// paths under a root (what DF_DATA_DIR points at): gzip IDX images, a gzip CSV, xz-compressed R
// data frames (XDR, with symbol references as R writes them) and PNG photographs. The tests of
// the readers and the CLI tests train on them; the values follow simple rules the tests check.
//   fashion-mnist  60 training and 12 test images; pixel k of image i is (i + k) mod 256
//   digits         40 rows; pixel k of row r is (r + k) mod 17, label r mod 10
//   letter         a factor 'lettr' then 16 integer columns x_k = (r·(k + 1)) mod 16, 200 rows
//   shuttle        9 numeric columns (integers, column 3 with a half added) and a factor, 300 rows
//   patches        8 greyscale PNGs of 16×24: grey value (x + 3y + 7·image) mod 256
#pragma once
#include <sys/stat.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "host/io.h"
#include "host/matrix.h"
#include "host/plot_canvas.h"

#ifdef DF_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef DF_HAVE_LZMA
#include <lzma.h>
#endif

namespace df_fixture {

inline void mkdirs(const std::string& path) {
  std::string p;
  for (std::size_t i = 0; i < path.size(); ++i) {
    p += path[i];
    if (path[i] == '/' || i + 1 == path.size()) mkdir(p.c_str(), 0755);
  }
}

inline std::string gzip_bytes(const std::string& in) {
#ifdef DF_HAVE_ZLIB
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // + 16: a gzip wrapper
  std::string out(deflateBound(&z, uLong(in.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
#else
  return in;
#endif
}

inline std::string xz_bytes(const std::string& in) {
#ifdef DF_HAVE_LZMA
  std::string out(lzma_stream_buffer_bound(in.size()), '\0');
  std::size_t pos = 0;
  lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const std::uint8_t*>(in.data()), in.size(),
                          reinterpret_cast<std::uint8_t*>(&out[0]), &pos, out.size());
  out.resize(pos);
  return out;
#else
  return in;
#endif
}

// R's XDR serialization, the parts a saved data frame uses
struct RWriter {
  std::string b = "RDX2\nX\n";
  std::vector<std::string> syms;  // the reference table (symbols only)
  RWriter() {
    i32(2);
    i32(0x040201);
    i32(0x020300);
  }
  void i32(std::int32_t v) {
    const std::uint32_t u = std::uint32_t(v);
    for (int s = 24; s >= 0; s -= 8) b.push_back(char((u >> s) & 0xFF));
  }
  void f64(double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, 8);
    i32(std::int32_t(u >> 32));
    i32(std::int32_t(u & 0xFFFFFFFFu));
  }
  void chars(const std::string& s) {
    i32(0x00040009);  // CHARSXP, UTF-8 flag
    i32(std::int32_t(s.size()));
    b += s;
  }
  void sym(const std::string& s) {  // SYMSXP once, then REFSXP
    for (std::size_t i = 0; i < syms.size(); ++i)
      if (syms[i] == s) return i32(std::int32_t(((i + 1) << 8) | 255));
    syms.push_back(s);
    i32(1);
    chars(s);
  }
  void strs(const std::vector<std::string>& v) {
    i32(16);
    i32(std::int32_t(v.size()));
    for (const auto& s : v) chars(s);
  }
  // a pairlist cell with a tag (flags: LISTSXP | has-tag [| has-attr])
  void cell(const std::string& tag) {
    i32(0x402);
    sym(tag);
  }
  void nil() { i32(254); }
};

inline void write_gz(const std::string& path, const std::string& bytes) { df::atomic_write_file(path, gzip_bytes(bytes)); }

inline std::string idx_images(int n, int offset) {
  std::string s;
  auto be32 = [&](std::uint32_t v) {
    for (int k = 24; k >= 0; k -= 8) s.push_back(char((v >> k) & 0xFF));
  };
  be32(0x00000803);
  be32(std::uint32_t(n));
  be32(28);
  be32(28);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 784; ++k) s.push_back(char((i + offset + k) % 256));
  return s;
}

// A data frame: numeric (REALSXP) columns, integer (INTSXP) columns and factors (INTSXP with
// levels and class "factor").
struct RCol {
  std::string name;
  std::vector<double> v;
  int kind = 0;  // 0 real, 1 integer, 2 factor (v: codes 1..levels)
  int levels = 0;
};

inline std::string r_frame(const std::string& object, const std::vector<RCol>& cols) {
  RWriter w;
  w.cell(object);
  const int n = int(cols[0].v.size());
  w.i32(0x313);  // VECSXP, object, has attributes
  w.i32(std::int32_t(cols.size()));
  for (const RCol& c : cols) {
    if (c.kind == 0) {
      w.i32(14);
      w.i32(n);
      for (double x : c.v) w.f64(x);
    } else {
      w.i32(c.kind == 2 ? 0x30d : 13);
      w.i32(n);
      for (double x : c.v) w.i32(std::int32_t(x));
      if (c.kind == 2) {
        w.i32(0x402);
        w.sym("levels");
        std::vector<std::string> lv;
        for (int l = 0; l < c.levels; ++l) lv.push_back("L" + std::to_string(l + 1));
        w.strs(lv);
        w.i32(0x402);
        w.sym("class");
        w.strs({"factor"});
        w.nil();
      }
    }
  }
  // the frame's attributes: names, class, row.names (compact form c(NA, -n))
  w.i32(0x402);
  w.sym("names");
  std::vector<std::string> names;
  for (const RCol& c : cols) names.push_back(c.name);
  w.strs(names);
  w.i32(0x402);
  w.sym("class");
  w.strs({"data.frame"});
  w.i32(0x402);
  w.sym("row.names");
  w.i32(13);
  w.i32(2);
  w.i32(INT32_MIN);
  w.i32(-n);
  w.nil();
  w.nil();  // end of the top-level pairlist
  return w.b;
}

inline void write_real_data_fixture(const std::string& root) {
  const std::string mn = root + "/usr/share/datasets/fashion-mnist/", sk = root + "/usr/lib/python3/dist-packages/sklearn/datasets/data/",
                    ml = root + "/usr/lib/R/site-library/mlbench/data/", im = root + "/usr/lib/python3/dist-packages/skimage/data/";
  for (const std::string& d : {mn, sk, ml, im}) mkdirs(d);
  write_gz(mn + "train-images-idx3-ubyte.gz", idx_images(60, 0));
  write_gz(mn + "t10k-images-idx3-ubyte.gz", idx_images(12, 100));
  std::string csv;
  for (int r = 0; r < 40; ++r) {
    for (int k = 0; k < 64; ++k) csv += std::to_string((r + k) % 17) + ",";
    csv += std::to_string(r % 10) + "\n";
  }
  write_gz(sk + "digits.csv.gz", csv);
  std::vector<RCol> letter{{"lettr", {}, 2, 26}};
  for (int k = 0; k < 16; ++k) letter.push_back({"x" + std::to_string(k + 1), {}, 1, 0});
  for (int r = 0; r < 200; ++r) {
    letter[0].v.push_back(1 + r % 26);
    for (int k = 0; k < 16; ++k) letter[std::size_t(k + 1)].v.push_back((r * (k + 1)) % 16);
  }
  df::atomic_write_file(ml + "LetterRecognition.rda", xz_bytes(r_frame("LetterRecognition", letter)));
  std::vector<RCol> shuttle;
  for (int k = 0; k < 9; ++k) shuttle.push_back({"V" + std::to_string(k + 1), {}, 0, 0});
  shuttle.push_back({"Class", {}, 2, 7});
  for (int r = 0; r < 300; ++r) {
    for (int k = 0; k < 9; ++k) shuttle[std::size_t(k)].v.push_back(double((r * 7 + k * 13) % 50 - 20) + (k == 3 ? 0.5 : 0.0));
    shuttle[9].v.push_back(1 + r % 7);
  }
  df::atomic_write_file(ml + "Shuttle.rda", xz_bytes(r_frame("Shuttle", shuttle)));
  int img = 0;
  for (const char* f : {"astronaut", "camera", "brick", "grass", "gravel", "clock_motion", "chelsea", "coffee"}) {
    df::plot::Canvas cv(24, 16);
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 24; ++x) {
        const float g = float((x + 3 * y + 7 * img) % 256);
        for (int c = 0; c < 3; ++c) cv.px[std::size_t(3 * (y * 24 + x) + c)] = g;
      }
    df::plot::save_png(im + f + ".png", cv);
    ++img;
  }
}

}  // namespace df_fixture
