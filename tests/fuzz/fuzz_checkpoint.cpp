// libFuzzer target for the checkpoint decoder (host/checkpoint_codec.cpp). Inputs whose first
// byte is even get their payload size and CRC-32 recomputed first, so the fuzzer reaches the
// checks behind the checksum (a hand edit does the same); odd ones are decoded as they are.
// A decoded checkpoint must encode and decode again to the same bytes; a refusal must be a
// one-line df::InputError naming the file. Run by tests/fuzz/run.sh.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "host/checkpoint_codec.h"
#include "host/crc32.h"
#include "host/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size >= df::kCheckpointHeader && data[0] % 2 == 0) {
    bytes[0] = 'D';
    const std::uint64_t payload = size - df::kCheckpointHeader;
    const std::uint32_t crc = df::crc32(bytes.data() + df::kCheckpointHeader, std::size_t(payload));
    std::memcpy(&bytes[8], &payload, 8);
    std::memcpy(&bytes[16], &crc, 4);
  }
  try {
    df::RunConfig cfg;
    df::RunState st;
    df::decode_checkpoint("fuzz/checkpoint.bin", bytes, cfg, st);
    const std::string again = df::encode_checkpoint(cfg, st);
    df::RunConfig cfg2;
    df::RunState st2;
    if (df::decode_checkpoint("fuzz/checkpoint.bin", again, cfg2, st2) != 2) std::abort();
    if (df::encode_checkpoint(cfg2, st2) != again) std::abort();
  } catch (const df::InputError& e) {
    const std::string msg = e.what();
    if (msg.find('\n') != std::string::npos || msg.find("checkpoint 'fuzz/checkpoint.bin'") != 0) std::abort();
  }
  return 0;
}
