// Strata's own C kernels: loops that Swift does not vectorise as well as explicit vector code (direct convolution,
// max pooling, dropout's mask, optimizer updates with IEEE sqrt, the recurrent layers' per-step product against a packed kernel, Dense with a few rows against a large kernel).
// Swift reaches them only through the kernel wrapper files in Sources/StrataCore/Tensor (ConvKernels,
// PoolingKernels, DropoutKernels, UpdateKernels, PackedPanels, DenseKernels). The loops are static inline so they are
// compiled into their Swift callers exactly as before (same code, same results); cpu_features.c holds the one
// run-time choice of instruction set.
#ifndef STRATA_KERNELS_H
#define STRATA_KERNELS_H

#include "update_kernels.h"
#include "conv_kernels.h"
#include "pool_kernels.h"
#include "dropout_kernels.h"
#include "panel_gemm.h"
#include "dense_kernels.h"
#include "winograd_kernels.h"

/// A spin-wait hint (x86 PAUSE, ARM YIELD) for ThreadPool's waiting threads: cheaper for the core than a bare loop.
static inline void strata_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
