/* optim_probe.h: the check problems the optimizer suite (optim.c) drives a
 * plugin on (optim_probe.c): tensors of given shapes with guarded buffers,
 * the optimizer's state planned and viewed by the engine's pipeline as in
 * training, a seeded objective (quadratic, noisy, Rosenbrock, constant or
 * zero), probes that watch every call of the plugin, and the whole state as
 * one flat array to compare runs. Private to core/check. */
#ifndef NN_CHECK_OPTIM_PROBE_H
#define NN_CHECK_OPTIM_PROBE_H

#include <stdint.h>

#include "pipeline.h"
#include "suite.h"

#define FAM_ANY (~0u)

typedef struct optim_arg {
    const nn_plugin *p;
    nn_optim_ops o; /* resolved for this core's ABI (nn_optim_resolve) */
    const nn_value *hp;
    unsigned fam;
    int lr;         /* index of the declared "lr" */
} optim_arg;

enum { MAX_T = 16, GUARD = 16, GUARD_BYTE = 0xA5 };

/* A tensor of a problem. The canonical index of its first element (e0) keys
 * its starting values and its gradients, so a problem with the same elements
 * in other tensors or another order sees the same numbers. */
typedef struct tspec {
    const char *name;
    int rows, cols, is_bias, layer;
    unsigned flags;
    size_t e0;
} tspec;

enum { T_ZERO_W = 1u << 0, T_ZERO_G = 1u << 1 }; /* starts at zero / has a zero gradient */

typedef enum { OBJ_ZERO, OBJ_QUAD, OBJ_NOISY, OBJ_ROSEN, OBJ_CONST } obj_kind;

typedef struct prob {
    const optim_arg *a;
    int nt, n_layers;
    tspec spec[MAX_T];
    nn_tensor ts[MAX_T];
    int order[MAX_T];            /* tensors by e0 */
    size_t span, n_elems;        /* theta's length (gaps included), elements of the tensors */
    nn_real *theta, *grad, *eval, *x0; /* probe_guarded, laid out alike */
    nn_real *slot_ptrs[MAX_T * NN_MAX_SLOTS];
    nn_real *scratch_ptrs[MAX_T];
    nn_optim_plan plan;
    nn_real *scalars, *reduced;  /* probe_guarded: n_scalars, NN_MAX_REDUCE */
    nn_optim_step steps[MAX_T];
    nn_optim_pipe pipe;
    nn_optim_probe probe;
    /* the objective */
    obj_kind obj;
    int variant;
    uint64_t seed;
    double gscale;
    /* the run */
    long t, evals;               /* steps taken; gradient evaluations (each step's first included) */
    int most_evals;              /* most evaluate() calls of one model_step */
    int scratch_nan, watch;      /* probe: NaN into scratch before each call; watch the scalars */
    nn_real snap[NN_MAX_SCALARS];
    nn_real *gsnap;              /* probe: the gradient before each reduce or step (NULL: not watched) */
    long calls[NN_OPTIM_CALL_EVAL_POINT + 1];
    char bad[400];               /* the first thing a probe saw go wrong */
    nn_err err;
} prob;

typedef struct flat {
    nn_real *v;
    size_t n;
} flat;

/* The model of the state checks, and a smaller one for checks of many steps. */
#define BIG_MODEL(s) probe_model_of(s, 100, 32, 10)
#define SMALL_MODEL(s) probe_model_of(s, 12, 8, 3)
enum { MODEL_STEPS = 3, RUN_STEPS = 6 };
/* The learning rate of the parameter block. */
static inline double hp_lr(const optim_arg *a) { return a->hp[a->lr].r; }
/* The same, or 1e-3 where it is 0 (a run at lr 0 tells nothing). */
static inline double default_lr(const optim_arg *a) { return hp_lr(a) > 0 ? hp_lr(a) : 1e-3; }

/* The plugin with its hyperparameters, its ops resolved and its families. */
optim_arg optim_arg_of(const nn_plugin *p, const nn_value *hp);

/* n elements with GUARD elements of guard bytes either side (and inside);
 * the first element in [from, to) of a whose bytes are not all guard bytes
 * (to when none). */
nn_real *probe_guarded(size_t n);
long probe_touched(const nn_real *a, long from, long to);

/* A problem of nt tensors (seeded parameters, the state planned, zeroed
 * and viewed, scalars_init run); NULL with the reason in err. The other
 * reports the failure as the check's and returns NULL. */
prob *prob_new(const optim_arg *a, const tspec *spec, int nt, uint64_t seed, int guards, nn_err *err);
prob *prob_or_report(nn_checker *c, const optim_arg *a, const tspec *spec, int nt, uint64_t seed, int guards);
/* Writes x (canonical order) into the parameters. */
void prob_put(prob *P, const nn_real *x);
/* One training step (one evaluation, then the pipeline); n of them. */
int prob_step(prob *P, nn_real lr);
int prob_steps(prob *P, long n, nn_real lr);
/* The evaluation point (into P->eval), and the objective there. */
const nn_real *prob_eval(prob *P);
double prob_value_at_eval(prob *P);

/* The state of the tensors whose first element lies in [lo, hi) (all of
 * them) as one array: parameters, slots, evaluation points, scalars. */
flat prob_flat(prob *P, size_t lo, size_t hi);
flat prob_flat_all(prob *P);
/* x against the reference y: bit for bit (tol 0) or within tol; 1 when
 * equal, else the worst element described in why. */
int flat_same(const prob *P, size_t lo, size_t hi, flat x, flat y, double tol, char *why, size_t wn);
/* 1 when no parameter or evaluation point is non-finite and nothing is
 * NaN, else what is wrong in why. */
int prob_state_sane(prob *P, char *why, size_t wn);

/* n elements as one tensor (a matrix for matrix-shaped rules); its shape
 * in words; a two-layer model (W1, b1, W2, b2) numbered in order. */
tspec probe_vector_of(const optim_arg *a, int n, int is_bias);
const char *probe_shape_text(const tspec *s, char *buf, size_t n);
int probe_model_of(tspec *out, int in, int hid, int outs);

#endif
