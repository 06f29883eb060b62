// Direct (implicit-im2col) convolution kernels for stride-1, undilated, channels-last convolutions: register tiles
// of output positions x 16-float (AVX-512) or 8-float (AVX2 + FMA) filter vectors read the input rows in place,
// so there is no packed copy of the patches and no GEMM packing. A 1-D convolution is a 2-D one of height 1.
// conv_kernels_body.h is included once per instruction set; strata_conv_vector_width() says which one the CPU
// runs (0: neither, the caller keeps its im2col + GEMM path). Sums run in a fixed order: results are identical run
// to run on one machine (they differ from the GEMM path by float rounding only).
#ifndef STRATA_CONV_KERNELS_H
#define STRATA_CONV_KERNELS_H

typedef float strata_f32x16 __attribute__((ext_vector_type(16)));
typedef float strata_f32x8 __attribute__((ext_vector_type(8)));
typedef int strata_i32x16 __attribute__((ext_vector_type(16)));
typedef int strata_i32x8 __attribute__((ext_vector_type(8)));
typedef _Bool strata_b16 __attribute__((ext_vector_type(16)));
typedef _Bool strata_b8 __attribute__((ext_vector_type(8)));

/// Lanes of the widest kernel this CPU runs: 16 (AVX-512F), 8 (AVX2 and FMA) or 0 (neither, or not x86):
/// decided at run time (cpu_features.c), so one binary runs the best kernels each machine has.
long strata_conv_vector_width(void);

/// The input rows under output row (s, oy): one pointer per kernel row that lies inside the input (its index in kys),
/// each to the ow + kw - 1 positions the windows read; rows with width padding are copied with zero margins into
/// scratch (kh * (ow + kw - 1) * c floats). Returns how many.
static inline long strata_conv_rows(const float *x, long s, long h, long w, long c, long padTop, long padLeft, long oy,
                                    long kh, long kw, long ow, float *scratch, const float **rows, long *kys) {
    long span = ow + kw - 1, count = 0;
    int inside = padLeft == 0 && span <= w;
    for (long ky = 0; ky < kh; ky++) {
        long iy = oy + ky - padTop;
        if (iy < 0 || iy >= h) continue;
        const float *src = x + (s * h + iy) * w * c;
        if (inside) {
            rows[count] = src;
        } else {
            float *dst = scratch + ky * span * c;
            long lo = padLeft < span ? padLeft : span;          /* positions before the input */
            long end = w + padLeft < span ? w + padLeft : span; /* first position after it */
            __builtin_memset(dst, 0, lo * c * sizeof(float));
            if (end > lo) __builtin_memcpy(dst + lo * c, src + (lo - padLeft) * c, (end - lo) * c * sizeof(float));
            if (span > end) __builtin_memset(dst + (end > lo ? end : lo) * c, 0, (span - (end > lo ? end : lo)) * c * sizeof(float));
            rows[count] = dst;
        }
        kys[count++] = ky;
    }
    return count;
}

#if defined(__x86_64__) || defined(__i386__)
#define STRATA_CONV_SUFFIX _avx512
#define STRATA_CONV_TARGET "avx512f,fma"
#define STRATA_CONV_VEC strata_f32x16
#define STRATA_CONV_IVEC strata_i32x16
#define STRATA_CONV_BVEC strata_b16
#define STRATA_CONV_LANES 16
#define STRATA_CONV_MAXVEC 4   /* filter vectors per tile */
#define STRATA_CONV_ACC 24     /* accumulator registers per tile (of 32) */
#include "conv_kernels_body.h"

#define STRATA_CONV_SUFFIX _avx2
#define STRATA_CONV_TARGET "avx2,fma"
#define STRATA_CONV_VEC strata_f32x8
#define STRATA_CONV_IVEC strata_i32x8
#define STRATA_CONV_BVEC strata_b8
#define STRATA_CONV_LANES 8
#define STRATA_CONV_MAXVEC 2
#define STRATA_CONV_ACC 12     /* of 16 */
#include "conv_kernels_body.h"

