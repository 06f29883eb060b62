// launch/dense-kernels: Dense's small-batch kernels (Sources/CStrataKernels/include/dense_kernels.h) against
// OpenBLAS's sgemm at the same shapes, one thread, CPU time of the calling thread (read under load too). Forward
// z = x W; backward dx = dz W^T plus dW = x^T dz (OpenBLAS: dW in the 384-row blocks Dense used, beta 0).
// Usage: dense_kernels M K N ROUNDS REPEATS
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dense_kernels.h"

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *floats(long n) {
    float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
    for (long i = 0; i < n; i++) p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return p;
}

static double worst(const float *a, const float *b, long n) {
    double e = 0;
    for (long i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]) / (1 + fabs(b[i])));
    return e;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: dense_kernels M K N ROUNDS REPEATS\n");
        return 2;
    }
    long m = atol(argv[1]), k = atol(argv[2]), n = atol(argv[3]);
    int rounds = atoi(argv[4]), reps = atoi(argv[5]);
    if (m < 1 || m > STRATA_DENSE_MAX_M || k < 1 || n < 1 || rounds < 1 || reps < 1) {
        fprintf(stderr, "dense_kernels: need 1 <= M <= %d and positive K, N, ROUNDS, REPEATS\n", STRATA_DENSE_MAX_M);
        return 2;
    }
    openblas_set_num_threads(1);
    float *x = floats(m * k), *w = floats(k * n), *dz = floats(m * n);
    float *z0 = floats(m * n), *z1 = floats(m * n), *dx0 = floats(m * k), *dx1 = floats(m * k);
    float *dw0 = floats(k * n), *dw1 = floats(k * n);
    float *fs = floats(strata_dense_forward_scratch(0, n)), *bs = floats(strata_dense_backward_scratch(m, n));
    double flops = 2.0 * m * k * n, best[4] = {1e9, 1e9, 1e9, 1e9};
    for (int r = 0; r < rounds; r++) {  // alternated, best of the rounds
        double t0 = cpu_seconds();
        for (int i = 0; i < reps; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, x, k, w, n, 0, z0, n);
        double t1 = cpu_seconds();
        for (int i = 0; i < reps; i++) strata_dense_forward_avx2(m, k, 0, n, x, k, w, n, z1, n, 0, fs);
        double t2 = cpu_seconds();
        for (int i = 0; i < reps; i++) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, n, 1, dz, n, w, n, 0, dx0, k);
            for (long lo = 0; lo < k; lo += 384)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k - lo < 384 ? k - lo : 384, n, m, 1, x + lo, k,
                            dz, n, 0, dw0 + lo * n, n);
        }
        double t3 = cpu_seconds();
        for (int i = 0; i < reps; i++) {
            strata_dense_pack_gradient(m, n, dz, n, bs);
            strata_dense_backward_avx2(m, n, 0, k, x, k, bs, w, n, dx1, k, dw1, n, 0);
        }
        double t4 = cpu_seconds();
        double t[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
        for (int j = 0; j < 4; j++) best[j] = fmin(best[j], t[j] / reps);
    }
    printf("dense %ldx%ldx%ld: forward OpenBLAS %.2f ms (%.1f GFLOP/s) kernels %.2f ms (%.1f) %.2fx | backward OpenBLAS "
           "%.2f ms (%.1f) kernels %.2f ms (%.1f) %.2fx | worst relative difference z %.1e dx %.1e dW %.1e\n",
           m, k, n, best[0] * 1e3, flops / best[0] * 1e-9, best[1] * 1e3, flops / best[1] * 1e-9, best[0] / best[1],
           best[2] * 1e3, 2 * flops / best[2] * 1e-9, best[3] * 1e3, 2 * flops / best[3] * 1e-9, best[2] / best[3],
           worst(z1, z0, m * n), worst(dx1, dx0, m * k), worst(dw1, dw0, k * n));
    return 0;
}
