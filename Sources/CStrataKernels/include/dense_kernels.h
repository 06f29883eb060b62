// Dense layers with a few rows against a large kernel (vgg_like's Flatten 30976 -> 256 at 16-32 rows). OpenBLAS
// packs the whole 32 MB kernel for each product and is tuned for many rows: at 16-32 rows it ran at 26-38% of
// sgemm. Here every product is one 6-row x 16-column register tile (12 FMA chains, BLIS's Haswell shape):
//   forward   Z (m x n) = X (m x k) W (k x n): W in blocks of STRATA_DENSE_KC rows, each copied in W's own order
//             (DRAM streams) to 16-column panels in L2 while the next block is prefetched under the arithmetic;
//   backward  dX = dZ W^T and dW = X^T dZ in one pass over W's rows, STRATA_DENSE_KB rows at a time: each row of W
//             read once, each row of dW written once (non-temporally when aligned), dZ copied once per pass to
//             panels (dZ's 1 KB row stride on vgg_like maps its rows to 4 of L1's 64 sets).
// Every output is one fixed sequence of operations over its own inputs: it does not depend on the tile its row falls
// in, nor on which columns (forward) or rows of W (backward) a thread was given, so threaded results are bit for
// bit the one-thread ones. AVX2 + FMA only; callers keep OpenBLAS elsewhere.
#ifndef STRATA_DENSE_KERNELS_H
#define STRATA_DENSE_KERNELS_H


/// Rows of B per forward block.
#define STRATA_DENSE_KC 128

/// Floats of scratch strata_dense_forward_avx2 needs for columns [j0, j1).
static inline long strata_dense_forward_scratch(long j0, long j1) { return STRATA_DENSE_KC * ((j1 - j0 + 15) / 16) * 16; }

/// Rows of W per backward block: its tiles (6 rows) walk it while it is in L1.
#define STRATA_DENSE_KB 24
/// The most rows of X the backward pass takes (its block of X's columns and of dX are on the stack).
#define STRATA_DENSE_MAX_M 64

/// Floats of scratch strata_dense_backward_avx2 needs: dZ (m x n) in 16-column panels and dZ^T in 16-row panels.
static inline long strata_dense_backward_scratch(long m, long n) {
    return m * ((n + 15) / 16) * 16 + n * ((m + 15) / 16) * 16;
}

#if defined(__x86_64__) || defined(__i386__)
typedef float strata_dense_f32x8 __attribute__((ext_vector_type(8)));
typedef int strata_dense_i32x8 __attribute__((ext_vector_type(8)));

/// The mask of the first `cols` (0...8) lanes.
static inline __attribute__((target("avx2,fma"), always_inline)) strata_dense_i32x8 strata_dense_mask(long cols) {
    const strata_dense_i32x8 lanes = {0, 1, 2, 3, 4, 5, 6, 7};
    return lanes < (strata_dense_i32x8)(int)cols;
}

