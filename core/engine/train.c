/* train.c: the training loop. Everything it needs is allocated in
 * nn_trainer_init; a step allocates nothing. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clip.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The optimizer's state sizes at these hyperparameters (pipeline.h). */
static int plan_state(nn_trainer *t, nn_err *err)
{
    int rc = nn_optim_plan_state(t->ops, t->hp, t->x->optim.plugin.desc->name, t->model->tensors,
                                 t->model->n_tensors, &t->plan, err);
    t->slot_total = t->plan.slot_total;
    t->scratch_total = t->plan.scratch_total;
    t->max_evals = t->plan.max_evals;
    return rc;
}

static int loss_fn(void *ud, double *loss);

/* Lays the slots and scratch out (slot k of every tensor, then k + 1; each
 * tensor's scratch in turn) and builds the pipeline's views over them. */
static void build_views(nn_trainer *t)
{
    nn_model *m = t->model;
    size_t off = 0;
    for (int k = 0; k < t->n_slots; k++)
        for (int i = 0; i < m->n_tensors; i++) {
            t->slot_ptrs[i * NN_MAX_SLOTS + k] = t->slots + off;
            off += t->plan.slot_len[i][k];
        }
    off = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        t->scratch_ptrs[i] = t->scratch + off;
        off += t->plan.scratch_len[i];
    }
    nn_optim_pipe_init(&t->pipe, t->ops, t->hp, t->x->optim.plugin.desc->name, m->tensors,
                       m->n_tensors, m->spec.n_layers, m->theta, m->grad, m->n_params, t->slot_ptrs,
                       t->scratch_ptrs, &t->plan, t->scalars, t->reduced, t->steps);
    t->pipe.loss_fn = loss_fn;
    t->pipe.loss_ud = t;
}

int nn_trainer_init(nn_trainer *t, const nn_experiment *x, const nn_data *data, nn_model *model,
                    nn_err *err)
{
    memset(t, 0, sizeof *t);
    t->x = x;
    t->data = data;
    t->model = model;
    model->skip_z = 1; /* nothing of the loop reads a hidden Z but the diagnostics (fill_z) */
    t->ops = &x->optim.plugin.optim;
    t->hp = x->optim.values;
    t->n_slots = t->ops->n_slots;
    if (!t->ops->step && !t->ops->model_step)
        return nn_err_set(err, NN_EINTERNAL, "optimizer '%s': operations not resolved",
                          x->optim.plugin.desc ? x->optim.plugin.desc->name : "?");
    if (model->n_tensors > NN_MAX_TENSORS || model->n_hooks > NN_MAX_HOOKS)
        return nn_err_set(err, NN_EINTERNAL, "model with %d tensors and %d hooks", model->n_tensors,
                          model->n_hooks);
    int rc = plan_state(t, err);
    if (rc)
        return rc;
    size_t n = model->n_params, m = data->train.m;
    t->cap_rows = x->opts.train.epochs / x->opts.train.log_every + 3;
    t->slots = calloc(t->slot_total + 1, sizeof(nn_real));
    t->scratch = calloc(t->scratch_total + 1, sizeof(nn_real));
    t->eval_theta = t->ops->eval_point ? calloc(n, sizeof(nn_real)) : NULL;
    t->best_theta = calloc(n, sizeof(nn_real));
    t->perm = calloc(m ? m : 1, sizeof(int64_t));
    t->rows = calloc((size_t)t->cap_rows, sizeof(nn_metric_row));
    if (!t->slots || !t->scratch || (t->ops->eval_point && !t->eval_theta) || !t->best_theta ||
        !t->perm || !t->rows) {
        nn_trainer_free(t);
        return nn_err_set(err, NN_ENOMEM, "out of memory for training state");
    }
    build_views(t);
    if (t->ops->scalars_init)
        t->ops->scalars_init(t->hp, t->scalars);
    nn_trainer_eval_point(t);
    nn_schedule_start(&t->sched, &x->opts.schedule, x->optim.values[x->optim_lr].r);
    t->shuffle = x->train.rng;
    t->best_val = -1;
    return NN_OK;
}

