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

/// Plain RMSprop on `count` rows of `width` scalars of a row-sparse weight (row k starts at `starts[k]` in all three
/// buffers): the row first catches up with the `missed[k]` zero-gradient steps it was not touched in (`a = r a`, each
/// product rounded), then takes the step `a = r a + c g^2; p -= lr g / sqrt(a + eps)`, each element with the same
/// operations in the same order as `strata_rmsprop_update` (so the same bits). The rows are scattered over tables
/// larger than the caches: the next row's ranges are prefetched while this one is computed, and 32 scalars at a
/// time stay in registers through the catch-up and the step.
#define STRATA_RMSPROP_ROWS_BODY                                                                                      \
    typedef float v8 __attribute__((ext_vector_type(8)));                                                         \
    for (long k = 0; k < count; k++) {                                                                             \
        if (k + 1 < count) {                                                                                       \
            const long next = starts[k + 1];                                                                       \
            for (long j = 0; j < width; j += 16) {                                                                 \
                __builtin_prefetch(a + next + j, 1);                                                               \
                __builtin_prefetch(p + next + j, 1);                                                               \
                __builtin_prefetch(g + next + j, 0);                                                               \
            }                                                                                                      \
        }                                                                                                          \
        float *restrict pr = p + starts[k], *restrict ar = a + starts[k];                                          \
        const float *restrict gr = g + starts[k];                                                                  \
        const long times = missed[k];                                                                              \
        long i = 0;                                                                                                \
        for (; i + 32 <= width; i += 32) {                                                                         \
            v8 x[4], gv[4], pv[4];                                                                                 \
            __builtin_memcpy(x, ar + i, sizeof x);                                                                 \
            for (long t = 0; t < times; t++) {                                                                     \
                x[0] = x[0] * r;                                                                                   \
                x[1] = x[1] * r;                                                                                   \
                x[2] = x[2] * r;                                                                                   \
                x[3] = x[3] * r;                                                                                   \
            }                                                                                                      \
            __builtin_memcpy(gv, gr + i, sizeof gv);                                                               \
            __builtin_memcpy(pv, pr + i, sizeof pv);                                                               \
            for (int u = 0; u < 4; u++) {                                                                          \
                x[u] = r * x[u] + c * gv[u] * gv[u];                                                               \
                pv[u] -= lr * gv[u] / __builtin_elementwise_sqrt(x[u] + eps);                                      \
            }                                                                                                      \
            __builtin_memcpy(ar + i, x, sizeof x);                                                                 \
            __builtin_memcpy(pr + i, pv, sizeof pv);                                                               \
        }                                                                                                          \
        for (; i < width; i++) {                                                                                   \
            float v = ar[i];                                                                                       \
            for (long t = 0; t < times; t++) v = v * r;                                                            \
            float gi = gr[i];                                                                                      \
            v = r * v + c * gi * gi;                                                                               \
            ar[i] = v;                                                                                             \
            pr[i] -= lr * gi / __builtin_elementwise_sqrt(v + eps);                                                \
        }                                                                                                          \
    }

static inline void strata_rmsprop_rows(float *restrict p, const float *restrict g, float *restrict a,
                                       const long *restrict starts, const int *restrict missed, long count, long width,
                                       float r, float c, float lr, float eps) {
#pragma clang fp contract(off)
    STRATA_RMSPROP_ROWS_BODY
}

#if defined(__x86_64__) || defined(__i386__)
static inline __attribute__((target("avx2"))) void strata_rmsprop_rows_avx2(float *restrict p, const float *restrict g,
                                                                            float *restrict a, const long *restrict starts,
                                                                            const int *restrict missed, long count,
                                                                            long width, float r, float c, float lr,
                                                                            float eps) {
#pragma clang fp contract(off)
    STRATA_RMSPROP_ROWS_BODY
}
#else
static inline void strata_rmsprop_rows_avx2(float *restrict p, const float *restrict g, float *restrict a,
                                            const long *restrict starts, const int *restrict missed, long count,
                                            long width, float r, float c, float lr, float eps) {
#pragma clang fp contract(off)
    STRATA_RMSPROP_ROWS_BODY
}
#endif

#endif
