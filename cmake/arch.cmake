# The instruction set the tree is compiled for (NN_ARCH):
#   auto      AVX2 and FMA (-mavx2 -mfma) when the CPU that builds has them,
#             otherwise the compiler's baseline (x86-64: SSE2)
#   baseline  the compiler's baseline, for binaries that run on other machines
#   other     passed as -march=VALUE (e.g. native, x86-64-v3)
# Wider vectors change no result: -ffp-contract=off keeps a*b+c unfused and
# without -ffast-math no sum is reordered, so every value is the same bits
# as in a baseline build; only explicit fma() calls become one instruction.
# AVX-512 is not compiled into the whole tree by auto (Valgrind cannot run
# it): only into the kernels below, which are chosen at run time.
set(NN_ARCH "auto" CACHE STRING "instruction set: auto, baseline or a -march value")
set(NN_ARCH_FLAGS "")
if(NN_ARCH STREQUAL "auto")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND NOT CMAKE_CROSSCOMPILING)
    set(_probe ${CMAKE_BINARY_DIR}/CMakeFiles/nn_arch_probe.c)
    file(WRITE ${_probe} "int main(void)\n{\n    __builtin_cpu_init();\n"
      "    return !(__builtin_cpu_supports(\"avx2\") && __builtin_cpu_supports(\"fma\"));\n}\n")
    try_run(_run _compiled ${CMAKE_BINARY_DIR}/nn_arch_probe ${_probe})
    if(_compiled AND _run EQUAL 0)
      set(NN_ARCH_FLAGS -mavx2 -mfma)
    endif()
  endif()
elseif(NOT NN_ARCH STREQUAL "baseline")
  set(NN_ARCH_FLAGS -march=${NN_ARCH})
endif()
if(NN_ARCH_FLAGS)
  add_compile_options(${NN_ARCH_FLAGS})
endif()
message(STATUS "nnlab instruction set: NN_ARCH=${NN_ARCH} -> ${NN_ARCH_FLAGS}")

# The model's AVX-512 products: the large layers' own kernels (core/engine/
# packgemm.h) and the small layers' products on 512-bit vectors (smallgemm.h).
# An AVX2 build (auto) also compiles them, each in a file of its own with
# -mavx512f (and -mavx512vl); the core runs them only where the CPU has them
# (checked at run time, so the binaries still run where it has not, and under
# Valgrind). -DNN_AVX512_KERNELS=OFF leaves every large product to the BLAS
# and the small ones to the AVX2 code.
option(NN_AVX512_KERNELS "the model's own AVX-512 products, where the CPU has AVX-512F" ON)
include(CheckCCompilerFlag)
set(NN_HAVE_AVX512 0)
if(NN_AVX512_KERNELS AND NN_ARCH STREQUAL "auto" AND NN_ARCH_FLAGS)
  check_c_compiler_flag(-mavx512f NN_CC_AVX512F)
  check_c_compiler_flag(-mavx512vl NN_CC_AVX512VL)
  if(NN_CC_AVX512F AND NN_CC_AVX512VL)
    set(NN_HAVE_AVX512 1)
  endif()
endif()
add_compile_definitions(NN_HAVE_AVX512=${NN_HAVE_AVX512})
message(STATUS "nnlab AVX-512 kernels (used where the CPU has AVX-512F): ${NN_HAVE_AVX512}")

# glibc's vector math library (libmvec) for nn_log1p_array (core/engine/vmath.h; the
# sigmoid output's exp and log1p are nnlab's own): used when an AVX2 build links its AVX2
# variants.
include(CheckCSourceCompiles)
# (checked again at every configure: the answer depends on NN_ARCH's flags)
unset(NN_MVEC_EXP_LOG1P CACHE)
set(CMAKE_REQUIRED_FLAGS "${NN_ARCH_FLAGS}")
string(REPLACE ";" " " CMAKE_REQUIRED_FLAGS "${CMAKE_REQUIRED_FLAGS}")
set(CMAKE_REQUIRED_LIBRARIES mvec m)
check_c_source_compiles("
#include <immintrin.h>
#ifndef __AVX2__
#error no AVX2
#endif
__m256d _ZGVdN4v_log1p(__m256d x);
__m256d _ZGVdN4v_exp(__m256d x);
int main(void)
{
    double y[4];
    _mm256_storeu_pd(y, _ZGVdN4v_log1p(_ZGVdN4v_exp(_mm256_set1_pd(0.5))));
    return y[0] > 1;
}" NN_MVEC_EXP_LOG1P)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NN_MVEC_EXP_LOG1P)
  set(NN_HAVE_MVEC 1)
  set(NN_MVEC_LIBRARIES mvec)
else()
  set(NN_HAVE_MVEC 0)
  set(NN_MVEC_LIBRARIES "")
endif()
message(STATUS "nnlab vector log1p from libmvec: ${NN_HAVE_MVEC}")
