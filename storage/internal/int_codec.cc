#include "storage/internal/int_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include <zstd.h>

namespace lode::storage::internal {
namespace {

inline uint64_t Sub(int64_t a, int64_t b) {
  return static_cast<uint64_t>(a) - static_cast<uint64_t>(b);
}

constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
constexpr int kMaxScale = 6;

// The smallest scale s such that every value is exactly round(v * 10^s) / 10^s (bit for bit,
// so -0.0, NaN and infinities rule it out), or -1.
int DecimalScale(const double* v, size_t n) {
  int s = 0;
  for (size_t i = 0; i < n; ++i) {
    // Most values need the scale of the values before them; only raise it when one does not.
    for (;; ++s) {
      if (s > kMaxScale) return -1;
      const double x = v[i] * kPow10[s];
      if (!(std::fabs(x) < 9e15) || (v[i] == 0 && std::signbit(v[i]))) return -1;
      const double back = std::nearbyint(x) / kPow10[s];
      if (std::memcmp(&back, &v[i], sizeof(double)) == 0) break;
    }
  }
  // A raised scale must still be exact for the earlier values (it is, for decimals, but the
  // division by a larger power can round differently): check once more at the final scale.
  for (size_t i = 0; i < n; ++i) {
    const double x = v[i] * kPow10[s];
    if (!(std::fabs(x) < 9e15)) return -1;
    const double back = std::nearbyint(x) / kPow10[s];
    if (std::memcmp(&back, &v[i], sizeof(double)) != 0) return -1;
  }
  return s;
}

}  // namespace

int ByteWidth(uint64_t max) { return (BitLength(max) + 7) / 8; }

void PutPlanes(const uint64_t* u, size_t n, int width, StreamWriter* w) {
  for (int p = 0; p < width; ++p) {
    std::string* s = w->Add();
    s->resize(n);
    char* out = s->data();
    const int shift = 8 * p;
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(u[i] >> shift);
  }
}

bool GetPlanes(StreamReader* r, size_t n, int width, uint64_t* u) {
  if (width < 0 || width > 8) return false;
  std::fill(u, u + n, 0);
  for (int p = 0; p < width; ++p) {
    std::string_view s;
    if (!r->Next(&s) || s.size() != n) return false;
    const int shift = 8 * p;
    for (size_t i = 0; i < n; ++i)
      u[i] |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << shift;
  }
  return true;
}

namespace {

// Order-0 entropy of byte histograms, in bits.
struct Histogram {
  uint32_t c[256] = {};
  uint64_t total = 0;
  void Add(uint8_t b) {
    ++c[b];
    ++total;
  }
  uint64_t Bits() const {
    if (total == 0) return 0;
    double bits = 0;
    const double lt = std::log2(static_cast<double>(total));
    for (uint32_t x : c) {
      if (x != 0) bits += x * (lt - std::log2(static_cast<double>(x)));
    }
    // A stream costs a frame and a table even when constant.
    return static_cast<uint64_t>(bits) + 64;
  }
};

constexpr size_t kMaxIntDict = 256;

struct TrialCCtx {
  TrialCCtx() : ctx(ZSTD_createCCtx()) {
    if (ctx == nullptr) std::abort();
    ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, 1);
  }
  ~TrialCCtx() { ZSTD_freeCCtx(ctx); }
  ZSTD_CCtx* ctx;
};

size_t TrialCompress(const std::string& s) {
  thread_local TrialCCtx t;
  thread_local std::string out;
  out.resize(ZSTD_compressBound(s.size()));
  const size_t z = ZSTD_compress2(t.ctx, out.data(), out.size(), s.data(), s.size());
  return ZSTD_isError(z) ? s.size() : std::min(z, s.size());
}

// Bytes of `u` in `form` after a fast compression, stream by stream.
size_t TrialBytes(const std::vector<uint64_t>& u, bool varint) {
  std::string s;
  if (varint) {
    for (uint64_t x : u) PutVarint64(&s, x);
    return TrialCompress(s);
  }
  uint64_t mx = 0;
  for (uint64_t x : u) mx = std::max(mx, x);
  size_t total = 0;
  for (int p = 0; p < ByteWidth(mx); ++p) {
    s.resize(u.size());
    for (size_t i = 0; i < u.size(); ++i) s[i] = static_cast<char>(u[i] >> (8 * p));
    total += TrialCompress(s);
  }
  return total;
}

// Below this many values the estimate decides alone.
constexpr size_t kMinTrialValues = 256;

}  // namespace

