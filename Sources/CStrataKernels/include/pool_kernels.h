// Max pooling over windows that lie inside the input (no padding), compiled for AVX-512F and for AVX2 and chosen
// with the convolution kernels' lanes (strata_conv_vector_width; conv_kernels.h comes first and defines the vector
// types); 0 lanes: the caller keeps its Swift loop. Each output's argmax is its window position ky * kw + kx as one
// byte (windows of at most 256 positions), not its Int32 flat index: the pool's argmax traffic is a quarter.
#ifndef STRATA_POOL_KERNELS_H
#define STRATA_POOL_KERNELS_H

#include <string.h>

/// The most positions a window may have for the byte argmax.
#define STRATA_POOL_MAX_WINDOW 256

#if defined(__x86_64__) || defined(__i386__)
typedef unsigned char strata_u8x16 __attribute__((ext_vector_type(16)));
typedef unsigned char strata_u8x8 __attribute__((ext_vector_type(8)));

#define STRATA_POOL_SUFFIX _avx512
#define STRATA_POOL_TARGET "avx512f"
#define STRATA_POOL_VEC strata_f32x16
#define STRATA_POOL_IVEC strata_i32x16
#define STRATA_POOL_BVEC strata_u8x16
#define STRATA_POOL_LANES 16
#include "pool_kernels_body.h"

#define STRATA_POOL_SUFFIX _avx2
#define STRATA_POOL_TARGET "avx2"
#define STRATA_POOL_VEC strata_f32x8
#define STRATA_POOL_IVEC strata_i32x8
#define STRATA_POOL_BVEC strata_u8x8
#define STRATA_POOL_LANES 8
#include "pool_kernels_body.h"
#else  // other architectures: lanes are 0, the callers keep their Swift loops and never reach these
#define strata_max_pool_forward_avx512(...) __builtin_trap()
#define strata_max_pool_forward_avx2(...) __builtin_trap()
#define strata_max_pool_backward_avx512(...) __builtin_trap()
#define strata_max_pool_backward_avx2(...) __builtin_trap()
#endif

/// y[s, oy, ox, j] = max over the kh x kw window at (oy * sh, ox * sw) of x[s, ., ., j]; argmax[...] = the window
/// position ky * kw + kx of the first maximum in scan order (strict >, as TensorFlow's MaxPoolGrad routes the
/// gradient). kh * kw <= STRATA_POOL_MAX_WINDOW. Samples first..<n only (a thread's share).
static inline void strata_max_pool_forward(long lanes, const float *x, long first, long n, long h, long w, long c,
                                           long kh, long kw, long sh, long sw, float *y, unsigned char *argmax, long oh,
                                           long ow) {
    if (lanes == 16)
        strata_max_pool_forward_avx512(x, first, n, h, w, c, kh, kw, sh, sw, y, argmax, oh, ow);
    else
        strata_max_pool_forward_avx2(x, first, n, h, w, c, kh, kw, sh, sw, y, argmax, oh, ow);
}

/// The gradient of strata_max_pool_forward when the windows tile the input exactly (strides = pool size, h = oh * kh,
/// w = ow * kw): each input position is written once, dy at its window's argmax and 0 elsewhere. Samples first..<n.
static inline void strata_max_pool_backward(long lanes, const float *dy, const unsigned char *argmax, long first,
                                            long n, long h, long w, long c, long kh, long kw, float *dx, long oh,
                                            long ow) {
    if (lanes == 16)
        strata_max_pool_backward_avx512(dy, argmax, first, n, h, w, c, kh, kw, dx, oh, ow);
    else
        strata_max_pool_backward_avx2(dy, argmax, first, n, h, w, c, kh, kw, dx, oh, ow);
}

/// The gradient of strata_max_pool_forward for any windows inside the input (overlapping, or leaving a remainder):
/// samples first..<n of dx zeroed, then dx[argmax's position] += dy output by output in order (the order the flat
/// index scatter added them, so overlapping windows sum alike).
static inline void strata_max_pool_scatter(const float *dy, const unsigned char *argmax, long first, long n, long h,
                                           long w, long c, long kh, long kw, long sh, long sw, float *dx, long oh,
                                           long ow) {
    long offset[STRATA_POOL_MAX_WINDOW];
    for (long k = 0; k < kh * kw && k < STRATA_POOL_MAX_WINDOW; k++) offset[k] = ((k / kw) * w + k % kw) * c;
    memset(dx + first * h * w * c, 0, (size_t)((n - first) * h * w * c) * sizeof(float));
    for (long s = first; s < n; s++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                float *di = dx + ((s * h + oy * sh) * w + ox * sw) * c;
                long out = ((s * oh + oy) * ow + ox) * c;
                for (long j = 0; j < c; j++) di[offset[argmax[out + j]] + j] += dy[out + j];
            }
}

#endif
