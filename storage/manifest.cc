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
//   svarint max_time, varint bytes;
// then (version 2) varint k, k x varint counter, in the order of ManifestCounters. A reader
// takes the counters it knows and ignores the rest, so counters can be added without a new
// version.
namespace {

// The counters in their on-disk order.
std::vector<uint64_t*> CounterFields(ManifestCounters* c) {
  return {&c->flushed_bytes,   &c->flushed_records, &c->compactions,
          &c->compacted_bytes, &c->rewritten_bytes, &c->retention_runs,
          &c->expired_records, &c->deleted_records, &c->quarantined};
}

}  // namespace

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
  ManifestCounters counters = m.counters;
  std::vector<uint64_t*> fields = CounterFields(&counters);
  PutVarint64(&body, fields.size());
  for (const uint64_t* v : fields) PutVarint64(&body, *v);
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
  const uint32_t version = DecodeFixed32(bytes.data() + 8);
  if (version != 1 && version != 2) return bad(StrCat("unsupported version ", version));
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
  if (version >= 2) {
    uint64_t k;
    if (!d.GetVarint64(&k) || k > body.size()) return bad("counters");
    std::vector<uint64_t*> fields = CounterFields(&m.counters);
    for (uint64_t i = 0; i < k; ++i) {
      uint64_t v;
      if (!d.GetVarint64(&v)) return bad("counters");
      if (i < fields.size()) *fields[i] = v;
    }
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

absl::Status WriteManifest(Env* env, const std::string& dir, const ManifestData& m,
                           bool* replaced) {
  if (replaced != nullptr) *replaced = false;
  const std::string path = JoinPath(dir, kManifestFileName);
  const std::string tmp = StrCat(path, ".tmp");
  auto f = env->NewWritableFile(tmp);
  if (!f.ok()) return f.status();
  absl::Status s = (*f)->Append(EncodeManifest(m));
  if (s.ok()) s = (*f)->Sync();
  if (s.ok()) s = (*f)->Close();
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (!s.ok()) {
    env->RemoveFile(tmp).IgnoreError();
    return s;
  }
  if (replaced != nullptr) *replaced = true;
  return env->SyncDir(dir);
}

}  // namespace lode::storage
