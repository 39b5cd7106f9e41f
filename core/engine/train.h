/* train.h: the training loop: mini-batches, optimizer state owned by the core,
 * schedules, clipping, regularizers, divergence stop, best-model copy, metrics. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include "experiment.h"
#include "model.h"
#include "pipeline.h"
#include "schedule.h"

typedef struct nn_metric_row {
    long epoch, iteration;
    double loss, train_acc, val_acc, lr, seconds; /* NAN = not measured */
    double val_loss;             /* mean data loss on the validation split, or NAN */
} nn_metric_row;

struct nn_trainer;

typedef struct nn_train_cb {
    void *ud;
    /* A logged row (also where progress output goes). */
    void (*on_log)(void *ud, const nn_metric_row *row, long epochs, int full_batch);
    /* Called after every step, cheap: epoch, iteration and last loss. */
    void (*on_step)(void *ud, long epoch, long iteration, double loss);
} nn_train_cb;

/* Where training may stop and go on later (checkpoint.h): called between
 * steps, after a step that is not an epoch's last (epoch_end 0) and after
 * each epoch's metrics but the last epoch's (epoch_end 1), with
 * t->next_epoch / t->next_pos the next step. Returns 1 to stop training there
 * (t->stopped), 0 to go on. Never inside a step: it may allocate.
 * With t->end_state set it is also called once in the last epoch with
 * epoch_end NN_BOUNDARY_END (its return value ignored): the state then is
 * the one a run of the same experiment with more epochs has at its
 * boundary after this epoch, before the last epoch's own row and
 * validation (which the longer run has only where its log_every and
 * val_every fall), so that run can go on from it (nnlab run --keep-state). */
typedef int (*nn_train_boundary)(void *ud, struct nn_trainer *t, int epoch_end);
#define NN_BOUNDARY_END 2

typedef struct nn_trainer {
    const nn_experiment *x;
    const nn_data *data;
    nn_model *model;
    /* the optimizer: resolved ops (x->optim.plugin.optim) and hyperparameters */
    const nn_optim_ops *ops;
    const nn_value *hp;
    int n_slots;
    /* optimizer state, all owned here and allocated in nn_trainer_init */
    nn_real *slots;              /* every slot of every tensor (slot_total), zeroed at start */
    size_t slot_total;
    nn_real *slot_ptrs[NN_MAX_TENSORS * NN_MAX_SLOTS]; /* tensor i, slot k: [i * NN_MAX_SLOTS + k] */
    nn_optim_plan plan;          /* slot and scratch lengths of every tensor */
    nn_real *scratch;            /* every tensor's scratch region (scratch_total), no state */
    nn_real *scratch_ptrs[NN_MAX_TENSORS];
    size_t scratch_total;
    nn_real scalars[NN_MAX_SCALARS]; /* global scalars (ops->n_scalars used) */
    nn_real reduced[NN_MAX_REDUCE];  /* this step's sums of the reduce pass */
    nn_optim_step steps[NN_MAX_TENSORS]; /* per-tensor views, built once */
    nn_optim_pipe pipe;          /* the optimizer's pipeline over these (pipeline.h), built once */
    nn_real *eval_theta;         /* (n_params) evaluation point, NULL when the optimizer has none */
    /* re-evaluation inside one step */
    nn_rng hook_rng[NN_MAX_HOOKS]; /* each hook's stream before the step's first forward */
    long batch_m;                /* examples in the step's batch (for evaluate) */
    int max_evals;               /* the optimizer's max_evals() */
    long batch_correct;          /* train_accuracy = batches: correct predictions this epoch */
    long grad_evals;             /* gradient evaluations in all (one per step plus re-evaluations) */
    /* the best model and the run */
    nn_real *best_theta;         /* deep copy of the best parameters (at the evaluation point) */
    double best_val;
    long best_epoch;
    int has_best;
    nn_schedule sched;
    int64_t *perm;               /* (m) */
    nn_rng shuffle;              /* mini-batch order: a copy of x->train.rng */
    nn_metric_row *rows;
    long n_rows, cap_rows;
    long iteration, epochs_done;
    long epoch;                  /* the epoch nn_train is in (for messages) */
    double final_loss, seconds;
    int diverged;                /* stopped on a non-finite loss or parameter */
    int failed;                  /* stopped on another error (an optimizer's model_step) */
    char diverged_msg[512];      /* why it stopped */
    /* where training stands (checkpoints): the next step is the batch at
     * next_pos of epoch next_epoch, in the order perm holds when next_pos > 0 */
    long next_epoch;
    size_t next_pos;
    double epoch_loss;           /* summed loss of the steps of epoch next_epoch so far */
    int resumed;                 /* restored from a checkpoint: nn_train starts at the position */
    int stopped;                 /* the boundary callback stopped training */
    nn_train_boundary boundary;  /* NULL: none (set by the caller after nn_trainer_init) */
    void *boundary_ud;
    int end_state;               /* call boundary with NN_BOUNDARY_END in the last epoch */
} nn_trainer;

