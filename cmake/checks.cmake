# checks.cmake: the instrumented builds (README, "Testing"), included by the
# top CMakeLists.txt before any target is defined.
#
#   -DNN_SANITIZE=address,undefined   every target built with these sanitizers
#                                     (make sanitize: GCC, the whole suite)
#   -DNN_FUZZ=ON                      the libFuzzer harnesses of tests/fuzz
#                                     (make fuzz: clang, implies address,undefined)
#
# A sanitizer finding stops the process (no recovery), so a test that
# triggers one fails.
set(NN_SANITIZE "" CACHE STRING "sanitizers for every target, e.g. address,undefined")
option(NN_FUZZ "build the libFuzzer harnesses of tests/fuzz (needs clang)" OFF)

if(NN_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "NN_FUZZ needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang "
                        "(Debian: apt-get install clang libclang-rt-14-dev)")
  endif()
  if(NOT NN_SANITIZE)
    set(NN_SANITIZE address,undefined)
  endif()
  # coverage feedback everywhere; the harnesses add -fsanitize=fuzzer (main)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Plugins are linked with --no-undefined. Clang does not link its sanitizer
# runtime into shared objects (the executable provides it), so there the
# check is left out of instrumented builds.
set(NN_PLUGIN_NO_UNDEFINED ON)
if(NN_SANITIZE)
  add_compile_options(-fsanitize=${NN_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${NN_SANITIZE})
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(NN_PLUGIN_NO_UNDEFINED OFF)
  endif()
endif()