void nn_trainer_free(nn_trainer *t)
{
    free(t->slots);
    free(t->scratch);
    free(t->eval_theta);
    free(t->best_theta);
    free(t->perm);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

double nn_penalties(const nn_section *regs, int n_reg, const nn_model *m, nn_real *grad, long mb)
{
    double pen = 0;
    for (int r = 0; r < n_reg; r++) {
        const nn_reg_ops *ro = regs[r].plugin.desc->ops.reg;
        if (!ro->penalty)
            continue;
        for (int i = 0; i < m->n_tensors; i++) {
            const nn_tensor *ts = &m->tensors[i];
            nn_reg_tensor rt = {m->theta + ts->off, grad + ts->off, ts->rows, ts->cols, mb,
                                ts->layer, ts->is_bias};
            pen += ro->penalty(regs[r].values, &rt);
        }
    }
    return pen;
}

/* 1 when no value is an infinity or a NaN, in one branch-free pass that
 * GCC vectorises: the exponent field plus one carries into the sign bit
 * exactly when the exponent is all ones. */
#ifdef NN_REAL_IS_FLOAT
typedef uint32_t real_bits;
#define EXP_MASK 0x7f800000u
#define EXP_ONE 0x00800000u
#else
typedef uint64_t real_bits;
#define EXP_MASK 0x7ff0000000000000u
#define EXP_ONE 0x0010000000000000u
#endif
_Static_assert(sizeof(real_bits) == sizeof(nn_real), "nn_real is float or double");

static int all_finite(const nn_real *v, size_t n)
{
    real_bits bad = 0;
    for (size_t i = 0; i < n; i++) {
        real_bits b;
        memcpy(&b, &v[i], sizeof b);
        bad |= (b & EXP_MASK) + EXP_ONE;
    }
    return !(bad >> (8 * sizeof bad - 1));
}

/* Index of the first non-finite value of v, or -1 (only when a step failed). */
static long first_bad(const nn_real *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return (long)i;
    return -1;
}

/* "tensor W2 (layer 2 weights) at [3, 1] = nan" for the first non-finite
 * value of the array laid out like theta (the parameters or their
 * gradient), or 0 when every value is finite. */
static int where_in_tensors(const nn_model *m, const nn_real *v, char *out, size_t n)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const nn_tensor *ts = &m->tensors[i];
        long k = first_bad(v + ts->off, ts->n);
        if (k < 0)
            continue;
        if (ts->is_bias)
            snprintf(out, n, "layer %d, tensor %s (biases) at [%ld] = %g", ts->layer + 1, ts->name,
                     k, (double)v[ts->off + (size_t)k]);
        else
            snprintf(out, n, "layer %d, tensor %s (weights) at [%ld, %ld] = %g", ts->layer + 1,
                     ts->name, k / ts->cols, k % ts->cols, (double)v[ts->off + (size_t)k]);
        return 1;
    }
    return 0;
}

/* Where a non-finite loss first showed in the last forward pass. */
static void where_in_forward(const nn_model *m, long mb, char *out, size_t n)
{
    const nn_model_spec *s = &m->spec;
    for (int l = 0; l < s->n_layers; l++) {
        size_t units = (size_t)s->sizes[l + 1], len = units * (size_t)mb;
        int hidden = l + 1 < s->n_layers;
        long k = first_bad(m->Z[l], len);
        const char *what = "pre-activations";
        if (k < 0 && hidden) {
            k = first_bad(m->A[l], len);
            what = "activations";
        }
        if (k >= 0) {
            snprintf(out, n, "layer %d (%s), its %s at unit %ld of example %ld of the batch", l + 1,
                     hidden ? "hidden" : "output", what, k / mb, k % mb);
            return;
        }
    }
    snprintf(out, n, "the loss of the output layer (layer %d), its inputs finite", s->n_layers);
}

