// Max pooling over windows that lie inside the input (no padding), compiled for AVX-512F and for AVX2 and chosen
// with the convolution kernels' lanes (strata_conv_vector_width; conv_kernels.h comes first and defines the vector
// types); 0 lanes: the caller keeps its Swift loop.
#ifndef STRATA_POOL_KERNELS_H
#define STRATA_POOL_KERNELS_H

#if defined(__x86_64__) || defined(__i386__)
#define STRATA_POOL_SUFFIX _avx512
#define STRATA_POOL_TARGET "avx512f"
#define STRATA_POOL_VEC strata_f32x16
#define STRATA_POOL_IVEC strata_i32x16
#define STRATA_POOL_LANES 16
#define STRATA_POOL_IOTA ((strata_i32x16){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
#include "pool_kernels_body.h"

#define STRATA_POOL_SUFFIX _avx2
#define STRATA_POOL_TARGET "avx2"
#define STRATA_POOL_VEC strata_f32x8
#define STRATA_POOL_IVEC strata_i32x8
#define STRATA_POOL_LANES 8
#define STRATA_POOL_IOTA ((strata_i32x8){0, 1, 2, 3, 4, 5, 6, 7})
#include "pool_kernels_body.h"
#else  // other architectures: lanes are 0, the callers keep their Swift loops and never reach these
#define strata_max_pool_forward_avx512(...) __builtin_trap()
#define strata_max_pool_forward_avx2(...) __builtin_trap()
#define strata_max_pool_backward_avx512(...) __builtin_trap()
#define strata_max_pool_backward_avx2(...) __builtin_trap()
#endif

/// y[s, oy, ox, j] = max over the kh x kw window at (oy * sh, ox * sw) of x[s, ., ., j]; argmax[...] = the flat
/// index in x of the first maximum in scan order (strict >, as TensorFlow's MaxPoolGrad routes the gradient).
/// Samples first..<n only (a thread's share; indices stay those of the whole batch).
static inline void strata_max_pool_forward(long lanes, const float *x, long first, long n, long h, long w, long c,
                                           long kh, long kw, long sh, long sw, float *y, int *argmax, long oh, long ow) {
    if (lanes == 16)
        strata_max_pool_forward_avx512(x, first, n, h, w, c, kh, kw, sh, sw, y, argmax, oh, ow);
    else
        strata_max_pool_forward_avx2(x, first, n, h, w, c, kh, kw, sh, sw, y, argmax, oh, ow);
}

/// The gradient of strata_max_pool_forward when the windows tile the input exactly (strides = pool size, h = oh * kh,
/// w = ow * kw): each input position is written once, dy at its window's argmax and 0 elsewhere. Samples first..<n.
static inline void strata_max_pool_backward(long lanes, const float *dy, const int *argmax, long first, long n, long h,
                                            long w, long c, long kh, long kw, float *dx, long oh, long ow) {
    if (lanes == 16)
        strata_max_pool_backward_avx512(dy, argmax, first, n, h, w, c, kh, kw, dx, oh, ow);
    else
        strata_max_pool_backward_avx2(dy, argmax, first, n, h, w, c, kh, kw, dx, oh, ow);
}

#endif