/// Loads `cols` (0...8) floats at p, zeros past them; never reads past p + cols.
static inline __attribute__((target("avx2,fma"), always_inline)) strata_dense_f32x8 strata_dense_load(const float *p,
                                                                                                    long cols) {
    strata_dense_f32x8 v;
    if (cols >= 8) {
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    if (cols <= 0) return (strata_dense_f32x8)0;
    return __builtin_ia32_maskloadps256((const strata_dense_f32x8 *)p, strata_dense_mask(cols));
}

/// How a tile leaves its sums in C: stored, added to what is there, or stored past the caches (non-temporal: only
/// for full 16-column tiles at 64-byte aligned rows; the caller fences with strata_dense_fence).
enum { STRATA_DENSE_STORE = 0, STRATA_DENSE_ADD = 1, STRATA_DENSE_STREAM = 2 };

/// Orders the non-temporal stores before whatever reads them next (another thread after the pool's join).
static inline __attribute__((target("avx2,fma"))) void strata_dense_fence(void) { __builtin_ia32_sfence(); }

/// Stores the first `cols` (0...8) lanes of v at p (STRATA_DENSE_STREAM: all 8, non-temporally, p 32-byte aligned),
/// or adds them to what is there (STRATA_DENSE_ADD).
static inline __attribute__((target("avx2,fma"), always_inline)) void strata_dense_store(float *p, strata_dense_f32x8 v,
                                                                                       long cols, int accumulate) {
    if (cols <= 0) return;
    if (accumulate == STRATA_DENSE_STREAM) {
        __builtin_nontemporal_store(v, (strata_dense_f32x8 *)p);
        return;
    }
    if (accumulate) v = strata_dense_load(p, cols) + v;
    if (cols >= 8)
        __builtin_memcpy(p, &v, sizeof v);
    else
        __builtin_ia32_maskstoreps256((strata_dense_f32x8 *)p, strata_dense_mask(cols), v);
}

/// A tile of 6 rows x 16 columns of C (+)= the sum over t < steps of a_r[t * ats] (the 6 rows' scalars: row r at
/// a + r * ars) times the 16 columns at b + t * bts: one FMA chain per element, over t in order, 12 accumulators
/// (15 of AVX2's 16 registers). The forward walks W's rows (a: X's rows, b: W's panel), dX^T walks the units (a:
/// W's rows, b: dZ^T's panel), dW walks the batch (a: X's columns, b: dZ's panel). Only `rows` (<= 6) rows and
/// `cols` (<= 16) columns are read and stored: missing rows read row 0 again.
static inline __attribute__((target("avx2,fma"))) void strata_dense_tile(long steps, const float *a, long ars,
                                                                       long ats, const float *b, long bts, float *c,
                                                                       long ldc, long rows, long cols,
                                                                       int accumulate) {
    const float *a0 = a, *a1 = a + (rows > 1 ? ars : 0), *a2 = a + (rows > 2 ? 2 * ars : 0),
                *a3 = a + (rows > 3 ? 3 * ars : 0), *a4 = a + (rows > 4 ? 4 * ars : 0),
                *a5 = a + (rows > 5 ? 5 * ars : 0);
    strata_dense_f32x8 c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0, c40 = 0, c41 = 0,
                       c50 = 0, c51 = 0;
#define STRATA_DENSE_FMA_ROW(R)                                                                                    \
    v = (strata_dense_f32x8)a##R[t * ats];                                                                         \
    c##R##0 = __builtin_elementwise_fma(v, b0, c##R##0);                                                           \
    c##R##1 = __builtin_elementwise_fma(v, b1, c##R##1);
#define STRATA_DENSE_FMA_ROWS                                                                                      \
    STRATA_DENSE_FMA_ROW(0)                                                                                        \
    STRATA_DENSE_FMA_ROW(1)                                                                                        \
    STRATA_DENSE_FMA_ROW(2)                                                                                        \
    STRATA_DENSE_FMA_ROW(3)                                                                                        \
    STRATA_DENSE_FMA_ROW(4)                                                                                        \
    STRATA_DENSE_FMA_ROW(5)
    if (cols == 16) {
        for (long t = 0; t < steps; t++) {
            strata_dense_f32x8 b0, b1, v;
            __builtin_memcpy(&b0, b + t * bts, sizeof b0);
            __builtin_memcpy(&b1, b + t * bts + 8, sizeof b1);
            STRATA_DENSE_FMA_ROWS
        }
    } else {
        for (long t = 0; t < steps; t++) {
            strata_dense_f32x8 b0 = strata_dense_load(b + t * bts, cols),
                               b1 = strata_dense_load(b + t * bts + 8, cols - 8), v;
            STRATA_DENSE_FMA_ROWS
        }
    }
#undef STRATA_DENSE_FMA_ROWS
#undef STRATA_DENSE_FMA_ROW
#define STRATA_DENSE_STORE_ROW(R)                                                                                  \
    if (rows > R) {                                                                                                \
        strata_dense_store(c + R * ldc, c##R##0, cols, accumulate);                                                \
        strata_dense_store(c + R * ldc + 8, c##R##1, cols - 8, accumulate);                                        \
    }
    STRATA_DENSE_STORE_ROW(0)
    STRATA_DENSE_STORE_ROW(1)
    STRATA_DENSE_STORE_ROW(2)
    STRATA_DENSE_STORE_ROW(3)
    STRATA_DENSE_STORE_ROW(4)
    STRATA_DENSE_STORE_ROW(5)
#undef STRATA_DENSE_STORE_ROW
}

/// Copies `rows` rows of `cols` (<= 16) floats at src (leading dimension lds) into `rows` x 16 contiguous floats at
/// dst, zeros past `cols`: a strip of a matrix whose 1 KB row stride maps every row to the same few L1 sets.
static inline __attribute__((target("avx2,fma"))) void strata_dense_copy_strip(const float *src, long lds, long rows,
                                                                             long cols, float *dst) {
    for (long r = 0; r < rows; r++) {
        strata_dense_f32x8 v0 = strata_dense_load(src + r * lds, cols), v1 = strata_dense_load(src + r * lds + 8, cols - 8);
        __builtin_memcpy(dst + r * 16, &v0, sizeof v0);
        __builtin_memcpy(dst + r * 16 + 8, &v1, sizeof v1);
    }
}

/// Columns [j0, j1) of C (m x n, ldc) = (accumulate ? C : 0) + A (m x k, lda) B (k x n, ldb). B is taken in blocks
/// of STRATA_DENSE_KC rows: each block's columns are copied row by row (B's own order, so DRAM streams) into
/// 16-column panels in `scratch` (strata_dense_forward_scratch floats; in place, B's 1 KB row stride on vgg_like
/// maps a strip's rows to 4 of L1's 64 sets), while the next block is prefetched a slice per tile so its reads
/// overlap this block's arithmetic; then every 6-row tile of A runs over each panel. Each element is the sum over the
/// blocks in order (one FMA chain per block, added to the running value): its bits do not depend on m, on its tile
/// or on [j0, j1).
static inline __attribute__((target("avx2,fma"))) void strata_dense_forward_avx2(long m, long k, long j0, long j1,
                                                                               const float *a, long lda,
                                                                               const float *b, long ldb, float *c,
                                                                               long ldc, int accumulate,
                                                                               float *scratch) {
    long width = j1 - j0, lines = (width + 15) / 16, panels = lines;
    for (long k0 = 0; k0 < k; k0 += STRATA_DENSE_KC) {
        long kc = k - k0 < STRATA_DENSE_KC ? k - k0 : STRATA_DENSE_KC;
        int acc = accumulate || k0 > 0;
        for (long r = 0; r < kc; r++)
            for (long p = 0; p < panels; p++) {
                long cols = width - p * 16 < 16 ? width - p * 16 : 16;
                strata_dense_copy_strip(b + (k0 + r) * ldb + j0 + p * 16, ldb, 1, cols, scratch + (p * kc + r) * 16);
            }
        // The next block's lines, in B's order, spread over this block's tiles.
        long next = k0 + kc, nextRows = k - next < STRATA_DENSE_KC ? k - next : STRATA_DENSE_KC;
        long pending = nextRows > 0 ? nextRows * lines : 0, tiles = panels * ((m + 5) / 6), row = 0, col = 0;
        long perTile = (pending + tiles - 1) / tiles;
        for (long p = 0; p < panels; p++) {
            long j = j0 + p * 16, cols = j1 - j < 16 ? j1 - j : 16;
            for (long i = 0; i < m; i += 6) {
                strata_dense_tile(kc, a + i * lda + k0, lda, 1, scratch + p * kc * 16, 16, c + i * ldc + j, ldc,
                                  m - i < 6 ? m - i : 6, cols, acc);
                for (long q = 0; q < perTile && row < nextRows; q++) {
                    __builtin_prefetch(b + (next + row) * ldb + j0 + col * 16, 0, 2);
                    if (++col == lines) col = 0, row++;
                }
            }
        }
    }
}

/// Copies dZ (m x n, ldz) into `scratch` (strata_dense_backward_scratch(m, n) floats) for
/// strata_dense_backward_avx2: dZ's 16-column panels (m x 16 each), then dZ^T's (n x 16 each: 16 rows of dZ per
/// panel), zeros past n and m. dZ's rows are 1 KB apart on vgg_like and would share L1 sets in place.
static inline __attribute__((target("avx2,fma"))) void strata_dense_pack_gradient(long m, long n, const float *dz,
                                                                                long ldz, float *scratch) {
    for (long j = 0; j < n; j += 16) strata_dense_copy_strip(dz + j, ldz, m, n - j < 16 ? n - j : 16, scratch + j * m);
    float *t = scratch + m * ((n + 15) / 16) * 16;
    for (long q = 0; q < m; q += 16)
        for (long j = 0; j < n; j++)
            for (long r = 0; r < 16; r++) t[q * n + j * 16 + r] = q + r < m ? dz[(q + r) * ldz + j] : 0;
}

/// Rows [k0, k1) of W (k x n, ldw): dX[:, k0..k1) = dZ (m x n) W[k0..k1)^T when dx is not NULL (stored), and
/// dW[k0..k1) (ldg) = (accumulate ? dW : 0) + X[:, k0..k1)^T dZ when dw is not NULL, for m <= STRATA_DENSE_MAX_M
/// (dx may be x: each block's columns of X are read before its columns of dX are written),
/// STRATA_DENSE_KB rows of W at a time so each is read once while in L1 and each row of dW written once; `packed`
/// is dZ as strata_dense_pack_gradient left it. Both are the forward's 6 x 16 tile: dX^T's rows (one FMA chain over
/// n per element, W's rows broadcast against dZ^T's panels) and dW's rows (one FMA chain over the m rows, X's
/// columns against dZ's panels). Every output is computed the same way at any split of [k0, k1): threads take
/// disjoint row ranges.
static inline __attribute__((target("avx2,fma"))) void strata_dense_backward_avx2(
    long m, long n, long k0, long k1, const float *x, long ldx, const float *packed, const float *w, long ldw,
    float *dx, long lddx, float *dw, long ldg, int accumulate) {
    const long mp = (m + 15) / 16 * 16;
    const float *zp = packed, *zt = packed + m * ((n + 15) / 16) * 16;
    float xb[STRATA_DENSE_MAX_M * STRATA_DENSE_KB] __attribute__((aligned(64)));
    float tb[STRATA_DENSE_KB * STRATA_DENSE_MAX_M] __attribute__((aligned(64)));
    // Stream dW past the caches when every 16-column tile starts a 64-byte line: it is 32 MB on vgg_like, read
    // next by the all-reduce or the optimizer, never by this pass.
    int stream = dw && !accumulate && (unsigned long)(dw + k0 * ldg) % 64 == 0 && ldg % 16 == 0;
    for (long kb = k0; kb < k1; kb += STRATA_DENSE_KB) {
        long kn = k1 - kb < STRATA_DENSE_KB ? k1 - kb : STRATA_DENSE_KB;
        // The block's columns of X first: dX may be written over X (Dense's input, when the model lends it).
        if (dw)
            for (long i = 0; i < m; i++)
                for (long r = 0; r < kn; r++) xb[i * STRATA_DENSE_KB + r] = x[i * ldx + kb + r];
        if (dx) {
            for (long r = 0; r < kn; r += 6)
                for (long q = 0; q < m; q += 16)
                    strata_dense_tile(n, w + (kb + r) * ldw, ldw, 1, zt + q * n, 16, tb + r * mp + q, mp,
                                      kn - r < 6 ? kn - r : 6, m - q < 16 ? m - q : 16, 0);
            for (long i = 0; i < m; i++)
                for (long r = 0; r < kn; r++) dx[i * lddx + kb + r] = tb[r * mp + i];
        }
        if (dw) {
            for (long r = 0; r < kn; r += 6)
                for (long j = 0; j < n; j += 16) {
                    float *d = dw + (kb + r) * ldg + j;
                    int mode = accumulate ? STRATA_DENSE_ADD : stream && n - j >= 16 ? STRATA_DENSE_STREAM : STRATA_DENSE_STORE;
                    strata_dense_tile(m, xb + r, 1, STRATA_DENSE_KB, zp + j * m, 16, d, ldg, kn - r < 6 ? kn - r : 6,
                                      n - j < 16 ? n - j : 16, mode);
                }
        }
        // The next block's rows of W and columns of X, while this block's sums keep the core busy.
        if (kb + STRATA_DENSE_KB < k1) {
            long nr = k1 - kb - STRATA_DENSE_KB < STRATA_DENSE_KB ? k1 - kb - STRATA_DENSE_KB : STRATA_DENSE_KB;
            if (dx)
                for (const char *q = (const char *)(w + (kb + STRATA_DENSE_KB) * ldw),
                                *e = (const char *)(w + (kb + STRATA_DENSE_KB + nr - 1) * ldw + n);
                     q < e; q += 64)
                    __builtin_prefetch(q, 0, 2);
            if (dw)
                for (long i = 0; i < m; i++) __builtin_prefetch(x + i * ldx + kb + 2 * STRATA_DENSE_KB, 0, 2);
        }
    }
    if (stream) strata_dense_fence();
}
#else
// Other architectures: strata_conv_vector_width() is 0, the callers keep OpenBLAS; never reached.
#define strata_dense_forward_avx2(...) __builtin_trap()
#define strata_dense_backward_avx2(...) __builtin_trap()
#define strata_dense_pack_gradient(...) __builtin_trap()
#endif

#endif
