// A small-m GEMM against a right-hand matrix packed once: C (m x n) (+)= A (m x k) op(B) (k x n), where op(B) was
// copied into panels of 16 columns (k rows of 16 contiguous floats, zero-padded past n) by strata_pack_panels.
// For the recurrent layers' per-timestep product h_{t-1} (N x u) recurrent_kernel (u x gates*u): the kernel does
// not change across the T steps of one pass, so packing it once per pass instead of once per step (as each sgemm
// call does) removes the cost that does not shrink with the rows a rank runs. Register tiles of 4 rows x 16 columns
// (two AVX2 vectors, 8 FMA chains), tails of 3, 2 and 1 rows. Every C element is one FMA chain over k in order,
// then added to C (accumulate) or stored: its value does not depend on m, on the tile its row falls in, or on
// which rows or panels a thread was given, so results are identical at any split and thread count.
#ifndef STRATA_PANEL_GEMM_H
#define STRATA_PANEL_GEMM_H

/// Columns per packed panel.
#define STRATA_PANEL_COLS 16

/// Panels for n columns.
static inline long strata_panel_count(long n) { return (n + STRATA_PANEL_COLS - 1) / STRATA_PANEL_COLS; }

/// Copies op(B) (k x n) into strata_panel_count(n) panels at `packed` (k * 16 floats each): B is row-major with
/// leading dimension ldb, read as B^T when `trans` (op(B)[kk][j] = b[j * ldb + kk]).
static inline void strata_pack_panels(const float *restrict b, long ldb, int trans, long k, long n,
                                      float *restrict packed) {
    for (long p = 0; p < strata_panel_count(n); p++) {
        float *dst = packed + p * STRATA_PANEL_COLS * k;
        long j0 = p * STRATA_PANEL_COLS;
        long cols = n - j0 < STRATA_PANEL_COLS ? n - j0 : STRATA_PANEL_COLS;
        if (trans) {
            for (long kk = 0; kk < k; kk++)
                for (long j = 0; j < cols; j++) dst[kk * STRATA_PANEL_COLS + j] = b[(j0 + j) * ldb + kk];
        } else {
            for (long kk = 0; kk < k; kk++)
                for (long j = 0; j < cols; j++) dst[kk * STRATA_PANEL_COLS + j] = b[kk * ldb + j0 + j];
        }
        for (long kk = 0; kk < k; kk++)
            for (long j = cols; j < STRATA_PANEL_COLS; j++) dst[kk * STRATA_PANEL_COLS + j] = 0;
    }
}

#if defined(__x86_64__) || defined(__i386__)
typedef float strata_panel_f32x8 __attribute__((ext_vector_type(8)));

/// One row of a tile: its two accumulators stored into, or added to, the `cols` (<= 16) columns at c.
static inline __attribute__((target("avx2,fma"), always_inline)) void strata_panel_store(
    float *restrict c, strata_panel_f32x8 lo, strata_panel_f32x8 hi, long cols, int accumulate) {
    if (cols == STRATA_PANEL_COLS) {
        if (accumulate) {
            strata_panel_f32x8 c0, c1;
            __builtin_memcpy(&c0, c, sizeof c0);
            __builtin_memcpy(&c1, c + 8, sizeof c1);
            lo = c0 + lo;
            hi = c1 + hi;
        }
        __builtin_memcpy(c, &lo, sizeof lo);
        __builtin_memcpy(c + 8, &hi, sizeof hi);
    } else {
        float t[STRATA_PANEL_COLS];
        __builtin_memcpy(t, &lo, sizeof lo);
        __builtin_memcpy(t + 8, &hi, sizeof hi);
        for (long j = 0; j < cols; j++) c[j] = accumulate ? c[j] + t[j] : t[j];
    }
}

