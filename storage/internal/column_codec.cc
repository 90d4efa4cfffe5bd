#include "storage/internal/column_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <numeric>

#include "absl/container/flat_hash_map.h"

#include "common/coding.h"
#include "common/strings.h"

namespace lode::storage::internal {
namespace {

size_t VarintLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// ---- integers -------------------------------------------------------------------------------

// Picks the cheapest of plain, frame-of-reference and delta by their exact varint size.
void EncodeInts(const int64_t* v, size_t n, std::string* out) {
  if (n == 0) {
    out->push_back(static_cast<char>(Encoding::kIntPlain));
    return;
  }
  int64_t mn = v[0], mx = v[0];
  size_t plain = 0, delta = VarintLen(ZigZagEncode(v[0]));
  for (size_t i = 0; i < n; ++i) {
    mn = std::min(mn, v[i]);
    mx = std::max(mx, v[i]);
    plain += VarintLen(ZigZagEncode(v[i]));
    if (i > 0) {
      delta += VarintLen(ZigZagEncode(
          static_cast<int64_t>(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(v[i - 1]))));
    }
  }
  size_t fr = VarintLen(ZigZagEncode(mn));
  for (size_t i = 0; i < n; ++i)
    fr += VarintLen(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(mn));
  if (fr < plain && fr <= delta) {
    out->push_back(static_cast<char>(Encoding::kIntFor));
    PutVarsint64(out, mn);
    for (size_t i = 0; i < n; ++i)
      PutVarint64(out, static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(mn));
  } else if (delta < plain) {
    out->push_back(static_cast<char>(Encoding::kIntDelta));
    PutVarsint64(out, v[0]);
    for (size_t i = 1; i < n; ++i) {
      PutVarsint64(
          out, static_cast<int64_t>(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(v[i - 1])));
    }
  } else {
    out->push_back(static_cast<char>(Encoding::kIntPlain));
    for (size_t i = 0; i < n; ++i) PutVarsint64(out, v[i]);
  }
}

bool DecodeInts(Decoder* d, size_t n, int64_t* v) {
  uint8_t enc;
  if (!d->GetByte(&enc)) return false;
  switch (static_cast<Encoding>(enc)) {
    case Encoding::kIntPlain:
      for (size_t i = 0; i < n; ++i) {
        if (!d->GetVarsint64(&v[i])) return false;
      }
      return true;
    case Encoding::kIntFor: {
      int64_t mn;
      if (!d->GetVarsint64(&mn)) return false;
      for (size_t i = 0; i < n; ++i) {
        uint64_t off;
        if (!d->GetVarint64(&off)) return false;
        v[i] = static_cast<int64_t>(static_cast<uint64_t>(mn) + off);
      }
      return true;
    }
    case Encoding::kIntDelta: {
      if (n == 0) return true;
      if (!d->GetVarsint64(&v[0])) return false;
      for (size_t i = 1; i < n; ++i) {
        int64_t dv;
        if (!d->GetVarsint64(&dv)) return false;
        v[i] = static_cast<int64_t>(static_cast<uint64_t>(v[i - 1]) + static_cast<uint64_t>(dv));
      }
      return true;
    }
    default:
      return false;
  }
}

// ---- doubles --------------------------------------------------------------------------------

constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
constexpr int kMaxScale = 6;

// The smallest scale s such that every value is exactly round(v * 10^s) / 10^s (bit for bit,
// so -0.0, NaN and infinities rule it out), or -1.
int DecimalScale(const double* v, size_t n) {
  for (int s = 0; s <= kMaxScale; ++s) {
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) {
      double x = v[i] * kPow10[s];
      if (!(std::fabs(x) < 9e15) || (v[i] == 0 && std::signbit(v[i]))) {
        ok = false;
        break;
      }
      double r = std::nearbyint(x);
      double back = r / kPow10[s];
      ok = std::memcmp(&back, &v[i], sizeof(double)) == 0;
    }
    if (ok) return s;
  }
  return -1;
}

void EncodeDoubles(const double* v, size_t n, std::string* out) {
  int s = DecimalScale(v, n);
  if (s >= 0) {
    out->push_back(static_cast<char>(Encoding::kDoubleDecimal));
    out->push_back(static_cast<char>(s));
    std::vector<int64_t> ints(n);
    for (size_t i = 0; i < n; ++i) ints[i] = static_cast<int64_t>(std::nearbyint(v[i] * kPow10[s]));
    EncodeInts(ints.data(), n, out);
    return;
  }
  out->push_back(static_cast<char>(Encoding::kDoublePlain));
  for (size_t i = 0; i < n; ++i) {
    uint64_t bits;
    std::memcpy(&bits, &v[i], 8);
    PutFixed64(out, bits);
  }
}

bool DecodeDoubles(Decoder* d, size_t n, double* v) {
  uint8_t enc;
  if (!d->GetByte(&enc)) return false;
  if (static_cast<Encoding>(enc) == Encoding::kDoublePlain) {
    for (size_t i = 0; i < n; ++i) {
      uint64_t bits;
      if (!d->GetFixed64(&bits)) return false;
      std::memcpy(&v[i], &bits, 8);
    }
    return true;
  }
  if (static_cast<Encoding>(enc) != Encoding::kDoubleDecimal) return false;
  uint8_t s;
  if (!d->GetByte(&s) || s > kMaxScale) return false;
  std::vector<int64_t> ints(n);
  if (!DecodeInts(d, n, ints.data())) return false;
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(ints[i]) / kPow10[s];
  return true;
}

// ---- strings --------------------------------------------------------------------------------

void PutPlainStrings(const StringData& data, size_t begin, size_t end, std::string* out) {
  for (size_t i = begin; i < end; ++i) PutVarint64(out, data.Get(i).size());
  for (size_t i = begin; i < end; ++i) out->append(data.Get(i));
}

bool GetPlainStrings(Decoder* d, size_t n, StringData* out) {
  std::vector<uint64_t> lens(n);
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!d->GetVarint64(&lens[i]) || lens[i] > d->remaining()) return false;
    total += lens[i];
  }
  if (total > d->remaining()) return false;
  out->Reserve(out->size() + n, out->byte_size() + total);
  for (size_t i = 0; i < n; ++i) {
    std::string_view v;
    d->GetBytes(lens[i], &v);
    out->Append(v);
  }
  return true;
}

