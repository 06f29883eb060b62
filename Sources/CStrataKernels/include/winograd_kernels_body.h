// One instruction set's Winograd F(2x2, 3x3) convolution; winograd_kernels.h includes this file once per set after
// defining the same macros as for conv_kernels_body.h (whose strata_conv_forward of that set it calls for the
// elementwise stage: a 1x1 convolution is a GEMM) and its vector loads, stores and relu-mask stores.
#define STRATA_WINO_CAT_(a, b) a##b
#define STRATA_WINO_CAT(a, b) STRATA_WINO_CAT_(a, b)
#define STRATA_WFN(name) STRATA_WINO_CAT(name, STRATA_CONV_SUFFIX)
#define STRATA_WINLINE static inline __attribute__((always_inline, target(STRATA_CONV_TARGET)))
#define STRATA_WV STRATA_CONV_VEC
#define STRATA_WL STRATA_CONV_LANES

/// One tile row's input transform: v[e][t][ch] = (B^T d B)[e / 4][e % 4] for tile t, d[i][j] = rows[i][(2t + j) c + ch],
/// the e planes `plane` floats apart; B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] (adds only). Two output columns at a time (8 live vectors of the
/// row pass, not 16: all 16 spilled on AVX2's 16 registers).
STRATA_WINLINE void STRATA_WFN(strata_wino_input_row_planes)(const float *const *rows, long tw, long c, long plane,
                                                             float *v) {
    for (long t = 0; t < tw; t++)
        for (long ch = 0; ch < c; ch += STRATA_WL) {
            float *o = v + t * c + ch;
            #pragma unroll
            for (int half = 0; half < 2; half++) {
                STRATA_WV q[4][2];
                #pragma unroll
                for (int i = 0; i < 4; i++) {
                    const float *d = rows[i] + 2 * t * c + ch;
                    STRATA_WV d1 = STRATA_WFN(strata_conv_load)(d + c), d2 = STRATA_WFN(strata_conv_load)(d + 2 * c);
                    if (half == 0) {
                        q[i][0] = STRATA_WFN(strata_conv_load)(d) - d2;
                        q[i][1] = d1 + d2;
                    } else {
                        q[i][0] = d2 - d1;
                        q[i][1] = d1 - STRATA_WFN(strata_conv_load)(d + 3 * c);
                    }
                }
                #pragma unroll
                for (int j = 0; j < 2; j++) {
                    float *oj = o + (2 * half + j) * plane;
                    STRATA_WFN(strata_conv_store)(oj + 0 * plane, q[0][j] - q[2][j]);
                    STRATA_WFN(strata_conv_store)(oj + 4 * plane, q[1][j] + q[2][j]);
                    STRATA_WFN(strata_conv_store)(oj + 8 * plane, q[2][j] - q[1][j]);
                    STRATA_WFN(strata_conv_store)(oj + 12 * plane, q[1][j] - q[3][j]);
                }
            }
        }
}

/// As strata_wino_input_row_planes with the e planes tw * c apart (the forward's layout).
STRATA_WINLINE void STRATA_WFN(strata_wino_input_row)(const float *const *rows, long tw, long c, float *v) {
    STRATA_WFN(strata_wino_input_row_planes)(rows, tw, c, tw * c, v);
}

