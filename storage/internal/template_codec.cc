#include "storage/internal/template_codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <deque>
#include <memory>
#include <numeric>

#include "absl/container/flat_hash_map.h"

#include "common/coding.h"
#include "common/strings.h"
#include "storage/internal/int_codec.h"
#include "storage/internal/string_codec.h"
#include "storage/segment_format.h"

namespace lode::storage::internal {
namespace {

// Placeholders (bytes that never occur in text):
constexpr char kVarPlain = '\x11';   // the number printed without leading zeros
constexpr char kVarPadded = '\x12';  // followed by a width byte: printed zero-padded to it
constexpr char kEscape = '\x13';     // followed by a literal byte that is a placeholder byte
constexpr char kVarHex = '\x14';     // a hex id (string-template-hex only; text otherwise)

// Hex ids that string-template-hex takes out of values: a whole token (a maximal run of ASCII
// letters and digits) of kMinHexVar to kMaxHexVar lower-case hex digits, with at least one of
// 0-9 and one of a-f. (A digit makes the token differ from every word without digits, so that
// skeletons stay exact for those; see template_codec.h.)
constexpr size_t kMinHexVar = 8;
constexpr size_t kMaxHexVar = 64;

// Kinds of a slot in the slot table.
enum class SlotKind : uint8_t {
  kFor = 0,          // varint base, u8 width; (v - base) in the planes
  kDelta = 1,        // varint first, u8 width; zigzag deltas in the planes
  kRef = 2,          // varint column id, u8 NumberSource, varint k
  kForVarint = 3,    // varint base; (v - base) in the varint stream
  kDeltaVarint = 4,  // varint first; zigzag deltas in the varint stream
  kHex = 5,          // varint length (0: each value starts with its length byte), varint bytes;
                     // the values in the hex stream, two digits a byte (string-template-hex)
};

// A slot with fewer rows than this is not worth a reference (its table entry costs more).
constexpr size_t kMinRefRows = 4;
// Numbers one chunk's templates may hold in total, so that a corrupt chunk cannot make the
// decoder allocate without bound. The writer stores larger chunks without templates.
constexpr size_t kMaxNumbers = size_t{1} << 22;
// Numbers a string source is searched for (k < this).
constexpr uint32_t kMaxStringSourceNumbers = 4;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlnum(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsHexVar(std::string_view t) {
  if (t.size() < kMinHexVar || t.size() > kMaxHexVar) return false;
  bool digit = false, letter = false;
  for (char c : t) {
    if (IsDigit(c)) {
      digit = true;
    } else if (c >= 'a' && c <= 'f') {
      letter = true;
    } else {
      return false;
    }
  }
  return digit && letter;
}

// Calls `num(value, start, len)` for each number of `v`, `hex_id(start, len)` for each hex id
// (with `hex` only), and `text(c)` for every other byte.
template <typename Num, typename HexId, typename Text>
void Scan(std::string_view v, bool hex, Num num, HexId hex_id, Text text) {
  size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (hex && IsAlnum(c) && (i == 0 || !IsAlnum(v[i - 1]))) {
      size_t j = i + 1;
      while (j < v.size() && IsAlnum(v[j])) ++j;
      if (j - i >= kMinHexVar && IsHexVar(v.substr(i, j - i))) {
        hex_id(i, j - i);
        i = j;
        continue;
      }
    }
    if (IsDigit(c) && (i == 0 || !IsAlnum(v[i - 1]))) {
      size_t j = i;
      while (j < v.size() && IsDigit(v[j])) ++j;
      if (j - i <= kMaxVarDigits) {
        uint64_t x = 0;
        for (size_t k = i; k < j; ++k) x = x * 10 + static_cast<uint64_t>(v[k] - '0');
        num(x, i, j - i);
      } else {
        for (size_t k = i; k < j; ++k) text(v[k]);
      }
      i = j;
      continue;
    }
    text(c);
    ++i;
  }
}

// A hex id's place in the hex stream, as a template variable: offset << 8 | digits.
inline uint64_t HexRef(uint64_t offset, size_t digits) { return offset << 8 | digits; }

// Appends the value of template `t` with variables vars[0..nvars) (numbers, and for hex ids
// their HexRef into `hex_ids`). False when the template and the variables do not fit together.
bool Expand(std::string_view t, bool hex, const uint64_t* vars, size_t nvars,
            std::string_view hex_ids, std::string* out) {
  char buf[24];
  size_t next = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (hex && c == kVarHex) {
      if (next >= nvars) return false;
      const uint64_t at = vars[next] >> 8;
      const size_t digits = vars[next++] & 0xff;
      if (digits == 0 || at > hex_ids.size() || (digits + 1) / 2 > hex_ids.size() - at) {
        return false;
      }
      for (size_t d = 0; d < digits; ++d) {
        const uint8_t b = static_cast<uint8_t>(hex_ids[at + d / 2]);
        out->push_back("0123456789abcdef"[d % 2 == 0 ? b >> 4 : b & 0xf]);
      }
    } else if (c == kVarPlain || c == kVarPadded) {
      if (next >= nvars) return false;
      uint64_t x = vars[next++];
      size_t width = 0;
      if (c == kVarPadded) {
        if (++i >= t.size()) return false;
        width = static_cast<unsigned char>(t[i]);
        if (width < 2 || width > kMaxVarDigits) return false;
      }
      int len = 0;
      do {
        buf[len++] = static_cast<char>('0' + x % 10);
        x /= 10;
      } while (x > 0);
      if (static_cast<size_t>(len) > kMaxVarDigits) return false;
      for (size_t k = static_cast<size_t>(len); k < width; ++k) out->push_back('0');
      while (len > 0) out->push_back(buf[--len]);
    } else if (c == kEscape) {
      if (++i >= t.size()) return false;
      out->push_back(t[i]);
    } else {
      out->push_back(c);
    }
  }
  return next == nvars;
}

// Appends to `kinds`, per variable of template `t` in order, 1 for a hex id and 0 for a number;
// returns how many it appended.
size_t AppendVarKinds(std::string_view t, bool hex, std::vector<uint8_t>* kinds) {
  const size_t before = kinds->size();
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == kVarPlain || (hex && t[i] == kVarHex)) {
      kinds->push_back(t[i] == kVarHex);
    } else if (t[i] == kVarPadded) {
      kinds->push_back(0);
      ++i;
    } else if (t[i] == kEscape) {
      ++i;
    }
  }
  return kinds->size() - before;
}

