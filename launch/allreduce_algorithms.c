/* launch/allreduce_algorithms.c: the call training makes for its gradients, timed outside Strata (issue 14):
 * MPI_Iallreduce in place of N floats in pieces of P (MPICommunicator.allReducePiece), then MPI_Waitall; next to
 * the blocking MPI_Allreduce of the same pieces (coll/tuned). Run by launch/allreduce-algorithms, once per libnbc
 * algorithm (OMPI_MCA_coll_libnbc_iallreduce_algorithm), which only the started call reads.
 * Prints one line per call kind: wall-time median [min-max] over REPS calls (each after a barrier) on rank 0, and
 * the CPU time of the calling thread, median, on every rank (a rank that waits spins: its CPU time is its wait too). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int provided, rank, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int n = argc > 1 ? atoi(argv[1]) : 8 << 20, piece = argc > 2 ? atoi(argv[2]) : 1 << 20;
    int reps = argc > 3 ? atoi(argv[3]) : 20;
    const char *label = argc > 4 ? argv[4] : "";
    if (n < 1 || piece < 1 || reps < 1 || reps > 1000) {
        if (rank == 0) fprintf(stderr, "usage: allreduce_algorithms [floats] [piece] [reps <= 1000] [label]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    float *buffer = malloc(sizeof(float) * (size_t)n);
    int pieces = (n + piece - 1) / piece;
    MPI_Request *requests = malloc(sizeof(MPI_Request) * (size_t)pieces);
    double *wall = malloc(sizeof(double) * reps), *cpu = malloc(sizeof(double) * reps);
    if (!buffer || !requests || !wall || !cpu) MPI_Abort(MPI_COMM_WORLD, 1);
    for (int i = 0; i < n; i++) buffer[i] = 1e-3f * (float)(i % 97);
    const char *names[2] = {"started (MPI_Iallreduce pieces, training's call)", "blocking (MPI_Allreduce pieces)"};
    for (int kind = 0; kind < 2; kind++) {
        for (int k = 0; k < reps; k++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime(), c0 = cpu_seconds();
            for (int p = 0, off = 0; p < pieces; p++, off += piece) {
                int count = n - off < piece ? n - off : piece;
                if (kind == 0)
                    MPI_Iallreduce(MPI_IN_PLACE, buffer + off, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &requests[p]);
                else
                    MPI_Allreduce(MPI_IN_PLACE, buffer + off, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            }
            if (kind == 0) MPI_Waitall(pieces, requests, MPI_STATUSES_IGNORE);
            wall[k] = MPI_Wtime() - t0;
            cpu[k] = cpu_seconds() - c0;
            for (int i = 0; i < n; i++) buffer[i] *= 1.0f / (float)size;  /* stays finite */
        }
        qsort(wall, reps, sizeof(double), by_value);
        qsort(cpu, reps, sizeof(double), by_value);
        double mine = cpu[reps / 2], *all = malloc(sizeof(double) * size);
        MPI_Gather(&mine, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            printf("%-12s %-50s wall %7.2f ms [%.2f-%.2f]  CPU per rank", label, names[kind], 1e3 * wall[reps / 2],
                   1e3 * wall[0], 1e3 * wall[reps - 1]);
            for (int r = 0; r < size; r++) printf(" %.2f", 1e3 * all[r]);
            printf(" ms\n");
        }
        free(all);
    }
    free(buffer); free(requests); free(wall); free(cpu);
    MPI_Finalize();
    return 0;
}