/// One tile row's output transform and epilogue: y = (relu?)(bias + A^T m A), A^T = [1 1 1 0; 0 1 -1 -1], for
/// m[e] = mt[e][t][g..] (the elementwise products summed over channels), stored where the 2x2 tile lies inside the
/// output (`rowsLeft` rows and the row's ow columns), with the relu mask bits when `mask` is given (its bytes of y[0]).
STRATA_WINLINE void STRATA_WFN(strata_wino_output_row)(const float *mt, long tw, long f, const float *bias, float *y,
                                                      long ow, long rowsLeft, int relu, unsigned char *mask) {
    long plane = tw * f;
    for (long t = 0; t < tw; t++)
        for (long g = 0; g < f; g += STRATA_WL) {
            const float *mi = mt + t * f + g;
            STRATA_WV s[2][4];
            #pragma unroll
            for (int j = 0; j < 4; j++) {
                STRATA_WV m0 = STRATA_WFN(strata_conv_load)(mi + (0 + j) * plane);
                STRATA_WV m1 = STRATA_WFN(strata_conv_load)(mi + (4 + j) * plane);
                STRATA_WV m2 = STRATA_WFN(strata_conv_load)(mi + (8 + j) * plane);
                STRATA_WV m3 = STRATA_WFN(strata_conv_load)(mi + (12 + j) * plane);
                s[0][j] = m0 + m1 + m2;
                s[1][j] = m1 - m2 - m3;
            }
            STRATA_WV b = bias ? STRATA_WFN(strata_conv_load)(bias + g) : (STRATA_WV)0;
            #pragma unroll
            for (int i = 0; i < 2; i++) {
                if (i >= rowsLeft) break;
                STRATA_WV out[2] = {b + (s[i][0] + s[i][1] + s[i][2]), b + (s[i][1] - s[i][2] - s[i][3])};
                #pragma unroll
                for (int j = 0; j < 2; j++) {
                    long ox = 2 * t + j;
                    if (ox >= ow) break;
                    STRATA_WV a = relu ? __builtin_elementwise_max(out[j], (STRATA_WV)0) : out[j];
                    long at = (i * ow + ox) * f + g;
                    STRATA_WFN(strata_conv_store)(y + at, a);
                    if (mask) STRATA_WFN(strata_conv_mask_store)(mask + at / 8, a);
                }
            }
        }
}

/// y[s, oy, ox, :] = (relu?)(bias + sum_{ky, kx, ch} x[s, oy + ky - padTop, ox + kx - padLeft, ch] k[ky, kx, ch, :])
/// for a 3x3 kernel given as its transform u (strata_winograd_kernel_transform), by tile rows of 2 output rows: the
/// 4 input rows (zero-padded copies where needed), their transform v (16 x tw x c), the 16 products v[e] u[e] (tw x c
/// times c x f, each a 1x1 convolution on the direct kernels' register tiles), then the output transform.
static inline __attribute__((target(STRATA_CONV_TARGET)))
void STRATA_WFN(strata_winograd_forward)(const float *x, long n, long h, long w, long c, long padTop, long padLeft,
                                         const float *u, long f, const float *bias, float *y, long oh, long ow,
                                         int relu, unsigned char *mask, float *scratch) {
    long th = (oh + 1) / 2, tw = (ow + 1) / 2, span = 2 * tw + 2;
    float *padded = scratch, *zero = padded + 4 * span * c, *v = zero + span * c, *mt = v + 16 * tw * c;
    __builtin_memset(zero, 0, span * c * sizeof(float));
    for (long s = 0; s < n; s++)
        for (long ty = 0; ty < th; ty++) {
            const float *rows[4], *in[4] = {zero, zero, zero, zero};
            long kys[4];
            long count = strata_conv_rows(x, s, h, w, c, padTop, padLeft, 2 * ty, 4, 3, 2 * tw, padded, rows, kys);
            for (long i = 0; i < count; i++) in[kys[i]] = rows[i];
            STRATA_WFN(strata_wino_input_row)(in, tw, c, v);
            for (int e = 0; e < 16; e++)
                STRATA_WFN(strata_conv_forward)(v + e * tw * c, 1, 1, tw, c, 0, 0, u + e * c * f, 1, 1, f, 0,
                                                mt + e * tw * f, 1, tw, 0, 0, 0);
            long at = (s * oh + 2 * ty) * ow * f;
            STRATA_WFN(strata_wino_output_row)(mt, tw, f, bias, y + at, ow, oh - 2 * ty, relu, mask ? mask + at / 8 : 0);
        }
}

