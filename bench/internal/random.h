// Small, fast, deterministic randomness for the corpus generator: a PRNG, discrete
// distributions as cumulative tables, and the inverse normal CDF (for log-normal values).
// Not thread-safe; plain values, no ownership.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace lode::bench::internal {

// wyrand: a 64-bit PRNG with one multiply per draw; plenty for synthetic data and far cheaper
// than <random>'s engines and distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL) {}
  uint64_t Next() {
    state_ += 0xa0761d6478bd642fULL;
    __uint128_t m = static_cast<__uint128_t>(state_) * (state_ ^ 0xe7037ed1a0b428dbULL);
    return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<__uint128_t>(Next()) * n) >> 64);
  }
  bool Chance(double p) { return Uniform() < p; }

 private:
  uint64_t state_;
};

// A discrete distribution as a cumulative table; Pick() is a binary search.
class Cdf {
 public:
  void Add(double weight) {
    total_ += weight;
    cum_.push_back(total_);
  }
  // Weights 1/(rank+1)^s for `n` items.
  static Cdf Zipf(size_t n, double s) {
    Cdf c;
    for (size_t i = 0; i < n; ++i) c.Add(1.0 / std::pow(static_cast<double>(i + 1), s));
    return c;
  }
  size_t Pick(Rng& rng) const {
    double u = rng.Uniform() * total_;
    size_t i = std::upper_bound(cum_.begin(), cum_.end(), u) - cum_.begin();
    return std::min(i, cum_.size() - 1);
  }

 private:
  std::vector<double> cum_;
  double total_ = 0;
};

// The standard normal quantile of p in (0, 1).
inline double InverseNormal(double p) {
  // Acklam's rational approximation (relative error < 1.2e-9).
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double lo = 0.02425, hi = 1 - lo;
  if (p < lo) {
    double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > hi) {
    double q = std::sqrt(-2 * std::log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

}  // namespace lode::bench::internal
