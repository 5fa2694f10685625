// Checkpoints: DIR/checkpoint.bin, the run's one commit point. It holds everything a resumed run
// needs (configuration, data identity, parameters, Adam moments, EMA, standardization, and every
// row of log.csv up to its iteration; format in host/checkpoint_codec.h) and is written
// atomically (temp file, fsync, rename), so a crash leaves the previous checkpoint intact and a
// damaged file is refused by its CRC-32.
#pragma once
#include <string>

#include "host/run_state.h"

namespace df {

std::string checkpoint_path(const std::string& dir);
void save_checkpoint(const std::string& dir, const RunConfig& cfg, const RunState& st);

// Reads DIR/checkpoint.bin: a regular file whose size is checked against its header before the
// payload is read, of at most the memory budget (host/run_estimate.h). Throws InputError naming
// the file on a missing, truncated, corrupted, malformed or out-of-range checkpoint. A checkpoint
// of format 01 (no log rows inside, no data identity) takes its log rows from DIR/log.csv.
void load_checkpoint(const std::string& dir, RunConfig& cfg, RunState& st);

}  // namespace df
