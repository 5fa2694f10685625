// Checkpoint files: bounded read, header before payload, atomic write; see host/checkpoint.h.
#include "host/checkpoint.h"

#include "host/checkpoint_codec.h"
#include "host/errors.h"
#include "host/io.h"
#include "host/run_estimate.h"
#include "host/train_log.h"

namespace df {

std::string checkpoint_path(const std::string& dir) { return dir + "/checkpoint.bin"; }

void save_checkpoint(const std::string& dir, const RunConfig& c, const RunState& st) {
  atomic_write_file(checkpoint_path(dir), encode_checkpoint(c, st));
}

void load_checkpoint(const std::string& dir, RunConfig& c, RunState& st) {
  const std::string path = checkpoint_path(dir);
  InputFile f(path, memory_budget_bytes(), "DF_MAX_MEMORY_MB");
  const std::size_t payload = checkpoint_payload_size(path, f.read_prefix(kCheckpointHeader));
  if (f.size() - kCheckpointHeader != payload)
    throw InputError("checkpoint '" + path + "': truncated or padded (expected " + std::to_string(payload) +
                     " payload bytes, found " + std::to_string(f.size() - kCheckpointHeader) + ")");
  if (decode_checkpoint(path, f.read_all(), c, st) == 1) st.log_rows = log_rows_upto(dir + "/log.csv", st.iteration);
}

}  // namespace df