struct SlotRef {
  uint32_t column_id;
  NumberSource source;
  uint32_t k;
};

// A column and derivation whose number equals `vals[i]` in block row `rows_of[i]` for every i.
bool FindRef(BlockRefs* refs, const uint32_t* block_rows, const std::vector<size_t>& rows_of,
             const std::vector<uint64_t>& vals, SlotRef* out) {
  auto matches = [&](RefSource* s, NumberSource src, uint32_t k) {
    uint64_t x;
    for (size_t i = 0; i < rows_of.size(); ++i) {
      if (!s->Number(block_rows[rows_of[i]], src, k, &x) || x != vals[i]) return false;
    }
    return true;
  };
  for (const auto& s : refs->sources()) {
    const FieldType type = s->view().type;
    if (type == FieldType::kBool) continue;
    const NumberSource src = type == FieldType::kInt64    ? NumberSource::kInt
                             : type == FieldType::kDouble ? NumberSource::kDoubleInt
                                                          : NumberSource::kStringNum;
    const uint32_t kmax = src == NumberSource::kStringNum ? kMaxStringSourceNumbers : 1;
    for (uint32_t k = 0; k < kmax; ++k) {
      if (matches(s.get(), src, k)) {
        *out = {s->view().column_id, src, k};
        return true;
      }
    }
  }
  return false;
}

}  // namespace