// Template encoding (CLP-style): each number that stands alone or before a unit suffix ("250",
// "7ms", "u-000425", but not the digits inside "9ce6b") moves into a stream of varints, and the
// rest of the value becomes a template with a placeholder. Templates repeat a lot more than
// values, so they go into a dictionary. Placeholders (bytes that never occur in text):
constexpr char kVarPlain = '\x11';   // the number printed without leading zeros
constexpr char kVarPadded = '\x12';  // followed by a width byte: printed zero-padded to it
constexpr char kEscape = '\x13';     // followed by a literal byte that is one of these three
constexpr size_t kMaxVarDigits = 18;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlnum(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Splits `v` into `tmpl` and numbers appended to `vars`.
void Templatize(std::string_view v, std::string* tmpl, std::vector<uint64_t>* vars) {
  tmpl->clear();
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (IsDigit(c) && (i == 0 || !IsAlnum(v[i - 1]))) {
      size_t j = i;
      while (j < v.size() && IsDigit(v[j])) ++j;
      const size_t len = j - i;
      if (len <= kMaxVarDigits) {
        uint64_t x = 0;
        for (size_t k = i; k < j; ++k) x = x * 10 + static_cast<uint64_t>(v[k] - '0');
        vars->push_back(x);
        if (len > 1 && v[i] == '0') {
          tmpl->push_back(kVarPadded);
          tmpl->push_back(static_cast<char>(len));
        } else {
          tmpl->push_back(kVarPlain);
        }
        i = j;
        continue;
      }
      tmpl->append(v.substr(i, len));
      i = j;
      continue;
    }
    if (c == kVarPlain || c == kVarPadded || c == kEscape) tmpl->push_back(kEscape);
    tmpl->push_back(c);
    ++i;
  }
}

// Appends the value of template `t` with numbers taken from vars[*next...]. False when the
// template and the numbers do not fit together.
bool Expand(std::string_view t, const uint64_t* vars, size_t nvars, size_t* next,
            std::string* out) {
  char buf[24];
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == kVarPlain || c == kVarPadded) {
      if (*next >= nvars) return false;
      uint64_t x = vars[(*next)++];
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
  return true;
}

