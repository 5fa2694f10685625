// Readers of host/data_formats.h.
#include "host/data_formats.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <memory>

#include "host/errors.h"
#include "host/io.h"

#ifdef DF_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef DF_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef DF_HAVE_PNG
#include <png.h>
#endif

namespace df {

namespace {

bool starts_with(const std::string& s, const char* magic, std::size_t n) {
  return s.size() >= n && std::memcmp(s.data(), magic, n) == 0;
}

std::string gunzip(const std::string& in, const std::string& what) {
#ifdef DF_HAVE_ZLIB
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw InputError("'" + what + "': cannot start gzip decoding");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw InputError("'" + what + "': damaged gzip data (" + (z.msg ? z.msg : "inflate failed") + ")");
    }
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      throw InputError("'" + what + "': truncated gzip data");
    }
  }
  inflateEnd(&z);
  return out;
#else
  (void)in;
  throw InputError("'" + what + "' is gzip-compressed and this build has no zlib (install zlib1g-dev and rebuild)");
#endif
}

std::string unxz(const std::string& in, const std::string& what) {
#ifdef DF_HAVE_LZMA
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    throw InputError("'" + what + "': cannot start xz decoding");
  std::string out;
  s.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
  s.avail_in = in.size();
  std::uint8_t buf[1 << 16];
  lzma_ret rc = LZMA_OK;
  while (rc != LZMA_STREAM_END) {
    s.next_out = buf;
    s.avail_out = sizeof buf;
    rc = lzma_code(&s, LZMA_FINISH);
    if (rc != LZMA_OK && rc != LZMA_STREAM_END) {
      lzma_end(&s);
      throw InputError("'" + what + "': damaged or truncated xz data (code " + std::to_string(int(rc)) + ")");
    }
    out.append(reinterpret_cast<const char*>(buf), sizeof buf - s.avail_out);
  }
  lzma_end(&s);
  return out;
#else
  (void)in;
  throw InputError("'" + what + "' is xz-compressed and this build has no liblzma (install liblzma-dev and rebuild)");
#endif
}

}  // namespace

std::string decompress_bytes(const std::string& bytes, const std::string& what) {
  if (starts_with(bytes, "\x1f\x8b", 2)) return gunzip(bytes, what);
  if (starts_with(bytes, "\xfd" "7zXZ\0", 6)) return unxz(bytes, what);
  if (starts_with(bytes, "BZh", 3)) throw InputError("'" + what + "': bzip2-compressed data is not supported");
  return bytes;
}

std::string read_decompressed(const std::string& path) { return decompress_bytes(read_file(path), path); }

// ---- IDX ------------------------------------------------------------------------------------

IdxU8 read_idx_u8(const std::string& path) {
  const std::string b = read_decompressed(path);
  auto bad = [&](const std::string& why) { return InputError("'" + path + "': not an IDX file of bytes (" + why + ")"); };
  if (b.size() < 4) throw bad("too short");
  const auto* u = reinterpret_cast<const std::uint8_t*>(b.data());
  if (u[0] != 0 || u[1] != 0) throw bad("bad magic");
  if (u[2] != 0x08) throw bad("element type " + std::to_string(u[2]) + ", expected 8 (unsigned byte)");
  const int nd = u[3];
  if (nd < 1 || nd > 8) throw bad(std::to_string(nd) + " dimensions");
  if (b.size() < 4 + 4 * std::size_t(nd)) throw bad("truncated header");
  IdxU8 out;
  std::size_t total = 1;
  for (int i = 0; i < nd; ++i) {
    const std::uint8_t* p = u + 4 + 4 * i;
    const std::uint32_t v = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
    out.dims.push_back(v);
    total *= v;
  }
  const std::size_t off = 4 + 4 * std::size_t(nd);
  if (b.size() - off != total)
    throw bad("holds " + std::to_string(b.size() - off) + " data bytes, the header says " + std::to_string(total));
  out.data.assign(u + off, u + off + total);
  return out;
}

