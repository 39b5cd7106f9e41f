/* check.h: `nnlab check`: plugin conformance suites and the whole-network
 * gradient check. Every check prints one line
 *     PASS|FAIL|SKIP <kind>/<name>  <what>: <measured figure>
 * and is counted; the caller prints the summary and picks the exit status.
 *
 * Every check runs in a child process with a time limit, so a plugin that
 * crashes or never returns fails that check ("crashed (signal 11, SIGSEGV)",
 * "timed out after 5 s") and the suite goes on with the next one.
 *
 * Suites (one file each in core/check; suite.h lists the files):
 *  every kind  loads and validates (ABI, numeric type, kind, name, doc,
 *              defaults in range); descriptor is read-only static data of the
 *              plugin file; the real config reader accepts the defaults and
 *              refuses an unknown key and an out-of-range value; parameter
 *              blocks are independent (A, B, A, B give A, B, A, B, and B != A).
 *  init        fills every element; mean and variance over a large matrix
 *              match mean()/variance() within 5 standard errors; seeds
 *              reproducible and distinct; a small tanh net initialised with it
 *              passes the gradient check.
 *  reg         penalty gradient and activation backward agree with central
 *              differences (< NN_CHECK_GRAD_TOL); the neutral setting changes
 *              nothing; evaluation ignores it and training is reproducible
 *              from the stream; a small net with it passes the gradient check.
 *  optim       (optim.c; docs/writing-an-optimizer.md has the table of
 *              checks per family) every check runs the rule through the
 *              engine's pipeline as training does: zero gradient and lr 0
 *              change nothing; a step writes only declared state; biases and
 *              every layer move; save/restore of parameters, slots and
 *              scalars continues bit-identically; no hidden state; the same
 *              update whatever the split (elementwise) or the order and
 *              interleaving of tensors (per-tensor, matrix); scalars change
 *              only in scalars_update (global); scratch holds no state;
 *              evaluation point at step 0 and unchanged by calls
 *              (eval-point); model_step reproducible within max_evals
 *              (re-evaluating); degenerate shapes, zero and 1e300 gradients
 *              stay finite; converges on a quadratic and makes progress on
 *              Rosenbrock at the evaluation point.
 *  data        shapes and labels consistent, no NaN/Inf, same seed same data,
 *              splits disjoint, every declared class present.
 *
 * Neutral setting of a regularizer (documented rule, no ABI field): every
 * REAL hyperparameter (and every element of a non-empty REAL list) is set to
 * 0 when its declared range starts at 0, and to the top of its range
 * otherwise (lambda = 0, std = 0, keep_prob = 1, max_value = 1e300). Declare
 * ranges so that this setting turns the regularizer off. */
#ifndef NN_CHECK_H
#define NN_CHECK_H

#include <stdio.h>

#include "registry.h"

/* The gradient checks' tolerance on ||g - g_num|| / (||g|| + ||g_num||).
 * double: 1e-7, the course notebooks' threshold. float: every evaluation of
 * J (and a plugin's float penalty) carries about 1e-7 relative rounding,
 * which the quotient divides by the step (NN_GC_DEFAULT_EPS, 1e-3): correct
 * plugins measure 1e-7 .. 2.3e-4 here, so 1e-3 is the bar. A gradient scaled
 * by 1 + d shows a difference of about d / 2: the float build catches errors
 * of 0.2% and more, the double build of 2e-7. */
#if defined(NN_REAL_IS_FLOAT)
#define NN_CHECK_GRAD_TOL 1e-3
#else
#define NN_CHECK_GRAD_TOL 1e-7
#endif
#define NN_CHECK_TIMEOUT 5.0          /* seconds per check, the default of --timeout */
#define NN_CHECK_DATA_TIMEOUT_SCALE 30 /* checks that load a data set get this many times as long */

typedef struct nn_check_tally nn_check_tally;

typedef struct nn_checker {
    const nn_registry *reg;
    FILE *out;
    double timeout;            /* seconds per check */
    int pass, fail, skip, plugins;
    char who[128];             /* "optim/adam" */
    nn_check_tally *tally;     /* shared with the child process of the running check */
} nn_checker;

/* timeout: seconds per check (<= 0: NN_CHECK_TIMEOUT). Fails only when the
 * memory shared with the child processes cannot be mapped. */
int nn_checker_init(nn_checker *c, const nn_registry *reg, FILE *out, double timeout, nn_err *err);
void nn_checker_free(nn_checker *c);

/* Runs every suite for one plugin: spec is NAME, KIND/NAME or a path to a
 * .so file. A plugin that cannot be loaded is a failed check. Returns NN_OK,
 * or NN_EINPUT (message in err) when spec names no plugin file. */
int nn_check_plugin(nn_checker *c, const char *spec, nn_err *err);

/* Every plugin on the search path; returns how many were found. */
int nn_check_all(nn_checker *c);

typedef struct nn_check_model_opts {
    long batch;                /* examples (0: 8) */
    size_t per_tensor;         /* elements checked per tensor (0: 100; a tensor this size or smaller is checked whole) */
    double eps;                /* 0: NN_GC_DEFAULT_EPS */
    int all;                   /* check every element */
} nn_check_model_opts;

/* The experiment's whole network (its data, init, regularizers) through the
 * gradient checker on a small batch of training examples. Returns NN_OK after
 * the check (a failure is counted), or an error when the experiment cannot
 * be loaded (message in err). */
int nn_check_experiment(nn_checker *c, const char *file, const nn_check_model_opts *o, nn_err *err);

#endif
