#include <mpi.h>
#include <stdio.h>
static inline MPI_Comm     cmpi_comm_world(void)    { return MPI_COMM_WORLD; }
static inline MPI_Comm     cmpi_comm_self(void)     { return MPI_COMM_SELF; }
static inline MPI_Datatype cmpi_float(void)         { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void)        { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int32(void)         { return MPI_INT32_T; }
static inline MPI_Datatype cmpi_int64(void)         { return MPI_INT64_T; }
static inline MPI_Datatype cmpi_byte(void)          { return MPI_BYTE; }
static inline MPI_Op       cmpi_sum(void)           { return MPI_SUM; }
static inline MPI_Op       cmpi_max(void)           { return MPI_MAX; }
static inline MPI_Op       cmpi_min(void)           { return MPI_MIN; }
static inline void *       cmpi_in_place(void)      { return MPI_IN_PLACE; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status * cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status * cmpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline void cmpi_stdout_line_buffered(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
static inline MPI_Info     cmpi_info_null(void)     { return MPI_INFO_NULL; }
static inline int          cmpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Comm     cmpi_comm_null(void)     { return MPI_COMM_NULL; }

// Gradient compression (`GradientCompression`): the compressed all-reduce sums 16-bit values with these ops, one
// per format, created once per communicator (MPI_Op_create, commutative) and freed before MPI_Finalize. Each
// addition widens to float, adds and rounds back (compress_kernels.h); the vector width is the CPU's, asked once
// per call (MPI gives an op no other argument).
#include "../CStrataKernels/include/compress_kernels.h"
long strata_conv_vector_width(void);
static inline MPI_Datatype cmpi_uint16(void)        { return MPI_UINT16_T; }
static void cmpi_sum_fp16(void *in, void *inout, int *len, MPI_Datatype *type) {
    (void)type;
    strata_c16_sum((const uint16_t *)in, (uint16_t *)inout, *len, 0, strata_conv_vector_width());
}
static void cmpi_sum_bf16(void *in, void *inout, int *len, MPI_Datatype *type) {
    (void)type;
    strata_c16_sum((const uint16_t *)in, (uint16_t *)inout, *len, 1, strata_conv_vector_width());
}
/// The sum op of one format (bf16 != 0: bfloat16, else fp16).
static inline int cmpi_op_create_sum16(int bf16, MPI_Op *op) { return MPI_Op_create(bf16 ? cmpi_sum_bf16 : cmpi_sum_fp16, 1, op); }
static inline MPI_Op cmpi_op_null(void) { return MPI_OP_NULL; }
/// The kernels on untyped 16-bit buffers (Swift keeps them in float storage, two values to a float).
static inline void cmpi_round16(const float *x, void *h, long n, int bf16, long lanes) { strata_c16_to16(x, (uint16_t *)h, n, bf16, lanes); }
static inline void cmpi_widen16(const void *h, float *x, long n, int bf16, long lanes) { strata_c16_from16((const uint16_t *)h, x, n, bf16, lanes); }
static inline void cmpi_sum16(const void *a, void *b, long n, int bf16, long lanes) { strata_c16_sum((const uint16_t *)a, (uint16_t *)b, n, bf16, lanes); }
static inline long cmpi_vector_width(void) { return strata_conv_vector_width(); }
