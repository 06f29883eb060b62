#include <cblas.h>
#include "update_kernels.h"
#include "conv_kernels.h"
