/* test_optim_net.c: every optimizer trajectory in tests/data/optim_net_*.txt
 * (written by the generators under tests/optim_ref/ with PyTorch 1.13 or
 * NumPy; format in tests/optim_ref/common.py) replayed through nnlab's own
 * training path: an experiment file with the npy data plugin, the core's
 * model, the reference's initial parameters, every step through
 * nn_trainer_train_step (the one training step nn_train runs) on the batches
 * shuffle = "none" gives, and after every step the parameters (and, where the
 * reference has them, the evaluation points) compared with the reference's.
 * For each trajectory it prints the largest relative difference |got - want| /
 * max(1, |want|) with its step and element, for the parameters and the
 * evaluation points apart; above NN_NET_TOL the test fails. For each
 * optimizer whose references have evaluation points, some trajectory's must
 * differ from its parameters by more than the tolerance (so that comparing
 * the wrong vector would fail). Where the reference counts its loss and
 * gradient evaluations (closure calls: SAM and L-BFGS make several a step,
 * on the step's batch), the trainer's count must be the same. One cmocka
 * test per optimizer, plus one that changes lr by one part in a million and
 * must see the mismatch. */
#include "testutil.h"

#include <dirent.h>

#include "data.h"
#include "experiment.h"
#include "model.h"
#include "nnlab/io.h"
#include "util.h"
#include "run.h"
#include "train.h"

#define NN_NET_TOL 1e-9
#define NN_NET_MAX_SET 16
#define NN_NET_MAX_CASES 512
#define NN_NET_MAX_OPTIMS 64

typedef struct nn_net_case {
    char file[256], label[64], optim[64];
    int steps, batch, nset;
    char key[NN_NET_MAX_SET][48], val[NN_NET_MAX_SET][64];
    char act[16], out[16];
    int n_layers, sizes[NN_MAX_LAYERS + 1];
    int m, d;
    double *X;        /* (m, d) */
    int32_t *y;       /* (m) */
    int n;            /* parameters */
    double *theta0;   /* (n) */
    double *p;        /* (steps, n): parameters after each step */
    double *ev;       /* (steps, n) evaluation points, or NULL */
    long grad_evals;  /* the reference's loss-and-gradient evaluations, or -1 */
} nn_net_case;

static nn_net_case nn_cases[NN_NET_MAX_CASES];
static int nn_n_cases;

/* ---- reading the reference files ------------------------------------------ */

typedef struct nn_net_reader {
    FILE *f;
    const char *path;
    char *line, *save;
    size_t cap;
    int lineno;
} nn_net_reader;

static const char *rd_line(nn_net_reader *r)
{
    while (getline(&r->line, &r->cap, r->f) > 0) {
        r->lineno++;
        char *tok = strtok_r(r->line, " \t\r\n", &r->save);
        if (tok && tok[0] != '#')
            return tok;
    }
    return NULL;
}

static const char *rd_tok(nn_net_reader *r)
{
    const char *t = strtok_r(NULL, " \t\r\n", &r->save);
    if (!t)
        fail_msg("%s:%d: line too short", r->path, r->lineno);
    return t;
}

static long rd_int(nn_net_reader *r) { return strtol(rd_tok(r), NULL, 10); }

static void rd_reals(nn_net_reader *r, double *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = strtod(rd_tok(r), NULL);
}

/* The next line must start with word. */
static void rd_expect(nn_net_reader *r, const char *word)
{
    const char *t = rd_line(r);
    if (!t || strcmp(t, word) != 0)
        fail_msg("%s:%d: expected '%s', found '%s'", r->path, r->lineno, word, t ? t : "end of file");
}

static void *rd_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    assert_non_null(p);
    return p;
}

