/* train.c: the training loop. Everything it needs is allocated in
 * nn_trainer_init; a step allocates nothing. */
#include "train.h"

#include <math.h>
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

static long tv_i(const nn_section *s, const char *k) { return nn_section_get(s, k)->i; }
static double tv_r(const nn_section *s, const char *k) { return nn_section_get(s, k)->r; }

int nn_trainer_init(nn_trainer *t, const nn_experiment *x, const nn_data *data, nn_model *model,
                    nn_err *err)
{
    memset(t, 0, sizeof *t);
    t->x = x;
    t->data = data;
    t->model = model;
    t->n_slots = x->optim.plugin.desc->ops.optim->n_slots;
    size_t n = model->n_params, m = data->train.m;
    long epochs = tv_i(&x->train, "epochs"), every = tv_i(&x->train, "log_every");
    t->cap_rows = epochs / every + 3;
    t->slots = calloc((size_t)t->n_slots * n + 1, sizeof(nn_real));
    t->best_theta = calloc(n, sizeof(nn_real));
    t->perm = calloc(m ? m : 1, sizeof(int64_t));
    t->rows = calloc((size_t)t->cap_rows, sizeof(nn_metric_row));
    if (!t->slots || !t->best_theta || !t->perm || !t->rows) {
        nn_trainer_free(t);
        return nn_err_set(err, NN_ENOMEM, "out of memory for training state");
    }
    for (int k = 0; k < t->n_slots; k++)
        for (int i = 0; i < model->n_tensors; i++)
            t->slot_ptrs[i * 8 + k] = t->slots + (size_t)k * n + model->tensors[i].off;
    nn_schedule_init(&t->sched, x->schedule.values, x->optim.values[0].r);
    t->best_val = -1;
    return NN_OK;
}

