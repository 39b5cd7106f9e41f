/* fuzz.h: what the libFuzzer harnesses of tests/fuzz share (README, "Testing").
 *
 * An input that stands for several files is cut into parts at FUZZ_SEP (a
 * line "@@@@"): part 0, then part 1, ... Each harness says what its parts
 * are. The readers take paths, so a harness writes its parts into a private
 * temporary folder (one per process, removed at exit) and reads them back.
 *
 * A plugin's parameter block comes from the real config reader: part 0 is the
 * body of its section ("num_training = 4; features = [\"pixels\"];"), read
 * with nn_experiment_read_block exactly as an experiment file would be. */
#ifndef NN_FUZZ_H
#define NN_FUZZ_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "experiment.h"
#include "nnlab/plugin.h"

#define FUZZ_SEP "\n@@@@\n"
#define FUZZ_MAX_PARTS 8

typedef struct fuzz_part {
    const uint8_t *p;
    size_t n;
} fuzz_part;

/* Cuts data into at most max parts at FUZZ_SEP; returns the count (>= 1). */
int fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, int max);

/* The process's temporary folder (created at the first call). */
const char *fuzz_dir(void);
/* Writes n bytes to <fuzz_dir>/<name>; returns the path (static buffer of
 * the slot 0..7 given) or NULL. */
const char *fuzz_write(int slot, const char *name, const void *p, size_t n);

/* A plugin's parameter block read from a section body: s->values. */
typedef struct fuzz_params {
    nn_experiment x;
    nn_section *s;
} fuzz_params;
/* 0 and *out filled, or -1 when the reader refuses the body (err set). */
int fuzz_params_read(fuzz_params *out, const nn_plugin *p, const void *body, size_t n,
                     nn_err *err);
void fuzz_params_free(fuzz_params *b);

#endif