void Templatize(std::string_view v, std::string* tmpl, std::vector<uint64_t>* vars, bool hex) {
  tmpl->clear();
  Scan(
      v, hex,
      [&](uint64_t x, size_t start, size_t len) {
        vars->push_back(x);
        if (len > 1 && v[start] == '0') {
          tmpl->push_back(kVarPadded);
          tmpl->push_back(static_cast<char>(len));
        } else {
          tmpl->push_back(kVarPlain);
        }
      },
      [&](size_t start, size_t len) {
        vars->push_back(HexRef(start, len));  // where in `v`, until the writer packs it
        tmpl->push_back(kVarHex);
      },
      [&](char c) {
        if (c == kVarPlain || c == kVarPadded || c == kEscape || (hex && c == kVarHex)) {
          tmpl->push_back(kEscape);
        }
        tmpl->push_back(c);
      });
}

void ExtractNumbers(std::string_view v, std::vector<uint64_t>* vars) {
  // The number rule alone, as in every format version: references to string columns depend on
  // it.
  Scan(
      v, /*hex=*/false, [&](uint64_t x, size_t, size_t) { vars->push_back(x); },
      [](size_t, size_t) {}, [](char) {});
}

bool TryEncodeTemplates(const StringData& data, size_t begin, size_t end, const uint32_t* rows,
                        size_t max_templates, BlockRefs* refs, StreamWriter* w, bool hex) {
  const size_t n = end - begin;
  // Templates live in a deque (stable addresses); the map's keys are views into it.
  absl::flat_hash_map<std::string_view, uint32_t, StringHash, StringEq> ids;
  std::deque<std::string> dict;
  std::vector<int64_t> id_of(n);
  std::vector<uint64_t> vars;
  std::vector<size_t> var_at(n);
  std::string tmpl;
  for (size_t i = 0; i < n; ++i) {
    var_at[i] = vars.size();
    Templatize(data.Get(begin + i), &tmpl, &vars, hex);
    auto it = ids.find(tmpl);
    if (it == ids.end()) {
      if (dict.size() >= max_templates) return false;
      dict.push_back(tmpl);
      it = ids.emplace(dict.back(), static_cast<uint32_t>(dict.size() - 1)).first;
    }
    id_of[i] = it->second;
  }
  if (vars.empty() || vars.size() > kMaxNumbers) return false;
  const size_t k = dict.size();
  std::vector<std::vector<size_t>> rows_of(k);  // value indexes of each template
  for (size_t i = 0; i < n; ++i) rows_of[id_of[i]].push_back(i);

  std::string* m = w->main();
  m->push_back(static_cast<char>(hex ? Encoding::kStringTemplateHex : Encoding::kStringTemplate));
  PutVarint64(m, k);
  std::vector<std::string_view> views(dict.begin(), dict.end());
  PutStringList(views, w);
  EncodeInts(id_of.data(), n, w);

  // Slot table, and the stored numbers of every slot in (template, slot) order. A slot holds
  // one kind of number (a port, a user id, a latency), so slot-major order compresses far
  // better than the row-interleaved mix.
  struct Stored {
    std::vector<uint64_t> u;
    int width;
    bool varint;
  };
  std::vector<Stored> stored;
  int planes = 0;
  bool any_varint = false;
  std::vector<uint64_t> vals;
  std::vector<uint8_t> kinds;
  std::string hex_ids;  // the hex stream
  bool any_hex = false;
  for (size_t t = 0; t < k; ++t) {
    kinds.clear();
    AppendVarKinds(dict[t], hex, &kinds);
    const size_t nv = kinds.size();
    const std::vector<size_t>& rt = rows_of[t];
    for (size_t j = 0; j < nv; ++j) {
      vals.resize(rt.size());
      for (size_t r = 0; r < rt.size(); ++r) vals[r] = vars[var_at[rt[r]] + j];
      if (kinds[j]) {  // hex ids: one length for all when they share it
        any_hex = true;
        size_t len = vals[0] & 0xff;
        for (uint64_t x : vals) {
          if ((x & 0xff) != len) len = 0;
        }
        const size_t start = hex_ids.size();
        for (size_t r = 0; r < rt.size(); ++r) {
          const std::string_view v = data.Get(begin + rt[r]).substr(vals[r] >> 8, vals[r] & 0xff);
          if (len == 0) hex_ids.push_back(static_cast<char>(v.size()));
          for (size_t d = 0; d < v.size(); d += 2) {
            auto nibble = [](char c) { return IsDigit(c) ? c - '0' : c - 'a' + 10; };
            const int lo = d + 1 < v.size() ? nibble(v[d + 1]) : 0;
            hex_ids.push_back(static_cast<char>(nibble(v[d]) << 4 | lo));
          }
        }
        m->push_back(static_cast<char>(SlotKind::kHex));
        PutVarint64(m, len);
        PutVarint64(m, hex_ids.size() - start);
        continue;
      }
      SlotRef ref;
      if (refs != nullptr && rt.size() >= kMinRefRows && FindRef(refs, rows, rt, vals, &ref)) {
        m->push_back(static_cast<char>(SlotKind::kRef));
        PutVarint64(m, ref.column_id);
        m->push_back(static_cast<char>(ref.source));
        PutVarint64(m, ref.k);
        refs->Use(ref.column_id);
        continue;
      }
      uint64_t mn = vals[0];
      for (uint64_t x : vals) mn = std::min(mn, x);
      Stored s;
      std::vector<uint64_t> delta(vals.size() - 1);
      for (size_t r = 1; r < vals.size(); ++r) {
        delta[r - 1] = ZigZagEncode(static_cast<int64_t>(vals[r] - vals[r - 1]));
      }
      for (uint64_t& x : vals) x -= mn;
      const int best = PickIntForm(vals, delta);
      const bool is_delta = best == 1 || best == 3;
      s.varint = best >= 2;
      m->push_back(
          static_cast<char>(s.varint ? (is_delta ? SlotKind::kDeltaVarint : SlotKind::kForVarint)
                                     : (is_delta ? SlotKind::kDelta : SlotKind::kFor)));
      PutVarint64(m, is_delta ? vals[0] + mn : mn);
      s.u = is_delta ? std::move(delta) : vals;
      s.width = 0;
      if (!s.varint) {
        uint64_t mx = 0;
        for (uint64_t x : s.u) mx = std::max(mx, x);
        s.width = ByteWidth(mx);
        m->push_back(static_cast<char>(s.width));
        planes = std::max(planes, s.width);
      } else {
        any_varint = true;
      }
      stored.push_back(std::move(s));
    }
  }
  m->push_back(static_cast<char>(planes));
  for (int p = 0; p < planes; ++p) {
    std::string* plane = w->Add();
    for (const Stored& s : stored) {
      if (s.varint || s.width <= p) continue;
      for (uint64_t x : s.u) plane->push_back(static_cast<char>(x >> (8 * p)));
    }
  }
  if (any_varint) {
    std::string* vs = w->Add();
    for (const Stored& s : stored) {
      if (!s.varint) continue;
      for (uint64_t x : s.u) PutVarint64(vs, x);
    }
  }
  if (any_hex) *w->Add() = std::move(hex_ids);
  return true;
}

