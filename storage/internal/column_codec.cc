#include "storage/internal/column_codec.h"

#include <numeric>

#include "common/coding.h"
#include "storage/internal/string_codec.h"

namespace lode::storage::internal {

void EncodeTimeChunk(const int64_t* t, size_t n, StreamWriter* w) { EncodeTimes(t, n, w); }

bool DecodeTimeChunk(StreamReader* r, size_t n, std::vector<int64_t>* out) {
  return DecodeTimes(r, n, out) && r->Finish();
}

void EncodeMessageChunk(const StringData& data, size_t begin, size_t end, BlockRefs* refs,
                        StreamWriter* w) {
  std::vector<uint32_t> rows(end - begin);
  std::iota(rows.begin(), rows.end(), 0u);
  EncodeStringValues(data, begin, end, rows.data(), refs, w);
}

bool DecodeMessageChunk(StreamReader* r, size_t n, BlockRefs* refs, StringData* out, bool skeleton,
                        const TemplatePredicate* expand_if) {
  // A skeleton leaves the number streams unread, so the chunk is not read to its end.
  // Skeleton reads serve the filter, so dictionary-encoded messages stay in dictionary form too.
  if (skeleton && expand_if == nullptr) {
    return DecodeStringValues(r, n, nullptr, refs, out, true, nullptr, true);
  }
  if (skeleton) {
    return DecodeStringValues(r, n, nullptr, refs, out, true, expand_if, true) && r->Finish();
  }
  return DecodeStringValues(r, n, nullptr, refs, out) && r->Finish();
}

void EncodeField(const Column& c, size_t lo, size_t hi, uint32_t row_base, uint32_t block_rows,
                 BlockRefs* refs, StreamWriter* w) {
  const size_t n = hi - lo;
  std::string* m = w->main();
  std::vector<uint32_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = c.rows[lo + i] - row_base;
  RefSource* same = nullptr;
  if (n < block_rows && refs != nullptr) {
    for (const auto& s : refs->sources()) {
      if (s->SameRows(rows.data(), n)) {
        same = s.get();
        break;
      }
    }
  }
  if (n == block_rows) {
    m->push_back(static_cast<char>(Presence::kAllRows));
  } else if (same != nullptr) {
    m->push_back(static_cast<char>(Presence::kSameAs));
    PutVarint64(m, same->view().column_id);
    refs->Use(same->view().column_id);
  } else {
    m->push_back(static_cast<char>(Presence::kRowList));
    std::string* list = w->Add();
    uint32_t prev = 0;
    for (size_t i = 0; i < n; ++i) {
      PutVarint64(list, rows[i] - prev);
      prev = rows[i];
    }
  }
  switch (c.type) {
    case FieldType::kInt64:
      EncodeInts(c.ints.data() + lo, n, w);
      break;
    case FieldType::kBool:
      m->push_back(static_cast<char>(Encoding::kBoolBytes));
      for (size_t i = lo; i < hi; ++i) m->push_back(c.ints[i] ? 1 : 0);
      break;
    case FieldType::kDouble:
      EncodeDoubles(c.doubles.data() + lo, n, w);
      break;
    case FieldType::kString:
      EncodeStringValues(c.strings, lo, hi, rows.data(), refs, w);
      break;
  }
}

bool DecodeField(StreamReader* r, uint32_t n, uint32_t block_rows, BlockRefs* refs, Column* c,
                 bool dictionary_form) {
  Decoder* m = r->main();
  uint8_t presence;
  if (!m->GetByte(&presence) || n > block_rows) return false;
  c->rows.resize(n);
  switch (static_cast<Presence>(presence)) {
    case Presence::kAllRows:
      if (n != block_rows) return false;
      std::iota(c->rows.begin(), c->rows.end(), 0u);
      break;
    case Presence::kRowList: {
      Decoder list{std::string_view()};
      if (!r->Next(&list)) return false;
      uint64_t row = 0;
      for (uint32_t j = 0; j < n; ++j) {
        uint64_t delta;
        if (!list.GetVarint64(&delta)) return false;
        row += delta;
        if (row >= block_rows || (j > 0 && delta == 0)) return false;
        c->rows[j] = static_cast<uint32_t>(row);
      }
      if (!list.done()) return false;
      break;
    }
    case Presence::kSameAs: {
      uint64_t id;
      if (!m->GetVarint64(&id) || refs == nullptr || id > UINT32_MAX ||
          !refs->Allowed(static_cast<uint32_t>(id))) {
        return false;
      }
      RefSource* s = refs->Find(static_cast<uint32_t>(id));
      if (s == nullptr || s->view().n != n) return false;
      for (uint32_t j = 0; j < n; ++j) c->rows[j] = s->view().Row(j);
      break;
    }
    default:
      return false;
  }
  switch (c->type) {
    case FieldType::kInt64:
      c->ints.resize(n);
      if (!DecodeInts(r, n, c->ints.data())) return false;
      break;
    case FieldType::kBool: {
      uint8_t enc;
      if (!m->GetByte(&enc) || static_cast<Encoding>(enc) != Encoding::kBoolBytes) return false;
      c->ints.resize(n);
      for (uint32_t j = 0; j < n; ++j) {
        uint8_t b;
        if (!m->GetByte(&b) || b > 1) return false;
        c->ints[j] = b;
      }
      break;
    }
    case FieldType::kDouble:
      c->doubles.resize(n);
      if (!DecodeDoubles(r, n, c->doubles.data())) return false;
      break;
    case FieldType::kString:
      if (!DecodeStringValues(r, n, c->rows.data(), refs, &c->strings, false, nullptr,
                              dictionary_form)) {
        return false;
      }
      break;
  }
  return r->Finish();
}

std::string ChunkEncodingName(std::string_view main, bool is_field) {
  Decoder d(main);
  std::string name;
  uint8_t b;
  if (is_field) {
    if (!d.GetByte(&b)) return "?";
    uint64_t id;
    switch (static_cast<Presence>(b)) {
      case Presence::kAllRows:
        name = "rows:all ";
        break;
      case Presence::kRowList:
        name = "rows:list ";
        break;
      case Presence::kSameAs:
        if (!d.GetVarint64(&id)) return "?";
        name = "rows:same ";
        break;
      default:
        return "?";
    }
  }
  if (!d.GetByte(&b)) return name + "?";
  switch (static_cast<Encoding>(b)) {
    case Encoding::kTimeDelta:
      return name + "time-delta";
    case Encoding::kTimeInts:
      return name + "time-ints";
    case Encoding::kIntFor:
      return name + "int-for";
    case Encoding::kIntDelta:
      return name + "int-delta";
    case Encoding::kIntForVarint:
      return name + "int-for-varint";
    case Encoding::kIntDeltaVarint:
      return name + "int-delta-varint";
    case Encoding::kIntDict:
      return name + "int-dict";
    case Encoding::kDoublePlain:
      return name + "double-plain";
    case Encoding::kDoubleDecimal:
      return name + "double-decimal";
    case Encoding::kBoolBytes:
      return name + "bool";
    case Encoding::kStringPlain:
      return name + "string-plain";
    case Encoding::kStringDict:
      return name + "string-dict";
    case Encoding::kStringTemplate:
      return name + "string-template";
    case Encoding::kStringTemplateHex:
      return name + "string-template-hex";
    case Encoding::kStringRecent:
      return name + "string-recent";
    case Encoding::kStringCopy:
      return name + "string-copy";
  }
  return name + "?";
}

}  // namespace lode::storage::internal
