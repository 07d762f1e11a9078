#ifndef CALLTRIAGE_CBLAS_SHIM_H
#define CALLTRIAGE_CBLAS_SHIM_H
// OpenBLAS (Debian libopenblas-dev): runtime CPU dispatch, so one binary uses AVX2/AVX-512
// where the CPU has them and SSE2 elsewhere.
#include <cblas.h>
#endif
