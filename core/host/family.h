/* family.h: the optimizer families of nnlab/plugin.h, derived from what an
 * optimizer declares (flags and ops), for `nnlab list` and for picking the
 * conformance checks that apply. */
#ifndef NN_FAMILY_H
#define NN_FAMILY_H

#include <stddef.h>

#include "nnlab/plugin.h"

#define NN_OPTIM_FAMILIES(X)                                                   \
    X(ELEMENTWISE, "elementwise")                                              \
    X(PER_TENSOR, "per-tensor")                                                \
    X(MATRIX, "matrix")                                                        \
    X(GLOBAL, "global")                                                        \
    X(EVAL_POINT, "eval-point")                                                \
    X(REEVAL, "re-evaluating")

enum {
#define NN_FAMILY_BIT(e, s) NN_FAMILY_BIT_##e,
    NN_OPTIM_FAMILIES(NN_FAMILY_BIT)
#undef NN_FAMILY_BIT
    NN_FAMILY_COUNT
};
enum {
#define NN_FAMILY_FLAG(e, s) NN_FAMILY_##e = 1u << NN_FAMILY_BIT_##e,
    NN_OPTIM_FAMILIES(NN_FAMILY_FLAG)
#undef NN_FAMILY_FLAG
};

/* The NN_FAMILY_* set of resolved optimizer ops: elementwise unless the rule
 * declares per-tensor or matrix behaviour; global with scalars; eval-point
 * with eval_point; re-evaluating with model_step. */
unsigned nn_optim_families(const nn_optim_ops *ops);

/* "elementwise, eval-point" into buf; returns buf. */
const char *nn_optim_family_names(unsigned families, char *buf, size_t n);

#endif