/* The message of a step that produced a non-finite loss or parameter. */
static int diverged(nn_trainer *t, long mb, const nn_step_result *r, int in_loss, nn_err *err)
{
    const nn_model *m = t->model;
    double loss = r->loss;
    char where[256];
    if (in_loss) {
        if (where_in_tensors(m, m->theta, where, sizeof where))
            ;
        else if (isfinite(r->data_sum) && !isfinite(r->penalty))
            snprintf(where, sizeof where, "the weight penalties of the regularizers (%g), the "
                     "data loss finite", r->penalty);
        else {
            nn_model_fill_z(t->model, mb); /* the Z a training forward left unwritten */
            where_in_forward(m, mb, where, sizeof where);
        }
        return nn_err_set(err, NN_EDIVERGED, "training diverged at epoch %ld, iteration %ld: loss "
                          "is %g; first non-finite value: %s", t->epoch, t->iteration, loss, where);
    }
    const char *name = t->x->optim.plugin.desc->name;
    if (where_in_tensors(m, m->grad, where, sizeof where))
        return nn_err_set(err, NN_EDIVERGED, "training diverged at epoch %ld, iteration %ld: the "
                          "gradient became non-finite (loss was %g); first non-finite value: %s",
                          t->epoch, t->iteration, loss, where);
    where_in_tensors(m, m->theta, where, sizeof where);
    return nn_err_set(err, NN_EDIVERGED, "training diverged at epoch %ld, iteration %ld: a parameter "
                      "became non-finite in the step of optimizer '%s' (loss was %g, gradient "
                      "finite); first non-finite value: %s", t->epoch, t->iteration, name, loss,
                      where);
}

static void clip(nn_trainer *t)
{
    double cn = t->x->opts.train.clip_norm, cv = t->x->opts.train.clip_value;
    if (cv > 0)
        nn_clip_grad_value(t->model->grad, t->model->n_params, cv);
    if (cn > 0)
        nn_clip_grad_norm(t->model->grad, t->model->n_params, cn);
}

/* Loss and gradient at the current parameters on the gathered batch:
 * forward with the activation hooks, backward, weight penalties, clipping.
 * Every call is one gradient evaluation. */
static void loss_and_grad(nn_trainer *t, long mb, nn_step_result *r)
{
    nn_model *m = t->model;
    r->data_sum = nn_model_forward(m, mb, 1);
    nn_model_backward(m, mb, 1);
    r->penalty = nn_penalties(t->x->reg, t->x->n_reg, m, m->grad, mb);
    r->loss = r->data_sum * (1.0 / (double)mb) + r->penalty;
    clip(t);
    t->grad_evals++;
}

/* The pipeline's evaluate(): the same batch, the hooks' streams as they
 * were before the step's first forward (so the same dropout masks and noise). */
static int loss_fn(void *ud, double *loss)
{
    nn_trainer *t = ud;
    for (int h = 0; h < t->model->n_hooks; h++)
        *t->model->hooks[h].rng = t->hook_rng[h];
    nn_step_result r;
    loss_and_grad(t, t->batch_m, &r);
    *loss = r.loss;
    return NN_OK;
}

static void constrain(nn_trainer *t)
{
    nn_model *m = t->model;
    for (int r = 0; r < t->x->n_reg; r++) {
        const nn_reg_ops *ro = t->x->reg[r].plugin.desc->ops.reg;
        if (!ro->constrain)
            continue;
        for (int l = 0; l < m->spec.n_layers; l++)
            ro->constrain(t->x->reg[r].values, nn_model_W(m, l), m->spec.sizes[l + 1], m->spec.sizes[l]);
    }
}

int nn_trainer_train_step(nn_trainer *t, const int64_t *idx, long mb, nn_real lr,
                          nn_step_result *out, nn_err *err)
{
    nn_model *m = t->model;
    const nn_split *tr = &t->data->train;
    long t_step = t->iteration + 1;
    nn_model_gather(m, tr->X, tr->y, t->data->d, idx, mb);
    t->batch_m = mb;
    if (t->ops->model_step)
        for (int h = 0; h < m->n_hooks; h++)
            t->hook_rng[h] = *m->hooks[h].rng;
    loss_and_grad(t, mb, out);
    if (t->x->opts.train.train_accuracy == NN_TRAIN_ACC_BATCHES)
        t->batch_correct += nn_model_count_correct(m, mb);
    t->final_loss = out->loss;
    int rc = NN_OK;
    if (!isfinite(out->loss))
        rc = diverged(t, mb, out, 1, err);
    if (rc == NN_OK)
        rc = nn_optim_pipeline(&t->pipe, t_step, lr, out->loss, err);
    if (rc == NN_OK)
        constrain(t);
    if (rc == NN_OK && !all_finite(m->theta, m->n_params))
        rc = diverged(t, mb, out, 0, err);
    t->iteration++;
    return rc;
}

