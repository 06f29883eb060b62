// Element-wise optimizer updates that must vectorise: Swift's Float.squareRoot() lowers to a scalar sqrtf with an
// errno fallback, which stops LLVM's loop vectoriser. __builtin_elementwise_sqrt is IEEE sqrt without errno, so
// these loops become SIMD with the same per-element operations in the same order as the Swift reference loops
// (contraction off: no FMA, so the results are bit-identical whatever the target CPU).
#ifndef STRATA_UPDATE_KERNELS_H
#define STRATA_UPDATE_KERNELS_H

/// RMSprop without momentum, not centered: a = r a + c g^2; p -= lr g / sqrt(a + eps).
static inline void strata_rmsprop_update(float *restrict p, const float *restrict g, float *restrict a, long n,
                                         float r, float c, float lr, float eps) {
#pragma clang fp contract(off)
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float ai = r * a[i] + c * gi * gi;
        a[i] = ai;
        p[i] -= lr * gi / __builtin_elementwise_sqrt(ai + eps);
    }
}

/// Adam without amsgrad: m += (g - m) c1; v += (g^2 - v) c2; p -= alpha m / (sqrt(v) + eps).
static inline void strata_adam_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                                      long n, float c1, float c2, float alpha, float eps) {
#pragma clang fp contract(off)
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * c1;
        m[i] = mi;
        float vi = v[i] + (gi * gi - v[i]) * c2;
        v[i] = vi;
        p[i] -= alpha * mi / (__builtin_elementwise_sqrt(vi) + eps);
    }
}

#endif
