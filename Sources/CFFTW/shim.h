#ifndef CALLTRIAGE_CFFTW_SHIM_H
#define CALLTRIAGE_CFFTW_SHIM_H
#include <fftw3.h>
#endif