// Number of numbers a template takes.
size_t CountVars(std::string_view t) {
  size_t n = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == kVarPlain) {
      ++n;
    } else if (t[i] == kVarPadded) {
      ++n;
      ++i;
    } else if (t[i] == kEscape) {
      ++i;
    }
  }
  return n;
}

// Encodes [begin, end) with templates when there are fewer than `max_templates` of them and at
// least one number was found; returns false (writing nothing) otherwise.
bool TryEncodeTemplates(const StringData& data, size_t begin, size_t end, size_t max_templates,
                        std::string* out) {
  const size_t n = end - begin;
  // Templates live in a deque (stable addresses); the map's keys are views into it.
  absl::flat_hash_map<std::string_view, uint32_t, StringHash, StringEq> ids;
  std::deque<std::string> dict;
  std::vector<uint32_t> id_of(n);
  std::vector<uint64_t> vars;
  std::string tmpl;
  for (size_t i = 0; i < n; ++i) {
    Templatize(data.Get(begin + i), &tmpl, &vars);
    auto it = ids.find(tmpl);
    if (it == ids.end()) {
      if (dict.size() >= max_templates) return false;
      dict.push_back(tmpl);
      it = ids.emplace(dict.back(), static_cast<uint32_t>(dict.size() - 1)).first;
    }
    id_of[i] = it->second;
  }
  if (vars.empty()) return false;
  out->push_back(static_cast<char>(Encoding::kStringTemplate));
  PutVarint64(out, dict.size());
  for (const std::string& t : dict) PutVarint64(out, t.size());
  for (const std::string& t : dict) out->append(t);
  for (size_t i = 0; i < n; ++i) PutVarint64(out, id_of[i]);
  // Numbers go out slot by slot: all first numbers of template 0 (in row order), then all its
  // second numbers, ..., then template 1. A slot holds one kind of number (a port, a user id, a
  // latency), which compresses far better than the row-interleaved mix.
  std::vector<size_t> nv(dict.size());
  for (size_t t = 0; t < dict.size(); ++t) nv[t] = CountVars(dict[t]);
  std::vector<std::vector<size_t>> rows_of(dict.size());  // var offset of each row, by template
  size_t off = 0;
  for (size_t i = 0; i < n; ++i) {
    rows_of[id_of[i]].push_back(off);
    off += nv[id_of[i]];
  }
  PutVarint64(out, vars.size());
  for (size_t t = 0; t < dict.size(); ++t) {
    for (size_t j = 0; j < nv[t]; ++j) {
      for (size_t o : rows_of[t]) PutVarint64(out, vars[o + j]);
    }
  }
  return true;
}

bool DecodeTemplates(Decoder* d, size_t n, StringData* out) {
  uint64_t k;
  if (!d->GetVarint64(&k) || k > n) return false;
  StringData dict;
  if (!GetPlainStrings(d, k, &dict)) return false;
  std::vector<uint32_t> id_of(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t id;
    if (!d->GetVarint64(&id) || id >= k) return false;
    id_of[i] = static_cast<uint32_t>(id);
  }
  uint64_t nvars;
  if (!d->GetVarint64(&nvars) || nvars > d->remaining()) return false;
  std::vector<uint64_t> vars(nvars);
  for (uint64_t& x : vars) {
    if (!d->GetVarint64(&x)) return false;
  }
  // Undo the slot-major order: template t's numbers start at base[t]; its j-th slot holds one
  // number per row of that template.
  std::vector<size_t> nv(k), count(k, 0), base(k, 0), rank(k, 0);
  for (size_t t = 0; t < k; ++t) nv[t] = CountVars(dict.Get(t));
  for (size_t i = 0; i < n; ++i) ++count[id_of[i]];
  size_t total = 0;
  for (size_t t = 0; t < k; ++t) {
    base[t] = total;
    total += nv[t] * count[t];
  }
  if (total != vars.size()) return false;
  std::vector<uint64_t> row_vars;
  std::string value;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t t = id_of[i];
    row_vars.resize(nv[t]);
    for (size_t j = 0; j < nv[t]; ++j) row_vars[j] = vars[base[t] + j * count[t] + rank[t]];
    ++rank[t];
    size_t next = 0;
    value.clear();
    if (!Expand(dict.Get(t), row_vars.data(), row_vars.size(), &next, &value) ||
        next != row_vars.size()) {
      return false;
    }
    out->Append(value);
  }
  return true;
}

