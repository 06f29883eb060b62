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
