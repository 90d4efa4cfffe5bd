// libFuzzer target: reading an arbitrary file as a segment and replaying it as a WAL. Corrupt
// input must give DataLoss errors, never a crash, an out-of-bounds read or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/mem_env.h"
#include "storage/segment_reader.h"
#include "storage/wal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lode::storage::MemEnv env;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  {
    auto f = env.NewWritableFile("/x.lode");
    if (!f.ok() || !(*f)->Append(bytes).ok() || !(*f)->Close().ok()) return 0;
  }
  if (auto r = lode::storage::SegmentReader::Open(&env, "/x.lode"); r.ok()) {
    lode::RecordBatch b;
    for (size_t i = 0; i < (*r)->num_blocks(); ++i) (void)(*r)->ReadBlock(i, &b);
  }
  lode::storage::WalReplayStats stats;
  (void)lode::storage::ReplayWal(
      &env, "/x.lode", [](std::string_view, lode::RecordBatch&&) { return absl::OkStatus(); },
      &stats);
  return 0;
}
