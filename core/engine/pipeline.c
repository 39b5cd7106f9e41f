/* pipeline.c: an optimizer's state sizes, views and one step of its pipeline
 * (pipeline.h), shared by the trainer and nnlab check. */
#include "pipeline.h"

#include <string.h>

int nn_optim_plan_state(const nn_optim_ops *o, const nn_value *hp, const char *name,
                        const nn_tensor *ts, int n_tensors, nn_optim_plan *plan, nn_err *err)
{
    memset(plan, 0, sizeof *plan);
    if (n_tensors > NN_MAX_TENSORS)
        return nn_err_set(err, NN_EINTERNAL, "%d tensors, more than %d", n_tensors, NN_MAX_TENSORS);
    double slots = 0, scratch = 0;
    for (int i = 0; i < n_tensors; i++) {
        const nn_tensor *t = &ts[i];
        for (int k = 0; k < o->n_slots; k++) {
            size_t len = o->slot_len ? o->slot_len(hp, k, t->rows, t->cols) : t->n;
            plan->slot_len[i][k] = len;
            slots += (double)len;
        }
        size_t sl = o->scratch_len ? o->scratch_len(hp, t->rows, t->cols) : 0;
        plan->scratch_len[i] = sl;
        scratch += (double)sl;
        if (slots > NN_MAX_STATE || scratch > NN_MAX_STATE)
            return nn_err_set(err, NN_EPLUGIN,
                              "optimizer '%s': %s state for %s (%d x %d) exceeds %.0e elements",
                              name, slots > NN_MAX_STATE ? "slot" : "scratch", t->name, t->rows,
                              t->cols, NN_MAX_STATE);
    }
    plan->slot_total = (size_t)slots;
    plan->scratch_total = (size_t)scratch;
    plan->max_evals = o->max_evals ? o->max_evals(hp) : 0;
    if (plan->max_evals < 0 || plan->max_evals > NN_MAX_EVALS)
        return nn_err_set(err, NN_EPLUGIN,
                          "optimizer '%s': max_evals() is %d, outside 0..%d (NN_MAX_EVALS)", name,
                          plan->max_evals, NN_MAX_EVALS);
    return NN_OK;
}

const char *nn_optim_call_name(nn_optim_call call)
{
    switch (call) {
    case NN_OPTIM_CALL_REDUCE: return "reduce";
    case NN_OPTIM_CALL_SCALARS_UPDATE: return "scalars_update";
    case NN_OPTIM_CALL_STEP: return "step";
    case NN_OPTIM_CALL_MODEL_STEP: return "model_step";
    case NN_OPTIM_CALL_EVAL_POINT: return "eval_point";
    }
    return "?";
}

/* nn_optim_model.evaluate: counts every call, refuses those beyond the bound. */
static int evaluate_cb(void *core, double *loss)
{
    nn_optim_pipe *p = core;
    if (++p->evals_used > p->max_evals || !p->loss_fn)
        return NN_EINTERNAL;
    return p->loss_fn(p->loss_ud, loss);
}

void nn_optim_pipe_init(nn_optim_pipe *p, const nn_optim_ops *o, const nn_value *hp, const char *name,
                        const nn_tensor *ts, int n_tensors, int n_layers, nn_real *theta, nn_real *grad,
                        size_t n, nn_real **slot_ptrs, nn_real *const *scratch, const nn_optim_plan *plan,
                        nn_real *scalars, nn_real *reduced, nn_optim_step *steps)
{
    for (int i = 0; i < n_tensors; i++) {
        const nn_tensor *t = &ts[i];
        size_t sl = plan->scratch_len[i];
        steps[i] = (nn_optim_step){.param = theta + t->off, .grad = grad + t->off,
                                   .slot = &slot_ptrs[i * NN_MAX_SLOTS], .n = t->n,
                                   .is_bias = t->is_bias, .rows = t->rows, .cols = t->cols,
                                   .layer = t->layer, .n_layers = n_layers, .index = i,
                                   .n_tensors = n_tensors, .slot_len = plan->slot_len[i],
                                   .scratch = sl ? scratch[i] : NULL, .scratch_len = sl,
                                   .scalars = scalars};
    }
    *p = (nn_optim_pipe){.ops = o, .hp = hp, .name = name, .theta = theta, .steps = steps,
                         .n_tensors = n_tensors, .scalars = scalars, .reduced = reduced,
                         .max_evals = plan->max_evals};
    p->whole = (nn_optim_model){.param = theta, .grad = grad, .n = n, .n_tensors = n_tensors,
                                .tensors = steps, .scalars = scalars, .evaluate = evaluate_cb,
                                .core = p};
}