const nn_real *nn_trainer_eval_point(nn_trainer *t)
{
    if (!t->eval_theta)
        return t->model->theta;
    nn_optim_eval_point(&t->pipe, t->eval_theta);
    return t->eval_theta;
}

const nn_real *nn_trainer_eval_theta(const nn_trainer *t)
{
    return t->eval_theta ? t->eval_theta : t->model->theta;
}

nn_real *nn_trainer_use(nn_trainer *t, int which)
{
    nn_real *own = t->model->theta;
    if (which == NN_USE_BEST && t->has_best)
        t->model->theta = t->best_theta;
    else if (t->eval_theta)
        t->model->theta = t->eval_theta;
    return own;
}

void nn_trainer_unuse(nn_trainer *t, nn_real *own)
{
    t->model->theta = own;
}

/* Loss and accuracy of a split at the evaluation point (the raw parameters
 * are put back: nothing of the training state changes). */
static nn_eval evaluate_split(nn_trainer *t, const nn_split *s)
{
    nn_real *own = nn_trainer_use(t, NN_USE_FINAL);
    nn_eval e = nn_model_evaluate(t->model, s->X, s->y, s->m, t->data->d);
    nn_trainer_unuse(t, own);
    return e;
}

static void epoch_order(nn_trainer *t, long epoch, size_t m, int full)
{
    nn_shuffle mode = t->x->opts.train.shuffle;
    if (full || mode == NN_SHUFFLE_NONE) {
        for (size_t i = 0; i < m; i++)
            t->perm[i] = (int64_t)i;
        return;
    }
    if (mode == NN_SHUFFLE_RESEED)
        nn_rng_seed(&t->shuffle, t->x->train.seed + (uint32_t)epoch + 1u);
    nn_rng_permutation(&t->shuffle, t->perm, m);
}

static nn_metric_row *new_row(nn_trainer *t, long epoch, double loss, double lr, double t0)
{
    if (t->n_rows >= t->cap_rows)
        return NULL;
    nn_metric_row *r = &t->rows[t->n_rows++];
    *r = (nn_metric_row){epoch, t->iteration, loss, NAN, NAN, lr, now_seconds() - t0, NAN};
    return r;
}

static void measure_val(nn_trainer *t, long epoch, nn_metric_row *row)
{
    const nn_split *v = &t->data->val;
    if (v->m == 0)
        return;
    nn_eval e = evaluate_split(t, v);
    if (row) {
        row->val_acc = e.accuracy;
        row->val_loss = e.loss;
    }
    if (nn_schedule_observes(&t->sched))
        nn_schedule_observe(&t->sched, epoch,
                            t->sched.monitor == NN_MONITOR_VAL_LOSS ? e.loss : e.accuracy);
    if (!t->has_best || e.accuracy > t->best_val) {
        t->has_best = 1;
        t->best_val = e.accuracy;
        t->best_epoch = epoch;
        memcpy(t->best_theta, nn_trainer_eval_theta(t), t->model->n_params * sizeof(nn_real));
    }
}

/* The last epoch of a run that leaves its end state (t->end_state): the
 * boundary with the state a run of more epochs has after this epoch. Such
 * a run logs a row here only if epoch % log_every == 0 and validates only
 * if that or (epoch + 1) % val_every == 0; this run does both at its last
 * epoch in any case. Called after the epoch's steps, before its row: it
 * validates first when the longer run would (measure_val again at the same
 * point changes nothing: the schedule skips an epoch it observed, the best
 * model needs a better accuracy). */
static void end_boundary(nn_trainer *t, long epoch, int validates)
{
    if (validates) {
        nn_trainer_eval_point(t);
        measure_val(t, epoch, NULL);
    }
    t->next_epoch = epoch + 1;
    t->next_pos = 0;
    t->boundary(t->boundary_ud, t, NN_BOUNDARY_END);
    t->next_epoch = epoch;
}

