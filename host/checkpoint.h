// Checkpoints: DIR/checkpoint.bin, written atomically (temp file, fsync, rename) with a CRC-32
// of the payload, so a crash leaves the previous checkpoint intact and a damaged file is refused.
//   bytes 0..7   "DFCKPT01"
//   bytes 8..15  payload size (uint64, little endian)
//   bytes 16..19 CRC-32 of the payload (table-based, host/crc32.h)
//   payload      "key=value" lines, a blank line, then named float32 arrays:
//                name '\0', uint64 count, count × float32
#pragma once
#include <string>

#include "host/run_state.h"

namespace df {

std::string checkpoint_path(const std::string& dir);
void save_checkpoint(const std::string& dir, const RunConfig& cfg, const RunState& st);
// Throws InputError naming the file on a missing, truncated or corrupted checkpoint.
void load_checkpoint(const std::string& dir, RunConfig& cfg, RunState& st);

}  // namespace df
