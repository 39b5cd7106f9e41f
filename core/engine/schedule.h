/* schedule.h: learning-rate schedules of the optim.schedule group
 * (constant, step, exponential, inverse_time, cosine, reduce-on-plateau, all
 * with an optional linear warm-up), as closed forms of torch.optim.lr_scheduler
 * (StepLR, ExponentialLR, CosineAnnealingLR, LinearLR + SequentialLR,
 * ReduceLROnPlateau) and the course's inverse-time decay. */
#ifndef NN_SCHEDULE_H
#define NN_SCHEDULE_H

#include "nnlab/plugin.h"
#include "options.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nn_schedule {
    nn_schedule_type type;
    int per_epoch;           /* t counts epochs (1) or iterations (0) */
    nn_real base_lr;
    long step_size;          /* step */
    nn_real gamma;           /* step, exponential */
    nn_real decay_rate;      /* inverse_time */
    long decay_steps;
    int staircase;
    long t_max;              /* cosine */
    nn_real eta_min;
    long warmup;             /* linear warm-up length, 0 = none */
    nn_real warmup_start;
    nn_monitor monitor;      /* plateau: the metric it observes */
    int maximize;            /* plateau: 1 when a larger metric is better */
    int rel_threshold;       /* plateau: threshold_mode "rel" */
    nn_real factor, threshold, min_lr, eps;
    long patience, cooldown;
    /* plateau state */
    nn_real plateau_lr;
    double best;
    long bad_epochs, cooldown_left, last_observed;
} nn_schedule;

/* Settings from the optim.schedule section and a fresh state. */
void nn_schedule_start(nn_schedule *s, const nn_schedule_opts *o, nn_real base_lr);
/* The same from a value block: hp holds one value per nn_schedule_params
 * entry, in that order (choices by name). */
void nn_schedule_init(nn_schedule *s, const nn_value *hp, nn_real base_lr);
/* Learning rate for this 0-based iteration and epoch. */
nn_real nn_schedule_lr(nn_schedule *s, long iteration, long epoch);
/* 1 when the schedule observes s->monitor at the end of each epoch
 * (reduce-on-plateau). */
int nn_schedule_observes(const nn_schedule *s);
/* Reduce-on-plateau input at the end of an epoch (ignored by other types and
 * for an epoch already observed). */
void nn_schedule_observe(nn_schedule *s, long epoch, double metric);
/* The name of the metric the schedule needs ("val_loss", "val_accuracy"),
 * or NULL. */
const char *nn_schedule_monitor(const nn_schedule *s);

#ifdef __cplusplus
}
#endif
#endif