namespace {

inline bool IsPlaceholderByte(char c, bool hex) {
  return static_cast<unsigned char>(c - kVarPlain) <= (hex ? kVarHex : kEscape) - kVarPlain;
}

// The first index >= i of a placeholder byte in `tp`, or tp.size(). Eight bytes at a time:
// placeholders are below 0x20, which text bytes rarely are.
size_t NextPlaceholder(std::string_view tp, size_t i, bool hex) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  while (i + 8 <= tp.size()) {
    uint64_t x;
    std::memcpy(&x, tp.data() + i, 8);
    // A high bit for each byte below 0x20 (exact for the lowest one flagged).
    const uint64_t low = (x - kOnes * 0x20) & ~x & (kOnes * 0x80);
    if (low == 0) {
      i += 8;
      continue;
    }
    const size_t at = i + static_cast<size_t>(std::countr_zero(low)) / 8;
    if (IsPlaceholderByte(tp[at], hex)) return at;
    i = at + 1;  // a control byte that is text (a tab)
  }
  while (i < tp.size() && !IsPlaceholderByte(tp[i], hex)) ++i;
  return i;
}

// Appends to `sk` the skeleton of template `tp` (its text with each number and hex id written
// "0") and to `kinds` (when not null) its AppendVarKinds(), and returns its number of
// variables, or -1 when `tp` is malformed.
int64_t Skeleton(std::string_view tp, bool hex, std::string* sk, std::vector<uint8_t>* kinds) {
  int64_t numbers = 0;
  size_t i = 0;
  while (i < tp.size()) {
    const size_t j = NextPlaceholder(tp, i, hex);
    sk->append(tp.data() + i, j - i);
    if (j == tp.size()) break;
    const char c = tp[j];
    size_t next = j + 1;
    if (c == kVarPlain || c == kVarPadded || c == kVarHex) {
      if (c == kVarPadded && next++ >= tp.size()) return -1;
      sk->push_back('0');
      if (kinds != nullptr) kinds->push_back(c == kVarHex);
      ++numbers;
    } else {  // kEscape
      if (next >= tp.size()) return -1;
      sk->push_back(tp[next++]);
    }
    i = next;
  }
  return numbers;
}

