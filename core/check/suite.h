/* suite.h: what the files of core/check share (internal to the check layer).
 *
 *   harness.c   runs one check in a child process with a time limit, turns a
 *               crash or a hang into a FAIL line, prints and counts the lines
 *   helpers.c   comparisons, random fills, parameter blocks read through the
 *               experiment reader, small networks, gradient-check reports
 *   plugin.c    finding and loading a plugin, the checks of every kind
 *               (descriptor, config, independent parameter blocks), then the
 *               suite of its kind
 *   init.c, optim.c, reg.c, data.c   the suite of each kind
 *   network.c   the whole network of an experiment through the gradient check
 *
 * A check is a function run by nn_chk_run in a child process; it reports one
 * line (a few checks report several lines of the same name) with
 * nn_chk_report. Anything it allocates dies with the child. */
#ifndef NN_CHECK_SUITE_H
#define NN_CHECK_SUITE_H

#include <stdint.h>

#include "check.h"
#include "experiment.h"
#include "gradcheck.h"
#include "model.h"

#define NN_CHK_MAX_SLOTS NN_MAX_SLOTS /* slot arrays an optimizer may declare (plugin.h) */

enum { NN_CHK_PASS, NN_CHK_FAIL, NN_CHK_SKIP };

/* ---- harness.c ------------------------------------------------------------- */

typedef void (*nn_chk_fn)(nn_checker *c, const void *arg);

/* Runs fn(c, arg) in a child process, its output going to c->out through a
 * pipe. `what` names the check in the FAIL line the harness prints when the
 * child crashes, exits early or runs longer than c->timeout * scale seconds
 * (the child is then killed). Every line fn reports is counted. */
void nn_chk_run(nn_checker *c, const char *what, double scale, nn_chk_fn fn, const void *arg);

/* Prints and counts "TAG who  what: message"; what NULL: the check under way. */
void nn_chk_report(nn_checker *c, int status, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Names the check under way, for a function that runs several in one child. */
void nn_chk_doing(nn_checker *c, const char *what);

/* A result handed from the child to the parent (NN_OK when never set). */
void nn_chk_set_result(nn_checker *c, int rc, const nn_err *err);
int nn_chk_result(const nn_checker *c, nn_err *err);

/* calloc for a check's child: on failure the child exits (the harness
 * reports the check as out of memory). Never call it in the parent. */
void *nn_chk_alloc(size_t n, size_t size);

/* ---- helpers.c --------------------------------------------------------------- */

int nn_chk_same(const nn_real *a, const nn_real *b, size_t n);
/* Bit-identical and finite. */
int nn_chk_same_finite(const nn_real *a, const nn_real *b, size_t n);
void nn_chk_randn(nn_rng *r, nn_real *v, size_t n, double scale);

/* A number as a libconfig literal (floats keep a '.' or an exponent). */
void nn_chk_literal(char *buf, size_t n, double v, nn_type t);
/* Appends "name = lit; " to body. */
void nn_chk_body_add(char *body, size_t n, const char *name, const char *lit);
int nn_chk_is_numeric(nn_type t);

/* A parameter block `<kind> = { plugin = "<name>"; <body> };` read with the
 * reader experiment files use; s is the plugin's section in x. */
typedef struct nn_chk_block {
    nn_experiment x;
    nn_section *s;
} nn_chk_block;

/* NULL with the reader's message in err on refusal (or out of memory). */
nn_chk_block *nn_chk_block_read(const nn_plugin *p, const char *body, nn_err *err);
void nn_chk_block_free(nn_chk_block *b);

/* Relative difference of two gradients, accumulated element by element, with
 * the worst element. */
typedef struct nn_chk_diff {
    double d2, a2, b2, worst;
    char where[64];
    double wa, wb;
} nn_chk_diff;

void nn_chk_diff_add(nn_chk_diff *d, double analytic, double numeric, const char *label, int row, int col);
double nn_chk_diff_value(const nn_chk_diff *d);

/* A softmax net of the given sizes, parameters N(0, 0.25), a batch of mb
 * random examples in Xb/yb. */
int nn_chk_small_net(nn_model *m, nn_act act, const int *sizes, int n_layers, long mb, uint32_t seed,
                     nn_err *err);
void nn_chk_report_gradcheck(nn_checker *c, const char *what, const nn_gc_result *r, int rc, const nn_err *e);

/* ---- plugin.c: every kind ------------------------------------------------------ */

/* A kind's fingerprint of what a parameter block does (fixed inputs); at
 * most NN_CHK_SIG_CAP values, 0 when the plugin's run fails (the kind's
 * checks report why; "parameter blocks independent" is then skipped). */
#define NN_CHK_SIG_CAP 512
typedef size_t (*nn_chk_sig_fn)(const nn_plugin *p, const nn_value *hp, nn_real *out);

/* The check "parameter blocks independent" with the kind's fingerprint. */
void nn_chk_independent(nn_checker *c, const nn_plugin *p, nn_chk_sig_fn sig);

/* ---- the suites: b holds the plugin's default parameter block ----------------- */

void nn_chk_suite_init(nn_checker *c, const nn_plugin *p, const nn_chk_block *b);
void nn_chk_suite_optim(nn_checker *c, const nn_plugin *p, const nn_chk_block *b);
void nn_chk_suite_reg(nn_checker *c, const nn_plugin *p, const nn_chk_block *b);
void nn_chk_suite_data(nn_checker *c, const nn_plugin *p, const nn_chk_block *b);

#endif