/// Rows [0, MR) of A times one panel into the `cols` (<= 16) columns of C at c: one FMA chain per element, over kk
/// in order, then stored or added to C. The accumulators are named variables, not an array, so they stay in
/// registers whatever the optimizer's unrolling (MR is a constant: the `if (MR > r)` fold away).
#define STRATA_PANEL_TILE(MR)                                                                                      \
    static inline __attribute__((target("avx2,fma"))) void strata_panel_tile##MR(                                  \
        long k, const float *restrict a, long lda, const float *restrict bp, float *restrict c, long ldc,         \
        long cols, int accumulate) {                                                                               \
        strata_panel_f32x8 c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0;                  \
        for (long kk = 0; kk < k; kk++) {                                                                          \
            strata_panel_f32x8 b0, b1, v;                                                                          \
            __builtin_memcpy(&b0, bp + kk * STRATA_PANEL_COLS, sizeof b0);                                         \
            __builtin_memcpy(&b1, bp + kk * STRATA_PANEL_COLS + 8, sizeof b1);                                     \
            v = (strata_panel_f32x8)a[kk];                                                                         \
            c00 = __builtin_elementwise_fma(v, b0, c00);                                                           \
            c01 = __builtin_elementwise_fma(v, b1, c01);                                                           \
            if (MR > 1) {                                                                                          \
                v = (strata_panel_f32x8)a[lda + kk];                                                               \
                c10 = __builtin_elementwise_fma(v, b0, c10);                                                       \
                c11 = __builtin_elementwise_fma(v, b1, c11);                                                       \
            }                                                                                                      \
            if (MR > 2) {                                                                                          \
                v = (strata_panel_f32x8)a[2 * lda + kk];                                                           \
                c20 = __builtin_elementwise_fma(v, b0, c20);                                                       \
                c21 = __builtin_elementwise_fma(v, b1, c21);                                                       \
            }                                                                                                      \
            if (MR > 3) {                                                                                          \
                v = (strata_panel_f32x8)a[3 * lda + kk];                                                           \
                c30 = __builtin_elementwise_fma(v, b0, c30);                                                       \
                c31 = __builtin_elementwise_fma(v, b1, c31);                                                       \
            }                                                                                                      \
        }                                                                                                          \
        strata_panel_store(c, c00, c01, cols, accumulate);                                                         \
        if (MR > 1) strata_panel_store(c + ldc, c10, c11, cols, accumulate);                                       \
        if (MR > 2) strata_panel_store(c + 2 * ldc, c20, c21, cols, accumulate);                                   \
        if (MR > 3) strata_panel_store(c + 3 * ldc, c30, c31, cols, accumulate);                                   \
    }
STRATA_PANEL_TILE(4)
STRATA_PANEL_TILE(3)
STRATA_PANEL_TILE(2)
STRATA_PANEL_TILE(1)
#undef STRATA_PANEL_TILE

/// C (m x n, leading dimension ldc) = (accumulate ? C : 0) + A (m x k, lda) op(B), op(B) packed by
/// strata_pack_panels(..., k, n, packed); AVX2 + FMA (the caller checks strata_conv_vector_width() >= 8).
static inline __attribute__((target("avx2,fma"))) void strata_panel_gemm_avx2(long m, long k, long n, const float *a,
                                                                              long lda, const float *packed, float *c,
                                                                              long ldc, int accumulate) {
    for (long p = 0; p < strata_panel_count(n); p++) {
        const float *bp = packed + p * STRATA_PANEL_COLS * k;
        long j0 = p * STRATA_PANEL_COLS;
        long cols = n - j0 < STRATA_PANEL_COLS ? n - j0 : STRATA_PANEL_COLS;
        long i = 0;
        for (; i + 4 <= m; i += 4) strata_panel_tile4(k, a + i * lda, lda, bp, c + i * ldc + j0, ldc, cols, accumulate);
        switch (m - i) {
        case 3: strata_panel_tile3(k, a + i * lda, lda, bp, c + i * ldc + j0, ldc, cols, accumulate); break;
        case 2: strata_panel_tile2(k, a + i * lda, lda, bp, c + i * ldc + j0, ldc, cols, accumulate); break;
        case 1: strata_panel_tile1(k, a + i * lda, lda, bp, c + i * ldc + j0, ldc, cols, accumulate); break;
        default: break;
        }
    }
}
#else
// Other architectures: strata_conv_vector_width() is 0, the callers keep OpenBLAS; never reached.
#define strata_panel_gemm_avx2(...) __builtin_trap()
#endif

#endif