bool DecodeStringValues(Decoder* d, size_t n, StringData* out) {
  uint8_t enc;
  if (!d->GetByte(&enc)) return false;
  if (static_cast<Encoding>(enc) == Encoding::kStringPlain) return GetPlainStrings(d, n, out);
  if (static_cast<Encoding>(enc) == Encoding::kStringTemplate) return DecodeTemplates(d, n, out);
  if (static_cast<Encoding>(enc) != Encoding::kStringDict) return false;
  uint64_t k;
  if (!d->GetVarint64(&k) || k > n) return false;
  StringData dict;
  if (!GetPlainStrings(d, k, &dict)) return false;
  for (size_t i = 0; i < n; ++i) {
    uint64_t id;
    if (!d->GetVarint64(&id) || id >= k) return false;
    out->Append(dict.Get(id));
  }
  return true;
}

}  // namespace

void EncodeTimes(const int64_t* t, size_t n, std::string* out) {
  bool sorted = std::is_sorted(t, t + n);
  if (!sorted || n == 0) {
    out->push_back(static_cast<char>(Encoding::kTimeZigzag));
    int64_t prev = 0;
    for (size_t i = 0; i < n; ++i) {
      PutVarsint64(out,
                   static_cast<int64_t>(static_cast<uint64_t>(t[i]) - static_cast<uint64_t>(prev)));
      prev = t[i];
    }
    return;
  }
  // Timestamps usually carry ms or us precision: dividing the deltas by their GCD turns
  // 1'000'000-ns steps into 1s.
  uint64_t g = 0;
  for (size_t i = 1; i < n && g != 1; ++i) g = std::gcd(g, static_cast<uint64_t>(t[i] - t[i - 1]));
  if (g == 0) g = 1;
  out->push_back(static_cast<char>(Encoding::kTimeDelta));
  PutVarsint64(out, t[0]);
  PutVarint64(out, g);
  for (size_t i = 1; i < n; ++i) PutVarint64(out, static_cast<uint64_t>(t[i] - t[i - 1]) / g);
}

bool DecodeTimes(std::string_view in, size_t n, std::vector<int64_t>* out) {
  Decoder d(in);
  uint8_t enc;
  if (!d.GetByte(&enc)) return false;
  out->resize(n);
  if (static_cast<Encoding>(enc) == Encoding::kTimeZigzag) {
    int64_t prev = 0;
    for (size_t i = 0; i < n; ++i) {
      int64_t dv;
      if (!d.GetVarsint64(&dv)) return false;
      prev = static_cast<int64_t>(static_cast<uint64_t>(prev) + static_cast<uint64_t>(dv));
      (*out)[i] = prev;
    }
    return d.done();
  }
  if (static_cast<Encoding>(enc) != Encoding::kTimeDelta) return false;
  if (n == 0) return d.done();
  uint64_t g;
  if (!d.GetVarsint64(&(*out)[0]) || !d.GetVarint64(&g) || g == 0) return false;
  for (size_t i = 1; i < n; ++i) {
    uint64_t q;
    if (!d.GetVarint64(&q)) return false;
    (*out)[i] = static_cast<int64_t>(static_cast<uint64_t>((*out)[i - 1]) + q * g);
  }
  return d.done();
}

