// The run-time choice of instruction set for the kernels in include/: one CPU query, compiled once here rather
// than into every Swift file that imports the headers.
#include "CStrataKernels.h"

long strata_conv_vector_width(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 16;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 8;
#endif
    return 0;
}
