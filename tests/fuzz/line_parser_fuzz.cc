// libFuzzer target: NDJSON/text line parsing (JSON framing, timestamps, UTF-8 repair), then the
// WAL batch encoding and a segment round trip of whatever was accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/record_batch.h"
#include "ingest/line_parser.h"
#include "storage/batch_codec.h"
#include "storage/segment_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  lode::ingest::LineParser parser(lode::ingest::InputFormat::kAuto);
  lode::RecordBatch batch;
  parser.Parse(input, 1, 0, &batch);
  if (parser.stats().accepted != batch.num_rows()) std::abort();
  std::string encoded;
  lode::storage::EncodeBatch(batch, &encoded);
  lode::RecordBatch back;
  if (!lode::storage::DecodeBatch(encoded, &back).ok()) std::abort();
  if (back.num_rows() != batch.num_rows()) std::abort();
  if (!batch.empty()) {
    lode::RecordBatch sorted = batch.Select(batch.TimeOrder());
    (void)lode::storage::EncodeSegment(sorted, {});
  }
  return 0;
}
