// Winograd F(2x2, 3x3) convolution (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) for
// stride-1, undilated 3x3, channels-last convolutions: each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A over
// its 4x4 input window d, so the channel sums take 16 multiplies per 4 outputs instead of 36 (2.25x fewer). Same
// contract as conv_kernels.h's forward (bias, relu, the 1-bit relu mask; filters and channels multiples of the
// lanes); the input gradient is the same forward on the flipped kernel. Rounding differs from the direct kernels
// (the transforms add and halve), sums run in a fixed order: identical run to run on one machine.
#ifndef STRATA_WINOGRAD_KERNELS_H
#define STRATA_WINOGRAD_KERNELS_H

#include "conv_kernels.h"

/// u[e][ch][fi] = (G g G^T)[e / 4][e % 4] for g[ky][kx] = k[ky, kx, ch, fi] (k is 3 x 3 x c x f),
/// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]: the kernel's transform, 16 * c * f floats, once per pass.
static inline void strata_winograd_kernel_transform(const float *k, long c, long f, float *u) {
    long cf = c * f;
    for (long i = 0; i < cf; i++) {
        float g[3][3], t[4][3];
        for (int a = 0; a < 9; a++) g[a / 3][a % 3] = k[a * cf + i];
        for (int j = 0; j < 3; j++) {
            t[0][j] = g[0][j];
            t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
            t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
            t[3][j] = g[2][j];
        }
        for (int r = 0; r < 4; r++) {
            u[(4 * r + 0) * cf + i] = t[r][0];
            u[(4 * r + 1) * cf + i] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
            u[(4 * r + 2) * cf + i] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
            u[(4 * r + 3) * cf + i] = t[r][2];
        }
    }
}

/// Floats of scratch strata_winograd_forward needs: 4 padded input rows and a zero row (2 tw + 2 positions of c),
/// the input transform (16 tw c) and the products (16 tw f), tw = ceil(ow / 2) tiles per row.
static inline long strata_winograd_scratch(long c, long f, long ow) {
    long tw = (ow + 1) / 2;
    return 5 * (2 * tw + 2) * c + 16 * tw * (c + f);
}

/// Tiles the kernel gradient gathers before its products (strata_winograd_kernel_gradient): whole tile rows, about 48
/// tiles, so each product's inner loop is long and its two inputs (48 x (c + f) floats per e) stay in L1/L2.
static inline long strata_winograd_dw_tiles(long ow) {
    long tw = (ow + 1) / 2;
    return tw >= 48 ? tw : 48 / tw * tw;
}

/// Floats of scratch strata_winograd_kernel_gradient needs: 4 padded input rows and a zero row (2 tw + 2 positions of
/// c), a zero row and two rows of dz (ow x f), the gathered tiles' transforms (16 x tiles x (c + f)) and the products'
/// sums (16 c f).
static inline long strata_winograd_dw_scratch(long c, long f, long ow) {
    long tw = (ow + 1) / 2, cap = strata_winograd_dw_tiles(ow);
    return 5 * (2 * tw + 2) * c + 3 * ow * f + 16 * cap * (c + f) + 16 * c * f;
}

#if defined(__x86_64__) || defined(__i386__)
#define STRATA_CONV_SUFFIX _avx512
#define STRATA_CONV_TARGET "avx512f,fma"
#define STRATA_CONV_VEC strata_f32x16
#define STRATA_CONV_LANES 16
#define STRATA_CONV_MAXVEC 4
#include "winograd_kernels_body.h"
#undef STRATA_CONV_SUFFIX
#undef STRATA_CONV_TARGET
#undef STRATA_CONV_VEC
#undef STRATA_CONV_LANES
#undef STRATA_CONV_MAXVEC

#define STRATA_CONV_SUFFIX _avx2
#define STRATA_CONV_TARGET "avx2,fma"
#define STRATA_CONV_VEC strata_f32x8
#define STRATA_CONV_LANES 8
#define STRATA_CONV_MAXVEC 2
#include "winograd_kernels_body.h"
#undef STRATA_CONV_SUFFIX
#undef STRATA_CONV_TARGET
#undef STRATA_CONV_VEC
#undef STRATA_CONV_LANES
#undef STRATA_CONV_MAXVEC
#else
#define strata_winograd_forward_avx512(...) __builtin_trap()
#define strata_winograd_forward_avx2(...) __builtin_trap()
#define strata_winograd_kernel_gradient_avx512(...) __builtin_trap()
#define strata_winograd_kernel_gradient_avx2(...) __builtin_trap()
#endif

/// y[s, oy, ox, :] = (relu?)(bias + sum_{ky, kx, ch} x[s, oy + ky - padTop, ox + kx - padLeft, ch] k[ky, kx, ch, :]) for
/// a 3x3 kernel k given as u = its transform; zeros outside x; c and f multiples of `lanes` (16 or 8, as
/// strata_conv_vector_width() allows); with `mask` the relu mask as strata_conv_forward_relu_mask writes it;
/// `scratch` holds strata_winograd_scratch(c, f, ow) floats.
static inline void strata_winograd_forward(long lanes, const float *x, long n, long h, long w, long c, long padTop,
                                           long padLeft, const float *u, long f, const float *bias, float *y, long oh,
                                           long ow, int relu, unsigned char *mask, float *scratch) {
    if (lanes == 16)
        strata_winograd_forward_avx512(x, n, h, w, c, padTop, padLeft, u, f, bias, y, oh, ow, relu, mask, scratch);
    else
        strata_winograd_forward_avx2(x, n, h, w, c, padTop, padLeft, u, f, bias, y, oh, ow, relu, mask, scratch);
}

/// dk[ky, kx, ch, :] += sum_{s, oy, ox} x[s, oy + ky - padTop, ox + kx - padLeft, ch] dz[s, oy, ox, :] for a 3x3 kernel
/// (and db += sum dz when given) by Winograd F(3x3, 2x2), with dz from dy as strata_conv_kernel_gradient_relu_mask
/// makes it (the relu mask, or reluY, or dy itself; written to dz, or with dzRow to scratch only); c and f multiples
/// of `lanes`; `scratch` holds strata_winograd_dw_scratch(c, f, ow) floats.
static inline void strata_winograd_kernel_gradient(long lanes, const float *x, long n, long h, long w, long c,
                                                   long padTop, long padLeft, const float *dy, const float *reluY,
                                                   const unsigned char *mask, float *dz, int dzRow, long f, float *dk,
                                                   float *db, long oh, long ow, float *scratch) {
    if (lanes == 16)
        strata_winograd_kernel_gradient_avx512(x, n, h, w, c, padTop, padLeft, dy, reluY, mask, dz, dzRow, f, dk, db,
                                               oh, ow, scratch);
    else
        strata_winograd_kernel_gradient_avx2(x, n, h, w, c, padTop, padLeft, dy, reluY, mask, dz, dzRow, f, dk, db, oh,
                                             ow, scratch);
}

#endif
