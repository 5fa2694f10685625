// Readers for the formats the real data sets come in (DATA.md §2), each reading only what the
// sets need and reporting anything else as a one-line InputError that names the file:
//   read_decompressed  a whole file, gunzipped or xz-decoded when its first bytes say so
//   read_idx_u8        IDX arrays of unsigned bytes (MNIST's format: magic 0x0000 08 <ndims>)
//   read_csv_numbers   comma-separated numbers, one row per line, all rows of equal length
//   read_r_frame       an R data frame saved by save() (.rda/.RData: RDX2/RDX3 header, XDR
//                      serialization, gzip or xz): its numeric columns and its factors
//   read_png_grey      a PNG as 8-bit grey (ITU-R BT.709 luma of the sRGB values, rounded)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace df {

std::string read_decompressed(const std::string& path);
// The same for bytes already in memory (`what` names them in messages).
std::string decompress_bytes(const std::string& bytes, const std::string& what);

struct IdxU8 {
  std::vector<std::uint32_t> dims;  // e.g. {60000, 28, 28}
  std::vector<std::uint8_t> data;   // row-major, dims' product bytes
};
IdxU8 read_idx_u8(const std::string& path);

// rows of numbers; `cols` (out) the common row length
std::vector<double> read_csv_numbers(const std::string& path, std::size_t* rows, std::size_t* cols);

struct RFrame {
  std::string name;                       // the object's name in the file
  std::vector<std::string> columns;       // column names
  std::vector<std::vector<double>> data;  // per column; factors hold their level codes 1..k
  std::vector<bool> factor;               // per column: a factor (a class label, not a measurement)
  std::size_t rows() const { return data.empty() ? 0 : data[0].size(); }
};
// The data frame `object` in the file (any data frame when `object` is empty).
RFrame read_r_frame(const std::string& path, const std::string& object = "");

struct GreyImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> px;  // row-major
};
bool png_read_available();
GreyImage read_png_grey(const std::string& path);

}  // namespace df
