#include "storage/batch_codec.h"

#include <cstring>

#include "common/coding.h"

namespace lode::storage {
namespace {

absl::Status Bad(std::string_view what) {
  return absl::DataLossError(std::string("corrupt batch encoding: ") + std::string(what));
}

void PutStrings(const StringData& s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) PutVarint64(out, s.Get(i).size());
  if (!s.dictionary_form()) {
    out->append(s.bytes());
    return;
  }
  for (size_t i = 0; i < s.size(); ++i) out->append(s.Get(i));  // values not all in bytes()
}

bool GetStrings(Decoder* d, size_t n, StringData* out) {
  std::vector<uint64_t> lens(n);
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!d->GetVarint64(&lens[i]) || lens[i] > d->remaining()) return false;
    total += lens[i];
  }
  if (total > d->remaining()) return false;
  out->Reserve(n, total);
  for (size_t i = 0; i < n; ++i) {
    std::string_view v;
    d->GetBytes(lens[i], &v);
    out->Append(v);
  }
  return true;
}

}  // namespace

// Layout: varint rows; rows x svarint time deltas; message strings; varint columns; per column:
// name (length-prefixed), u8 type, varint n, n x varint row deltas, values (svarint ints,
// u8 bools, u64 doubles, strings). Strings: n varint lengths, then the bytes.
void EncodeBatch(const RecordBatch& batch, std::string* out) {
  const size_t n = batch.num_rows();
  PutVarint64(out, n);
  int64_t prev = 0;
  for (int64_t t : batch.times()) {
    PutVarsint64(out, static_cast<int64_t>(static_cast<uint64_t>(t) - static_cast<uint64_t>(prev)));
    prev = t;
  }
  PutStrings(batch.messages(), out);
  size_t ncols = 0;
  for (const Column& c : batch.columns()) ncols += c.rows.empty() ? 0 : 1;
  PutVarint64(out, ncols);
  for (const Column& c : batch.columns()) {
    if (c.rows.empty()) continue;
    PutLengthPrefixed(out, c.name);
    out->push_back(static_cast<char>(c.type));
    PutVarint64(out, c.rows.size());
    uint32_t prow = 0;
    for (uint32_t r : c.rows) {
      PutVarint64(out, r - prow);
      prow = r;
    }
    switch (c.type) {
      case FieldType::kInt64:
        for (int64_t v : c.ints) PutVarsint64(out, v);
        break;
      case FieldType::kBool:
        for (int64_t v : c.ints) out->push_back(v ? 1 : 0);
        break;
      case FieldType::kDouble:
        for (double v : c.doubles) {
          uint64_t bits;
          std::memcpy(&bits, &v, 8);
          PutFixed64(out, bits);
        }
        break;
      case FieldType::kString:
        PutStrings(c.strings, out);
        break;
    }
  }
}

absl::Status DecodeBatch(std::string_view in, RecordBatch* out) {
  out->Clear();
  Decoder d(in);
  uint64_t n;
  if (!d.GetVarint64(&n) || n > in.size()) return Bad("row count");
  std::vector<int64_t>* times = out->mutable_times();
  times->resize(n);
  int64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t delta;
    if (!d.GetVarsint64(&delta)) return Bad("times");
    prev = static_cast<int64_t>(static_cast<uint64_t>(prev) + static_cast<uint64_t>(delta));
    (*times)[i] = prev;
  }
  if (!GetStrings(&d, n, out->mutable_messages())) return Bad("messages");
  uint64_t ncols;
  if (!d.GetVarint64(&ncols) || ncols > in.size()) return Bad("column count");
  for (uint64_t k = 0; k < ncols; ++k) {
    std::string_view name;
    uint8_t type;
    uint64_t nv;
    if (!d.GetLengthPrefixed(&name) || !d.GetByte(&type) || type >= kNumFieldTypes ||
        !d.GetVarint64(&nv) || nv == 0 || nv > n) {
      return Bad("column header");
    }
    Column* c = out->MutableColumn(name, static_cast<FieldType>(type));
    if (!c->rows.empty()) return Bad("duplicate column");
    c->rows.resize(nv);
    uint64_t row = 0;
    for (uint64_t j = 0; j < nv; ++j) {
      uint64_t delta;
      if (!d.GetVarint64(&delta) || delta >= n) return Bad("rows");
      row += delta;
      if (row >= n || (j > 0 && delta == 0)) return Bad("row out of range");
      c->rows[j] = static_cast<uint32_t>(row);
    }
    switch (c->type) {
      case FieldType::kInt64:
        c->ints.resize(nv);
        for (auto& v : c->ints) {
          if (!d.GetVarsint64(&v)) return Bad("ints");
        }
        break;
      case FieldType::kBool:
        c->ints.resize(nv);
        for (auto& v : c->ints) {
          uint8_t b;
          if (!d.GetByte(&b) || b > 1) return Bad("bools");
          v = b;
        }
        break;
      case FieldType::kDouble:
        c->doubles.resize(nv);
        for (auto& v : c->doubles) {
          uint64_t bits;
          if (!d.GetFixed64(&bits)) return Bad("doubles");
          std::memcpy(&v, &bits, 8);
        }
        break;
      case FieldType::kString:
        if (!GetStrings(&d, nv, &c->strings)) return Bad("strings");
        break;
    }
  }
  if (!d.done()) return Bad("trailing bytes");
  return absl::OkStatus();
}

}  // namespace lode::storage
