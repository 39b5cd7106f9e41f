/* gradcheck.h: the gradient checker. Compares the model's analytic gradient
 * of the training objective
 *     J(theta) = (summed data loss) / mb + sum of every weight penalty
 * with double-precision central differences (J(theta + eps e_i) -
 * J(theta - eps e_i)) / (2 eps), and reports the relative difference
 * ||g - g_num|| / (||g|| + ||g_num||) overall and per tensor (W1, b1, ...)
 * with the worst element.
 *
 * Known traps, handled:
 *  - activation hooks (dropout, noise): every evaluation runs the training
 *    forward pass from the same saved state of each hook's random stream, so
 *    the +eps and -eps evaluations and the analytic pass see the same masks;
 *  - ReLU kinks: an element whose +eps or -eps evaluation moves any hidden
 *    pre-activation to the other side of a kink (relu, leaky_relu) has no
 *    valid central difference; it is counted and, with skip_kinks, left out;
 *  - penalties: J includes them through nn_penalties(), the trainer's code. */
#ifndef NN_GRADCHECK_H
#define NN_GRADCHECK_H

#include <stdio.h>

#include "experiment.h"
#include "model.h"

/* The default step depends on the build's type. In double, 1e-6 (the
 * course notebooks' order): J's rounding (about 1e-16 relative) divided by
 * the step stays far below the truncation error, about eps^2 |J'''| / 6. In
 * the float build every evaluation of J carries rounding of about 1e-7
 * relative (the float forward pass), so the quotient's error is about
 * 1e-7 |J| / eps: 1e-6 would leave a tenth of the gradient as noise. */
#if defined(NN_REAL_IS_FLOAT)
#define NN_GC_DEFAULT_EPS 1e-3
#else
#define NN_GC_DEFAULT_EPS 1e-6
#endif

/* (J+ - J-) over the step. In double the step is 2 eps, the course's formula
 * bit for bit. In float, keep + eps and keep - eps round to the nearest
 * floats, which can be several percent away from keep +- eps when eps is a
 * few ulps of keep: the quotient divides by the step actually taken. */
static inline double nn_gc_quotient(double jp, double jm, nn_real xp, nn_real xm, double eps)
{
#if defined(NN_REAL_IS_FLOAT)
    (void)eps;
    return (jp - jm) / ((double)xp - (double)xm);
#else
    (void)xp;
    (void)xm;
    return (jp - jm) / (2 * eps);
#endif
}

typedef struct nn_gc_opts {
    double eps;               /* step; 0 = NN_GC_DEFAULT_EPS */
    const nn_section *regs;   /* regularizers whose penalties J includes */
    int n_reg;
    size_t max_per_tensor;    /* 0 = every element; else this many, drawn with a fixed seed */
    int keep_kinks;           /* 1: count elements across a kink but still compare them */
    /* Tests only: replaces the mean data loss of a forward pass, computed
     * from the model's state after nn_model_forward (e.g. the course
     * notebook's log(A), log(1 - A) cost); NULL = the model's own loss. */
    double (*loss)(void *ud, const nn_model *m, long mb);
    /* Called on the analytic gradient before the comparison (tests use it to
     * reproduce a wrong backward pass); may be NULL. */
    void (*corrupt)(void *ud, const nn_model *m, nn_real *grad);
    void *ud;
} nn_gc_opts;

typedef struct nn_gc_tensor {
    char name[8];
    size_t n, checked, kinks;
    double diff;              /* over the checked elements; 0 when both norms are 0 */
    size_t worst;             /* element with the largest |g - g_num| */
    int worst_row, worst_col;
    double worst_g, worst_num;
} nn_gc_tensor;

typedef struct nn_gc_result {
    double diff;              /* overall, over every checked element */
    double loss;              /* J(theta) */
    double eps;
    double kink_margin;       /* smallest |pre-activation| of a hidden kink unit at theta (INFINITY if none) */
    long mb;
    size_t n_params, checked, kinks;
    int n_tensors;
    int has_kinks;            /* the hidden activation has kinks (relu, leaky_relu) */
    int kinks_kept;           /* elements across a kink were compared anyway */
    nn_gc_tensor t[2 * NN_MAX_LAYERS];
} nn_gc_result;

/* Checks the gradient on the batch already in m->Xb / m->yb (mb examples).
 * Leaves theta and the hooks' random streams as it found them. */
int nn_gradcheck(nn_model *m, long mb, const nn_gc_opts *o, nn_gc_result *r, nn_err *err);

/* One line per tensor ("W1  diff 1.2e-09  48/48 elements  worst [2,1] ...")
 * after prefix, then nothing else; the caller prints the verdict. */
void nn_gc_print_tensors(FILE *f, const nn_gc_result *r, const char *prefix);
/* "difference 1.2e-09 (eps 1e-06, 8 examples, 123 of 123 elements, 0 across ReLU kinks)" */
void nn_gc_summary(const nn_gc_result *r, char *buf, size_t n);

#endif
