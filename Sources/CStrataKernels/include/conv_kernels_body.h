// One instruction set's direct convolution kernels; conv_kernels.h includes this file once per set after defining
// STRATA_CONV_SUFFIX, _TARGET, _VEC (vector type), _LANES, _MAXVEC (filter vectors per tile) and _ACC (accumulator
// registers per tile). Tiles take their sizes as constants after inlining, so each becomes straight-line register code.
#define STRATA_CAT_(a, b) a##b
#define STRATA_CAT(a, b) STRATA_CAT_(a, b)
#define STRATA_FN(name) STRATA_CAT(name, STRATA_CONV_SUFFIX)
#define STRATA_INLINE static inline __attribute__((always_inline, target(STRATA_CONV_TARGET)))
#define STRATA_V STRATA_CONV_VEC
#define STRATA_L STRATA_CONV_LANES

STRATA_INLINE STRATA_V STRATA_FN(strata_conv_load)(const float *p) {
    STRATA_V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

STRATA_INLINE void STRATA_FN(strata_conv_store)(float *p, STRATA_V v) { __builtin_memcpy(p, &v, sizeof v); }

/// The relu mask of one vector: bit l of the L / 8 bytes at `m` says whether lane l of `v` is positive (a compare
/// into a mask register and one small store).
STRATA_INLINE void STRATA_FN(strata_conv_mask_store)(unsigned char *m, STRATA_V v) {
    STRATA_CONV_BVEC b = __builtin_convertvector(v > 0, STRATA_CONV_BVEC);
    __builtin_memcpy(m, &b, STRATA_L / 8);
}

/// `g` where the mask bits at `m` are set, else +0 (the relu gradient read from the mask).
STRATA_INLINE STRATA_V STRATA_FN(strata_conv_mask_apply)(const unsigned char *m, STRATA_V g) {
    STRATA_CONV_BVEC b;
    __builtin_memcpy(&b, m, STRATA_L / 8);
    STRATA_CONV_IVEC keep = -__builtin_convertvector(b, STRATA_CONV_IVEC);
    return (STRATA_V)((STRATA_CONV_IVEC)g & keep);
}

/// R consecutive output positions x NV filter vectors: y[r, :] = bias + sum over the rows and their kw * c window
/// scalars (x at rows[t] + off + r * c + j) of x * k[kys[t], j, :]; k, bias and y start at this tile's filters.
/// With `mask` (the relu mask bytes of y[0]) each stored vector's positive lanes are recorded, one bit per float.
STRATA_INLINE void STRATA_FN(strata_conv_tile)(const int R, const int NV, const float *const *rows, const long *kys,
                                               long count, long off, long J, long c, const float *k, long f,
                                               const float *bias, float *y, int relu, unsigned char *mask) {
    STRATA_V acc[STRATA_CONV_ACC][STRATA_CONV_MAXVEC];
    #pragma unroll
    for (int v = 0; v < NV; v++) {
        STRATA_V b0 = bias ? STRATA_FN(strata_conv_load)(bias + v * STRATA_L) : (STRATA_V)0;
        #pragma unroll
        for (int r = 0; r < R; r++) acc[r][v] = b0;
    }
    for (long t = 0; t < count; t++) {
        const float *xr = rows[t] + off;
        const float *kr = k + kys[t] * J * f;
        for (long j = 0; j < J; j++) {
            STRATA_V kv[STRATA_CONV_MAXVEC];
            #pragma unroll
            for (int v = 0; v < NV; v++) kv[v] = STRATA_FN(strata_conv_load)(kr + j * f + v * STRATA_L);
            #pragma unroll
            for (int r = 0; r < R; r++) {
                STRATA_V xb = (STRATA_V)(xr[r * c + j]);
                #pragma unroll
                for (int v = 0; v < NV; v++) acc[r][v] = __builtin_elementwise_fma(xb, kv[v], acc[r][v]);
            }
        }
    }
    #pragma unroll
    for (int r = 0; r < R; r++)
        #pragma unroll
        for (int v = 0; v < NV; v++) {
            STRATA_V a = acc[r][v];
            if (relu) a = __builtin_elementwise_max(a, (STRATA_V)0);
            STRATA_FN(strata_conv_store)(y + r * f + v * STRATA_L, a);
            if (mask) STRATA_FN(strata_conv_mask_store)(mask + (r * f + v * STRATA_L) / 8, a);
        }
}

/// One output row's positions for NV filter vectors, in tiles of as many positions as the accumulators allow; the
/// rest goes to one smaller tile (R/2 or 4 positions) that ends at the row's end, recomputing a few positions with
/// the same values when it overlaps the tiles before it.
STRATA_INLINE void STRATA_FN(strata_conv_row)(const int NV, const float *const *rows, const long *kys, long count,
                                              long J, long c, const float *k, long f, const float *bias, float *y,
                                              long ow, int relu, unsigned char *mask) {
    const int R = STRATA_CONV_ACC / NV, HALF = R / 2 > 4 ? R / 2 : 4;
#define STRATA_CONV_TILE_AT(RR, at) \
    STRATA_FN(strata_conv_tile)(RR, NV, rows, kys, count, (at) * c, J, c, k, f, bias, y + (at) * f, relu, \
                                mask ? mask + (at) * f / 8 : 0)
    long ox = 0;
    /* R + rest = 8 (the 6-position AVX2 tiles with 2 left: 26- and 98-wide rows): the last full tile and the rest
       become two 4-position tiles, computing no position twice. */
    long last = ow % R != 0 && R + ow % R == 8 && ow >= 8 ? ow - 8 : ow;
    for (; ox + R <= last; ox += R) STRATA_CONV_TILE_AT(R, ox);
    if (last < ow) {
        STRATA_CONV_TILE_AT(4, ox);
        STRATA_CONV_TILE_AT(4, ox + 4);
        return;
    }
    long rest = ow - ox;
    if (rest == 0) return;
    if (ow >= 4 && rest <= 4) {
        STRATA_CONV_TILE_AT(4, ow - 4);
    } else if (ow >= HALF && rest <= HALF) {
        STRATA_CONV_TILE_AT(HALF, ow - HALF);
    } else if (ow >= R) {
        STRATA_CONV_TILE_AT(R, ow - R);
    } else {
        for (; ox < ow; ox++) STRATA_CONV_TILE_AT(1, ox);
    }
#undef STRATA_CONV_TILE_AT
}

static inline __attribute__((target(STRATA_CONV_TARGET)))
void STRATA_FN(strata_conv_forward)(const float *x, long n, long h, long w, long c, long padTop, long padLeft,
                                    const float *k, long kh, long kw, long f, const float *bias, float *y, long oh,
                                    long ow, int relu, unsigned char *mask, float *scratch) {
    const float *rows[kh];
    long kys[kh];
    long J = kw * c;
    for (long s = 0; s < n; s++)
        for (long oy = 0; oy < oh; oy++) {
            long count = strata_conv_rows(x, s, h, w, c, padTop, padLeft, oy, kh, kw, ow, scratch, rows, kys);
            float *yr = y + (s * oh + oy) * ow * f;
            unsigned char *mr = mask ? mask + (s * oh + oy) * ow * f / 8 : 0;
            for (long g = 0; g < f;) {
                long nv = (f - g) / STRATA_L;
                if (nv > STRATA_CONV_MAXVEC) nv = STRATA_CONV_MAXVEC;
                const float *b = bias ? bias + g : 0;
                switch (nv) {
                case 1: STRATA_FN(strata_conv_row)(1, rows, kys, count, J, c, k + g, f, b, yr + g, ow, relu, mr ? mr + g / 8 : 0); break;
                case 2: STRATA_FN(strata_conv_row)(2, rows, kys, count, J, c, k + g, f, b, yr + g, ow, relu, mr ? mr + g / 8 : 0); break;
#if STRATA_CONV_MAXVEC > 2
                case 3: STRATA_FN(strata_conv_row)(3, rows, kys, count, J, c, k + g, f, b, yr + g, ow, relu, mr ? mr + g / 8 : 0); break;
                case 4: STRATA_FN(strata_conv_row)(4, rows, kys, count, J, c, k + g, f, b, yr + g, ow, relu, mr ? mr + g / 8 : 0); break;
#endif
                default: __builtin_trap();  // filters not a multiple of the lanes: the caller's contract
                }
                g += nv * STRATA_L;
            }
        }
}

/// JB window scalars x NV filter vectors of dk (at dk + j0 * f, this tile's filters) += sum over the row's positions
/// of x[ox * c + j0 + jb] dz[ox, :]. Tiles of at most half the accumulators (the first layer's few window scalars)
/// sum even and odd positions in two sets added at the end: one set alone is a chain of dependent FMAs too short to
/// hide their latency (measured 1.1-1.2x on vgg_like's first layer).
STRATA_INLINE void STRATA_FN(strata_conv_dk_tile)(const int JB, const int NV, const float *xr, const float *dz,
                                                  float *dk, long j0, long c, long f, long ow) {
    const int SETS = JB * NV * 2 <= STRATA_CONV_ACC ? 2 : 1;
    STRATA_V acc[2][STRATA_CONV_ACC][STRATA_CONV_MAXVEC];
    #pragma unroll
    for (int jb = 0; jb < JB; jb++)
        #pragma unroll
        for (int v = 0; v < NV; v++) {
            acc[0][jb][v] = STRATA_FN(strata_conv_load)(dk + (j0 + jb) * f + v * STRATA_L);
            acc[1][jb][v] = (STRATA_V)0;
        }
    long ox = 0;
    for (; ox + SETS <= ow; ox += SETS)
        #pragma unroll
        for (int e = 0; e < SETS; e++) {
            STRATA_V d[STRATA_CONV_MAXVEC];
            #pragma unroll
            for (int v = 0; v < NV; v++) d[v] = STRATA_FN(strata_conv_load)(dz + (ox + e) * f + v * STRATA_L);
            const float *xo = xr + (ox + e) * c + j0;
            #pragma unroll
            for (int jb = 0; jb < JB; jb++) {
                STRATA_V xb = (STRATA_V)(xo[jb]);
                #pragma unroll
                for (int v = 0; v < NV; v++) acc[e][jb][v] = __builtin_elementwise_fma(xb, d[v], acc[e][jb][v]);
            }
        }
    for (; ox < ow; ox++) {
        STRATA_V d[STRATA_CONV_MAXVEC];
        #pragma unroll
        for (int v = 0; v < NV; v++) d[v] = STRATA_FN(strata_conv_load)(dz + ox * f + v * STRATA_L);
        const float *xo = xr + ox * c + j0;
        #pragma unroll
        for (int jb = 0; jb < JB; jb++) {
            STRATA_V xb = (STRATA_V)(xo[jb]);
            #pragma unroll
            for (int v = 0; v < NV; v++) acc[0][jb][v] = __builtin_elementwise_fma(xb, d[v], acc[0][jb][v]);
        }
    }
    #pragma unroll
    for (int jb = 0; jb < JB; jb++)
        #pragma unroll
        for (int v = 0; v < NV; v++) {
            STRATA_V a = SETS == 2 ? acc[0][jb][v] + acc[1][jb][v] : acc[0][jb][v];
            STRATA_FN(strata_conv_store)(dk + (j0 + jb) * f + v * STRATA_L, a);
        }
}

/// One input row's contribution to one kernel row `dk` (J = kw * c rows of f), for NV filter vectors: full tiles,
/// then one tile of exactly the rows left (the first layer's J = 3 or 9 is a single tile, one pass over dz).
STRATA_INLINE void STRATA_FN(strata_conv_dk_row)(const int NV, const float *xr, const float *dz, float *dk, long J,
                                                 long c, long f, long ow) {
    const int JB = STRATA_CONV_ACC / NV;
    long j0 = 0;
    for (; J - j0 >= JB; j0 += JB) STRATA_FN(strata_conv_dk_tile)(JB, NV, xr, dz, dk, j0, c, f, ow);
    switch (J - j0) {
#define STRATA_DK_REST(m) \
    case m: \
        if (m < JB) STRATA_FN(strata_conv_dk_tile)(m < JB ? m : 1, NV, xr, dz, dk, j0, c, f, ow); \
        break;
    STRATA_DK_REST(1) STRATA_DK_REST(2) STRATA_DK_REST(3) STRATA_DK_REST(4) STRATA_DK_REST(5) STRATA_DK_REST(6)
    STRATA_DK_REST(7) STRATA_DK_REST(8) STRATA_DK_REST(9) STRATA_DK_REST(10) STRATA_DK_REST(11)
#if STRATA_CONV_ACC > 12
    STRATA_DK_REST(12) STRATA_DK_REST(13) STRATA_DK_REST(14) STRATA_DK_REST(15) STRATA_DK_REST(16)
    STRATA_DK_REST(17) STRATA_DK_REST(18) STRATA_DK_REST(19) STRATA_DK_REST(20) STRATA_DK_REST(21)
    STRATA_DK_REST(22) STRATA_DK_REST(23)
#endif
#undef STRATA_DK_REST
    default: break;
    }
}

/// One output row's dz (dy where the relu output y is positive when reluY is given, or where the forward's relu
/// mask bits are set when `mask` is, else dy itself, f a multiple of the lanes) and its bias-gradient sums (into db
/// when given): done per row so the row is in cache for dk.
STRATA_INLINE const float *STRATA_FN(strata_conv_dz_row)(const float *dy, const float *reluY, const unsigned char *mask,
                                                         float *dz, float *db, long ow, long f) {
    const float *d = dy;
    if (mask) {
        for (long i = 0; i < ow * f; i += STRATA_L)
            STRATA_FN(strata_conv_store)(dz + i, STRATA_FN(strata_conv_mask_apply)(mask + i / 8,
                                                                                 STRATA_FN(strata_conv_load)(dy + i)));
        d = dz;
    } else if (reluY) {
        for (long i = 0; i < ow * f; i += STRATA_L) {
            STRATA_V y = STRATA_FN(strata_conv_load)(reluY + i), g = STRATA_FN(strata_conv_load)(dy + i);
            STRATA_CONV_IVEC keep = y > 0;
            STRATA_FN(strata_conv_store)(dz + i, (STRATA_V)((STRATA_CONV_IVEC)g & keep));
        }
        d = dz;
    }
    if (db)
        for (long g = 0; g < f; g += STRATA_L) {
            STRATA_V sum = 0;
            for (long ox = 0; ox < ow; ox++) sum += STRATA_FN(strata_conv_load)(d + ox * f + g);
            STRATA_FN(strata_conv_store)(db + g, STRATA_FN(strata_conv_load)(db + g) + sum);
        }
    return d;
}

static inline __attribute__((target(STRATA_CONV_TARGET)))
void STRATA_FN(strata_conv_kernel_gradient)(const float *x, long n, long h, long w, long c, long padTop, long padLeft,
                                            const float *dy, const float *reluY, const unsigned char *mask, float *dz,
                                            long kh, long kw, long f, float *dk, float *db, long oh, long ow,
                                            float *scratch, int dzRow) {
    const float *rows[kh];
    long kys[kh];
    long J = kw * c;
    for (long s = 0; s < n; s++)
        for (long oy = 0; oy < oh; oy++) {
            long at = (s * oh + oy) * ow * f;
            const float *dzr = STRATA_FN(strata_conv_dz_row)(dy + at, reluY ? reluY + at : 0, mask ? mask + at / 8 : 0,
                                                           dzRow ? dz : dz + at, db, ow, f);
            long count = strata_conv_rows(x, s, h, w, c, padTop, padLeft, oy, kh, kw, ow, scratch, rows, kys);
            for (long t = 0; t < count; t++)
                for (long g = 0; g < f;) {
                    long nv = (f - g) / STRATA_L;
                    if (nv > STRATA_CONV_MAXVEC) nv = STRATA_CONV_MAXVEC;
                    float *d = dk + kys[t] * J * f + g;
                    switch (nv) {
                    case 1: STRATA_FN(strata_conv_dk_row)(1, rows[t], dzr + g, d, J, c, f, ow); break;
                    case 2: STRATA_FN(strata_conv_dk_row)(2, rows[t], dzr + g, d, J, c, f, ow); break;
#if STRATA_CONV_MAXVEC > 2
                    case 3: STRATA_FN(strata_conv_dk_row)(3, rows[t], dzr + g, d, J, c, f, ow); break;
                    case 4: STRATA_FN(strata_conv_dk_row)(4, rows[t], dzr + g, d, J, c, f, ow); break;
#endif
                    default: __builtin_trap();
                    }
                    g += nv * STRATA_L;
                }
        }
}

#undef STRATA_CONV_SUFFIX
#undef STRATA_CONV_TARGET
#undef STRATA_CONV_VEC
#undef STRATA_CONV_IVEC
#undef STRATA_CONV_BVEC
#undef STRATA_CONV_LANES
#undef STRATA_CONV_MAXVEC
#undef STRATA_CONV_ACC
#undef STRATA_FN
#undef STRATA_INLINE
#undef STRATA_V
#undef STRATA_L