static void rd_net(nn_net_reader *r, nn_net_case *c)
{
    snprintf(c->act, sizeof c->act, "%s", rd_tok(r));
    snprintf(c->out, sizeof c->out, "%s", rd_tok(r));
    c->n_layers = (int)rd_int(r);
    assert_true(c->n_layers >= 1 && c->n_layers <= NN_MAX_LAYERS);
    for (int l = 0; l <= c->n_layers; l++)
        c->sizes[l] = (int)rd_int(r);
    rd_expect(r, "data");
    c->m = (int)rd_int(r);
    c->d = (int)rd_int(r);
    assert_int_equal(c->d, c->sizes[0]);
    c->X = rd_alloc((size_t)c->m * (size_t)c->d, sizeof(double));
    c->y = rd_alloc((size_t)c->m, sizeof(int32_t));
    for (int i = 0; i < c->m; i++) {
        rd_expect(r, "x");
        rd_reals(r, c->X + (size_t)i * (size_t)c->d, c->d);
    }
    rd_expect(r, "y");
    for (int i = 0; i < c->m; i++)
        c->y[i] = (int32_t)rd_int(r);
}

/* Reads the trajectory lines up to "end". */
static void rd_traj(nn_net_reader *r, nn_net_case *c)
{
    rd_expect(r, "theta");
    c->n = (int)rd_int(r);
    c->theta0 = rd_alloc((size_t)c->n, sizeof(double));
    rd_reals(r, c->theta0, c->n);
    c->p = rd_alloc((size_t)c->steps * (size_t)c->n, sizeof(double));
    int k = 0;
    c->grad_evals = -1;
    for (const char *t; (t = rd_line(r)) && strcmp(t, "end") != 0;) {
        if (strcmp(t, "grad_evals") == 0) {
            c->grad_evals = rd_int(r);
            continue;
        }
        int ev = strcmp(t, "eval") == 0;
        if (!ev && strcmp(t, "step") != 0)
            fail_msg("%s:%d: unexpected '%s'", r->path, r->lineno, t);
        int step = (int)rd_int(r);
        if (ev && !c->ev)
            c->ev = rd_alloc((size_t)c->steps * (size_t)c->n, sizeof(double));
        if (!ev)
            k++;
        if (step != k || step > c->steps)
            fail_msg("%s:%d: step %d out of order", r->path, r->lineno, step);
        rd_reals(r, (ev ? c->ev : c->p) + (size_t)(step - 1) * (size_t)c->n, c->n);
    }
    if (k != c->steps)
        fail_msg("%s:%d: %s %s has %d of %d steps", r->path, r->lineno, c->optim, c->label, k, c->steps);
}

static void rd_case(nn_net_reader *r, nn_net_case *c)
{
    snprintf(c->label, sizeof c->label, "%s", rd_tok(r));
    snprintf(c->optim, sizeof c->optim, "%s", rd_tok(r));
    c->steps = (int)rd_int(r);
    c->batch = (int)rd_int(r);
    const char *t;
    while ((t = rd_line(r)) && strcmp(t, "set") == 0) {
        assert_true(c->nset < NN_NET_MAX_SET);
        snprintf(c->key[c->nset], sizeof c->key[0], "%s", rd_tok(r));
        snprintf(c->val[c->nset], sizeof c->val[0], "%s", rd_tok(r));
        c->nset++;
    }
    if (!t || strcmp(t, "net") != 0)
        fail_msg("%s:%d: expected 'net'", r->path, r->lineno);
    rd_net(r, c);
    rd_traj(r, c);
}

static void rd_file(const char *path)
{
    nn_net_reader r = {fopen(path, "r"), path, NULL, NULL, 0, 0};
    if (!r.f)
        fail_msg("cannot open %s", path);
    for (const char *t; (t = rd_line(&r));) {
        if (strcmp(t, "case") != 0)
            fail_msg("%s:%d: expected 'case', found '%s'", path, r.lineno, t);
        assert_true(nn_n_cases < NN_NET_MAX_CASES);
        nn_net_case *c = &nn_cases[nn_n_cases++];
        memset(c, 0, sizeof *c);
        snprintf(c->file, sizeof c->file, "%s", strrchr(path, '/') + 1);
        rd_case(&r, c);
    }
    free(r.line);
    fclose(r.f);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NN_TEST_DATA/optim_net_*.txt, in name order. */
static void rd_all(void)
{
    DIR *dir = opendir(NN_TEST_DATA);
    assert_non_null(dir);
    char *names[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "optim_net_", 10) == 0 && len > 4 &&
            strcmp(e->d_name + len - 4, ".txt") == 0 && n < 64)
            names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)n, sizeof names[0], name_cmp);
    for (int i = 0; i < n; i++) {
        rd_file(nn_path_join(NN_TEST_DATA, names[i]));
        free(names[i]);
    }
}

