/* schedule.c: learning-rate schedules (see schedule.h). Closed forms of the
 * torch.optim.lr_scheduler classes; reduce-on-plateau keeps its state in
 * nn_schedule and follows ReduceLROnPlateau.step line by line. */
#include "schedule.h"

#include <math.h>
#include <string.h>

#include "options.h"

enum {
    P_TYPE, P_PER_EPOCH, P_STEP_SIZE, P_GAMMA, P_DECAY_RATE, P_DECAY_STEPS,
    P_STAIRCASE, P_T_MAX, P_ETA_MIN, P_WARMUP, P_WARMUP_START, P_MONITOR,
    P_MODE, P_FACTOR, P_PATIENCE, P_THRESHOLD, P_THRESHOLD_MODE, P_COOLDOWN,
    P_MIN_LR, P_EPS
};

static nn_schedule_type nn_schedule_parse_type(const char *name)
{
    static const char *const names[] = {"constant", "step", "exponential",
                                        "inverse_time", "cosine", "plateau"};
    for (int k = 0; k < NN_ARRAY_LEN(names); k++)
        if (name && strcmp(name, names[k]) == 0)
            return (nn_schedule_type)k;
    return NN_SCHED_CONSTANT;
}

/* Reduce-on-plateau settings and a fresh state (ReduceLROnPlateau.__init__). */
static void nn_schedule_init_plateau(nn_schedule *s, const nn_value *hp)
{
    s->monitor = strcmp(hp[P_MONITOR].s, "val_accuracy") == 0 ? "val_accuracy"
                                                                : "val_loss";
    if (strcmp(hp[P_MODE].s, "auto") == 0)
        s->maximize = strcmp(s->monitor, "val_accuracy") == 0;
    else
        s->maximize = strcmp(hp[P_MODE].s, "max") == 0;
    s->rel_threshold = strcmp(hp[P_THRESHOLD_MODE].s, "rel") == 0;
    s->factor = hp[P_FACTOR].r;
    s->patience = hp[P_PATIENCE].i;
    s->threshold = hp[P_THRESHOLD].r;
    s->cooldown = hp[P_COOLDOWN].i;
    s->min_lr = hp[P_MIN_LR].r;
    s->eps = hp[P_EPS].r;
    s->plateau_lr = s->base_lr;
    s->best = s->maximize ? -INFINITY : INFINITY;
    s->bad_epochs = 0;
    s->cooldown_left = 0;
    s->last_observed = -1;
}

void nn_schedule_init(nn_schedule *s, const nn_value *hp, nn_real base_lr)
{
    memset(s, 0, sizeof *s);
    s->type = nn_schedule_parse_type(hp[P_TYPE].s);
    s->per_epoch = hp[P_PER_EPOCH].i != 0;
    s->base_lr = base_lr;
    s->step_size = hp[P_STEP_SIZE].i > 0 ? hp[P_STEP_SIZE].i : 1;
    s->gamma = hp[P_GAMMA].r;
    s->decay_rate = hp[P_DECAY_RATE].r;
    s->decay_steps = hp[P_DECAY_STEPS].i > 0 ? hp[P_DECAY_STEPS].i : 1;
    s->staircase = hp[P_STAIRCASE].i != 0;
    s->t_max = hp[P_T_MAX].i > 0 ? hp[P_T_MAX].i : 1;
    s->eta_min = hp[P_ETA_MIN].r;
    s->warmup = hp[P_WARMUP].i > 0 ? hp[P_WARMUP].i : 0;
    s->warmup_start = hp[P_WARMUP_START].r;
    nn_schedule_init_plateau(s, hp);
}

/* The schedule proper at t >= 0 units after the warm-up. */
static nn_real nn_schedule_main(const nn_schedule *s, long t)
{
    const nn_real lr0 = s->base_lr;
    switch (s->type) {
    case NN_SCHED_STEP:
        return lr0 * pow(s->gamma, (nn_real)(t / s->step_size));
    case NN_SCHED_EXPONENTIAL:
        return lr0 * pow(s->gamma, (nn_real)t);
    case NN_SCHED_INVERSE_TIME: {
        nn_real p = s->staircase ? (nn_real)(t / s->decay_steps)
                                 : (nn_real)t / (nn_real)s->decay_steps;
        return lr0 / (1 + s->decay_rate * p);
    }
    case NN_SCHED_COSINE:
        return s->eta_min + (lr0 - s->eta_min) *
                                (1 + cos(M_PI * (nn_real)t / (nn_real)s->t_max)) / 2;
    case NN_SCHED_PLATEAU:
        return s->plateau_lr;
    case NN_SCHED_CONSTANT:
    default:
        return lr0;
    }
}

nn_real nn_schedule_lr(nn_schedule *s, long iteration, long epoch)
{
    long t = s->per_epoch ? epoch : iteration;
    if (t < 0)
        t = 0;
    if (t < s->warmup) {
        nn_real f = s->warmup_start +
                    (1 - s->warmup_start) * (nn_real)t / (nn_real)s->warmup;
        return s->base_lr * f;
    }
    return nn_schedule_main(s, t - s->warmup);
}

/* ReduceLROnPlateau.is_better */
static int nn_plateau_better(const nn_schedule *s, double a)
{
    if (s->maximize)
        return s->rel_threshold ? a > s->best * (s->threshold + 1.)
                                : a > s->best + s->threshold;
    return s->rel_threshold ? a < s->best * (1. - s->threshold)
                            : a < s->best - s->threshold;
}

void nn_schedule_observe(nn_schedule *s, long epoch, double metric)
{
    if (s->type != NN_SCHED_PLATEAU || epoch <= s->last_observed)
        return;
    s->last_observed = epoch;
    if (nn_plateau_better(s, metric)) {
        s->best = metric;
        s->bad_epochs = 0;
    } else {
        s->bad_epochs++;
    }
    if (s->cooldown_left > 0) {
        s->cooldown_left--;
        s->bad_epochs = 0;
    }
    if (s->bad_epochs > s->patience) {
        nn_real lr = s->plateau_lr * s->factor;
        if (lr < s->min_lr)
            lr = s->min_lr;
        if (s->plateau_lr - lr > s->eps)
            s->plateau_lr = lr;
        s->cooldown_left = s->cooldown;
        s->bad_epochs = 0;
    }
}

const char *nn_schedule_monitor(const nn_schedule *s)
{
    return s->type == NN_SCHED_PLATEAU ? s->monitor : NULL;
}
