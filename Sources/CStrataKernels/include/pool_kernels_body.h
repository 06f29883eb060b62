// One instruction set's max pooling loops; pool_kernels.h includes this file once per set after defining
// STRATA_POOL_SUFFIX, _TARGET, _VEC (float vector), _IVEC (int vector of the same lanes), _LANES and _IOTA
// (0, 1, ... as an int vector). Explicit vectors: the Clang importer does not auto-vectorise, and the select of a
// value and its index would stay scalar.
#define STRATA_POOL_CAT_(a, b) a##b
#define STRATA_POOL_CAT(a, b) STRATA_POOL_CAT_(a, b)
#define STRATA_POOL_FN(name) STRATA_POOL_CAT(name, STRATA_POOL_SUFFIX)
#define STRATA_PV STRATA_POOL_VEC
#define STRATA_PI STRATA_POOL_IVEC
#define STRATA_PL STRATA_POOL_LANES

/// Each channel vector's maximum and argmax stay in registers over the window and are stored once (the previous
/// loop read and wrote y and argmax at every window position: 2.4x the time on mnist_cnn's pool).
static inline __attribute__((target(STRATA_POOL_TARGET)))
void STRATA_POOL_FN(strata_max_pool_forward)(const float *x, long first, long n, long h, long w, long c, long kh,
                                             long kw, long sh, long sw, float *y, int *argmax, long oh, long ow) {
    long cv = c - c % STRATA_PL;
    for (long s = first; s < n; s++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                long base = ((s * h + oy * sh) * w + ox * sw) * c, out = ((s * oh + oy) * ow + ox) * c;
                float *yo = y + out;
                int *ao = argmax + out;
                long j = 0;
                for (; j < cv; j += STRATA_PL) {
                    STRATA_PV m;
                    __builtin_memcpy(&m, x + base + j, sizeof m);
                    STRATA_PI a = (STRATA_PI)(int)(base + j) + STRATA_POOL_IOTA;
                    for (long ky = 0; ky < kh; ky++)
                        for (long kx = ky == 0 ? 1 : 0; kx < kw; kx++) {
                            long at = base + (ky * w + kx) * c + j;
                            STRATA_PV v;
                            __builtin_memcpy(&v, x + at, sizeof v);
                            STRATA_PI better = v > m;  /* all ones where strictly greater: first maximum wins */
                            m = (STRATA_PV)(((STRATA_PI)v & better) | ((STRATA_PI)m & ~better));
                            a = (((STRATA_PI)(int)at + STRATA_POOL_IOTA) & better) | (a & ~better);
                        }
                    __builtin_memcpy(yo + j, &m, sizeof m);
                    __builtin_memcpy(ao + j, &a, sizeof a);
                }
                for (; j < c; j++) {
                    float m = x[base + j];
                    int a = (int)(base + j);
                    for (long ky = 0; ky < kh; ky++)
                        for (long kx = ky == 0 ? 1 : 0; kx < kw; kx++) {
                            long at = base + (ky * w + kx) * c + j;
                            if (x[at] > m) { m = x[at]; a = (int)at; }
                        }
                    yo[j] = m;
                    ao[j] = a;
                }
            }
}

static inline __attribute__((target(STRATA_POOL_TARGET)))
void STRATA_POOL_FN(strata_max_pool_backward)(const float *dy, const int *argmax, long first, long n, long h, long w,
                                              long c, long kh, long kw, float *dx, long oh, long ow) {
    long cv = c - c % STRATA_PL;
    for (long s = first; s < n; s++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                long base = ((s * h + oy * kh) * w + ox * kw) * c, out = ((s * oh + oy) * ow + ox) * c;
                const float *go = dy + out;
                const int *ao = argmax + out;
                for (long ky = 0; ky < kh; ky++)
                    for (long kx = 0; kx < kw; kx++) {
                        long at = base + (ky * w + kx) * c;
                        float *di = dx + at;
                        long j = 0;
                        for (; j < cv; j += STRATA_PL) {
                            STRATA_PI a, g;
                            __builtin_memcpy(&a, ao + j, sizeof a);
                            __builtin_memcpy(&g, go + j, sizeof g);
                            STRATA_PI hit = a == (STRATA_PI)(int)(at + j) + STRATA_POOL_IOTA;
                            g &= hit;
                            __builtin_memcpy(di + j, &g, sizeof g);
                        }
                        for (; j < c; j++) di[j] = ao[j] == (int)(at + j) ? go[j] : 0.0f;
                    }
            }
}

#undef STRATA_POOL_SUFFIX
#undef STRATA_POOL_TARGET
#undef STRATA_POOL_VEC
#undef STRATA_POOL_IVEC
#undef STRATA_POOL_LANES
#undef STRATA_POOL_IOTA
#undef STRATA_POOL_FN
#undef STRATA_PV
#undef STRATA_PI
#undef STRATA_PL