/// One tile row's output-gradient transform: w[e][t][g..] = (A' z A'^T)[e / 4][e % 4] for the 2x2 tile
/// z[i][j] = dz rows r0, r1 at position 2t + j (zero past `ow`), A' = [1 0; 1 1; 1 -1; 0 1] (adds only); `plane` is
/// the floats between two e.
STRATA_WINLINE void STRATA_WFN(strata_wino_dz_row)(const float *r0, const float *r1, long tw, long ow, long f,
                                                  long plane, float *w) {
    for (long t = 0; t < tw; t++) {
        int pair = 2 * t + 1 < ow;
        for (long g = 0; g < f; g += STRATA_WL) {
            const float *src[2] = {r0 + 2 * t * f + g, r1 + 2 * t * f + g};
            STRATA_WV a[2][4];
            #pragma unroll
            for (int i = 0; i < 2; i++) {
                STRATA_WV z0 = STRATA_WFN(strata_conv_load)(src[i]);
                STRATA_WV z1 = pair ? STRATA_WFN(strata_conv_load)(src[i] + f) : (STRATA_WV)0;
                a[i][0] = z0;
                a[i][1] = z0 + z1;
                a[i][2] = z0 - z1;
                a[i][3] = z1;
            }
            float *o = w + t * f + g;
            #pragma unroll
            for (int s = 0; s < 4; s++) {
                STRATA_WFN(strata_conv_store)(o + (0 + s) * plane, a[0][s]);
                STRATA_WFN(strata_conv_store)(o + (4 + s) * plane, a[0][s] + a[1][s]);
                STRATA_WFN(strata_conv_store)(o + (8 + s) * plane, a[0][s] - a[1][s]);
                STRATA_WFN(strata_conv_store)(o + (12 + s) * plane, a[1][s]);
            }
        }
    }
}

/// m[e] (c x f) += v[e]^T w[e] over the `tiles` tiles gathered in v (tiles x c per e) and w (tiles x f per e): the
/// direct kernel gradient's register tiles (a 1x1 kernel gradient over `tiles` positions), `cap` tiles between two e.
STRATA_WINLINE void STRATA_WFN(strata_wino_dw_products)(const float *v, const float *w, float *m, long tiles, long cap,
                                                       long c, long f) {
    for (int e = 0; e < 16; e++) {
        const float *ve = v + e * cap * c, *we = w + e * cap * f;
        float *me = m + e * c * f;
        for (long g = 0; g < f;) {
            long nv = (f - g) / STRATA_WL;
            if (nv > STRATA_CONV_MAXVEC) nv = STRATA_CONV_MAXVEC;
            switch (nv) {
            case 1: STRATA_WFN(strata_conv_dk_row)(1, ve, we + g, me + g, c, c, f, tiles); break;
            case 2: STRATA_WFN(strata_conv_dk_row)(2, ve, we + g, me + g, c, c, f, tiles); break;
#if STRATA_CONV_MAXVEC > 2
            case 3: STRATA_WFN(strata_conv_dk_row)(3, ve, we + g, me + g, c, c, f, tiles); break;
            case 4: STRATA_WFN(strata_conv_dk_row)(4, ve, we + g, me + g, c, c, f, tiles); break;
#endif
            default: __builtin_trap();
            }
            g += nv * STRATA_WL;
        }
    }
}

/// dk[ky][kx] += (G' m G'^T)[ky][kx] for every (channel, filter), G' = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 -1] (the
/// transpose of the forward's G with its last column negated, matching A''s last row): 16 c f floats of m to 9 of dk.
STRATA_WINLINE void STRATA_WFN(strata_wino_dw_output)(const float *m, long c, long f, float *dk) {
    long cf = c * f;
    for (long i = 0; i < cf; i += STRATA_WL) {
        STRATA_WV t[4][3];
        #pragma unroll
        for (int r = 0; r < 4; r++) {
            STRATA_WV m0 = STRATA_WFN(strata_conv_load)(m + (4 * r + 0) * cf + i);
            STRATA_WV m1 = STRATA_WFN(strata_conv_load)(m + (4 * r + 1) * cf + i);
            STRATA_WV m2 = STRATA_WFN(strata_conv_load)(m + (4 * r + 2) * cf + i);
            STRATA_WV m3 = STRATA_WFN(strata_conv_load)(m + (4 * r + 3) * cf + i);
            t[r][0] = m0 + 0.5f * (m1 + m2);
            t[r][1] = 0.5f * (m1 - m2);
            t[r][2] = 0.5f * (m1 + m2) - m3;
        }
        #pragma unroll
        for (int kx = 0; kx < 3; kx++) {
            STRATA_WV k[3] = {t[0][kx] + 0.5f * (t[1][kx] + t[2][kx]), 0.5f * (t[1][kx] - t[2][kx]),
                              0.5f * (t[1][kx] + t[2][kx]) - t[3][kx]};
            #pragma unroll
            for (int ky = 0; ky < 3; ky++) {
                float *d = dk + (3 * ky + kx) * cf + i;
                STRATA_WFN(strata_conv_store)(d, STRATA_WFN(strata_conv_load)(d) + k[ky]);
            }
        }
    }
}

