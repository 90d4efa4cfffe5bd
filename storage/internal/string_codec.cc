#include "storage/internal/string_codec.h"

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_map.h"

#include "common/coding.h"
#include "common/strings.h"
#include "storage/internal/int_codec.h"
#include "storage/internal/template_codec.h"
#include "storage/segment_format.h"

namespace lode::storage::internal {
namespace {

// 0-15 for hex digits of the case in question, 255 otherwise.
struct HexTables {
  uint8_t lower[256], upper[256];
  HexTables() {
    std::fill(lower, lower + 256, 255);
    std::fill(upper, upper + 256, 255);
    for (int i = 0; i < 10; ++i) lower['0' + i] = upper['0' + i] = static_cast<uint8_t>(i);
    for (int i = 0; i < 6; ++i) {
      lower['a' + i] = static_cast<uint8_t>(10 + i);
      upper['A' + i] = static_cast<uint8_t>(10 + i);
    }
  }
};
const HexTables& Hex() {
  static const HexTables t;
  return t;
}
constexpr char kLowerDigits[] = "0123456789abcdef";
constexpr char kUpperDigits[] = "0123456789ABCDEF";
// Longest value the hex forms take; longer ones are not ids.
constexpr size_t kMaxHexLen = 1024;

// The hex form that holds every value, or kText.
ListForm PickForm(const std::vector<std::string_view>& values) {
  if (values.empty()) return ListForm::kText;
  const size_t len = values[0].size();
  if (len == 0 || len % 2 != 0 || len > kMaxHexLen) return ListForm::kText;
  bool lower = true, upper = true;
  const HexTables& h = Hex();
  for (std::string_view v : values) {
    if (v.size() != len) return ListForm::kText;
    for (char c : v) {
      const auto u = static_cast<uint8_t>(c);
      lower = lower && h.lower[u] != 255;
      upper = upper && h.upper[u] != 255;
    }
    if (!lower && !upper) return ListForm::kText;
  }
  return lower ? ListForm::kHexLower : ListForm::kHexUpper;
}

// True when the first values of [begin, end) look like hex ids of one length (templates would
// only take their leading digits apart).
bool LooksLikeHexIds(const StringData& data, size_t begin, size_t end) {
  std::vector<std::string_view> probe;
  for (size_t i = begin; i < end && probe.size() < 8; ++i) probe.push_back(data.Get(i));
  return PickForm(probe) != ListForm::kText;
}

void PutTagAndCount(Encoding tag, size_t k, StreamWriter* w) {
  w->main()->push_back(static_cast<char>(tag));
  PutVarint64(w->main(), k);
}

// Appends `v` unless the chunk's values would exceed kMaxChunkStringBytes (a dictionary or a
// template repeated for every row can expand a small chunk enormously).
bool AppendBounded(std::string_view v, StringData* out, uint32_t code = StringData::kNoCode) {
  if (out->byte_size() + v.size() > kMaxChunkStringBytes) return false;
  out->AppendCoded(v, code);
  return true;
}

}  // namespace

void PutStringList(const std::vector<std::string_view>& values, StreamWriter* w) {
  std::string* m = w->main();
  const ListForm form = PickForm(values);
  m->push_back(static_cast<char>(form));
  if (form == ListForm::kText) {
    std::string* lens = w->Add();
    for (std::string_view v : values) PutVarint64(lens, v.size());
    std::string* bytes = w->Add(StreamKind::kText);
    for (std::string_view v : values) bytes->append(v);
    return;
  }
  const size_t len = values[0].size();
  PutVarint64(m, len);
  const uint8_t* table = form == ListForm::kHexLower ? Hex().lower : Hex().upper;
  std::string* s = w->Add();
  s->resize(values.size() * len / 2);
  char* out = s->data();
  for (std::string_view v : values) {
    for (size_t i = 0; i < len; i += 2) {
      *out++ = static_cast<char>(table[static_cast<uint8_t>(v[i])] << 4 |
                                 table[static_cast<uint8_t>(v[i + 1])]);
    }
  }
}

bool GetStringList(StreamReader* r, size_t k, StringData* out) {
  uint8_t form;
  if (!r->main()->GetByte(&form)) return false;
  if (static_cast<ListForm>(form) == ListForm::kText) {
    Decoder lens{std::string_view()};
    std::string_view bytes;
    if (!r->Next(&lens) || !r->Next(&bytes)) return false;
    out->Reserve(out->size() + k, out->byte_size() + bytes.size());
    size_t at = 0;
    for (size_t i = 0; i < k; ++i) {
      uint64_t len;
      if (!lens.GetVarint64(&len) || len > bytes.size() - at) return false;
      out->Append(bytes.substr(at, len));
      at += len;
    }
    return lens.done() && at == bytes.size();
  }
  if (form != static_cast<uint8_t>(ListForm::kHexLower) &&
      form != static_cast<uint8_t>(ListForm::kHexUpper)) {
    return false;
  }
  uint64_t len;
  std::string_view packed;
  if (!r->main()->GetVarint64(&len) || len == 0 || len % 2 != 0 || len > kMaxHexLen ||
      !r->Next(&packed) || packed.size() / (len / 2) != k || packed.size() % (len / 2) != 0) {
    return false;
  }
  const char* digits =
      static_cast<ListForm>(form) == ListForm::kHexLower ? kLowerDigits : kUpperDigits;
  out->Reserve(out->size() + k, out->byte_size() + k * len);
  char buf[kMaxHexLen];
  const char* p = packed.data();
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < len; j += 2) {
      const auto b = static_cast<uint8_t>(*p++);
      buf[j] = digits[b >> 4];
      buf[j + 1] = digits[b & 15];
    }
    out->Append(std::string_view(buf, len));
  }
  return true;
}

