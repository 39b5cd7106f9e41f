# Convenience front end for CMake. The Quick start uses exactly two targets:
#   make demo   installs missing Debian packages, builds, runs the default experiment
#   make test   installs missing Debian packages, builds, runs every test
# The instrumented runs (README, "Testing"), each in its own build folder:
#   make test-f32   the float32 build (nn_real = float, core and plugins) and its tests
#   make sanitize   AddressSanitizer + UBSan build (GCC), the whole suite, leak detection on
#   make valgrind   the unit tests (tests/test_*) of the normal build under Valgrind memcheck
#   make fuzz       libFuzzer harnesses (clang), FUZZ_TIME seconds each (default 300)
BUILD ?= build
ASAN_BUILD ?= build-asan
F32_BUILD ?= build-f32
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME ?= 300
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps deps-checks build demo test test-f32 sanitize valgrind fuzz clean install

deps:
	@bash .ci/install-deps

deps-checks:
	@bash .ci/install-deps checks

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	$(BUILD)/nnlab run experiments/init_he.cfg --force

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-f32: deps
	@cmake -S . -B $(F32_BUILD) $(CMAKE_FLAGS) -DNN_FLOAT32=ON >/dev/null
	@cmake --build $(F32_BUILD) -j$(JOBS)
	cd $(F32_BUILD) && ctest --output-on-failure -j$(JOBS)

sanitize: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DNN_SANITIZE=address,undefined >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	bash tests/sanitize/run.sh $(ASAN_BUILD) -j$(JOBS)

valgrind: build deps-checks
	bash tests/valgrind/run.sh $(BUILD) $(JOBS)

fuzz: deps-checks
# (without the AVX-512 kernels: clang's fuzzer and sanitizer instrumentation of their
# unrolled register blocks takes over 25 minutes for one file; the harnesses fuzz the
# parsers and loaders, the kernels are the unit tests' and the sanitizer suite's)
	@cmake -S . -B $(FUZZ_BUILD) $(CMAKE_FLAGS) -DCMAKE_C_COMPILER=clang -DNN_FUZZ=ON -DNN_AVX512_KERNELS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) --target fuzz_all -j$(JOBS)
	bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(F32_BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