void EncodeStrings(const StringData& data, size_t begin, size_t end, std::string* out) {
  const size_t n = end - begin;
  // Dictionary when values repeat: count distinct values, giving up once they are too many.
  absl::flat_hash_map<std::string_view, uint32_t, StringHash, StringEq> ids;
  const size_t max_distinct = n / 2;
  std::vector<uint32_t> id_of(n);
  std::vector<std::string_view> dict;
  bool use_dict = n >= 16;
  for (size_t i = 0; i < n && use_dict; ++i) {
    std::string_view v = data.Get(begin + i);
    auto [it, inserted] = ids.try_emplace(v, static_cast<uint32_t>(dict.size()));
    if (inserted) {
      dict.push_back(v);
      if (dict.size() > max_distinct) use_dict = false;
    }
    id_of[i] = it->second;
  }
  // A small dictionary is as good as it gets. A large one (numbered ids, paths with ids) loses
  // to templates when those are far fewer than the distinct values.
  const bool small_dict = use_dict && (dict.size() <= 256 || dict.size() * 16 <= n);
  if (!small_dict && n >= 16 &&
      TryEncodeTemplates(data, begin, end, use_dict ? dict.size() / 2 : n / 2, out)) {
    return;
  }
  if (!use_dict) {
    out->push_back(static_cast<char>(Encoding::kStringPlain));
    PutPlainStrings(data, begin, end, out);
    return;
  }
  out->push_back(static_cast<char>(Encoding::kStringDict));
  PutVarint64(out, dict.size());
  for (std::string_view v : dict) PutVarint64(out, v.size());
  for (std::string_view v : dict) out->append(v);
  for (size_t i = 0; i < n; ++i) PutVarint64(out, id_of[i]);
}

bool DecodeStrings(std::string_view in, size_t n, StringData* out) {
  Decoder d(in);
  if (!DecodeStringValues(&d, n, out)) return false;
  return d.done();
}

void EncodeField(const Column& c, size_t lo, size_t hi, uint32_t row_base, uint32_t block_rows,
                 std::string* out) {
  const size_t n = hi - lo;
  if (n == block_rows) {
    out->push_back(static_cast<char>(Presence::kAllRows));
  } else {
    out->push_back(static_cast<char>(Presence::kRowList));
    uint32_t prev = row_base;
    for (size_t i = lo; i < hi; ++i) {
      PutVarint64(out, c.rows[i] - prev);
      prev = c.rows[i];
    }
  }
  switch (c.type) {
    case FieldType::kInt64:
      EncodeInts(c.ints.data() + lo, n, out);
      break;
    case FieldType::kBool:
      out->push_back(static_cast<char>(Encoding::kBoolBytes));
      for (size_t i = lo; i < hi; ++i) out->push_back(c.ints[i] ? 1 : 0);
      break;
    case FieldType::kDouble:
      EncodeDoubles(c.doubles.data() + lo, n, out);
      break;
    case FieldType::kString:
      EncodeStrings(c.strings, lo, hi, out);
      break;
  }
}

bool DecodeField(std::string_view in, uint32_t n, uint32_t block_rows, Column* c) {
  Decoder d(in);
  uint8_t presence;
  if (!d.GetByte(&presence) || n > block_rows) return false;
  c->rows.resize(n);
  if (static_cast<Presence>(presence) == Presence::kAllRows) {
    if (n != block_rows) return false;
    std::iota(c->rows.begin(), c->rows.end(), 0u);
  } else if (static_cast<Presence>(presence) == Presence::kRowList) {
    uint64_t row = 0;
    for (uint32_t j = 0; j < n; ++j) {
      uint64_t delta;
      if (!d.GetVarint64(&delta)) return false;
      row += delta;
      if (row >= block_rows || (j > 0 && delta == 0)) return false;
      c->rows[j] = static_cast<uint32_t>(row);
    }
  } else {
    return false;
  }
  switch (c->type) {
    case FieldType::kInt64:
      c->ints.resize(n);
      if (!DecodeInts(&d, n, c->ints.data())) return false;
      break;
    case FieldType::kBool: {
      uint8_t enc;
      if (!d.GetByte(&enc) || static_cast<Encoding>(enc) != Encoding::kBoolBytes) return false;
      c->ints.resize(n);
      for (uint32_t j = 0; j < n; ++j) {
        uint8_t b;
        if (!d.GetByte(&b) || b > 1) return false;
        c->ints[j] = b;
      }
      break;
    }
    case FieldType::kDouble:
      c->doubles.resize(n);
      if (!DecodeDoubles(&d, n, c->doubles.data())) return false;
      break;
    case FieldType::kString:
      if (!DecodeStringValues(&d, n, &c->strings)) return false;
      break;
  }
  return d.done();
}

}  // namespace lode::storage::internal
