/* schedule.c: learning-rate schedules (see schedule.h). Closed forms of the
 * torch.optim.lr_scheduler classes; reduce-on-plateau keeps its state in
 * nn_schedule and follows ReduceLROnPlateau.step line by line. */
#include "schedule.h"

#include <math.h>
#include <string.h>

/* Reduce-on-plateau settings and a fresh state (ReduceLROnPlateau.__init__). */
static void nn_schedule_start_plateau(nn_schedule *s, const nn_schedule_opts *o)
{
    s->monitor = o->monitor;
    if (o->mode == NN_PLATEAU_AUTO)
        s->maximize = s->monitor == NN_MONITOR_VAL_ACCURACY;
    else
        s->maximize = o->mode == NN_PLATEAU_MAX;
    s->rel_threshold = o->threshold_mode == NN_THRESHOLD_REL;
    s->factor = o->factor;
    s->patience = o->patience;
    s->threshold = o->threshold;
    s->cooldown = o->cooldown;
    s->min_lr = o->min_lr;
    s->eps = o->eps;
    s->plateau_lr = s->base_lr;
    s->best = s->maximize ? -INFINITY : INFINITY;
    s->bad_epochs = 0;
    s->cooldown_left = 0;
    s->last_observed = -1;
}

void nn_schedule_start(nn_schedule *s, const nn_schedule_opts *o, nn_real base_lr)
{
    memset(s, 0, sizeof *s);
    s->type = o->type;
    s->per_epoch = o->per_epoch != 0;
    s->base_lr = base_lr;
    s->step_size = o->step_size > 0 ? o->step_size : 1;
    s->gamma = o->gamma;
    s->decay_rate = o->decay_rate;
    s->decay_steps = o->decay_steps > 0 ? o->decay_steps : 1;
    s->staircase = o->staircase != 0;
    s->t_max = o->t_max > 0 ? o->t_max : 1;
    s->eta_min = o->eta_min;
    s->warmup = o->warmup > 0 ? o->warmup : 0;
    s->warmup_start = o->warmup_start_factor;
    nn_schedule_start_plateau(s, o);
}

void nn_schedule_init(nn_schedule *s, const nn_value *hp, nn_real base_lr)
{
    nn_schedule_opts o;
    memset(&o, 0, sizeof o);
    nn_options_bind(&nn_schedule_options, hp, &o, NULL);
    nn_schedule_start(s, &o, base_lr);
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

int nn_schedule_observes(const nn_schedule *s)
{
    return s->type == NN_SCHED_PLATEAU;
}

const char *nn_schedule_monitor(const nn_schedule *s)
{
    return nn_schedule_observes(s) ? nn_monitor_names[s->monitor] : NULL;
}
