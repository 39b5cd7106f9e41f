/* problem.h: the test problems of nnlab benchmark: experiment files (one
 * problem each, in experiments/benchmark/ or named with --problem) whose
 * `benchmark` section says which suite the problem belongs to, the
 * validation metric it is tuned on and the target for time-to-target, and
 * which files it needs (a problem whose data are absent is skipped). Also
 * the keys that identify a result: a hash of the problem file's contents and
 * everything else the trials depend on. */
#ifndef NN_BM_PROBLEM_H
#define NN_BM_PROBLEM_H

#include <stdint.h>

#include "registry.h"

#define NN_BM_MAX_PROBLEMS 64

typedef struct nn_bm_problem {
    char file[4096];             /* absolute path of the experiment file */
    char name[128];              /* the file's name less .cfg */
    char title[256];             /* benchmark.title */
    char suite[16];              /* "small" (also in full) or "full" */
    char metric[16];             /* "val_accuracy" (higher is better) or "val_loss" (lower) */
    int higher;                  /* 1 when a higher metric is better */
    double target;               /* the metric's target (time-to-target) */
    char skip[600];              /* why it is skipped ("" when it runs) */
    uint64_t hash;               /* of the file's bytes */
    long epochs, batch;          /* train.epochs, train.batch_size (0: full batch) */
    char model[256];             /* "2-16-1 relu, sigmoid" */
    char data[256];              /* the data section's plugin and sizes */
} nn_bm_problem;

/* Reads one problem file (with the -s overrides): its benchmark section is
 * checked (file:line: benchmark.KEY messages, NN_EINPUT). */
int nn_bm_problem_read(nn_bm_problem *p, const char *file, const char *const *fixed, int n_fixed,
                       const nn_registry *reg, nn_err *err);

/* The problems of a suite in dir, sorted by name (the small suite is the
 * problems marked small; full is every problem). */
int nn_bm_problems_of_suite(const char *dir, const char *suite, const char *const *fixed, int n_fixed,
                            const nn_registry *reg, nn_bm_problem *out, int max, int *n, nn_err *err);

/* 64-bit FNV-1a over bytes, continuing from h (start from NN_BM_HASH0). */
#define NN_BM_HASH0 1469598103934665603ULL
uint64_t nn_bm_hash(uint64_t h, const void *p, size_t n);
/* The hash of a file's bytes; 0 with an error when it cannot be read. */
int nn_bm_hash_file(const char *path, uint64_t *out, nn_err *err);

#endif