void EncodeStringValues(const StringData& data, size_t begin, size_t end, const uint32_t* rows,
                        BlockRefs* refs, StreamWriter* w) {
  const size_t n = end - begin;
  std::string* m = w->main();
  // The same values as another string column in the same rows: store only which one.
  if (refs != nullptr && n > 0) {
    for (const auto& src : refs->sources()) {
      if (src->view().type != FieldType::kString) continue;
      bool same = true;
      for (size_t i = 0; i < n && same; ++i) {
        const int64_t j = src->IndexOfRow(rows[i]);
        same = j >= 0 && src->view().String(static_cast<size_t>(j)) == data.Get(begin + i);
      }
      if (same) {
        m->push_back(static_cast<char>(Encoding::kStringCopy));
        PutVarint64(m, src->view().column_id);
        refs->Use(src->view().column_id);
        return;
      }
    }
  }
  // Dictionary when values repeat: count distinct values, giving up once they are too many.
  absl::flat_hash_map<std::string_view, uint32_t, StringHash, StringEq> ids;
  const size_t max_distinct = n / 2;
  std::vector<uint32_t> id_of(n);
  std::vector<std::string_view> dict;
  bool use_dict = n >= 16;
  size_t counted = 0;
  for (; counted < n && use_dict; ++counted) {
    std::string_view v = data.Get(begin + counted);
    auto [it, inserted] = ids.try_emplace(v, static_cast<uint32_t>(dict.size()));
    if (inserted) {
      dict.push_back(v);
      if (dict.size() > max_distinct) use_dict = false;
    }
    id_of[counted] = it->second;
  }
  // A small dictionary is as good as it gets. A large one (numbered ids, paths with ids) loses
  // to templates when those are far fewer than the distinct values.
  const bool small_dict = use_dict && (dict.size() <= 256 || dict.size() * 16 <= n);
  if (!small_dict && n >= 16 && !LooksLikeHexIds(data, begin, end) &&
      TryEncodeTemplates(data, begin, end, rows, use_dict ? dict.size() / 2 : n / 2, refs, w)) {
    return;
  }
  if (use_dict) {
    PutTagAndCount(Encoding::kStringDict, dict.size(), w);
    PutStringList(dict, w);
    std::vector<int64_t> v(id_of.begin(), id_of.end());
    EncodeInts(v.data(), n, w);
    return;
  }
  // Mostly distinct: finish numbering the values; repeats become back-references to the
  // distinct value they repeat, counted from the newest (trace ids repeat within a request).
  for (; counted < n; ++counted) {
    std::string_view v = data.Get(begin + counted);
    auto [it, inserted] = ids.try_emplace(v, static_cast<uint32_t>(dict.size()));
    if (inserted) dict.push_back(v);
    id_of[counted] = it->second;
  }
  if (dict.size() == n) {
    m->push_back(static_cast<char>(Encoding::kStringPlain));
    PutStringList(dict, w);
    return;
  }
  PutTagAndCount(Encoding::kStringRecent, dict.size(), w);
  std::string* codes = w->Add();
  uint32_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    if (id_of[i] == next) {
      codes->push_back(0);
      ++next;
    } else {
      PutVarint64(codes, next - id_of[i]);
    }
  }
  PutStringList(dict, w);
}

