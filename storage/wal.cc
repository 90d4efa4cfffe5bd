#include "storage/wal.h"

#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "storage/batch_codec.h"

namespace lode::storage {

std::string WalFileName(uint64_t generation) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.wal", static_cast<unsigned long long>(generation));
  return buf;
}

uint64_t ParseWalFileName(std::string_view name) {
  if (name.size() != 24 || !name.ends_with(".wal")) return 0;
  uint64_t g = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    g = g * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return g;
}

absl::StatusOr<std::unique_ptr<WalWriter>> WalWriter::Create(Env* env, const std::string& dir,
                                                             uint64_t generation) {
  const std::string path = JoinPath(dir, WalFileName(generation));
  ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
  std::string header(kWalMagic, sizeof(kWalMagic));
  PutFixed32(&header, kWalFormatVersion);
  PutFixed32(&header, 0);
  PutFixed64(&header, generation);
  RETURN_IF_ERROR(file->Append(header));
  RETURN_IF_ERROR(file->Sync());
  RETURN_IF_ERROR(env->SyncDir(dir));
  return std::unique_ptr<WalWriter>(new WalWriter(std::move(file), path, generation));
}

absl::Status WalWriter::EncodeFrame(std::string_view tenant, const RecordBatch& batch,
                                    std::string* frame) {
  frame->assign(kWalFrameHeaderSize, '\0');
  (*frame)[8] = static_cast<char>(kWalBatchFrame);
  PutLengthPrefixed(frame, tenant);
  EncodeBatch(batch, frame);
  const size_t body = frame->size() - 8;  // type + payload
  if (body > kWalMaxFrame) {
    return absl::InvalidArgumentError(StrCat("batch of ", body, " bytes is too large for the WAL"));
  }
  const uint32_t len = static_cast<uint32_t>(body);
  const uint32_t crc = Crc32c(std::string_view(frame->data() + 8, body));
  std::memcpy(frame->data(), &len, 4);
  std::memcpy(frame->data() + 4, &crc, 4);
  return absl::OkStatus();
}

absl::Status WalWriter::AddFrame(std::string_view frame) {
  RETURN_IF_ERROR(file_->Append(frame));
  size_ += frame.size();
  return absl::OkStatus();
}

absl::Status WalWriter::AddBatch(std::string_view tenant, const RecordBatch& batch) {
  RETURN_IF_ERROR(EncodeFrame(tenant, batch, &frame_));
  return AddFrame(frame_);
}

absl::Status WalWriter::Sync() { return file_->Sync(); }
absl::Status WalWriter::Close() { return file_->Close(); }

namespace {

// Checks the frame at `pos`: returns its total size, or 0 when it is not an intact frame.
size_t IntactFrameAt(std::string_view data, size_t pos) {
  if (data.size() - pos < kWalFrameHeaderSize) return 0;
  const uint32_t len = DecodeFixed32(data.data() + pos);
  const uint32_t crc = DecodeFixed32(data.data() + pos + 4);
  if (len == 0 || len > kWalMaxFrame || len > data.size() - pos - 8) return 0;
  if (Crc32c(data.substr(pos + 8, len)) != crc) return 0;
  return 8 + static_cast<size_t>(len);
}

}  // namespace

absl::Status ReplayWal(Env* env, const std::string& path,
                       const std::function<absl::Status(std::string_view, RecordBatch&&)>& fn,
                       WalReplayStats* stats) {
  std::string data;
  RETURN_IF_ERROR(env->ReadFileToString(path, &data));
  if (data.size() < kWalHeaderSize) {
    // Created but its header never became durable: nothing was ever acknowledged from it.
    stats->torn_tail_bytes += data.size();
    return absl::OkStatus();
  }
  if (std::memcmp(data.data(), kWalMagic, 8) != 0 ||
      DecodeFixed32(data.data() + 8) != kWalFormatVersion) {
    stats->errors.push_back(StrCat(path, ": not a lode WAL file (bad magic or version)"));
    stats->corrupt_frames += 1;
    return absl::OkStatus();
  }
  size_t pos = kWalHeaderSize;
  RecordBatch batch;
  while (pos < data.size()) {
    size_t n = IntactFrameAt(data, pos);
    if (n == 0) {
      // Torn tail, or corruption in the middle: look for the next intact frame.
      size_t next = pos + 1;
      while (next < data.size() && IntactFrameAt(data, next) == 0) ++next;
      if (next >= data.size()) {
        stats->torn_tail_bytes += data.size() - pos;
        break;
      }
      stats->corrupt_frames += 1;
      stats->errors.push_back(
          StrCat(path, ": corrupt frame at offset ", pos, " (", next - pos, " bytes skipped)"));
      pos = next;
      continue;
    }
    std::string_view body(data.data() + pos + 8, n - 8);
    pos += n;
    stats->frames += 1;
    Decoder d(body);
    uint8_t type;
    std::string_view tenant;
    if (!d.GetByte(&type) || type != kWalBatchFrame || !d.GetLengthPrefixed(&tenant)) {
      stats->corrupt_frames += 1;
      stats->errors.push_back(StrCat(path, ": frame at offset ", pos - n, " has an unknown type"));
      continue;
    }
    absl::Status s = DecodeBatch(body.substr(body.size() - d.remaining()), &batch);
    if (!s.ok()) {
      stats->corrupt_frames += 1;
      stats->errors.push_back(StrCat(path, ": frame at offset ", pos - n, ": ", StatusMessage(s)));
      continue;
    }
    stats->records += batch.num_rows();
    RETURN_IF_ERROR(fn(tenant, std::move(batch)));
    batch = RecordBatch();
  }
  return absl::OkStatus();
}

}  // namespace lode::storage