/// The kernel gradient of a 3x3 stride-1 convolution by Winograd F(3x3, 2x2) (Lavin and Gray 2016, the kernel
/// gradient as a correlation of x with dz): for every 2x2 tile of dz and the 4x4 input window d under it,
/// dk += G' [(A' z A'^T) . (B^T d B)] G'^T, the products summed over the tiles (and the batch) first: 16 GEMMs of
/// c x f with the tiles as their inner dimension, then one output transform. dz, db and the dz row as
/// strata_conv_kernel_gradient_relu_mask's; the input rows as the forward's. Tiles are gathered `cap` at a time
/// (strata_winograd_dw_tiles) so the products run long inner loops on cached data.
static inline __attribute__((target(STRATA_CONV_TARGET)))
void STRATA_WFN(strata_winograd_kernel_gradient)(const float *x, long n, long h, long w, long c, long padTop,
                                                 long padLeft, const float *dy, const float *reluY,
                                                 const unsigned char *mask, float *dz, int dzRow, long f, float *dk,
                                                 float *db, long oh, long ow, float *scratch) {
    long th = (oh + 1) / 2, tw = (ow + 1) / 2, span = 2 * tw + 2, cap = strata_winograd_dw_tiles(ow);
    float *padded = scratch, *zero = padded + 4 * span * c, *zeroDz = zero + span * c, *rowsDz = zeroDz + ow * f;
    float *v = rowsDz + 2 * ow * f, *wt = v + 16 * cap * c, *m = wt + 16 * cap * f;
    __builtin_memset(zero, 0, span * c * sizeof(float));
    __builtin_memset(zeroDz, 0, ow * f * sizeof(float));
    __builtin_memset(m, 0, 16 * c * f * sizeof(float));
    long filled = 0;
    for (long s = 0; s < n; s++)
        for (long ty = 0; ty < th; ty++) {
            const float *zr[2] = {zeroDz, zeroDz};
            for (int i = 0; i < 2 && 2 * ty + i < oh; i++) {
                long at = (s * oh + 2 * ty + i) * ow * f;
                zr[i] = STRATA_WFN(strata_conv_dz_row)(dy + at, reluY ? reluY + at : 0, mask ? mask + at / 8 : 0,
                                                       dzRow ? rowsDz + i * ow * f : dz + at, db, ow, f);
            }
            const float *rows[4], *in[4] = {zero, zero, zero, zero};
            long kys[4];
            long count = strata_conv_rows(x, s, h, w, c, padTop, padLeft, 2 * ty, 4, 3, 2 * tw, padded, rows, kys);
            for (long i = 0; i < count; i++) in[kys[i]] = rows[i];
            STRATA_WFN(strata_wino_input_row_planes)(in, tw, c, cap * c, v + filled * c);
            STRATA_WFN(strata_wino_dz_row)(zr[0], zr[1], tw, ow, f, cap * f, wt + filled * f);
            filled += tw;
            if (filled + tw > cap) {
                STRATA_WFN(strata_wino_dw_products)(v, wt, m, filled, cap, c, f);
                filled = 0;
            }
        }
    if (filled > 0) STRATA_WFN(strata_wino_dw_products)(v, wt, m, filled, cap, c, f);
    STRATA_WFN(strata_wino_dw_output)(m, c, f, dk);
}

#undef STRATA_WFN
#undef STRATA_WINLINE
#undef STRATA_WV
#undef STRATA_WL