// ---- CSV ------------------------------------------------------------------------------------

std::vector<double> read_csv_numbers(const std::string& path, std::size_t* rows, std::size_t* cols) {
  const std::string text = read_decompressed(path);
  std::vector<double> out;
  std::size_t r = 0, c = 0, pos = 0, line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::size_t n = 0, q = 0;
    while (q <= line.size()) {
      std::size_t comma = line.find(',', q);
      if (comma == std::string::npos) comma = line.size();
      const std::string cell = line.substr(q, comma - q);
      char* e = nullptr;
      const double v = std::strtod(cell.c_str(), &e);
      if (cell.empty() || *e != '\0' || !std::isfinite(v))
        throw InputError("'" + path + "' line " + std::to_string(line_no) + ": '" + cell + "' is not a finite number");
      out.push_back(v);
      ++n;
      q = comma + 1;
    }
    if (r == 0) c = n;
    if (n != c)
      throw InputError("'" + path + "' line " + std::to_string(line_no) + ": " + std::to_string(n) + " values, the first row has " +
                       std::to_string(c));
    ++r;
  }
  if (r == 0) throw InputError("'" + path + "': no rows");
  *rows = r;
  *cols = c;
  return out;
}

// ---- R's serialization (the subset data frames use) -------------------------------------------

namespace {

enum : int {
  kSym = 1, kList = 2, kChar = 9, kLgl = 10, kInt = 13, kReal = 14, kStr = 16, kVec = 19, kAltrep = 238,
  kEmptyEnv = 242, kBaseEnv = 241, kGlobalEnv = 253, kUnbound = 252, kMissing = 251, kBaseNs = 250, kNil = 254, kRef = 255
};

struct RItem {
  int type = kNil;
  std::vector<double> num;                   // REALSXP, INTSXP, LGLSXP (NA as NaN)
  std::vector<std::string> str;              // STRSXP; CHARSXP and SYMSXP: one string
  std::vector<std::shared_ptr<RItem>> items;  // VECSXP elements; LISTSXP values
  std::vector<std::string> tags;             // LISTSXP tags ("" where none)
  std::shared_ptr<RItem> attr;               // attributes (a LISTSXP) or null
  const RItem* attribute(const std::string& name) const {
    if (!attr) return nullptr;
    for (std::size_t i = 0; i < attr->tags.size(); ++i)
      if (attr->tags[i] == name) return attr->items[i].get();
    return nullptr;
  }
};
using RPtr = std::shared_ptr<RItem>;

class RReader {
 public:
  RReader(const std::string& bytes, const std::string& path) : b_(bytes), path_(path) {}

  RPtr file() {
    if (b_.compare(0, 5, "RDX2\n") == 0 || b_.compare(0, 5, "RDX3\n") == 0) pos_ = 5;
    else throw bad("not R data saved by save() (no RDX2/RDX3 header)");
    if (b_.compare(pos_, 2, "X\n") != 0) throw bad("only the XDR (binary, big-endian) form is supported");
    pos_ += 2;
    const int version = int32();
    int32();  // the writer's R version
    int32();  // the oldest R version that reads it
    if (version == 3) {
      const int n = int32();
      bytes(std::size_t(n));  // native encoding name
    } else if (version != 2) {
      throw bad("serialization version " + std::to_string(version));
    }
    return item(0);
  }