/* What one training step saw at the parameters it started from. */
typedef struct nn_step_result {
    double loss;      /* mean data loss plus penalties */
    double data_sum;  /* summed (not averaged) data loss over the batch */
    double penalty;   /* summed weight penalties */
} nn_step_result;

/* Allocates everything training needs (optimizer slots of slot_len()
 * elements, scratch, global scalars set by scalars_init, the evaluation
 * point, the best-model copy, metrics); NN_EPLUGIN when the optimizer's
 * sizes at these hyperparameters are unusable. */
int nn_trainer_init(nn_trainer *t, const nn_experiment *x, const nn_data *data, nn_model *model,
                    nn_err *err);
void nn_trainer_free(nn_trainer *t);
/* Runs all epochs. Returns NN_OK, or NN_EDIVERGED with the message in err. */
int nn_train(nn_trainer *t, const nn_train_cb *cb, nn_err *err);
/* One whole training step on examples idx[0..mb) of the training split
 * (mb <= the model's batch_cap) at learning rate lr, as step count
 * t->iteration + 1 (t->iteration is incremented, also on failure): gather, forward, backward, penalties, clipping, the
 * optimizer's pipeline (reduce pass, scalars_update, step per tensor or
 * model_step with its re-evaluations), the regularizers' constraints. The
 * only place parameters are trained; nn_train uses it. Returns NN_OK;
 * NN_EDIVERGED when the loss or a parameter is not finite (err says which);
 * NN_EINTERNAL when model_step fails or evaluates more than max_evals(). */
int nn_trainer_train_step(nn_trainer *t, const int64_t *idx, long mb, nn_real lr,
                          nn_step_result *out, nn_err *err);
/* The parameters evaluation uses: the optimizer's eval_point() of the
 * current parameters, written into t->eval_theta, or model->theta itself
 * when it has none. Changes no training state. */
const nn_real *nn_trainer_eval_point(nn_trainer *t);
/* The evaluation point as of the last nn_trainer_eval_point() (nn_train
 * refreshes it at the end), or model->theta when the optimizer has none. */
const nn_real *nn_trainer_eval_theta(const nn_trainer *t);
/* Which parameters a measurement uses (nn_trainer_use). */
enum { NN_USE_FINAL, NN_USE_BEST };
/* Points model->theta (the pointer only: no copy, no allocation) at the
 * parameters a measurement uses: for NN_USE_BEST the best copy when there is
 * one; otherwise the final model, i.e. the evaluation point as of the last
 * nn_trainer_eval_point() (the parameters themselves when the optimizer has
 * none). Returns the model's own parameters: give them back with
 * nn_trainer_unuse before training goes on or the model is freed. */
nn_real *nn_trainer_use(nn_trainer *t, int which);
void nn_trainer_unuse(nn_trainer *t, nn_real *own);
/* Sum of the weight penalties of regs[0..n_reg) on m->theta for a batch of mb
 * examples; adds their gradients into grad (laid out like theta). The
 * trainer and the gradient checker both use it. */
double nn_penalties(const nn_section *regs, int n_reg, const nn_model *m, nn_real *grad, long mb);

#endif
