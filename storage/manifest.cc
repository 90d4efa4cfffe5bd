#include "storage/manifest.h"

#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace lode::storage {

// Layout: magic(8) version(u32) body_len(u32) body_crc(u32) body.
// Body: varint next_file_number, varint wal_checkpoint, varint n, n x segment entry:
//   tenant (len-prefixed), path (len-prefixed), varint records, svarint min_time,
//   svarint max_time, varint bytes.
std::string EncodeManifest(const ManifestData& m) {
  std::string body;
  PutVarint64(&body, m.next_file_number);
  PutVarint64(&body, m.wal_checkpoint);
  PutVarint64(&body, m.segments.size());
  for (const SegmentEntry& s : m.segments) {
    PutLengthPrefixed(&body, s.tenant);
    PutLengthPrefixed(&body, s.path);
    PutVarint64(&body, s.records);
    PutVarsint64(&body, s.min_time);
    PutVarsint64(&body, s.max_time);
    PutVarint64(&body, s.bytes);
  }
  std::string out(kManifestMagic, sizeof(kManifestMagic));
  PutFixed32(&out, kManifestFormatVersion);
  PutFixed32(&out, static_cast<uint32_t>(body.size()));
  PutFixed32(&out, Crc32c(body));
  out.append(body);
  return out;
}

absl::StatusOr<ManifestData> DecodeManifest(std::string_view bytes) {
  auto bad = [](std::string_view what) {
    return absl::DataLossError(StrCat("corrupt MANIFEST: ", what));
  };
  if (bytes.size() < 20 || std::memcmp(bytes.data(), kManifestMagic, 8) != 0) {
    return bad("bad magic");
  }
  if (DecodeFixed32(bytes.data() + 8) != kManifestFormatVersion) {
    return bad(StrCat("unsupported version ", DecodeFixed32(bytes.data() + 8)));
  }
  const uint32_t len = DecodeFixed32(bytes.data() + 12);
  if (len != bytes.size() - 20) return bad("length mismatch (truncated?)");
  std::string_view body = bytes.substr(20);
  if (Crc32c(body) != DecodeFixed32(bytes.data() + 16)) return bad("checksum mismatch");
  Decoder d(body);
  ManifestData m;
  uint64_t n;
  if (!d.GetVarint64(&m.next_file_number) || !d.GetVarint64(&m.wal_checkpoint) ||
      !d.GetVarint64(&n) || n > body.size()) {
    return bad("header");
  }
  m.segments.resize(n);
  for (SegmentEntry& s : m.segments) {
    std::string_view tenant, path;
    if (!d.GetLengthPrefixed(&tenant) || !d.GetLengthPrefixed(&path) ||
        !d.GetVarint64(&s.records) || !d.GetVarsint64(&s.min_time) ||
        !d.GetVarsint64(&s.max_time) || !d.GetVarint64(&s.bytes)) {
      return bad("segment entry");
    }
    s.tenant = std::string(tenant);
    s.path = std::string(path);
  }
  if (!d.done()) return bad("trailing bytes");
  return m;
}

absl::StatusOr<std::optional<ManifestData>> ReadManifest(Env* env, const std::string& dir) {
  const std::string path = JoinPath(dir, kManifestFileName);
  std::string bytes;
  absl::Status s = env->ReadFileToString(path, &bytes);
  if (absl::IsNotFound(s)) return std::optional<ManifestData>();
  RETURN_IF_ERROR(s);
  ASSIGN_OR_RETURN(ManifestData m, DecodeManifest(bytes));
  return std::optional<ManifestData>(std::move(m));
}

absl::Status WriteManifest(Env* env, const std::string& dir, const ManifestData& m) {
  return WriteFileAtomically(env, JoinPath(dir, kManifestFileName), EncodeManifest(m));
}

}  // namespace lode::storage
