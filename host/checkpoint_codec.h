// The bytes of a checkpoint (host/checkpoint.h writes and reads the file), as functions of the
// bytes so the fuzz target (tests/fuzz/fuzz_checkpoint.cpp) runs exactly what the command runs.
//   bytes 0..7   "DFCKPT02" ("DFCKPT01": the earlier format, still read)
//   bytes 8..15  payload size (uint64, little endian)
//   bytes 16..19 CRC-32 of the payload (host/crc32.h)
//   payload      "key=value" lines, a blank line, then named entries:
//                name '\0', type ('f': float32 array, 't': text), uint64 count, count elements
//                (format 01: name '\0', uint64 count, count float32, no type byte)
// Entries: f.p f.m f.v f.ema s.p s.m s.v s.ema (parameters, Adam moments, EMA weights of the
// drift and score networks) and, from format 02, `log`: the rows of log.csv for iterations
// 1..iteration, so one atomic rename commits the model and its log together.
// Decoding checks everything: sizes before allocation, every key present once and no other (only
// std_logit, the logit map of image data, may be absent, for 0, as before it existed), each
// number decimal and within the limits the flags use (host/run_limits.h), the whole
// configuration and state (validate_config, validate_state, validate_log_rows).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "host/run_state.h"

namespace df {

inline constexpr std::size_t kCheckpointHeader = 20;  // magic, payload size, CRC

// The whole file for (cfg, st), in the current format.
std::string encode_checkpoint(const RunConfig& cfg, const RunState& st);

// The payload size the first kCheckpointHeader bytes declare; InputError naming `path` when
// they are not a checkpoint's. Lets the reader check the file's size before reading the rest.
std::size_t checkpoint_payload_size(const std::string& path, std::string_view header);

// Decodes a whole file's bytes; `path` names it in messages ("checkpoint 'path': ..."). Returns
// the format version (1 or 2). Format 1 has no data identity and no log rows (st.log_rows empty).
// Throws InputError on anything malformed, out of range or inconsistent.
int decode_checkpoint(const std::string& path, std::string_view bytes, RunConfig& cfg, RunState& st);

}  // namespace df