/* ---- replaying one trajectory through the training loop ------------------- */

typedef struct nn_net_worst {
    double rel;
    int step, index;
    double got, want;
    int eval;         /* 1: the worst was an evaluation point */
} nn_net_worst;

static double net_rel(double a, double b)
{
    if (a == b)
        return 0;
    double r = fabs(a - b) / fmax(1.0, fabs(b));
    return isnan(r) ? INFINITY : r;
}

/* What replaying one trajectory found: the parameters against the step
 * lines, the evaluation points against the eval lines, how far the
 * parameters are from the eval lines, and the gradient evaluations made. */
typedef struct nn_net_result {
    nn_net_worst p, ev, p_vs_ev;
    long grad_evals;
} nn_net_result;

/* Folds the differences of got from want (n) after step into w. */
static void net_compare(nn_net_worst *w, const double *got, const double *want, int n, int step,
                        int eval)
{
    for (int i = 0; i < n; i++) {
        double rel = net_rel(got[i], want[i]);
        if (rel > w->rel)
            *w = (nn_net_worst){rel, step, i, got[i], want[i], eval};
    }
}

/* The experiment file for case c (with optim.lr replaced when lr is not NULL). */
static void net_config(const nn_net_case *c, const char *lr, char *text, size_t cap)
{
    int full = c->batch == 0;
    int epochs = full ? c->steps : c->steps / (c->m / c->batch);
    char hidden[128] = "", optim[2048] = "";
    size_t o = 0;
    for (int l = 1; l < c->n_layers; l++)
        o += (size_t)snprintf(hidden + o, sizeof hidden - o, "%s%d", l > 1 ? ", " : "", c->sizes[l]);
    o = 0;
    for (int k = 0; k < c->nset; k++)
        if (!lr || strcmp(c->key[k], "lr") != 0)
            o += (size_t)snprintf(optim + o, sizeof optim - o, " %s = %s;", c->key[k], c->val[k]);
    if (lr)
        snprintf(optim + o, sizeof optim - o, " lr = %s;", lr);
    snprintf(text, cap,
             "name = \"optim_net\"; seed = 1;\n"
             "data = { plugin = \"npy\"; x_train = \"X.npy\"; y_train = \"y.npy\"; classes = %d; };\n"
             "model = { hidden = [%s]; activation = \"%s\"; output = \"%s\"; };\n"
             "init = { plugin = \"zeros\"; };\n"
             "optim = { plugin = \"%s\";%s };\n"
             "train = { epochs = %d; batch_size = %d; shuffle = \"none\"; log_every = %d; };\n",
             strcmp(c->out, "sigmoid") == 0 ? 2 : c->sizes[c->n_layers], hidden, c->act, c->out,
             c->optim, optim, epochs, c->batch, epochs);
}