void nn_trainer_free(nn_trainer *t)
{
    free(t->slots);
    free(t->best_theta);
    free(t->perm);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

void nn_trainer_step(nn_trainer *t, long t_step, nn_real lr)
{
    nn_model *m = t->model;
    const nn_plugin *op = t->x->optim.plugin.desc;
    for (int i = 0; i < m->n_tensors; i++) {
        const nn_tensor *ts = &m->tensors[i];
        nn_optim_step s = {m->theta + ts->off, m->grad + ts->off, &t->slot_ptrs[i * 8], ts->n,
                           t_step, lr, ts->is_bias};
        op->ops.optim->step(t->x->optim.values, &s);
    }
    for (int r = 0; r < t->x->n_reg; r++) {
        const nn_reg_ops *ro = t->x->reg[r].plugin.desc->ops.reg;
        if (!ro->constrain)
            continue;
        for (int l = 0; l < m->spec.n_layers; l++)
            ro->constrain(t->x->reg[r].values, nn_model_W(m, l), m->spec.sizes[l + 1], m->spec.sizes[l]);
    }
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

/* Adds every weight penalty to the gradient; returns the summed penalty. */
static double add_penalties(nn_trainer *t, long mb)
{
    return nn_penalties(t->x->reg, t->x->n_reg, t->model, t->model->grad, mb);
}

static int all_finite(const nn_real *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static void clip(nn_trainer *t)
{
    double cn = tv_r(&t->x->train, "clip_norm"), cv = tv_r(&t->x->train, "clip_value");
    if (cv > 0)
        nn_clip_grad_value(t->model->grad, t->model->n_params, cv);
    if (cn > 0)
        nn_clip_grad_norm(t->model->grad, t->model->n_params, cn);
}

/* One step on batch idx[0..mb); returns the batch's summed data loss plus
 * mb times the penalty (so that sum / m is the epoch's mean loss). */
static int train_batch(nn_trainer *t, const int64_t *idx, long mb, long epoch, double *loss_sum,
                       double *lr_out, nn_err *err)
{
    nn_model *m = t->model;
    const nn_split *tr = &t->data->train;
    nn_model_gather(m, tr->X, tr->y, t->data->d, idx, mb);
    nn_real lr = nn_schedule_lr(&t->sched, t->iteration, epoch);
    double data_loss = nn_model_forward(m, mb, 1);
    nn_model_backward(m, mb, 1);
    double pen = add_penalties(t, mb);
    double loss = data_loss * (1.0 / (double)mb) + pen;
    *loss_sum += data_loss + pen * (double)mb;
    *lr_out = lr;
    t->final_loss = loss;
    if (!isfinite(loss))
        return nn_err_set(err, NN_EDIVERGED, "training diverged at epoch %ld, iteration %ld: loss is %g",
                          epoch, t->iteration, loss);
    clip(t);
    nn_trainer_step(t, t->iteration + 1, lr);
    if (!all_finite(m->theta, m->n_params))
        return nn_err_set(err, NN_EDIVERGED,
                          "training diverged at epoch %ld, iteration %ld: a parameter became non-finite (loss was %g)",
                          epoch, t->iteration, loss);
    return NN_OK;
}

static void epoch_order(nn_trainer *t, long epoch, size_t m, int full)
{
    const char *mode = nn_section_get(&t->x->train, "shuffle")->s;
    if (full || strcmp(mode, "none") == 0) {
        for (size_t i = 0; i < m; i++)
            t->perm[i] = (int64_t)i;
        return;
    }
    nn_rng *rng = (nn_rng *)&t->x->train.rng;
    if (strcmp(mode, "reseed") == 0)
        nn_rng_seed(rng, t->x->train.seed + (uint32_t)epoch + 1u);
    nn_rng_permutation(rng, t->perm, m);
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
    nn_eval e = nn_model_evaluate(t->model, v->X, v->y, v->m, t->data->d);
    if (row) {
        row->val_acc = e.accuracy;
        row->val_loss = e.loss;
    }
    if (nn_schedule_monitor(&t->sched))
        nn_schedule_observe(&t->sched, epoch,
                            strcmp(nn_schedule_monitor(&t->sched), "val_loss") == 0 ? e.loss : e.accuracy);
    if (!t->has_best || e.accuracy > t->best_val) {
        t->has_best = 1;
        t->best_val = e.accuracy;
        t->best_epoch = epoch;
        memcpy(t->best_theta, t->model->theta, t->model->n_params * sizeof(nn_real));
    }
}

int nn_train(nn_trainer *t, const nn_train_cb *cb, nn_err *err)
{
    const nn_section *tr = &t->x->train;
    long epochs = tv_i(tr, "epochs"), every = tv_i(tr, "log_every"), val_every = tv_i(tr, "val_every");
    size_t m = t->data->train.m;
    long bs = tv_i(tr, "batch_size");
    int full = bs == 0 || (size_t)bs >= m;
    if (full)
        bs = (long)m;
    double t0 = now_seconds();
    int rc = NN_OK;
    for (long epoch = 0; epoch < epochs && rc == NN_OK; epoch++) {
        epoch_order(t, epoch, m, full);
        double loss_sum = 0, lr = 0;
        int logged = epoch % every == 0 || epoch + 1 == epochs;
        for (size_t start = 0; start < m && rc == NN_OK; start += (size_t)bs) {
            long mb = (long)((m - start) < (size_t)bs ? (m - start) : (size_t)bs);
            rc = train_batch(t, t->perm + start, mb, epoch, &loss_sum, &lr, err);
            t->iteration++;
            if (cb && cb->on_step)
                cb->on_step(cb->ud, epoch, t->iteration, t->final_loss);
        }
        t->epochs_done = epoch + 1;
        if (rc != NN_OK) {
            t->diverged = 1;
            snprintf(t->diverged_msg, sizeof t->diverged_msg, "%s", err->msg);
            new_row(t, epoch, t->final_loss, lr, t0);
            break;
        }
        double loss = full ? t->final_loss : loss_sum / (double)m;
        nn_metric_row *row = logged ? new_row(t, epoch, loss, lr, t0) : NULL;
        if (row) {
            row->iteration = t->iteration - 1;
            row->train_acc = nn_model_evaluate(t->model, t->data->train.X, t->data->train.y, m,
                                               t->data->d).accuracy;
        }
        if ((epoch + 1) % val_every == 0 || epoch + 1 == epochs || row)
            measure_val(t, epoch, row);
        if (row && cb && cb->on_log)
            cb->on_log(cb->ud, row, epochs, full);
    }
    t->seconds = now_seconds() - t0;
    return rc;
}
