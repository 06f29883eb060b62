// launch/conv-batch's harness (issue 17): Strata's direct convolution kernels (the AVX2 build of
// Sources/CStrataKernels/include/conv_kernels.h, as a relu Conv2D's training step calls them: forward with the relu
// mask, kernel gradient from the mask, input gradient) outside Strata, to tell the kernels' own rate apart from the
// framework's and the host's:
//   batch  per-pass GFLOP/s of this thread's CPU time at batch 4, 8, ... up to N, each batch size running N samples
//          per measurement at fresh offsets (a small batch does not find its data in cache), batch sizes interleaved
//          in every round, best round: does the rate depend on the batch (the working set)?
//   cpus   the same passes pinned to each CPU in turn, wall and CPU time, best round: is one core slower than the
//          other? (A host that shares a vCPU's core with other work slows its CPU time too.)
//   threads the batch on 1 thread, then split in two contiguous halves on 2 threads pinned to CPUs 0 and 1 (a spin
//          barrier, no pool), wall time, rounds interleaved: the kernels' own 2-thread scaling.
//   wthreads as threads with the three passes on Winograd (forward and input gradient F(2x2, 3x3), kernel gradient
//          F(3x3, 2x2)), as a 3x3 layer with 16+ channels runs them.
//   dw     the kernel gradient alone, direct against Winograd F(3x3, 2x2), this thread's CPU time, best round.
//   winograd the forward (relu + mask) and the input gradient on the direct kernels and on Winograd F(2x2, 3x3)
//          (winograd_kernels.h, its kernel transform included), this thread's CPU time, rounds interleaved, best round;
//          GFLOP/s counted as the direct convolution's flops (as strata-bench's profile counts them).
// usage: conv_batch MODE HEIGHT WIDTH CHANNELS FILTERS BATCH ROUNDS (3x3 valid windows)
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "winograd_kernels.h"

long strata_conv_vector_width(void) { return 8; }

static long H, W, C, F, OH, OW;
static float *x, *y, *dy, *dz, *dx, *k, *kf, *bias, *dk[2], *db[2], *scratch[2];
static unsigned char *mask;

static double seconds(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *floats(long n) {
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) { fprintf(stderr, "conv_batch: out of memory\n"); exit(1); }
    for (long i = 0; i < n; i++) p[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    return p;
}

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (pthread_setaffinity_np(pthread_self(), sizeof s, &s) != 0) { fprintf(stderr, "conv_batch: cannot pin to CPU %d\n", cpu); exit(1); }
}

static int wino;                /* wthreads: the passes on Winograd, as the layer runs them */
static float *u, *uf, *wscratch[2];

/// One pass (0 forward, 1 kernel gradient, 2 input gradient) over samples [s0, s0 + n) with thread t's scratch.
static void pass(int p, long s0, long n, int t) {
    long xs = H * W * C, ys = OH * OW * F;
    if (wino && p == 0)
        strata_winograd_forward(8, x + s0 * xs, n, H, W, C, 0, 0, u, F, bias, y + s0 * ys, OH, OW, 1, mask + s0 * ys / 8, wscratch[t]);
    else if (wino && p == 1)
        strata_winograd_kernel_gradient(8, x + s0 * xs, n, H, W, C, 0, 0, dy + s0 * ys, 0, mask + s0 * ys / 8, dz + s0 * ys, 0, F, dk[t], db[t], OH, OW, wscratch[t]);
    else if (wino)
        strata_winograd_forward(8, dz + s0 * ys, n, OH, OW, F, 2, 2, uf, C, 0, dx + s0 * xs, H, W, 0, 0, wscratch[t]);
    else if (p == 0)
        strata_conv_forward_relu_mask(8, x + s0 * xs, n, H, W, C, 0, 0, k, 3, 3, F, bias, y + s0 * ys, OH, OW, 1, mask + s0 * ys / 8, scratch[t]);
    else if (p == 1)
        strata_conv_kernel_gradient_relu_mask(8, x + s0 * xs, n, H, W, C, 0, 0, dy + s0 * ys, 0, mask + s0 * ys / 8, dz + s0 * ys, 0, 3, 3, F, dk[t], db[t], OH, OW, scratch[t]);
    else
        strata_conv_forward(8, dz + s0 * ys, n, OH, OW, F, 2, 2, kf, 3, 3, C, 0, dx + s0 * xs, H, W, 0, scratch[t]);
}

static void step(long s0, long n, int t) { for (int p = 0; p < 3; p++) pass(p, s0, n, t); }

static atomic_long go, done;
static long half0, half1;
static void *second(void *arg) {
    (void)arg;
    pin(1);
    long seen = 0;
    for (;;) {
        long g;
        while ((g = atomic_load(&go)) == seen) __builtin_ia32_pause();
        if (g < 0) return 0;
        seen = g;
        step(half0, half1, 1);
        atomic_fetch_add(&done, 1);
    }
}

