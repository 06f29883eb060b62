// Gradient compression's 16-bit formats (`GradientCompression`, the compressed all-reduce in StrataMPI): float to
// IEEE half (fp16) or bfloat16 (bf16) rounded to nearest even, back to float, and the sum the all-reduce's MPI_Op
// applies to two 16-bit vectors: widen both to float, add, round back (Horovod's CPU float16 sum). A float has
// 24 bits >= 2 * 11 + 2, so that sum is the correctly rounded 16-bit sum in either format.
// AVX-512F when lanes >= 16 (vcvtps2ph / vcvtph2ps for fp16; bf16 by the same integer rounding as the scalar
// loop), else the scalar loops; both give the same bits for every input, NaN payloads included (a NaN stays a
// quiet NaN; fp16 keeps the payload's top bits as vcvtps2ph does). Not part of the CStrataKernels module: CMPI's
// shim includes it, for StrataMPI alone (the only caller).
#ifndef STRATA_COMPRESS_KERNELS_H
#define STRATA_COMPRESS_KERNELS_H

#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static inline uint32_t strata_c16_bits(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    return u;
}

static inline float strata_c16_float(uint32_t u) {
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

/// float -> fp16, round to nearest even: >= 65520 becomes inf, below 2^-24 / 2 zero, in between subnormals.
static inline uint16_t strata_f16_from_f32(float f) {
    uint32_t x = strata_c16_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7FFFFFFFu;
    if (x >= 0x47800000u) {  // >= 65536: inf, or a quiet NaN with the payload's top bits
        return (uint16_t)(sign | (x > 0x7F800000u ? 0x7E00u | ((x >> 13) & 0x3FFu) : 0x7C00u));
    }
    if (x < 0x38800000u) {  // below 2^-14: a subnormal half; adding 0.5 rounds the 2^-24 multiple to nearest even
        float r = strata_c16_float(x) + 0.5f;
        return (uint16_t)(sign | (strata_c16_bits(r) - 0x3F000000u));
    }
    x += 0xC8000FFFu + ((x >> 13) & 1u);  // rebias the exponent (-112 << 23), round half to even
    return (uint16_t)(sign | (x >> 13));
}

/// fp16 -> float (exact).
static inline float strata_f32_from_f16(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
    if (e == 0x1F) return strata_c16_float(sign | 0x7F800000u | (m << 13) | (m ? 0x400000u : 0));  // a NaN comes out quiet
    if (e == 0) {  // zero or subnormal: m * 2^-24, exact in float
        float v = (float)m * 0x1p-24f;
        return strata_c16_float(sign | strata_c16_bits(v));
    }
    return strata_c16_float(sign | ((e + 112) << 23) | (m << 13));
}

/// float -> bf16, round to nearest even on the integer bits; a NaN stays a quiet NaN.
static inline uint16_t strata_bf16_from_f32(float f) {
    uint32_t x = strata_c16_bits(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40u);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/// bf16 -> float (exact).
static inline float strata_f32_from_bf16(uint16_t h) { return strata_c16_float((uint32_t)h << 16); }

static inline uint16_t strata_c16_round(float f, int bf16) { return bf16 ? strata_bf16_from_f32(f) : strata_f16_from_f32(f); }
static inline float strata_c16_widen(uint16_t h, int bf16) { return bf16 ? strata_f32_from_bf16(h) : strata_f32_from_f16(h); }

#if defined(__x86_64__) || defined(__i386__)
/// 16 floats -> 16 halves in the format (`strata_c16_round` on each).
static inline __attribute__((target("avx512f"), always_inline)) __m256i strata_c16_round16(__m512 v, int bf16) {
    if (!bf16) return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512i x = _mm512_castps_si512(v);
    __m512i hi = _mm512_srli_epi32(x, 16);
    __m512i r = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), _mm512_and_si512(hi, _mm512_set1_epi32(1))), 16);
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(hi, _mm512_set1_epi32(0x40)));
    return _mm512_cvtepi32_epi16(r);
}

/// 16 halves -> 16 floats.
static inline __attribute__((target("avx512f"), always_inline)) __m512 strata_c16_widen16(__m256i h, int bf16) {
    if (!bf16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/// `m` (<= 16) halves from `p`, the rest zero.
static inline __attribute__((target("avx512f"), always_inline)) __m256i strata_c16_load(const uint16_t *p, long m) {
    __m256i h = _mm256_setzero_si256();
    __builtin_memcpy(&h, p, (size_t)m * 2);
    return h;
}

static inline __attribute__((target("avx512f"))) void strata_c16_to16_avx512(const float *x, uint16_t *h, long n, int bf16) {
    for (long i = 0; i < n; i += 16) {
        long m = n - i < 16 ? n - i : 16;
        __m512 v = _mm512_setzero_ps();
        __builtin_memcpy(&v, x + i, (size_t)m * 4);
        __m256i r = strata_c16_round16(v, bf16);
        __builtin_memcpy(h + i, &r, (size_t)m * 2);
    }
}

static inline __attribute__((target("avx512f"))) void strata_c16_from16_avx512(const uint16_t *h, float *x, long n, int bf16) {
    for (long i = 0; i < n; i += 16) {
        long m = n - i < 16 ? n - i : 16;
        __m512 v = strata_c16_widen16(strata_c16_load(h + i, m), bf16);
        __builtin_memcpy(x + i, &v, (size_t)m * 4);
    }
}

static inline __attribute__((target("avx512f"))) void strata_c16_sum_avx512(const uint16_t *a, uint16_t *b, long n, int bf16) {
    for (long i = 0; i < n; i += 16) {
        long m = n - i < 16 ? n - i : 16;
        __m512 s = _mm512_add_ps(strata_c16_widen16(strata_c16_load(a + i, m), bf16), strata_c16_widen16(strata_c16_load(b + i, m), bf16));
        __m256i r = strata_c16_round16(s, bf16);
        __builtin_memcpy(b + i, &r, (size_t)m * 2);
    }
}
#endif

/// h[i] = x[i] rounded to the format (bf16 != 0: bfloat16, else fp16), i < n.
static inline void strata_c16_to16(const float *x, uint16_t *h, long n, int bf16, long lanes) {
#if defined(__x86_64__) || defined(__i386__)
    if (lanes >= 16) {
        strata_c16_to16_avx512(x, h, n, bf16);
        return;
    }
#endif
    for (long i = 0; i < n; i++) h[i] = strata_c16_round(x[i], bf16);
}

/// x[i] = h[i] as float, i < n.
static inline void strata_c16_from16(const uint16_t *h, float *x, long n, int bf16, long lanes) {
#if defined(__x86_64__) || defined(__i386__)
    if (lanes >= 16) {
        strata_c16_from16_avx512(h, x, n, bf16);
        return;
    }
#endif
    for (long i = 0; i < n; i++) x[i] = strata_c16_widen(h[i], bf16);
}

/// b[i] = round(widen(a[i]) + widen(b[i])), i < n: the compressed all-reduce's sum.
static inline void strata_c16_sum(const uint16_t *a, uint16_t *b, long n, int bf16, long lanes) {
#if defined(__x86_64__) || defined(__i386__)
    if (lanes >= 16) {
        strata_c16_sum_avx512(a, b, n, bf16);
        return;
    }
#endif
    for (long i = 0; i < n; i++) b[i] = strata_c16_round(strata_c16_widen(a[i], bf16) + strata_c16_widen(b[i], bf16), bf16);
}

#endif