/* The boundary callback's word (train.h). */
static int stop_here(nn_trainer *t, int epoch_end)
{
    if (!t->boundary || !t->boundary(t->boundary_ud, t, epoch_end))
        return 0;
    t->stopped = 1;
    return 1;
}

int nn_train(nn_trainer *t, const nn_train_cb *cb, nn_err *err)
{
    const nn_train_opts *tr = &t->x->opts.train;
    long epochs = tr->epochs, every = tr->log_every, val_every = tr->val_every;
    size_t m = t->data->train.m;
    long bs = tr->batch_size;
    int full = bs == 0 || (size_t)bs >= m;
    if (full)
        bs = (long)m;
    double t0 = now_seconds() - t->seconds; /* a resumed run counts on */
    int rc = NN_OK;
    long first = t->resumed ? t->next_epoch : 0;
    for (long epoch = first; epoch < epochs && rc == NN_OK && !t->stopped; epoch++) {
        t->epoch = epoch;
        if (!(t->resumed && epoch == first && t->next_pos > 0)) { /* else: order and sums restored */
            epoch_order(t, epoch, m, full);
            t->next_pos = 0;
            t->epoch_loss = 0;
            t->batch_correct = 0;
        }
        t->resumed = 0;
        t->next_epoch = epoch;
        double lr = 0;
        int logged = epoch % every == 0 || epoch + 1 == epochs;
        for (size_t start = t->next_pos; start < m && rc == NN_OK; start += (size_t)bs) {
            long mb = (long)((m - start) < (size_t)bs ? (m - start) : (size_t)bs);
            lr = nn_schedule_lr(&t->sched, t->iteration, epoch);
            nn_step_result r;
            rc = nn_trainer_train_step(t, t->perm + start, mb, lr, &r, err);
            t->epoch_loss += r.data_sum + r.penalty * (double)mb;
            t->next_pos = start + (size_t)mb;
            t->seconds = now_seconds() - t0;
            if (cb && cb->on_step)
                cb->on_step(cb->ud, epoch, t->iteration, t->final_loss);
            if (rc == NN_OK && t->next_pos < m && stop_here(t, 0))
                break;
        }
        if (t->stopped)
            break;
        t->epochs_done = epoch + 1;
        if (rc != NN_OK) {
            t->diverged = rc == NN_EDIVERGED;
            t->failed = rc != NN_EDIVERGED;
            snprintf(t->diverged_msg, sizeof t->diverged_msg, "%s", err->msg);
            new_row(t, epoch, t->final_loss, lr, t0);
            break;
        }
        double loss = full ? t->final_loss : t->epoch_loss / (double)m;
        int own_row = epoch % every == 0; /* what a longer run does here */
        int end_here = epoch + 1 == epochs && t->end_state && t->boundary;
        if (end_here && !own_row)
            end_boundary(t, epoch, (epoch + 1) % val_every == 0);
        nn_metric_row *row = logged ? new_row(t, epoch, loss, lr, t0) : NULL;
        int validate = (epoch + 1) % val_every == 0 || epoch + 1 == epochs || row;
        if (row || validate)
            nn_trainer_eval_point(t);
        if (row) {
            row->iteration = t->iteration - 1;
            row->train_acc = tr->train_accuracy == NN_TRAIN_ACC_BATCHES
                                 ? (double)t->batch_correct / (double)m
                                 : evaluate_split(t, &t->data->train).accuracy;
        }
        if (validate)
            measure_val(t, epoch, row);
        if (row && cb && cb->on_log)
            cb->on_log(cb->ud, row, epochs, full);
        t->next_epoch = epoch + 1;
        t->next_pos = 0;
        t->seconds = now_seconds() - t0;
        if (epoch + 1 < epochs)
            stop_here(t, 1);
        else if (end_here && own_row) /* this row and validation are the longer run's too */
            t->boundary(t->boundary_ud, t, NN_BOUNDARY_END);
    }
    t->seconds = now_seconds() - t0;
    nn_trainer_eval_point(t);
    return rc;
}