// The skeletons of the k templates of `dict`, in order, with (when not null) the number of
// variables of each in `numbers` and their kinds appended to `kinds` (AppendVarKinds()).
std::shared_ptr<StringData> Skeletons(const StringData& dict, bool hex,
                                      std::vector<size_t>* numbers, std::vector<uint8_t>* kinds) {
  auto out = std::make_shared<StringData>();
  out->Reserve(dict.size(), dict.byte_size());
  std::string sk;
  for (size_t t = 0; t < dict.size(); ++t) {
    sk.clear();
    const int64_t nv = Skeleton(dict.Get(t), hex, &sk, kinds);
    if (nv < 0) return nullptr;
    if (numbers != nullptr) (*numbers)[t] = static_cast<size_t>(nv);
    out->Append(sk);
  }
  return out;
}

// Starts `out` in dictionary form over `skeletons` when it is empty (the usual case: one block's
// message column) and returns true; otherwise values will be copied (without codes).
bool StartSkeletons(const std::shared_ptr<StringData>& skeletons, size_t n, StringData* out) {
  const bool dictionary = out->StartDictionary(skeletons);
  out->Reserve(out->size() + n, out->byte_size());
  return dictionary;
}

// Appends the skeleton of template `t` (entry t of `skeletons`), as a code in dictionary form.
void AppendSkeleton(const StringData& skeletons, uint32_t t, bool dictionary, StringData* out) {
  if (dictionary) {
    out->AppendCode(t);
  } else {
    out->AppendCoded(skeletons.Get(t), t);
  }
}

}  // namespace

bool DecodeTemplateSkeletons(StreamReader* r, size_t n, bool hex, StringData* out) {
  Decoder* m = r->main();
  uint64_t k;
  if (!m->GetVarint64(&k) || k > n || (n > 0 && k == 0)) return false;
  StringData dict;
  if (!GetStringList(r, k, &dict)) return false;
  std::vector<int64_t> id_of(n);
  if (!DecodeInts(r, n, id_of.data())) return false;
  std::shared_ptr<StringData> skeletons = Skeletons(dict, hex, nullptr, nullptr);
  if (skeletons == nullptr) return false;
  const StringData& sk = *skeletons;
  const bool dictionary = StartSkeletons(skeletons, n, out);  // k <= n, and n fits a block
  for (size_t i = 0; i < n; ++i) {
    if (id_of[i] < 0 || static_cast<uint64_t>(id_of[i]) >= k) return false;
    AppendSkeleton(sk, static_cast<uint32_t>(id_of[i]), dictionary, out);
  }
  return true;
}