static void probe(const nn_optim_pipe *p, int after, nn_optim_call call, int tensor)
{
    if (!p->probe)
        return;
    void (*fn)(void *, nn_optim_call, int) = after ? p->probe->after : p->probe->before;
    if (fn)
        fn(p->probe->ud, call, tensor);
}

static int model_step(nn_optim_pipe *p, long t, nn_real lr, double loss, nn_err *err)
{
    p->whole.t = t;
    p->whole.lr = lr;
    p->whole.loss = loss;
    p->evals_used = 0;
    probe(p, 0, NN_OPTIM_CALL_MODEL_STEP, -1);
    int rc = p->ops->model_step(p->hp, &p->whole);
    probe(p, 1, NN_OPTIM_CALL_MODEL_STEP, -1);
    if (p->evals_used > p->max_evals)
        return nn_err_set(err, NN_EINTERNAL,
                          "optimizer '%s': model_step called evaluate() more than max_evals() = %d times at step %ld",
                          p->name, p->max_evals, t);
    if (rc == NN_EDIVERGED)
        return nn_err_set(err, rc, "optimizer '%s': model_step reports divergence (loss was %g)", p->name, loss);
    if (rc)
        return nn_err_set(err, NN_EINTERNAL, "optimizer '%s': model_step failed with code %d at step %ld",
                          p->name, rc, t);
    return NN_OK;
}

int nn_optim_pipeline(nn_optim_pipe *p, long t, nn_real lr, double loss, nn_err *err)
{
    const nn_optim_ops *o = p->ops;
    int nt = p->n_tensors;
    for (int i = 0; i < nt; i++) {
        p->steps[i].t = t;
        p->steps[i].lr = lr;
        p->steps[i].reduced = NULL;
    }
    if (o->n_reduce > 0) {
        memset(p->reduced, 0, NN_MAX_REDUCE * sizeof *p->reduced);
        for (int i = 0; i < nt; i++) {
            probe(p, 0, NN_OPTIM_CALL_REDUCE, i);
            o->reduce(p->hp, &p->steps[i], p->reduced);
            probe(p, 1, NN_OPTIM_CALL_REDUCE, i);
        }
        for (int i = 0; i < nt; i++)
            p->steps[i].reduced = p->reduced;
    }
    if (o->scalars_update) {
        probe(p, 0, NN_OPTIM_CALL_SCALARS_UPDATE, -1);
        o->scalars_update(p->hp, p->scalars, o->n_reduce > 0 ? p->reduced : NULL, t, lr);
        probe(p, 1, NN_OPTIM_CALL_SCALARS_UPDATE, -1);
    }
    if (o->model_step)
        return model_step(p, t, lr, loss, err);
    for (int i = 0; i < nt; i++) {
        probe(p, 0, NN_OPTIM_CALL_STEP, i);
        o->step(p->hp, &p->steps[i]);
        probe(p, 1, NN_OPTIM_CALL_STEP, i);
    }
    return NN_OK;
}

void nn_optim_eval_point(nn_optim_pipe *p, nn_real *out)
{
    for (int i = 0; i < p->n_tensors; i++) {
        const nn_optim_step *s = &p->steps[i];
        nn_real *o = out + (s->param - p->theta);
        if (!p->ops->eval_point) {
            memcpy(o, s->param, s->n * sizeof *o);
            continue;
        }
        probe(p, 0, NN_OPTIM_CALL_EVAL_POINT, i);
        p->ops->eval_point(p->hp, s, o);
        probe(p, 1, NN_OPTIM_CALL_EVAL_POINT, i);
    }
}
