// Element-wise optimizer updates that must vectorise: Swift's Float.squareRoot() lowers to a scalar sqrtf with an
// errno fallback, which stops LLVM's loop vectoriser. __builtin_elementwise_sqrt is IEEE sqrt without errno, so
// these loops become SIMD with the same per-element operations in the same order as the Swift reference loops
// (contraction off: no FMA, so the results are bit-identical whatever the target CPU).
#ifndef STRATA_UPDATE_KERNELS_H
#define STRATA_UPDATE_KERNELS_H

/// RMSprop without momentum, not centered: a = r a + c g^2; p -= lr g / sqrt(a + eps).
static inline void strata_rmsprop_update(float *restrict p, const float *restrict g, float *restrict a, long n,
                                         float r, float c, float lr, float eps) {
#pragma clang fp contract(off)
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float ai = r * a[i] + c * gi * gi;
        a[i] = ai;
        p[i] -= lr * gi / __builtin_elementwise_sqrt(ai + eps);
    }
}

/// Adam without amsgrad: m += (g - m) c1; v += (g^2 - v) c2; p -= alpha m / (sqrt(v) + eps).
static inline void strata_adam_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                                      long n, float c1, float c2, float alpha, float eps) {
#pragma clang fp contract(off)
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * c1;
        m[i] = mi;
        float vi = v[i] + (gi * gi - v[i]) * c2;
        v[i] = vi;
        p[i] -= alpha * mi / (__builtin_elementwise_sqrt(vi) + eps);
    }
}

/// a = r a, `times` times over, each product rounded: 32 scalars at a time stay in registers for all the passes
/// (independent vector chains), so a row costs `times` multiplies per scalar and one load and store. The same body
/// is compiled for the baseline and for AVX2 (`strata_scale_repeatedly_avx2`, one ymm per 8 scalars); a product is
/// a product, so both give the same bits.
#define STRATA_SCALE_REPEATEDLY_BODY                                                                                  \
    typedef float v8 __attribute__((ext_vector_type(8)));                                                         \
    long i = 0;                                                                                                    \
    for (; i + 32 <= n; i += 32) {                                                                                 \
        v8 x0, x1, x2, x3;                                                                                         \
        __builtin_memcpy(&x0, a + i, sizeof x0);                                                                   \
        __builtin_memcpy(&x1, a + i + 8, sizeof x1);                                                               \
        __builtin_memcpy(&x2, a + i + 16, sizeof x2);                                                              \
        __builtin_memcpy(&x3, a + i + 24, sizeof x3);                                                              \
        for (long t = 0; t < times; t++) {                                                                         \
            x0 = x0 * r;                                                                                           \
            x1 = x1 * r;                                                                                           \
            x2 = x2 * r;                                                                                           \
            x3 = x3 * r;                                                                                           \
        }                                                                                                          \
        __builtin_memcpy(a + i, &x0, sizeof x0);                                                                   \
        __builtin_memcpy(a + i + 8, &x1, sizeof x1);                                                               \
        __builtin_memcpy(a + i + 16, &x2, sizeof x2);                                                              \
        __builtin_memcpy(a + i + 24, &x3, sizeof x3);                                                              \
    }                                                                                                              \
    for (; i < n; i++) {                                                                                           \
        float v = a[i];                                                                                            \
        for (long t = 0; t < times; t++) v = v * r;                                                                \
        a[i] = v;                                                                                                  \
    }

static inline void strata_scale_repeatedly(float *restrict a, long n, float r, long times) {
    STRATA_SCALE_REPEATEDLY_BODY
}

#if defined(__x86_64__) || defined(__i386__)
static inline __attribute__((target("avx2"))) void strata_scale_repeatedly_avx2(float *restrict a, long n, float r,
                                                                                long times) {
    STRATA_SCALE_REPEATEDLY_BODY
}
#else
static inline void strata_scale_repeatedly_avx2(float *restrict a, long n, float r, long times) {
    STRATA_SCALE_REPEATEDLY_BODY
}
#endif

#endif