static void net_write_files(const nn_net_case *c, const char *dir, const char *cfg_text)
{
    char path[256];
    nn_err err;
    size_t shape[2] = {(size_t)c->m, (size_t)c->d};
    snprintf(path, sizeof path, "%s/X.npy", dir);
    if (nn_npy_write_f64(path, c->X, 2, shape, &err))
        fail_msg("%s", err.msg);
    snprintf(path, sizeof path, "%s/y.npy", dir);
    if (nn_npy_write(path, "<i4", c->y, sizeof(int32_t), 1, shape, &err))
        fail_msg("%s", err.msg);
    snprintf(path, sizeof path, "%s/exp.cfg", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(cfg_text, f);
    fclose(f);
}

static void net_remove_files(const char *dir)
{
    static const char *const files[] = {"X.npy", "y.npy", "exp.cfg"};
    char path[256];
    for (int i = 0; i < NN_ARRAY_LEN(files); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Trains case c from its initial parameters; returns the worst differences. */
static nn_net_result net_run(const nn_net_case *c, const char *lr)
{
    char dir[128], cfg[256], text[4096];
    tu_temp_dir(dir);
    net_config(c, lr, text, sizeof text);
    net_write_files(c, dir, text);
    snprintf(cfg, sizeof cfg, "%s/exp.cfg", dir);

    nn_experiment x;
    nn_data d;
    nn_model m;
    nn_trainer t;
    nn_registry reg;
    nn_err err;
    nn_registry_init(&reg, NULL);
    if (nn_experiment_load(&x, cfg, NULL, 0, &reg, &err) || nn_load_data(&x, &d, 1, &err) ||
        nn_build_model(&x, &d, (long)d.train.m, &m, &err) || nn_attach_hooks(&x, &m, &err))
        fail_msg("%s %s: %s", c->optim, c->label, err.msg);
    nn_registry_free(&reg);
    if (m.n_params != (size_t)c->n)
        fail_msg("%s %s: model has %zu parameters, reference %d", c->optim, c->label, m.n_params, c->n);
    memcpy(m.theta, c->theta0, (size_t)c->n * sizeof(double));
    assert_int_equal(nn_trainer_init(&t, &x, &d, &m, &err), NN_OK);
    /* the batches nn_train takes with shuffle = "none": in order, from the
     * start again every epoch */
    int64_t *idx = rd_alloc(d.train.m, sizeof(int64_t));
    for (size_t i = 0; i < d.train.m; i++)
        idx[i] = (int64_t)i;
    size_t bs = c->batch ? (size_t)c->batch : d.train.m, start = 0;
    long epoch = 0;
    const nn_net_worst none = {0, 0, -1, 0, 0, 0};
    nn_net_result w = {none, none, none, 0};
    for (int k = 1; k <= c->steps; k++) {
        long mb = (long)(d.train.m - start < bs ? d.train.m - start : bs);
        nn_real step_lr = nn_schedule_lr(&t.sched, t.iteration, epoch);
        nn_step_result r;
        if (nn_trainer_train_step(&t, idx + start, mb, step_lr, &r, &err) != NN_OK)
            fail_msg("%s %s: step %d: %s", c->optim, c->label, k, err.msg);
        size_t at = (size_t)(k - 1) * (size_t)c->n;
        net_compare(&w.p, m.theta, c->p + at, c->n, k, 0);
        if (c->ev) {
            net_compare(&w.ev, nn_trainer_eval_point(&t), c->ev + at, c->n, k, 1);
            net_compare(&w.p_vs_ev, m.theta, c->ev + at, c->n, k, 0);
        }
        start += bs;
        if (start >= d.train.m) {
            start = 0;
            epoch++;
        }
    }
    free(idx);
    w.grad_evals = t.grad_evals;
    nn_trainer_free(&t);
    nn_model_free(&m);
    nn_data_free(&d);
    nn_experiment_free(&x);
    net_remove_files(dir);
    return w;
}

/* ---- the tests ------------------------------------------------------------- */

static const char *tensor_of(const nn_net_case *c, int index, int *at)
{
    static char name[32];
    int off = 0;
    for (int l = 0; l < c->n_layers; l++) {
        int nw = c->sizes[l + 1] * c->sizes[l], nb = c->sizes[l + 1];
        if (index < off + nw) {
            *at = index - off;
            snprintf(name, sizeof name, "W%d", l + 1);
            return name;
        }
        if (index < off + nw + nb) {
            *at = index - off - nw;
            snprintf(name, sizeof name, "b%d", l + 1);
            return name;
        }
        off += nw + nb;
    }
    *at = index;
    return "?";
}

/* Prints one comparison ("params" or "eval"); returns 1 for a mismatch. */
static int net_report(const nn_net_case *c, const char *what, const nn_net_worst *w)
{
    char where[96] = "(every step bit-identical)";
    if (w->index >= 0) {
        int at;
        const char *tn = tensor_of(c, w->index, &at);
        snprintf(where, sizeof where, "at step %d, element %d (%s[%d])", w->step, w->index, tn, at);
    }
    printf("  %-10s %-24s %-4s %-6s largest rel diff %.3g %s\n", c->optim, c->label,
           c->batch ? "mini" : "full", what, w->rel, where);
    if (w->rel <= NN_NET_TOL)
        return 0;
    printf("  MISMATCH %s %s (%s) %s: step %d element %d: got %.17g want %.17g\n", c->optim,
           c->label, c->file, what, w->step, w->index, w->got, w->want);
    return 1;
}

/* The trainer's gradient evaluations against the reference's; 1 for a mismatch. */
static int net_report_evals(const nn_net_case *c, long got)
{
    if (c->grad_evals >= 0 && got != c->grad_evals) {
        printf("  MISMATCH %s %s (%s): %ld gradient evaluations in %d steps, reference %ld\n",
               c->optim, c->label, c->file, got, c->steps, c->grad_evals);
        return 1;
    }
    if (got != c->steps)
        printf("  %-10s %-24s      %ld gradient evaluations in %d steps%s\n", c->optim, c->label,
               got, c->steps, c->grad_evals >= 0 ? ", as the reference" : "");
    return 0;
}

/* All trajectories of one optimizer (state = its name). */
static void test_optim(void **state)
{
    const char *name = *state;
    int cases = 0, bad = 0, with_eval = 0, eval_apart = 0;
    double worst = 0, worst_ev = 0;
    for (int i = 0; i < nn_n_cases; i++) {
        const nn_net_case *c = &nn_cases[i];
        if (strcmp(c->optim, name) != 0)
            continue;
        nn_net_result r = net_run(c, NULL);
        cases++;
        worst = fmax(worst, r.p.rel);
        bad += net_report(c, "params", &r.p);
        if (c->ev) {
            with_eval++;
            worst_ev = fmax(worst_ev, r.ev.rel);
            bad += net_report(c, "eval", &r.ev);
            eval_apart += r.p_vs_ev.rel > NN_NET_TOL;
            printf("  %-10s %-24s      (evaluation points and parameters differ by up to %.3g)\n",
                   name, c->label, r.p_vs_ev.rel);
        }
        bad += net_report_evals(c, r.grad_evals);
    }
    printf("  %-10s %d trajectories, largest rel diff %.3g", name, cases, worst);
    if (with_eval)
        printf(", at the evaluation points %.3g", worst_ev);
    printf(" (tolerance %.0e)\n", NN_NET_TOL);
    assert_true(cases >= 1);
    assert_int_equal(bad, 0);
    if (with_eval && !eval_apart)
        fail_msg("%s: in every trajectory the evaluation points equal the parameters to %.0e: "
                 "comparing them could not fail", name, NN_NET_TOL);
}

/* The comparison can fail: lr off by one part in a million is seen. */
static void test_detects_wrong_setting(void **state)
{
    (void)state;
    const nn_net_case *c = NULL;
    double lr = 0;
    for (int i = 0; i < nn_n_cases && lr == 0; i++)
        for (int k = 0; k < nn_cases[i].nset; k++)
            if (strcmp(nn_cases[i].key[k], "lr") == 0 && strtod(nn_cases[i].val[k], NULL) > 0) {
                c = &nn_cases[i];
                lr = strtod(c->val[k], NULL);
            }
    if (!c)
        fail_msg("no trajectory sets a nonzero lr");
    char text[64];
    snprintf(text, sizeof text, "%.17g", lr * (1 + 1e-6));
    nn_net_worst w = net_run(c, text).p;
    printf("  %s %s with lr %s instead of %.17g: largest rel diff %.3g at step %d, element %d\n",
           c->optim, c->label, text, lr, w.rel, w.step, w.index);
    assert_true(w.rel > NN_NET_TOL);
}

int main(void)
{
    rd_all();
    static char names[NN_NET_MAX_OPTIMS][64];
    static char test_names[NN_NET_MAX_OPTIMS][80];
    static struct CMUnitTest tests[NN_NET_MAX_OPTIMS + 1];
    int n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_detects_wrong_setting);
    for (int i = 0; i < nn_n_cases; i++) {
        int known = 0;
        for (int k = 1; k < n; k++)
            known |= strcmp(names[k], nn_cases[i].optim) == 0;
        if (known || n > NN_NET_MAX_OPTIMS)
            continue;
        snprintf(names[n], sizeof names[n], "%s", nn_cases[i].optim);
        snprintf(test_names[n], sizeof test_names[n], "optim_net_%s", nn_cases[i].optim);
        tests[n] = (struct CMUnitTest){test_names[n], test_optim, NULL, NULL, names[n]};
        n++;
    }
    printf("%d trajectories of %d optimizers\n", nn_n_cases, n - 1);
    return _cmocka_run_group_tests("test_optim_net", tests, (size_t)n, NULL, NULL);
}
