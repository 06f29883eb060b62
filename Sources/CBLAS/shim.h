#include <cblas.h>
#include "update_kernels.h"
#include "conv_kernels.h"
#include "pool_kernels.h"