 private:
  InputError bad(const std::string& why) const { return InputError("'" + path_ + "': " + why); }
  std::string bytes(std::size_t n) {
    if (n > b_.size() - pos_) throw bad("truncated R data");
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint32_t uint32() {
    if (b_.size() - pos_ < 4) throw bad("truncated R data");
    const auto* u = reinterpret_cast<const std::uint8_t*>(b_.data() + pos_);
    pos_ += 4;
    return (std::uint32_t(u[0]) << 24) | (std::uint32_t(u[1]) << 16) | (std::uint32_t(u[2]) << 8) | u[3];
  }
  int int32() { return int(std::int32_t(uint32())); }
  double real() {
    const std::uint64_t hi = uint32(), lo = uint32();
    const std::uint64_t bits = (hi << 32) | lo;
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  std::size_t length() {
    const int n = int32();
    if (n >= 0) return std::size_t(n);
    if (n != -1) throw bad("negative vector length");
    const std::uint64_t hi = uint32(), lo = uint32();
    return std::size_t((hi << 32) | lo);
  }
  void check_count(std::size_t n, std::size_t bytes_each) const {
    if (n > (b_.size() - pos_) / bytes_each) throw bad("a vector overruns the data");
  }

  RPtr item(int depth) {
    if (depth > 200) throw bad("R data nested too deeply");
    const std::uint32_t flags = uint32();
    const int type = int(flags & 0xFF);
    const bool has_attr = flags & (1u << 9), has_tag = flags & (1u << 10);
    auto it = std::make_shared<RItem>();
    it->type = type;
    switch (type) {
      case kNil: case kEmptyEnv: case kBaseEnv: case kGlobalEnv: case kUnbound: case kMissing: case kBaseNs:
        it->type = kNil;
        return it;
      case kRef: {
        std::size_t idx = flags >> 8;
        if (idx == 0) idx = std::size_t(int32());
        if (idx < 1 || idx > refs_.size()) throw bad("a reference to an unknown object");
        return refs_[idx - 1];
      }
      case kSym: {
        RPtr name = item(depth + 1);
        it->str = name->str;
        refs_.push_back(it);
        return it;
      }
      case kList: {  // a pairlist: read iteratively along the CDR chain
        bool attr = has_attr, tag = has_tag, head = true;
        for (;;) {
          if (attr) {  // attributes of a cell: kept for the head (those of a data frame's attribute list)
            RPtr a = item(depth + 1);
            if (head) it->attr = a;
          }
          std::string t;
          if (tag) {
            RPtr s = item(depth + 1);
            t = s->str.empty() ? "" : s->str[0];
          }
          it->tags.push_back(t);
          it->items.push_back(item(depth + 1));
          const std::uint32_t f = uint32();
          const int ty = int(f & 0xFF);
          if (ty == kNil) break;
          if (ty != kList) throw bad("a pairlist ends in type " + std::to_string(ty));
          attr = f & (1u << 9);
          tag = f & (1u << 10);
          head = false;
        }
        return it;
      }
      case kChar: {
        const int n = int32();
        if (n == -1) it->str.push_back("NA");
        else it->str.push_back(bytes(std::size_t(n)));
        return it;  // CHARSXPs carry no attributes in saved data
      }
      case kLgl: case kInt: {
        const std::size_t n = length();
        check_count(n, 4);
        it->num.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
          const int v = int32();
          it->num[i] = v == INT_MIN ? NAN : double(v);
        }
        break;
      }
      case kReal: {
        const std::size_t n = length();
        check_count(n, 8);
        it->num.resize(n);
        for (std::size_t i = 0; i < n; ++i) it->num[i] = real();
        break;
      }
      case kStr: {
        const std::size_t n = length();
        check_count(n, 4);
        for (std::size_t i = 0; i < n; ++i) {
          RPtr c = item(depth + 1);
          it->str.push_back(c->str.empty() ? "" : c->str[0]);
        }
        break;
      }
      case kVec: {
        const std::size_t n = length();
        check_count(n, 4);
        for (std::size_t i = 0; i < n; ++i) it->items.push_back(item(depth + 1));
        break;
      }
      case kAltrep: {  // R >= 3.5: compact integer/real sequences (row names 1:n)
        RPtr info = item(depth + 1), state = item(depth + 1), attr = item(depth + 1);
        const std::string cls = info->items.empty() || info->items[0]->str.empty() ? "" : info->items[0]->str[0];
        if ((cls != "compact_intseq" && cls != "compact_realseq") || state->num.size() != 3)
          throw bad("unsupported compact R object '" + cls + "'");
        const std::size_t n = std::size_t(state->num[0]);
        it->type = cls == "compact_intseq" ? kInt : kReal;
        it->num.resize(n);
        for (std::size_t i = 0; i < n; ++i) it->num[i] = state->num[1] + double(i) * state->num[2];
        if (attr->type == kList) it->attr = attr;
        return it;
      }
      default:
        throw bad("unsupported R object type " + std::to_string(type) + " (a data frame of numbers and factors was expected)");
    }
    if (has_attr) it->attr = item(depth + 1);
    return it;
  }

  const std::string& b_;
  std::string path_;
  std::size_t pos_ = 0;
  std::vector<RPtr> refs_;
};

bool is_data_frame(const RItem& v) {
  if (v.type != kVec) return false;
  const RItem* cls = v.attribute("class");
  if (!cls) return false;
  for (const std::string& c : cls->str)
    if (c == "data.frame") return true;
  return false;
}

}  // namespace

RFrame read_r_frame(const std::string& path, const std::string& object) {
  const std::string bytes = read_decompressed(path);
  RReader rd(bytes, path);
  RPtr top = rd.file();
  if (top->type != kList) throw InputError("'" + path + "': no named objects at the top (not a save() file)");
  for (std::size_t i = 0; i < top->items.size(); ++i) {
    const RItem& v = *top->items[i];
    if (!object.empty() && top->tags[i] != object) continue;
    if (!is_data_frame(v)) {
      if (!object.empty()) throw InputError("'" + path + "': object '" + object + "' is not a data frame");
      continue;
    }
    RFrame f;
    f.name = top->tags[i];
    const RItem* names = v.attribute("names");
    for (std::size_t c = 0; c < v.items.size(); ++c) {
      const RItem& col = *v.items[c];
      if (col.type != kReal && col.type != kInt && col.type != kLgl)
        throw InputError("'" + path + "': column " + std::to_string(c + 1) + " of '" + f.name + "' is not numeric or a factor");
      f.columns.push_back(names && c < names->str.size() ? names->str[c] : "V" + std::to_string(c + 1));
      f.data.push_back(col.num);
      f.factor.push_back(col.type == kInt && col.attribute("levels") != nullptr);
      if (f.data.back().size() != f.data.front().size())
        throw InputError("'" + path + "': the columns of '" + f.name + "' differ in length");
    }
    return f;
  }
  throw InputError("'" + path + "': no data frame" + (object.empty() ? std::string() : " named '" + object + "'"));
}

// ---- PNG ------------------------------------------------------------------------------------

bool png_read_available() {
#ifdef DF_HAVE_PNG
  return true;
#else
  return false;
#endif
}

GreyImage read_png_grey(const std::string& path) {
#ifdef DF_HAVE_PNG
  const std::string bytes = read_file(path);
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()))
    throw InputError("'" + path + "': not a readable PNG (" + img.message + ")");
  img.format = PNG_FORMAT_RGB;
  std::vector<std::uint8_t> rgb(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, rgb.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    throw InputError("'" + path + "': damaged PNG (" + msg + ")");
  }
  GreyImage g;
  g.width = int(img.width);
  g.height = int(img.height);
  g.px.resize(std::size_t(g.width) * g.height);
  for (std::size_t i = 0; i < g.px.size(); ++i) {
    const double y = 0.2126 * rgb[3 * i] + 0.7152 * rgb[3 * i + 1] + 0.0722 * rgb[3 * i + 2];
    g.px[i] = std::uint8_t(std::lround(std::min(255.0, y)));
  }
  return g;
#else
  throw InputError("'" + path + "': this build has no libpng (install libpng-dev and rebuild) to read PNG images");
#endif
}

}  // namespace df
