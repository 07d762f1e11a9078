#ifndef CALLTRIAGE_CSNDFILE_SHIM_H
#define CALLTRIAGE_CSNDFILE_SHIM_H
#include <sndfile.h>
#endif
