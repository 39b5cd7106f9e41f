/* train.h: the training loop: mini-batches, optimizer state owned by the core,
 * schedules, clipping, regularizers, divergence stop, best-model copy, metrics. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include "experiment.h"
#include "model.h"
#include "schedule.h"

typedef struct nn_metric_row {
    long epoch, iteration;
    double loss, train_acc, val_acc, lr, seconds; /* NAN = not measured */
    double val_loss;             /* mean data loss on the validation split, or NAN */
} nn_metric_row;

typedef struct nn_train_cb {
    void *ud;
    /* A logged row (also where progress output goes). */
    void (*on_log)(void *ud, const nn_metric_row *row, long epochs, int full_batch);
    /* Called after every step, cheap: epoch, iteration and last loss. */
    void (*on_step)(void *ud, long epoch, long iteration, double loss);
} nn_train_cb;

typedef struct nn_trainer {
    const nn_experiment *x;
    const nn_data *data;
    nn_model *model;
    int n_slots;
    nn_real *slots;              /* (n_slots, n_params), zeroed at start */
    nn_real *slot_ptrs[8 * 2 * NN_MAX_LAYERS];
    nn_real *best_theta;         /* deep copy of the best parameters */
    double best_val;
    long best_epoch;
    int has_best;
    nn_schedule sched;
    int64_t *perm;               /* (m) */
    nn_metric_row *rows;
    long n_rows, cap_rows;
    long iteration, epochs_done;
    double final_loss, seconds;
    int diverged;
    char diverged_msg[256];
} nn_trainer;

int nn_trainer_init(nn_trainer *t, const nn_experiment *x, const nn_data *data, nn_model *model,
                    nn_err *err);
void nn_trainer_free(nn_trainer *t);
/* Runs all epochs. Returns NN_OK, or NN_EDIVERGED with the message in err. */
int nn_train(nn_trainer *t, const nn_train_cb *cb, nn_err *err);
/* Sum of the weight penalties of regs[0..n_reg) on m->theta for a batch of mb
 * examples; adds their gradients into grad (laid out like theta). The
 * trainer and the gradient checker both use it. */
double nn_penalties(const nn_section *regs, int n_reg, const nn_model *m, nn_real *grad, long mb);
/* One optimizer step on the gradient in model->grad at step count t_step. */
void nn_trainer_step(nn_trainer *t, long t_step, nn_real lr);

#endif
