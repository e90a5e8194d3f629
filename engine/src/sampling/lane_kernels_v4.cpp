// The lane kernels for AVX-512 (x86-64-v4): the compiler flags come from engine/CMakeLists.txt.
#define CXRISK_ISA isa_v4
#define CXRISK_LANE_LOOPS 1
#include "lane_kernels.inc"
