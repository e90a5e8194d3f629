// The lane kernels for AVX-512 (x86-64-v4): the compiler flags come from engine/CMakeLists.txt.
#define CXRISK_ISA isa_v4
#include "lane_kernels.inc"