#else
// Other architectures: no direct kernels (the callers keep im2col + GEMM; strata_conv_vector_width() is 0 there),
// the entry points below are never reached.
#define strata_conv_forward_avx512(...) __builtin_trap()
#define strata_conv_forward_avx2(...) __builtin_trap()
#define strata_conv_kernel_gradient_avx512(...) __builtin_trap()
#define strata_conv_kernel_gradient_avx2(...) __builtin_trap()
#endif

/// As strata_conv_forward, and with `mask` (n * oh * ow * filters / 8 bytes) also the relu mask of y written in the
/// tiles' epilogue, one bit per float, set where y > 0: bit l of the lanes / 8 bytes at mask + i / 8 belongs to
/// y[i + l], i a multiple of the lanes. Backward reads it instead of y (strata_conv_kernel_gradient_relu_mask).
static inline void strata_conv_forward_relu_mask(long lanes, const float *x, long n, long h, long w, long c,
                                                 long padTop, long padLeft, const float *k, long kh, long kw,
                                                 long filters, const float *bias, float *y, long oh, long ow, int relu,
                                                 unsigned char *mask, float *scratch) {
    if (lanes == 16)
        strata_conv_forward_avx512(x, n, h, w, c, padTop, padLeft, k, kh, kw, filters, bias, y, oh, ow, relu, mask,
                                   scratch);
    else
        strata_conv_forward_avx2(x, n, h, w, c, padTop, padLeft, k, kh, kw, filters, bias, y, oh, ow, relu, mask,
                                 scratch);
}

/// y[s, oy, ox, :] = (relu?)(bias + sum_{ky, kx, ch} x[s, oy + ky - padTop, ox + kx - padLeft, ch] k[ky, kx, ch, :]),
/// zeros outside x; `filters` a multiple of `lanes`; `scratch` holds kh * (ow + kw - 1) * c floats.
static inline void strata_conv_forward(long lanes, const float *x, long n, long h, long w, long c, long padTop,
                                       long padLeft, const float *k, long kh, long kw, long filters, const float *bias,
                                       float *y, long oh, long ow, int relu, float *scratch) {
    strata_conv_forward_relu_mask(lanes, x, n, h, w, c, padTop, padLeft, k, kh, kw, filters, bias, y, oh, ow, relu, 0,
                                  scratch);
}

/// As strata_conv_kernel_gradient, with dz = dy where the forward's relu `mask` bits are set (when mask is given,
/// instead of reluY): the relu output need not be kept for backward, 1 bit per float instead of 32. With `dzRow`, dz
/// is one row of ow * filters floats reused for every output row (a layer whose input gradient is not wanted, as the
/// first layer's: dz then stays in L1 instead of streaming the batch's dz out to memory).
static inline void strata_conv_kernel_gradient_relu_mask(long lanes, const float *x, long n, long h, long w, long c,
                                                         long padTop, long padLeft, const float *dy,
                                                         const float *reluY, const unsigned char *mask, float *dz,
                                                         int dzRow, long kh, long kw, long filters, float *dk,
                                                         float *db, long oh, long ow, float *scratch) {
    if (lanes == 16)
        strata_conv_kernel_gradient_avx512(x, n, h, w, c, padTop, padLeft, dy, reluY, mask, dz, kh, kw, filters, dk,
                                           db, oh, ow, scratch, dzRow);
    else
        strata_conv_kernel_gradient_avx2(x, n, h, w, c, padTop, padLeft, dy, reluY, mask, dz, kh, kw, filters, dk, db,
                                         oh, ow, scratch, dzRow);
}

/// dk[ky, kx, ch, :] += sum_{s, oy, ox} x[s, oy + ky - padTop, ox + kx - padLeft, ch] dz[s, oy, ox, :] and (when db is
/// given) db += sum dz, where dz = dy, or with reluY (the relu output) dz = dy where reluY > 0 else 0, written to dz.
/// Same geometry and scratch as the forward.
static inline void strata_conv_kernel_gradient(long lanes, const float *x, long n, long h, long w, long c, long padTop,
                                               long padLeft, const float *dy, const float *reluY, float *dz, long kh,
                                               long kw, long filters, float *dk, float *db, long oh, long ow,
                                               float *scratch) {
    strata_conv_kernel_gradient_relu_mask(lanes, x, n, h, w, c, padTop, padLeft, dy, reluY, 0, dz, 0, kh, kw, filters,
                                          dk, db, oh, ow, scratch);
}

#endif