int main(int argc, char **argv) {
    if (argc != 8) { fprintf(stderr, "usage: conv_batch batch|cpus|threads|wthreads|winograd|dw HEIGHT WIDTH CHANNELS FILTERS BATCH ROUNDS\n"); return 2; }
    const char *mode = argv[1];
    H = atol(argv[2]); W = atol(argv[3]); C = atol(argv[4]); F = atol(argv[5]);
    long N = atol(argv[6]), rounds = atol(argv[7]);
    if (H < 3 || W < 3 || C % 8 || F % 8 || N < 1 || rounds < 1) { fprintf(stderr, "conv_batch: need HEIGHT, WIDTH >= 3, CHANNELS and FILTERS multiples of 8\n"); return 2; }
    OH = H - 2; OW = W - 2;
    x = floats(N * H * W * C); dx = floats(N * H * W * C);
    y = floats(N * OH * OW * F); dy = floats(N * OH * OW * F); dz = floats(N * OH * OW * F);
    mask = (unsigned char *)floats(N * OH * OW * F / 32 + 16);
    k = floats(9 * C * F); kf = floats(9 * C * F); bias = floats(F);
    for (int t = 0; t < 2; t++) { dk[t] = floats(9 * C * F); db[t] = floats(F); scratch[t] = floats(3 * (W + 3) * (C > F ? C : F) + OW * F); }
    double flop = 2.0 * OH * OW * 9 * C * F;            /* forward and kernel gradient, per sample */
    double flopDx = 2.0 * H * W * 9 * C * F;            /* input gradient (a full convolution of dz), per sample */
    printf("conv_batch %s: %ldx%ldx%ld -> %ld filters, 3x3 valid, %ld samples, %ld rounds\n", mode, H, W, C, F, N, rounds);
    if (!strcmp(mode, "batch")) {
        long sizes[16]; int count = 0;
        for (long b = 4; b < N && count < 15; b *= 2) sizes[count++] = b;
        sizes[count++] = N;
        double best[16][3];
        for (int i = 0; i < count; i++) for (int p = 0; p < 3; p++) best[i][p] = 1e30;
        for (long r = 0; r < rounds; r++)
            for (int i = 0; i < count; i++) {
                double t[3] = {0, 0, 0};
                for (long s0 = 0; s0 + sizes[i] <= N; s0 += sizes[i])
                    for (int p = 0; p < 3; p++) {
                        double a = seconds(CLOCK_THREAD_CPUTIME_ID);
                        pass(p, s0, sizes[i], 0);
                        t[p] += seconds(CLOCK_THREAD_CPUTIME_ID) - a;
                    }
                long done = N / sizes[i] * sizes[i];
                for (int p = 0; p < 3; p++) if (t[p] / done < best[i][p]) best[i][p] = t[p] / done;
            }
        for (int i = 0; i < count; i++)
            printf("  batch %4ld (input %7.1f MB): forward %6.1f  kernel gradient %6.1f  input gradient %6.1f GFLOP/s\n", sizes[i],
                   sizes[i] * H * W * C * 4e-6, flop / best[i][0] * 1e-9, flop / best[i][1] * 1e-9, flopDx / best[i][2] * 1e-9);
    } else if (!strcmp(mode, "cpus")) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        double best[64], bestCPU[64];
        for (long c = 0; c < cpus && c < 64; c++) best[c] = bestCPU[c] = 1e30;
        for (long r = 0; r < rounds; r++)
            for (long c = 0; c < cpus && c < 64; c++) {
                pin((int)c);
                double a = seconds(CLOCK_MONOTONIC), u = seconds(CLOCK_THREAD_CPUTIME_ID);
                step(0, N, 0);
                double t = seconds(CLOCK_MONOTONIC) - a, tu = seconds(CLOCK_THREAD_CPUTIME_ID) - u;
                if (t < best[c]) best[c] = t;
                if (tu < bestCPU[c]) bestCPU[c] = tu;
            }
        for (long c = 0; c < cpus && c < 64; c++)
            printf("  CPU %ld: %6.1f GFLOP/s of wall time, %6.1f of the thread's CPU time (the layer's training step, best round)\n", c,
                   (2 * flop + flopDx) * N / best[c] * 1e-9, (2 * flop + flopDx) * N / bestCPU[c] * 1e-9);
    } else if (!strcmp(mode, "threads") || !strcmp(mode, "wthreads")) {
        if (mode[0] == 'w') {
            wino = 1;
            u = floats(16 * C * F); uf = floats(16 * C * F);
            strata_winograd_kernel_transform(k, C, F, u);
            strata_winograd_kernel_transform(kf, F, C, uf);
            long a = strata_winograd_scratch(C > F ? C : F, C > F ? C : F, W), b = strata_winograd_dw_scratch(C, F, OW);
            for (int t = 0; t < 2; t++) wscratch[t] = floats(a > b ? a : b);
        }
        pin(0);
        half0 = N / 2; half1 = N - N / 2;
        pthread_t th;
        pthread_create(&th, 0, second, 0);
        double best1 = 1e30, best2 = 1e30, sum1 = 0, sum2 = 0;
        for (long r = 0; r < rounds; r++) {
            double a = seconds(CLOCK_MONOTONIC);
            step(0, N, 0);
            double b = seconds(CLOCK_MONOTONIC);
            atomic_store(&done, 0);
            atomic_store(&go, r + 1);
            step(0, N / 2, 0);
            while (atomic_load(&done) < 1) __builtin_ia32_pause();
            double c = seconds(CLOCK_MONOTONIC);
            if (b - a < best1) best1 = b - a;
            if (c - b < best2) best2 = c - b;
            sum1 += b - a; sum2 += c - b;
        }
        atomic_store(&go, -1);
        pthread_join(th, 0);
        double work = (2 * flop + flopDx) * N;
        printf("  1 thread %6.1f GFLOP/s, 2 threads (halves, CPUs 0 and 1) %6.1f GFLOP/s: %.2fx (best rounds), %.2fx (mean)\n",
               work / best1 * 1e-9, work / best2 * 1e-9, best1 / best2, sum1 / sum2);
    } else if (!strcmp(mode, "winograd")) {
        float *u = floats(16 * C * F), *uf = floats(16 * C * F);
        float *ws = floats(strata_winograd_scratch(C > F ? C : F, C > F ? C : F, W));
        double best[4] = {1e30, 1e30, 1e30, 1e30};
        for (long r = 0; r < rounds; r++)
            for (int p = 0; p < 4; p++) {
                double a = seconds(CLOCK_THREAD_CPUTIME_ID);
                if (p == 0) pass(0, 0, N, 0);
                if (p == 1) {
                    strata_winograd_kernel_transform(k, C, F, u);
                    strata_winograd_forward(8, x, N, H, W, C, 0, 0, u, F, bias, y, OH, OW, 1, mask, ws);
                }
                if (p == 2) pass(2, 0, N, 0);
                if (p == 3) {
                    strata_winograd_kernel_transform(kf, F, C, uf);
                    strata_winograd_forward(8, dz, N, OH, OW, F, 2, 2, uf, C, 0, dx, H, W, 0, 0, ws);
                }
                double t = seconds(CLOCK_THREAD_CPUTIME_ID) - a;
                if (t < best[p]) best[p] = t;
            }
        printf("  forward: direct %6.1f, Winograd %6.1f GFLOP/s (%.2fx); input gradient: direct %6.1f, Winograd %6.1f GFLOP/s (%.2fx)\n",
               flop * N / best[0] * 1e-9, flop * N / best[1] * 1e-9, best[0] / best[1], flopDx * N / best[2] * 1e-9,
               flopDx * N / best[3] * 1e-9, best[2] / best[3]);
    } else if (!strcmp(mode, "dw")) {
        /* The kernel gradient alone (relu mask, dz kept, bias sums): direct against Winograd F(3x3, 2x2), this thread's
           CPU time, rounds interleaved, best round; and the two results' largest difference over dk's largest entry. */
        float *ws = floats(strata_winograd_dw_scratch(C, F, OW));
        float *dkw = floats(9 * C * F), *dbw = floats(F);
        pass(0, 0, N, 0); /* the relu mask */
        double best[2] = {1e30, 1e30};
        for (long r = 0; r < rounds; r++)
            for (int p = 0; p < 2; p++) {
                memset(p ? dkw : dk[0], 0, 9 * C * F * sizeof(float));
                memset(p ? dbw : db[0], 0, F * sizeof(float));
                double a = seconds(CLOCK_THREAD_CPUTIME_ID);
                if (p == 0) pass(1, 0, N, 0);
                else strata_winograd_kernel_gradient(8, x, N, H, W, C, 0, 0, dy, 0, mask, dz, 0, F, dkw, dbw, OH, OW, ws);
                double t = seconds(CLOCK_THREAD_CPUTIME_ID) - a;
                if (t < best[p]) best[p] = t;
            }
        double worst = 0, scale = 0;
        for (long i = 0; i < 9 * C * F; i++) {
            double d = dkw[i] - dk[0][i];
            if (d < 0) d = -d;
            if (d > worst) worst = d;
            if ((dk[0][i] < 0 ? -dk[0][i] : dk[0][i]) > scale) scale = dk[0][i] < 0 ? -dk[0][i] : dk[0][i];
        }
        printf("  kernel gradient: direct %6.1f, Winograd %6.1f GFLOP/s (%.2fx); max |difference| %.2e of max |dk| %.2e\n",
               flop * N / best[0] * 1e-9, flop * N / best[1] * 1e-9, best[0] / best[1], worst, scale);
    } else {
        fprintf(stderr, "conv_batch: unknown mode '%s' (batch, cpus, threads, wthreads, winograd or dw)\n", mode);
        return 2;
    }
    return 0;
}
