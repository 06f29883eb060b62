// Dropout's mask in explicit AVX2 vectors (DropoutKernels.swift, `Dropout.Mask`): element e of the batch (its
// global flat index, mod 2^32) is kept iff lowbias32(lowbias32(e ^ k1) + k2) >> 8 >= threshold. The Swift loop drew
// the same flags one element at a time (the two 32-bit multiplies per hash stayed scalar): ~5 cycles an element,
// most of mnist_cnn's dropout. Same formula, same flags, same products: results are bit for bit the Swift loop's.
// AVX2 only (AVX-512 CPUs have it); callers keep the Swift loop elsewhere.
#ifndef STRATA_DROPOUT_KERNELS_H
#define STRATA_DROPOUT_KERNELS_H

#if defined(__x86_64__) || defined(__i386__)
typedef unsigned strata_drop_u32x8 __attribute__((ext_vector_type(8)));
typedef int strata_drop_i32x8 __attribute__((ext_vector_type(8)));
typedef float strata_drop_f32x8 __attribute__((ext_vector_type(8)));
typedef unsigned char strata_drop_u8x8 __attribute__((ext_vector_type(8)));

/// lowbias32 (Chris Wellons' 32-bit integer hash), `Dropout.hash`, on 8 lanes.
static inline __attribute__((target("avx2"), always_inline)) strata_drop_u32x8 strata_drop_hash8(strata_drop_u32x8 x) {
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

/// The keep flags (all ones or 0) of elements i .. i + 7 (`Dropout.Mask.isKept`). u >> 8 < 2^24 and threshold <=
/// 2^24, so the signed compare is the unsigned one.
static inline __attribute__((target("avx2"), always_inline)) strata_drop_i32x8
strata_drop_keep8(long i, unsigned e0, unsigned k1, unsigned k2, unsigned threshold) {
    const strata_drop_u32x8 iota = {0, 1, 2, 3, 4, 5, 6, 7};
    strata_drop_u32x8 e = (strata_drop_u32x8)(e0 + (unsigned)i) + iota;
    strata_drop_u32x8 u = strata_drop_hash8(strata_drop_hash8(e ^ k1) + k2) >> 8;
    return (strata_drop_i32x8)u >= (strata_drop_i32x8)(int)threshold;
}

/// Elements i .. i + m - 1 (m <= 8) of strata_dropout_forward_avx2; m is 8 but in a range's last call.
static inline __attribute__((target("avx2"), always_inline)) void
strata_drop_forward8(const float *x, float *y, unsigned char *kept, long i, long m, unsigned e0, unsigned k1,
                     unsigned k2, unsigned threshold, strata_drop_i32x8 scale) {
    strata_drop_i32x8 k = strata_drop_keep8(i, e0, k1, k2, threshold);
    strata_drop_f32x8 v = 0;
    __builtin_memcpy(&v, x + i, (size_t)m * sizeof(float));
    v *= (strata_drop_f32x8)(scale & k);
    strata_drop_u8x8 b = __builtin_convertvector(k & 1, strata_drop_u8x8);
    __builtin_memcpy(y + i, &v, (size_t)m * sizeof(float));
    __builtin_memcpy(kept + i, &b, (size_t)m);
}

/// For i in [first, last): kept[i] = 1 or 0, y[i] = x[i] * (kept ? scale : 0). `y` may be `x`. The last < 8
/// elements take the same vector operations on a partial load.
static inline __attribute__((target("avx2"))) void strata_dropout_forward_avx2(const float *x, float *y,
                                                                            unsigned char *kept, long first, long last,
                                                                            unsigned e0, unsigned k1, unsigned k2,
                                                                            unsigned threshold, float scale) {
    const strata_drop_i32x8 s = (strata_drop_i32x8)(strata_drop_f32x8)scale;
    long i = first;
    for (; i + 8 <= last; i += 8) strata_drop_forward8(x, y, kept, i, 8, e0, k1, k2, threshold, s);
    if (i < last) strata_drop_forward8(x, y, kept, i, last - i, e0, k1, k2, threshold, s);
}

/// Elements i .. i + m - 1 (m <= 8) of strata_dropout_backward_avx2.
static inline __attribute__((target("avx2"), always_inline)) void
strata_drop_backward8(const float *dy, float *dx, const unsigned char *kept, long i, long m, strata_drop_i32x8 scale) {
    strata_drop_u8x8 b = 0;
    strata_drop_f32x8 g = 0;
    __builtin_memcpy(&b, kept + i, (size_t)m);
    __builtin_memcpy(&g, dy + i, (size_t)m * sizeof(float));
    strata_drop_i32x8 k = __builtin_convertvector(b, strata_drop_i32x8) != 0;
    g *= (strata_drop_f32x8)(scale & k);
    __builtin_memcpy(dx + i, &g, (size_t)m * sizeof(float));
}

/// For i in [first, last): dx[i] = dy[i] * (kept[i] != 0 ? scale : 0). `dx` may be `dy`.
static inline __attribute__((target("avx2"))) void strata_dropout_backward_avx2(const float *dy, float *dx,
                                                                             const unsigned char *kept, long first,
                                                                             long last, float scale) {
    const strata_drop_i32x8 s = (strata_drop_i32x8)(strata_drop_f32x8)scale;
    long i = first;
    for (; i + 8 <= last; i += 8) strata_drop_backward8(dy, dx, kept, i, 8, s);
    if (i < last) strata_drop_backward8(dy, dx, kept, i, last - i, s);
}
#else  // other architectures: callers keep their Swift loops and never reach these
#define strata_dropout_forward_avx2(...) __builtin_trap()
#define strata_dropout_backward_avx2(...) __builtin_trap()
#endif

#endif
