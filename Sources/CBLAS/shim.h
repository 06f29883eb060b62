#include <cblas.h>
#include "update_kernels.h"
