// The lane kernels for AVX2 (x86-64-v3): the compiler flags come from engine/CMakeLists.txt.
#define CXRISK_ISA isa_v3
#define CXRISK_LANE_LOOPS 0
#include "lane_kernels.inc"