bool DecodeTemplates(StreamReader* r, size_t n, bool hex, const uint32_t* rows, BlockRefs* refs,
                     StringData* out, const TemplatePredicate* expand_if) {
  Decoder* m = r->main();
  uint64_t k;
  if (!m->GetVarint64(&k) || k > n || (n > 0 && k == 0)) return false;
  StringData dict;
  if (!GetStringList(r, k, &dict)) return false;
  // Templates whose values may come out as skeletons: their numbers are not even decoded.
  std::shared_ptr<StringData> skeletons;
  std::vector<uint8_t> expand(k, 1);
  std::vector<size_t> nv(k), count(k, 0), base(k, 0);
  std::vector<uint8_t> kinds;  // of every template's variables, in order (AppendVarKinds)
  if (expand_if != nullptr) {
    skeletons = Skeletons(dict, hex, &nv, &kinds);
    if (skeletons == nullptr) return false;
    for (size_t t = 0; t < k; ++t) expand[t] = (*expand_if)(skeletons->Get(t));
  } else {
    for (size_t t = 0; t < k; ++t) nv[t] = AppendVarKinds(dict.Get(t), hex, &kinds);
  }
  std::vector<int64_t> id_of(n);
  if (!DecodeInts(r, n, id_of.data())) return false;
  for (size_t i = 0; i < n; ++i) {
    if (id_of[i] < 0 || static_cast<uint64_t>(id_of[i]) >= k) return false;
    ++count[id_of[i]];
  }
  // Numbers of template t, slot j, rank q live at vars[base[t] + j * count[t] + q]; only
  // templates that are expanded get room.
  size_t total = 0;
  for (size_t t = 0; t < k; ++t) {
    base[t] = total;
    if (nv[t] > kMaxNumbers || count[t] * nv[t] > kMaxNumbers) return false;
    if (expand[t]) total += nv[t] * count[t];
    if (total > kMaxNumbers) return false;
  }
  std::vector<uint64_t> vars(total);
  std::vector<std::vector<uint32_t>> rows_of;  // block rows of each template, for references
  struct Stored {
    uint64_t* dst = nullptr;  // count values (first one given for kDelta)
    size_t count = 0;
    size_t planes_count = 0;  // values that come from the planes
    SlotKind kind = SlotKind::kFor;
    uint64_t first = 0;
    uint8_t width = 0;
    bool varint = false;
    bool delta = false;
    bool used = true;  // false: the template stays a skeleton, its numbers are skipped
  };
  std::vector<Stored> stored;
  struct HexSlot {
    uint64_t* dst = nullptr;  // null: the template stays a skeleton
    size_t count = 0;
    uint64_t digits = 0;  // 0: each value gives its own
    uint64_t bytes = 0;
  };
  std::vector<HexSlot> hex_slots;
  // Every slot takes at least two bytes of the main stream: a corrupt count cannot make this
  // reserve huge.
  const size_t slots = std::accumulate(nv.begin(), nv.end(), size_t{0});
  if (slots > m->remaining() / 2) return false;
  stored.reserve(slots);
  bool any_varint = false;
  const uint8_t* kind_of = kinds.data();  // the variables of template t, in turn
  for (size_t t = 0; t < k; kind_of += nv[t++]) {
    for (size_t j = 0; j < nv[t]; ++j) {
      uint8_t kind;
      if (!m->GetByte(&kind)) return false;
      // A hex slot for each hex id placeholder, a number slot for each number placeholder.
      if ((static_cast<SlotKind>(kind) == SlotKind::kHex) != (kind_of[j] != 0)) return false;
      uint64_t* dst = expand[t] ? vars.data() + base[t] + j * count[t] : nullptr;
      if (static_cast<SlotKind>(kind) == SlotKind::kHex) {
        HexSlot& h = hex_slots.emplace_back();
        if (!m->GetVarint64(&h.digits) || !m->GetVarint64(&h.bytes) || h.digits > kMaxHexVar) {
          return false;
        }
        h.dst = dst;
        h.count = count[t];
        continue;
      }
      if (static_cast<SlotKind>(kind) == SlotKind::kRef) {
        uint64_t col, kk;
        uint8_t src;
        if (!m->GetVarint64(&col) || !m->GetByte(&src) || !m->GetVarint64(&kk) ||
            src > static_cast<uint8_t>(NumberSource::kStringNum) || kk > UINT32_MAX ||
            col > UINT32_MAX || refs == nullptr || !refs->Allowed(static_cast<uint32_t>(col))) {
          return false;
        }
        if (!expand[t]) continue;  // a skeleton: the referenced numbers are not needed
        RefSource* s = refs->Find(static_cast<uint32_t>(col));
        if (s == nullptr) return false;
        if (rows_of.empty()) {
          rows_of.resize(k);
          for (size_t i = 0; i < n; ++i) {
            rows_of[id_of[i]].push_back(rows != nullptr ? rows[i] : static_cast<uint32_t>(i));
          }
        }
        for (size_t q = 0; q < count[t]; ++q) {
          if (!s->Number(rows_of[t][q], static_cast<NumberSource>(src), static_cast<uint32_t>(kk),
                         &dst[q])) {
            return false;
          }
        }
        continue;
      }
      // Built in place: a copy of the struct per slot showed in profiles.
      Stored& s = stored.emplace_back();
      s.dst = dst;
      s.count = count[t];
      s.planes_count = count[t];
      s.kind = static_cast<SlotKind>(kind);
      s.used = expand[t] != 0;
      if (kind > static_cast<uint8_t>(SlotKind::kDeltaVarint) || !m->GetVarint64(&s.first)) {
        return false;
      }
      s.varint = s.kind == SlotKind::kForVarint || s.kind == SlotKind::kDeltaVarint;
      if (s.varint) {
        any_varint = true;
      } else if (!m->GetByte(&s.width) || s.width > 8) {
        return false;
      }
      s.delta = s.kind == SlotKind::kDelta || s.kind == SlotKind::kDeltaVarint;
      if (s.delta) {
        if (s.count == 0) return false;
        s.planes_count = s.count - 1;
      }
    }
  }
  uint8_t planes;
  if (!m->GetByte(&planes) || planes > 8) return false;
  for (const Stored& s : stored) {
    if (s.width > planes) return false;
  }
  for (Stored& s : stored) {
    if (!s.used) continue;
    uint64_t* u = s.delta ? s.dst + 1 : s.dst;
    std::fill(u, u + s.planes_count, 0);
  }
  // Plane p is the concatenation of the slots wider than p, in table order. One pass over the
  // slots finds where the used ones lie; the others only move the offsets.
  struct Piece {
    const Stored* slot;
    int plane;
    size_t at;
  };
  std::vector<Piece> pieces;
  std::array<size_t, 8> plane_len{};
  std::array<bool, 8> plane_used{};
  bool varint_used = false;
  for (const Stored& s : stored) {
    if (s.varint) {
      varint_used = varint_used || s.used;
      continue;
    }
    for (int p = 0; p < s.width; ++p) {
      if (s.used) pieces.push_back({&s, p, plane_len[p]});
      plane_used[p] = plane_used[p] || s.used;
      plane_len[p] += s.planes_count;
    }
  }
  // Planes no expanded template needs are passed over without being decompressed.
  std::array<std::string_view, 8> plane_bytes;
  for (int p = 0; p < planes; ++p) {
    uint64_t len;
    if (plane_used[p]) {
      if (!r->Next(&plane_bytes[p])) return false;
      len = plane_bytes[p].size();
    } else if (!r->Skip(&len)) {
      return false;
    }
    if (len != plane_len[p]) return false;
  }
  for (const Piece& pc : pieces) {
    const Stored& s = *pc.slot;
    uint64_t* u = s.delta ? s.dst + 1 : s.dst;
    const char* src = plane_bytes[pc.plane].data() + pc.at;
    for (size_t q = 0; q < s.planes_count; ++q) {
      u[q] |= static_cast<uint64_t>(static_cast<uint8_t>(src[q])) << (8 * pc.plane);
    }
  }
  if (any_varint && !varint_used) {
    uint64_t len;
    if (!r->Skip(&len)) return false;  // no expanded template needs it: not decompressed
  } else if (any_varint) {
    Decoder vs{std::string_view()};
    if (!r->Next(&vs)) return false;
    for (Stored& s : stored) {
      if (!s.varint) continue;
      if (!s.used) {
        if (!vs.SkipVarints(s.planes_count)) return false;
        continue;
      }
      uint64_t* u = s.delta ? s.dst + 1 : s.dst;
      for (size_t q = 0; q < s.planes_count; ++q) {
        if (!vs.GetVarint64(&u[q])) return false;
      }
    }
    if (!vs.done()) return false;
  }
  // The hex stream: each slot's values where they lie (HexRef), for the expanded templates.
  std::string_view hex_ids;
  if (!hex_slots.empty()) {
    bool used = false;
    for (const HexSlot& h : hex_slots) used = used || h.dst != nullptr;
    if (!used) {
      uint64_t len;
      if (!r->Skip(&len)) return false;  // not decompressed
    } else {
      if (!r->Next(&hex_ids)) return false;
      uint64_t at = 0;
      for (const HexSlot& h : hex_slots) {
        if (h.bytes > hex_ids.size() - at) return false;
        const uint64_t end = at + h.bytes;
        if (h.dst == nullptr) {
          at = end;
          continue;
        }
        for (size_t q = 0; q < h.count; ++q) {
          uint64_t digits = h.digits;
          if (digits == 0) {
            if (at >= end) return false;
            digits = static_cast<uint8_t>(hex_ids[at++]);
          }
          if (digits == 0 || digits > kMaxHexVar || (digits + 1) / 2 > end - at) return false;
          h.dst[q] = HexRef(at, digits);
          at += (digits + 1) / 2;
        }
        if (at != end) return false;
      }
      if (at != hex_ids.size()) return false;
    }
  }
  for (Stored& s : stored) {
    if (!s.used) continue;
    if (!s.delta) {
      for (size_t q = 0; q < s.count; ++q) s.dst[q] += s.first;
    } else {
      s.dst[0] = s.first;
      for (size_t q = 1; q < s.count; ++q) {
        s.dst[q] = s.dst[q - 1] + static_cast<uint64_t>(ZigZagDecode(s.dst[q]));
      }
    }
  }
  // Codes: a skeleton, or a template without numbers (then its skeleton is its value), is the
  // same value in every row of its template; expanded values with numbers get none.
  const StringData* sk = skeletons.get();
  bool dictionary = false;
  if (skeletons != nullptr) {
    skeletons->SetAccepted(expand);
    dictionary = StartSkeletons(skeletons, n, out);
  } else {
    out->StartCodes(static_cast<uint32_t>(k));
  }
  // Per template: its values come out as its skeleton's code (not expanded, or no variables).
  std::vector<uint8_t> as_code(k, 0);
  if (sk != nullptr) {
    for (size_t t = 0; t < k; ++t) as_code[t] = !expand[t] || nv[t] == 0;
  }
  std::vector<size_t> rank(k, 0);  // of the row within its template, for expanded templates
  std::vector<uint64_t> row_vars;
  std::string value;
  for (size_t i = 0; i < n; ++i) {
    const size_t t = static_cast<size_t>(id_of[i]);
    if (as_code[t]) {
      AppendSkeleton(*sk, static_cast<uint32_t>(t), dictionary, out);
      continue;
    }
    row_vars.resize(nv[t]);
    for (size_t j = 0; j < nv[t]; ++j) row_vars[j] = vars[base[t] + j * count[t] + rank[t]];
    ++rank[t];
    value.clear();
    if (!Expand(dict.Get(t), hex, row_vars.data(), row_vars.size(), hex_ids, &value) ||
        out->byte_size() + value.size() > kMaxChunkStringBytes) {
      return false;
    }
    out->AppendCoded(value, nv[t] == 0 ? static_cast<uint32_t>(t) : StringData::kNoCode);
  }
  return true;
}

}  // namespace lode::storage::internal
