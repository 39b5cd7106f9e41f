/* network.c: `nnlab check --experiment FILE`: the whole network an
 * experiment describes (its data, initializer and regularizers) through the
 * gradient checker on a small batch of training examples, in a child
 * process like every check (it loads the data set, so it gets the longer
 * time limit of the data checks). */
#include "suite.h"

#include <string.h>

#include "data.h"
#include "run.h"

typedef struct net_arg {
    const char *file;
    const nn_check_model_opts *o;
} net_arg;

static void describe(const nn_experiment *x, char *what, size_t n)
{
    int len = snprintf(what, n, "gradient check of the whole network (init %s", x->init.plugin.desc->name);
    for (int i = 0; i < x->n_reg && len > 0 && (size_t)len < n; i++)
        len += snprintf(what + len, n - (size_t)len, ", %s %s",
                        x->reg[i].plugin.desc->ops.reg->act_forward ? "hook" : "reg", x->reg[i].plugin.desc->name);
    if (len > 0 && (size_t)len < n)
        snprintf(what + len, n - (size_t)len, ")");
}

static void whole_network(nn_checker *c, const void *arg)
{
    const net_arg *a = arg;
    const nn_check_model_opts *o = a->o;
    nn_experiment x;
    nn_data d;
    nn_model m;
    nn_err err = {{0}};
    memset(&d, 0, sizeof d);
    memset(&m, 0, sizeof m);
    int rc = nn_experiment_load(&x, a->file, NULL, 0, c->reg, &err);
    if (rc == NN_OK)
        rc = nn_load_data(&x, &d, 1, &err);
    long mb = o->batch > 0 ? o->batch : 8;
    if (rc == NN_OK && (size_t)mb > d.train.m)
        mb = (long)d.train.m;
    if (rc == NN_OK)
        rc = nn_build_model(&x, &d, mb, &m, &err);
    if (rc == NN_OK)
        rc = nn_attach_hooks(&x, &m, &err);
    nn_chk_set_result(c, rc, &err);
    if (rc)
        return;
    int64_t *perm = nn_chk_alloc(d.train.m, sizeof(int64_t));
    nn_rng r;
    nn_rng_seed(&r, 0);
    nn_rng_permutation(&r, perm, d.train.m);
    nn_model_gather(&m, d.train.X, d.train.y, d.d, perm, mb);
    nn_gc_opts go = {.eps = o->eps, .regs = x.reg, .n_reg = x.n_reg,
                     .max_per_tensor = o->all ? 0 : (o->per_tensor ? o->per_tensor : 100)};
    nn_gc_result res;
    nn_err e = {{0}};
    char what[512];
    describe(&x, what, sizeof what);
    nn_chk_doing(c, what);
    int grc = nn_gradcheck(&m, mb, &go, &res, &e);
    nn_chk_report_gradcheck(c, what, &res, grc, &e);
    if (grc == NN_OK)
        nn_gc_print_tensors(c->out, &res, "     ");
}

int nn_check_experiment(nn_checker *c, const char *file, const nn_check_model_opts *o, nn_err *err)
{
    static const nn_check_model_opts defaults = {0};
    net_arg a = {file, o ? o : &defaults};
    snprintf(c->who, sizeof c->who, "%s", file);
    nn_chk_set_result(c, NN_OK, NULL);
    nn_chk_run(c, "gradient check of the whole network", NN_CHECK_DATA_TIMEOUT_SCALE, whole_network, &a);
    int rc = nn_chk_result(c, err);
    if (rc == NN_OK)
        c->plugins++;
    return rc;
}