bool DecodeStringValues(StreamReader* r, size_t n, const uint32_t* rows, BlockRefs* refs,
                        StringData* out, bool skeleton, const TemplatePredicate* expand_if,
                        bool dictionary_form) {
  Decoder* m = r->main();
  uint8_t enc;
  if (!m->GetByte(&enc)) return false;
  switch (static_cast<Encoding>(enc)) {
    case Encoding::kStringPlain:
      return GetStringList(r, n, out);
    case Encoding::kStringTemplate:
    case Encoding::kStringTemplateHex: {
      const bool hex = static_cast<Encoding>(enc) == Encoding::kStringTemplateHex;
      if (skeleton && expand_if == nullptr) return DecodeTemplateSkeletons(r, n, hex, out);
      return DecodeTemplates(r, n, hex, rows, refs, out, skeleton ? expand_if : nullptr);
    }
    case Encoding::kStringCopy: {
      uint64_t id;
      if (!m->GetVarint64(&id) || refs == nullptr || id > UINT32_MAX ||
          !refs->Allowed(static_cast<uint32_t>(id))) {
        return false;
      }
      RefSource* src = refs->Find(static_cast<uint32_t>(id));
      if (src == nullptr || src->view().type != FieldType::kString) return false;
      for (size_t i = 0; i < n; ++i) {
        const int64_t j = src->IndexOfRow(rows != nullptr ? rows[i] : static_cast<uint32_t>(i));
        if (j < 0 || !AppendBounded(src->view().String(static_cast<size_t>(j)), out)) {
          return false;
        }
      }
      return true;
    }
    case Encoding::kStringDict: {
      uint64_t k;
      if (!m->GetVarint64(&k) || k > n) return false;
      auto shared = std::make_shared<StringData>();
      StringData& dict = *shared;
      if (!GetStringList(r, k, &dict)) return false;
      std::vector<int64_t> ids(n);
      if (!DecodeInts(r, n, ids.data())) return false;
      if (dictionary_form && out->StartDictionary(shared)) {
        for (size_t i = 0; i < n; ++i) {
          if (ids[i] < 0 || static_cast<uint64_t>(ids[i]) >= k) return false;
          out->AppendCode(static_cast<uint32_t>(ids[i]));
        }
        return true;
      }
      out->StartCodes(static_cast<uint32_t>(k));
      for (size_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || static_cast<uint64_t>(ids[i]) >= k ||
            !AppendBounded(dict.Get(static_cast<size_t>(ids[i])), out,
                           static_cast<uint32_t>(ids[i]))) {
          return false;
        }
      }
      return true;
    }
    case Encoding::kStringRecent: {
      uint64_t k;
      Decoder codes{std::string_view()};
      if (!m->GetVarint64(&k) || k > n || !r->Next(&codes)) return false;
      auto shared = std::make_shared<StringData>();
      StringData& dict = *shared;
      if (!GetStringList(r, k, &dict)) return false;
      uint64_t next = 0;
      const bool in_dictionary = dictionary_form && out->StartDictionary(shared);
      if (!in_dictionary) out->StartCodes(static_cast<uint32_t>(k));
      for (size_t i = 0; i < n; ++i) {
        uint64_t c;
        if (!codes.GetVarint64(&c) || c > next) return false;
        if (c == 0 && next >= k) return false;
        const size_t id = c == 0 ? next++ : next - c;
        if (in_dictionary) {
          out->AppendCode(static_cast<uint32_t>(id));
        } else if (!AppendBounded(dict.Get(id), out, static_cast<uint32_t>(id))) {
          return false;
        }
      }
      return next == k && codes.done();
    }
    default:
      return false;
  }
}

}  // namespace lode::storage::internal