int PickIntForm(const std::vector<uint64_t>& ufor, const std::vector<uint64_t>& udelta) {
  const uint64_t cost[4] = {EstimatePlanesBits(ufor.data(), ufor.size()),
                            EstimatePlanesBits(udelta.data(), udelta.size()),
                            EstimateVarintBits(ufor.data(), ufor.size()),
                            EstimateVarintBits(udelta.data(), udelta.size())};
  int order[4] = {0, 1, 2, 3};
  std::sort(order, order + 4, [&](int a, int b) { return cost[a] < cost[b]; });
  const int a = order[0], b = order[1];
  if (ufor.size() < kMinTrialValues || cost[b] > cost[a] + cost[a] / 4) return a;
  auto trial = [&](int f) { return TrialBytes(f % 2 == 0 ? ufor : udelta, f >= 2); };
  return trial(b) < trial(a) ? b : a;
}

uint64_t EstimatePlanesBits(const uint64_t* u, size_t n) {
  uint64_t mx = 0;
  for (size_t i = 0; i < n; ++i) mx = std::max(mx, u[i]);
  const int width = ByteWidth(mx);
  uint64_t bits = 0;
  for (int p = 0; p < width; ++p) {
    Histogram h;
    for (size_t i = 0; i < n; ++i) h.Add(static_cast<uint8_t>(u[i] >> (8 * p)));
    bits += h.Bits();
  }
  return bits;
}

uint64_t EstimateVarintBits(const uint64_t* u, size_t n) {
  Histogram h;
  for (size_t i = 0; i < n; ++i) {
    uint64_t x = u[i];
    while (x >= 0x80) {
      h.Add(static_cast<uint8_t>(x | 0x80));
      x >>= 7;
    }
    h.Add(static_cast<uint8_t>(x));
  }
  return h.Bits();
}

void EncodeInts(const int64_t* v, size_t n, StreamWriter* w) {
  std::string* m = w->main();
  if (n == 0) {
    m->push_back(static_cast<char>(Encoding::kIntFor));
    PutVarsint64(m, 0);
    m->push_back(0);
    return;
  }
  int64_t mn = v[0];
  for (size_t i = 1; i < n; ++i) mn = std::min(mn, v[i]);
  std::vector<uint64_t> ufor(n), udelta(n - 1);
  for (size_t i = 0; i < n; ++i) ufor[i] = Sub(v[i], mn);
  for (size_t i = 1; i < n; ++i) {
    udelta[i - 1] = ZigZagEncode(static_cast<int64_t>(Sub(v[i], v[i - 1])));
  }
  // A few distinct values (status codes, enums): one id byte each.
  std::vector<int64_t> dict;
  if (n >= 64) {
    for (size_t i = 0; i < n && dict.size() <= kMaxIntDict; ++i) {
      if (std::find(dict.end() - std::min<size_t>(dict.size(), 8), dict.end(), v[i]) !=
          dict.end()) {
        continue;  // cheap check against the newest entries first
      }
      if (std::find(dict.begin(), dict.end(), v[i]) == dict.end()) dict.push_back(v[i]);
    }
  }
  const int form = PickIntForm(ufor, udelta);
  // PickIntForm numbers forms differently from the switch below.
  int best = form == 0 ? 0 : form == 1 ? 2 : form == 2 ? 1 : 3;
  const std::vector<uint64_t>& picked = form % 2 == 0 ? ufor : udelta;
  const uint64_t best_cost = form >= 2 ? EstimateVarintBits(picked.data(), picked.size())
                                       : EstimatePlanesBits(picked.data(), picked.size());
  std::vector<uint64_t> ids;
  if (!dict.empty() && dict.size() <= kMaxIntDict) {
    ids.resize(n);
    for (size_t i = 0; i < n; ++i)
      ids[i] = std::find(dict.begin(), dict.end(), v[i]) - dict.begin();
    const uint64_t dict_cost = EstimatePlanesBits(ids.data(), n) + 16 * dict.size();
    if (dict_cost < best_cost) best = 4;
  }
  switch (best) {
    case 0:
    case 2: {
      const bool delta = best == 2;
      const std::vector<uint64_t>& u = delta ? udelta : ufor;
      uint64_t mx = 0;
      for (uint64_t x : u) mx = std::max(mx, x);
      const int width = ByteWidth(mx);
      m->push_back(static_cast<char>(delta ? Encoding::kIntDelta : Encoding::kIntFor));
      PutVarsint64(m, delta ? v[0] : mn);
      m->push_back(static_cast<char>(width));
      PutPlanes(u.data(), u.size(), width, w);
      return;
    }
    case 1:
    case 3: {
      const bool delta = best == 3;
      const std::vector<uint64_t>& u = delta ? udelta : ufor;
      m->push_back(static_cast<char>(delta ? Encoding::kIntDeltaVarint : Encoding::kIntForVarint));
      PutVarsint64(m, delta ? v[0] : mn);
      std::string* s = w->Add();
      for (uint64_t x : u) PutVarint64(s, x);
      return;
    }
    default: {
      m->push_back(static_cast<char>(Encoding::kIntDict));
      PutVarint64(m, dict.size());
      for (int64_t x : dict) PutVarsint64(m, x);
      PutPlanes(ids.data(), n, 1, w);
      return;
    }
  }
}

