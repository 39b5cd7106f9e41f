/* pipeline.h: an optimizer's state laid out over a list of tensors, and one
 * step of its pipeline (nnlab/plugin.h: reduce pass, scalars_update, step per
 * tensor or model_step with evaluate()), on arrays the caller owns. The
 * trainer trains with it and nnlab check drives its checks through it, so a
 * plugin is checked exactly as it is trained. */
#ifndef NN_PIPELINE_H
#define NN_PIPELINE_H

#include "model.h"
#include "nnlab/plugin.h"

#define NN_MAX_TENSORS (2 * NN_MAX_LAYERS)

/* Slot lengths (slot_len() or n) and scratch lengths (scratch_len() or 0)
 * of every tensor, their totals and max_evals() at these hyperparameters.
 * NN_EPLUGIN naming the optimizer (name) when a size is unusable: more than
 * NN_MAX_STATE elements of one kind of state, max_evals() outside
 * 0..NN_MAX_EVALS. */
#define NN_MAX_STATE 1000000000.0 /* elements of any one kind of state (8 GB) */
typedef struct nn_optim_plan {
    size_t slot_len[NN_MAX_TENSORS][NN_MAX_SLOTS];
    size_t scratch_len[NN_MAX_TENSORS];
    size_t slot_total, scratch_total;
    int max_evals;
} nn_optim_plan;

int nn_optim_plan_state(const nn_optim_ops *o, const nn_value *hp, const char *name,
                        const nn_tensor *ts, int n_tensors, nn_optim_plan *plan, nn_err *err);

/* The calls into the plugin, for a probe. */
typedef enum nn_optim_call {
    NN_OPTIM_CALL_REDUCE,
    NN_OPTIM_CALL_SCALARS_UPDATE,
    NN_OPTIM_CALL_STEP,
    NN_OPTIM_CALL_MODEL_STEP,
    NN_OPTIM_CALL_EVAL_POINT
} nn_optim_call;

const char *nn_optim_call_name(nn_optim_call call);

/* Called around every call into the plugin (tensor: the position in steps,
 * -1 for scalars_update and model_step). The trainer has none; the checks
 * fill scratch with NaN and watch the scalars with one. */
typedef struct nn_optim_probe {
    void *ud;
    void (*before)(void *ud, nn_optim_call call, int tensor);
    void (*after)(void *ud, nn_optim_call call, int tensor);
} nn_optim_probe;

/* Loss and gradient at the current parameters on this step's batch
 * (overwrites the gradient the views point to); the owner's evaluate(). */
typedef int (*nn_optim_loss_fn)(void *ud, double *loss);

/* One optimizer's pipeline over the caller's arrays. Everything is set by
 * nn_optim_pipe_init and the caller's slot and scratch pointers; the pipe
 * keeps pointers to itself (whole.core), so it is not copied once built. */
typedef struct nn_optim_pipe {
    const nn_optim_ops *ops;
    const nn_value *hp;
    const char *name;          /* for messages */
    nn_real *theta;            /* every tensor's param at theta + ts[i].off */
    nn_optim_step *steps;      /* n_tensors views, in the order the pipeline visits them */
    int n_tensors;
    nn_real *scalars;          /* n_scalars global scalars */
    nn_real *reduced;          /* NN_MAX_REDUCE sums of the reduce pass */
    nn_optim_model whole;      /* the model_step view (param, grad flat) */
    nn_optim_loss_fn loss_fn;  /* for evaluate(); NULL: evaluate() fails */
    void *loss_ud;
    int max_evals;
    int evals_used;            /* evaluate() calls of the last model_step, those refused included */
    const nn_optim_probe *probe; /* NULL: none */
} nn_optim_pipe;

/* Builds the per-tensor views steps[0..n_tensors) of ts over theta and grad
 * (param = theta + off, grad = grad + off, shape, layer, index, slot lengths
 * from plan, scratch[i] the tensor's scratch or NULL, the scalars) and the
 * model view over theta and grad (n elements). slot_ptrs[i * NN_MAX_SLOTS + k]
 * must hold tensor i's slot k (the caller's layout). */
void nn_optim_pipe_init(nn_optim_pipe *p, const nn_optim_ops *o, const nn_value *hp, const char *name,
                        const nn_tensor *ts, int n_tensors, int n_layers, nn_real *theta, nn_real *grad,
                        size_t n, nn_real **slot_ptrs, nn_real *const *scratch, const nn_optim_plan *plan,
                        nn_real *scalars, nn_real *reduced, nn_optim_step *steps);

/* One step of the pipeline as step count t at rate lr, the gradient (and
 * loss) at the parameters already in place. NN_EINTERNAL when model_step
 * fails or calls evaluate() more than max_evals times, NN_EDIVERGED when
 * model_step reports divergence (message in err naming the optimizer). */
int nn_optim_pipeline(nn_optim_pipe *p, long t, nn_real lr, double loss, nn_err *err);

/* The evaluation point of every tensor into out (laid out like theta: tensor
 * i at out + (steps[i].param - theta)); a copy of the parameters when the
 * optimizer has no eval_point. Changes no state. */
void nn_optim_eval_point(nn_optim_pipe *p, nn_real *out);

#endif
