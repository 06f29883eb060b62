// One instruction set's max pooling loops; pool_kernels.h includes this file once per set after defining
// STRATA_POOL_SUFFIX, _TARGET, _VEC (float vector), _IVEC (int vector of the same lanes), _BVEC (bytes, as many
// lanes) and _LANES. Explicit vectors: the Clang importer does not auto-vectorise, and the select of a value and its
// position would stay scalar.
#define STRATA_POOL_CAT_(a, b) a##b
#define STRATA_POOL_CAT(a, b) STRATA_POOL_CAT_(a, b)
#define STRATA_POOL_FN(name) STRATA_POOL_CAT(name, STRATA_POOL_SUFFIX)
#define STRATA_PV STRATA_POOL_VEC
#define STRATA_PI STRATA_POOL_IVEC
#define STRATA_PB STRATA_POOL_BVEC
#define STRATA_PL STRATA_POOL_LANES

/// One output position's channels: each channel vector's maximum and its window position stay in registers over the
/// window and are stored once (the loop before read and wrote y and argmax at every window position: 2.4x the time
/// on mnist_cnn's pool); the position as a byte (a quarter of the Int32 flat index's traffic). Inlined with kh, kw
/// constant for 2x2, so the window loop unrolls.
static inline __attribute__((target(STRATA_POOL_TARGET), always_inline))
void STRATA_POOL_FN(strata_max_pool_position)(const float *x, long w, long c, long cv, long kh, long kw, float *yo,
                                              unsigned char *ao) {
    long j = 0;
    for (; j < cv; j += STRATA_PL) {
        STRATA_PV m;
        __builtin_memcpy(&m, x + j, sizeof m);
        STRATA_PI a = 0;
        for (long ky = 0; ky < kh; ky++)
            for (long kx = ky == 0 ? 1 : 0; kx < kw; kx++) {
                STRATA_PV v;
                __builtin_memcpy(&v, x + (ky * w + kx) * c + j, sizeof v);
                STRATA_PI better = v > m; /* all ones where strictly greater: the first maximum wins */
                m = (STRATA_PV)(((STRATA_PI)v & better) | ((STRATA_PI)m & ~better));
                a = ((STRATA_PI)(int)(ky * kw + kx) & better) | (a & ~better);
            }
        STRATA_PB b = __builtin_convertvector(a, STRATA_PB);
        __builtin_memcpy(yo + j, &m, sizeof m);
        __builtin_memcpy(ao + j, &b, sizeof b);
    }
    for (; j < c; j++) {
        float m = x[j];
        int a = 0;
        for (long ky = 0; ky < kh; ky++)
            for (long kx = ky == 0 ? 1 : 0; kx < kw; kx++) {
                float v = x[(ky * w + kx) * c + j];
                if (v > m) { m = v; a = (int)(ky * kw + kx); }
            }
        yo[j] = m;
        ao[j] = (unsigned char)a;
    }
}

static inline __attribute__((target(STRATA_POOL_TARGET)))
void STRATA_POOL_FN(strata_max_pool_forward)(const float *x, long first, long n, long h, long w, long c, long kh,
                                             long kw, long sh, long sw, float *y, unsigned char *argmax, long oh,
                                             long ow) {
    long cv = c - c % STRATA_PL;
    for (long s = first; s < n; s++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                const float *xi = x + ((s * h + oy * sh) * w + ox * sw) * c;
                long out = ((s * oh + oy) * ow + ox) * c;
                if (kh == 2 && kw == 2)
                    STRATA_POOL_FN(strata_max_pool_position)(xi, w, c, cv, 2, 2, y + out, argmax + out);
                else
                    STRATA_POOL_FN(strata_max_pool_position)(xi, w, c, cv, kh, kw, y + out, argmax + out);
            }
}

static inline __attribute__((target(STRATA_POOL_TARGET)))
void STRATA_POOL_FN(strata_max_pool_backward)(const float *dy, const unsigned char *argmax, long first, long n, long h,
                                              long w, long c, long kh, long kw, float *dx, long oh, long ow) {
    long cv = c - c % STRATA_PL;
    for (long s = first; s < n; s++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                long base = ((s * h + oy * kh) * w + ox * kw) * c, out = ((s * oh + oy) * ow + ox) * c;
                const float *go = dy + out;
                const unsigned char *ao = argmax + out;
                for (long ky = 0; ky < kh; ky++)
                    for (long kx = 0; kx < kw; kx++) {
                        int k = (int)(ky * kw + kx);
                        float *di = dx + base + (ky * w + kx) * c;
                        long j = 0;
                        for (; j < cv; j += STRATA_PL) {
                            STRATA_PB b;
                            STRATA_PI g;
                            __builtin_memcpy(&b, ao + j, sizeof b);
                            __builtin_memcpy(&g, go + j, sizeof g);
                            g &= __builtin_convertvector(b, STRATA_PI) == (STRATA_PI)k;
                            __builtin_memcpy(di + j, &g, sizeof g);
                        }
                        for (; j < c; j++) di[j] = ao[j] == k ? go[j] : 0.0f;
                    }
            }
}

#undef STRATA_POOL_SUFFIX
#undef STRATA_POOL_TARGET
#undef STRATA_POOL_VEC
#undef STRATA_POOL_IVEC
#undef STRATA_POOL_BVEC
#undef STRATA_POOL_LANES
#undef STRATA_POOL_FN
#undef STRATA_PV
#undef STRATA_PI
#undef STRATA_PB
#undef STRATA_PL