bool DecodeInts(StreamReader* r, size_t n, int64_t* v) {
  Decoder* m = r->main();
  uint8_t enc;
  if (!m->GetByte(&enc)) return false;
  const auto e = static_cast<Encoding>(enc);
  if (e == Encoding::kIntDict) {
    uint64_t k;
    std::string_view ids;
    if (!m->GetVarint64(&k) || k == 0 || k > kMaxIntDict) return false;
    int64_t dict[kMaxIntDict];
    for (uint64_t i = 0; i < k; ++i) {
      if (!m->GetVarsint64(&dict[i])) return false;
    }
    if (!r->Next(&ids) || ids.size() != n) return false;
    for (size_t i = 0; i < n; ++i) {
      const auto id = static_cast<uint8_t>(ids[i]);
      if (id >= k) return false;
      v[i] = dict[id];
    }
    return true;
  }
  int64_t first;
  if (!m->GetVarsint64(&first)) return false;
  const bool delta = e == Encoding::kIntDelta || e == Encoding::kIntDeltaVarint;
  if (delta && n == 0) return false;
  const size_t count = delta ? n - 1 : n;
  std::vector<uint64_t> u(count);
  if (e == Encoding::kIntFor || e == Encoding::kIntDelta) {
    uint8_t width;
    if (!m->GetByte(&width) || width > 8 || !GetPlanes(r, count, width, u.data())) return false;
  } else if (e == Encoding::kIntForVarint || e == Encoding::kIntDeltaVarint) {
    Decoder s{std::string_view()};
    if (!r->Next(&s)) return false;
    for (uint64_t& x : u) {
      if (!s.GetVarint64(&x)) return false;
    }
    if (!s.done()) return false;
  } else {
    return false;
  }
  if (!delta) {
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<int64_t>(static_cast<uint64_t>(first) + u[i]);
    return true;
  }
  v[0] = first;
  for (size_t i = 1; i < n; ++i) {
    v[i] = static_cast<int64_t>(static_cast<uint64_t>(v[i - 1]) +
                                static_cast<uint64_t>(ZigZagDecode(u[i - 1])));
  }
  return true;
}

