// The lane kernels for the x86-64 baseline, and any other processor: the compiler flags come from
// engine/CMakeLists.txt.
#define CXRISK_ISA isa_base
#define CXRISK_LANE_LOOPS 0
#include "lane_kernels.inc"