void EncodeTimes(const int64_t* t, size_t n, StreamWriter* w) {
  std::string* m = w->main();
  // Sorted timestamps whose whole span fits in int64 take the delta form.
  if (n == 0 || !std::is_sorted(t, t + n) ||
      Sub(t[n - 1], t[0]) > static_cast<uint64_t>(INT64_MAX)) {
    m->push_back(static_cast<char>(Encoding::kTimeInts));
    EncodeInts(t, n, w);
    return;
  }
  // Timestamps usually carry ms or us precision: dividing the deltas by their GCD turns
  // 1'000'000-ns steps into 1s.
  uint64_t g = 0;
  for (size_t i = 1; i < n && g != 1; ++i) g = std::gcd(g, Sub(t[i], t[i - 1]));
  if (g == 0) g = 1;
  std::vector<uint64_t> q(n - 1);
  uint64_t mx = 0;
  for (size_t i = 1; i < n; ++i) {
    q[i - 1] = Sub(t[i], t[i - 1]) / g;
    mx = std::max(mx, q[i - 1]);
  }
  const int width = ByteWidth(mx);
  m->push_back(static_cast<char>(Encoding::kTimeDelta));
  PutVarsint64(m, t[0]);
  PutVarint64(m, g);
  m->push_back(static_cast<char>(width));
  PutPlanes(q.data(), q.size(), width, w);
}

bool DecodeTimes(StreamReader* r, size_t n, std::vector<int64_t>* out) {
  Decoder* m = r->main();
  uint8_t enc;
  if (!m->GetByte(&enc)) return false;
  out->resize(n);
  if (static_cast<Encoding>(enc) == Encoding::kTimeInts) return DecodeInts(r, n, out->data());
  if (static_cast<Encoding>(enc) != Encoding::kTimeDelta || n == 0) return false;
  uint64_t g;
  uint8_t width;
  int64_t first;
  if (!m->GetVarsint64(&first) || !m->GetVarint64(&g) || g == 0 || !m->GetByte(&width)) {
    return false;
  }
  std::vector<uint64_t> q(n - 1);
  if (!GetPlanes(r, n - 1, width, q.data())) return false;
  int64_t* t = out->data();
  t[0] = first;
  for (size_t i = 1; i < n; ++i) {
    // Sorted input: every step is non-negative and the sum must not wrap past INT64_MAX.
    uint64_t step;
    if (__builtin_mul_overflow(q[i - 1], g, &step)) return false;
    int64_t next;
    if (step > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_add_overflow(t[i - 1], static_cast<int64_t>(step), &next)) {
      return false;
    }
    t[i] = next;
  }
  return true;
}

void EncodeDoubles(const double* v, size_t n, StreamWriter* w) {
  std::string* m = w->main();
  const int s = DecimalScale(v, n);
  if (s >= 0) {
    m->push_back(static_cast<char>(Encoding::kDoubleDecimal));
    m->push_back(static_cast<char>(s));
    std::vector<int64_t> ints(n);
    for (size_t i = 0; i < n; ++i) ints[i] = static_cast<int64_t>(std::nearbyint(v[i] * kPow10[s]));
    EncodeInts(ints.data(), n, w);
    return;
  }
  m->push_back(static_cast<char>(Encoding::kDoublePlain));
  std::vector<uint64_t> bits(n);
  std::memcpy(bits.data(), v, n * sizeof(double));
  PutPlanes(bits.data(), n, 8, w);
}

bool DecodeDoubles(StreamReader* r, size_t n, double* v) {
  Decoder* m = r->main();
  uint8_t enc;
  if (!m->GetByte(&enc)) return false;
  if (static_cast<Encoding>(enc) == Encoding::kDoublePlain) {
    std::vector<uint64_t> bits(n);
    if (!GetPlanes(r, n, 8, bits.data())) return false;
    std::memcpy(v, bits.data(), n * sizeof(double));
    return true;
  }
  uint8_t s;
  if (static_cast<Encoding>(enc) != Encoding::kDoubleDecimal || !m->GetByte(&s) || s > kMaxScale) {
    return false;
  }
  std::vector<int64_t> ints(n);
  if (!DecodeInts(r, n, ints.data())) return false;
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(ints[i]) / kPow10[s];
  return true;
}

}  // namespace lode::storage::internal
