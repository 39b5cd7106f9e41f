/* run.c: an experiment end to end, and the run folder it leaves. */
#define _GNU_SOURCE /* REG_RIP of ucontext_t */
#include "run.h"

#include <cblas.h>
#include <errno.h>
#include <execinfo.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "checkpoint.h"
#include "data.h"
#include "folder.h"
#include "gemm.h"
#include "nnlab/io.h"
#include "figures.h"
#include "report.h"
#include "run_info.h"
#include "util.h"

static int check_split(const nn_data *d, const nn_split *s, const char *name, const char *plugin,
                       nn_err *err)
{
    if (s->m && (!s->X || !s->y))
        return nn_err_set(err, NN_EPLUGIN, "data plugin '%s': %s split not allocated", plugin, name);
    for (size_t i = 0; i < s->m; i++) {
        if (s->y[i] < 0 || s->y[i] >= d->n_classes)
            return nn_err_set(err, NN_EINPUT, "data plugin '%s': %s label %d at row %zu outside [0, %d)",
                              plugin, name, s->y[i], i, d->n_classes);
    }
    for (size_t i = 0; i < s->m * (size_t)d->d; i++)
        if (!isfinite(s->X[i]))
            return nn_err_set(err, NN_EINPUT, "data plugin '%s': %s X has a non-finite value at row %zu, column %zu",
                              plugin, name, i / (size_t)d->d, i % (size_t)d->d);
    return NN_OK;
}

int nn_load_data(const nn_experiment *x, nn_data *data, int quiet, nn_err *err)
{
    memset(data, 0, sizeof *data);
    const nn_plugin *p = x->data.plugin.desc;
    nn_rng rng = x->data.rng; /* this load's copy: loading again gives the same data */
    nn_data_ctx ctx = {x->base_dir, x->file, &rng, x->data.seed, (int)x->opts.train.threads,
                       quiet, NULL};
    nn_err e = {{0}};
    int rc = p->ops.data->load(x->data.values, &ctx, data, &e);
    if (rc) {
        nn_err_set(err, rc, "%s: data (plugin '%s'): %s", x->file, p->name,
                   e.msg[0] ? e.msg : "load failed");
        nn_data_free(data);
        return rc;
    }
    if (data->d <= 0 || data->n_classes < 2 || data->n_classes > NN_MAX_CLASSES || data->train.m == 0) {
        nn_data_free(data);
        return nn_err_set(err, NN_EPLUGIN, "data plugin '%s' returned d=%d, %d classes, %zu training rows",
                          p->name, data->d, data->n_classes, data->train.m);
    }
    if ((rc = check_split(data, &data->train, "train", p->name, err)) ||
        (rc = check_split(data, &data->val, "validation", p->name, err)) ||
        (rc = check_split(data, &data->test, "test", p->name, err)))
        nn_data_free(data);
    return rc;
}

/* "file:line: model.KEY: message" for a model value that the data or the
 * layer limit refuse (the line of the value, or of the model section when
 * the value is a default). */
static int model_fail(const nn_experiment *x, const char *key, nn_err *err, const char *msg)
{
    int line = nn_section_line(&x->model, key);
    if (line > 0)
        return nn_err_set(err, NN_EINPUT, "%s:%d: model.%s: %s", x->file, line, key, msg);
    return nn_err_set(err, NN_EINPUT, "%s: model.%s: %s", x->file, key, msg);
}

/* Every regularizer's settings against the model's layer sizes (the reg
 * ABI's validate op, ABI 2 and later): "file:line: reg[i].KEY: why". */
static int validate_regs(const nn_experiment *x, const nn_model_spec *spec, nn_err *err)
{
    nn_reg_model rm = {spec->n_layers, spec->sizes};
    for (int r = 0; r < x->n_reg; r++) {
        const nn_section *s = &x->reg[r];
        const nn_plugin *p = s->plugin.desc;
        if (p->abi_version < 2 || !p->ops.reg->validate)
            continue;
        int param = -1;
        nn_err e = {{0}};
        int rc = p->ops.reg->validate(s->values, &rm, &param, &e);
        if (rc == NN_OK)
            continue;
        const char *key = param >= 0 && param < s->n_decls ? s->decls[param].name : "";
        int line = nn_section_line(s, key);
        char where[128];
        snprintf(where, sizeof where, "%s%s%s", s->path, key[0] ? "." : "", key);
        const char *why = e.msg[0] ? e.msg : "refused by the plugin";
        if (rc != NN_EINPUT)
            return nn_err_set(err, NN_EPLUGIN, "%s: regularizer '%s': validate failed with code %d: %s",
                              where, p->name, rc, why);
        if (line > 0)
            return nn_err_set(err, NN_EINPUT, "%s:%d: %s: %s", x->file, line, where, why);
        return nn_err_set(err, NN_EINPUT, "%s: %s: %s", x->file, where, why);
    }
    return NN_OK;
}

int nn_build_model(const nn_experiment *x, const nn_data *data, long batch_cap, nn_model *m,
                   nn_err *err)
{
    nn_model_spec spec = {0};
    const nn_model_opts *mo = &x->opts.model;
    const nn_int_list *hidden = &mo->hidden;
    char msg[128];
    if (hidden->n + 1 > NN_MAX_LAYERS) {
        snprintf(msg, sizeof msg, "at most %d hidden layers", NN_MAX_LAYERS - 1);
        return model_fail(x, "hidden", err, msg);
    }
    spec.act = mo->activation;
    spec.leaky_slope = mo->leaky_slope;
    spec.out = mo->output == NN_OUTPUT_SOFTMAX || (mo->output == NN_OUTPUT_AUTO && data->n_classes > 2)
                   ? NN_OUT_SOFTMAX : NN_OUT_SIGMOID;
    if (spec.out == NN_OUT_SIGMOID && data->n_classes != 2) {
        snprintf(msg, sizeof msg, "sigmoid needs 2 classes, the data have %d", data->n_classes);
        return model_fail(x, "output", err, msg);
    }
    spec.n_layers = hidden->n + 1;
    spec.sizes[0] = data->d;
    for (int i = 0; i < hidden->n; i++)
        spec.sizes[i + 1] = (int)hidden->v[i];
    spec.sizes[spec.n_layers] = spec.out == NN_OUT_SIGMOID ? 1 : data->n_classes;
    spec.batch_cap = batch_cap;
    /* refuse sizes no machine here can hold (1e9 doubles = 8 GB) as bad input */
    double params = 0, acts = 0;
    for (int l = 0; l < spec.n_layers; l++) {
        params += ((double)spec.sizes[l] + 1) * spec.sizes[l + 1];
        acts += 2.0 * spec.sizes[l + 1] * (double)batch_cap;
    }
    if (params > 1e9 || acts > 1e9) {
        snprintf(msg, sizeof msg, "%.3g parameters and %.3g activation values: too large (limit 1e9 each)",
                 params, acts);
        return model_fail(x, "hidden", err, msg);
    }
    int rc = validate_regs(x, &spec, err);
    if (rc == NN_OK)
        rc = nn_model_create(m, &spec, err);
    if (rc)
        return rc;
    const nn_plugin *ip = x->init.plugin.desc;
    nn_rng rng = x->init.rng; /* this model's copy of the init stream */
    for (int l = 0; l < spec.n_layers && rc == NN_OK; l++)
        rc = ip->ops.init->fill(x->init.values, &rng, nn_model_W(m, l), nn_model_b(m, l),
                                spec.sizes[l], spec.sizes[l + 1]);
    if (rc) {
        nn_model_free(m);
        return nn_err_set(err, rc, "%s: init plugin '%s' failed", x->file, ip->name);
    }
    return NN_OK;
}

int nn_attach_hooks(nn_experiment *x, nn_model *m, nn_err *err)
{
    for (int r = 0; r < x->n_reg; r++) {
        const nn_reg_ops *ro = x->reg[r].plugin.desc->ops.reg;
        if (!ro->act_forward)
            continue;
        int rc = nn_model_add_hook(m, ro, x->reg[r].values, &x->reg[r].rng, err);
        if (rc)
            return rc;
    }
    return NN_OK;
}

static int weights_io(const nn_model *m, nn_real *theta, const char *dir, int write, nn_err *err)
{
    if (write) {
        int rc = nn_mkdirs(dir, err);
        if (rc)
            return rc;
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const nn_tensor *t = &m->tensors[i];
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.npy", dir, t->name);
        size_t shape[2] = {(size_t)t->rows, (size_t)t->cols};
        int rc;
        if (write) {
            rc = nn_npy_write_real(path, theta + t->off, t->is_bias ? 1 : 2, shape, err);
        } else {
            nn_npy a;
            rc = nn_npy_read(path, &a, err);
            int ndim = t->is_bias ? 1 : 2;
            if (rc == NN_OK && (a.ndim != ndim || a.shape[0] != (size_t)t->rows ||
                                (ndim == 2 && a.shape[1] != (size_t)t->cols))) {
                char want[48];
                snprintf(want, sizeof want, ndim == 2 ? "(%d, %d)" : "(%d,)", t->rows, t->cols);
                rc = nn_err_set(err, NN_EINPUT, "%s: shape does not match the model, which needs %s",
                                path, want);
            } else if (rc == NN_OK) {
                for (size_t k = 0; k < t->n; k++) /* the file's values, as nn_real */
                    theta[t->off + k] = (nn_real)a.data[k];
            }
            if (rc == NN_OK || a.data)
                nn_npy_free(&a);
        }
        if (rc)
            return rc;
    }
    return NN_OK;
}

int nn_write_weights(const nn_model *m, const nn_real *theta, const char *dir, nn_err *err)
{
    return weights_io(m, (nn_real *)theta, dir, 1, err);
}

int nn_read_weights(const nn_model *m, nn_real *theta, const char *dir, nn_err *err)
{
    return weights_io(m, theta, dir, 0, err);
}

/* ---- the command's run ------------------------------------------------------ */

typedef struct run_state {
    int quiet;
    nn_checkpoint ck;    /* where and what the checkpoints are */
    int ck_rc;           /* a checkpoint that could not be written (stops the run) */
    nn_err ck_err;
} run_state;

/* ---- stopping: SIGINT and SIGTERM --------------------------------------------
 * The first signal asks training to stop after the step it is in: the run
 * writes its checkpoint and its outputs with status "interrupted". The
 * handler is reset by it, so a second signal ends the process at once (every
 * file is written atomically, the previous checkpoint stays whole). */

static volatile sig_atomic_t stop_signal;
static int last_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void catch_stop_signals(struct sigaction old[2])
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    const int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) { /* one the parent ignores stays ignored (nohup, a script's '&') */
        sigaction(sigs[i], NULL, &old[i]);
        if (old[i].sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

static void release_stop_signals(const struct sigaction old[2])
{
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
}

int nn_run_signal(void)
{
    return last_signal;
}

/* ---- a plugin that crashes ----------------------------------------------------
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT during a run: the handler (on
 * its own stack, so that a stack overflow is reported too) finds the plugin
 * whose code the crash happened in, or called from (nn_plugin_at over the
 * interrupted instruction and the backtrace), writes one line naming it and
 * the signal, and lets the signal end the process as it would have. The
 * folder keeps its last checkpoint; summary.json is not written. */

static const nn_trainer *volatile crash_trainer; /* training, for the line */
static char crash_stack[1 << 16];
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_CRASH_SIGNALS ((int)(sizeof crash_signals / sizeof crash_signals[0]))

static void add_text(char *buf, size_t *len, size_t cap, const char *s)
{
    while (*s && *len + 1 < cap)
        buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

static void add_number(char *buf, size_t *len, size_t cap, long v)
{
    char d[24];
    int n = 0;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    do
        d[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < 23);
    if (v < 0)
        d[n++] = '-';
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = d[n - 1 - i];
    out[n] = '\0';
    add_text(buf, len, cap, out);
}

static const char *crash_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (invalid memory access)";
    case SIGBUS: return "SIGBUS (bus error)";
    case SIGFPE: return "SIGFPE (arithmetic exception)";
    case SIGILL: return "SIGILL (illegal instruction)";
    default: return "SIGABRT (abort)";
    }
}

static const nn_plugin *crashed_in(void *uc)
{
    const nn_plugin *p = NULL;
#if defined(__x86_64__)
    p = nn_plugin_at((const void *)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
    p = nn_plugin_at((const void *)((ucontext_t *)uc)->uc_mcontext.pc);
#else
    (void)uc;
#endif
    void *frames[64];
    int n = p ? 0 : backtrace(frames, 64);
    for (int i = 0; !p && i < n; i++)
        p = nn_plugin_at(frames[i]);
    return p;
}

static void on_crash(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    const nn_plugin *p = crashed_in(uc);
    char msg[512];
    size_t len = 0;
    if (p) {
        add_text(msg, &len, sizeof msg, "nnlab: plugin '");
        add_text(msg, &len, sizeof msg, p->name);
        add_text(msg, &len, sizeof msg, "' (");
        add_text(msg, &len, sizeof msg, nn_kind_name(p->kind));
        add_text(msg, &len, sizeof msg, ") crashed with ");
    } else {
        add_text(msg, &len, sizeof msg, "nnlab: crashed outside any plugin with ");
    }
    add_text(msg, &len, sizeof msg, crash_name(sig));
    const nn_trainer *t = crash_trainer;
    if (t) {
        add_text(msg, &len, sizeof msg, " during training at epoch ");
        add_number(msg, &len, sizeof msg, t->epoch);
        add_text(msg, &len, sizeof msg, ", iteration ");
        add_number(msg, &len, sizeof msg, t->iteration);
    }
    add_text(msg, &len, sizeof msg, p ? "; the run stopped there\n"
                                      : "; the run stopped there (a bug in nnlab: please report it)\n");
    ssize_t w = write(STDERR_FILENO, msg, len);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_crashes(struct sigaction old[N_CRASH_SIGNALS], stack_t *old_stack)
{
    void *prime[2];
    backtrace(prime, 2); /* loads the unwinder now, not inside the handler */
    stack_t ss = {.ss_sp = crash_stack, .ss_size = sizeof crash_stack, .ss_flags = 0};
    sigaltstack(&ss, old_stack);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < N_CRASH_SIGNALS; i++)
        sigaction(crash_signals[i], &sa, &old[i]);
}

static void release_crashes(const struct sigaction old[N_CRASH_SIGNALS], const stack_t *old_stack)
{
    for (int i = 0; i < N_CRASH_SIGNALS; i++)
        sigaction(crash_signals[i], &old[i], NULL);
    sigaltstack(old_stack, NULL);
}

/* Checkpoints every train.checkpoint_every epochs, and on a stop signal
 * (between steps: nn_train calls it outside nn_trainer_train_step). */
static int at_boundary(void *ud, nn_trainer *t, int epoch_end)
{
    run_state *s = ud;
    if (epoch_end == NN_BOUNDARY_END) { /* an optimisation for a longer run: never stops this one */
        nn_err e;
        if (nn_checkpoint_write_end(&s->ck, t, &e) != NN_OK)
            fprintf(stderr, "nnlab: warning: %s; a run of more epochs cannot go on from this one\n",
                    e.msg);
        return 0;
    }
    long every = t->x->opts.train.checkpoint_every;
    int periodic = epoch_end && every > 0 && t->next_epoch % every == 0;
    if (!stop_signal && !periodic)
        return 0;
    s->ck_rc = nn_checkpoint_write(&s->ck, t, &s->ck_err);
    return stop_signal || s->ck_rc != NN_OK;
}

static void on_log(void *ud, const nn_metric_row *r, long epochs, int full)
{
    run_state *s = ud;
    if (s->quiet)
        return;
    nn_progress_clear();
    printf("%s %ld / %ld: loss %f\n", full ? "iteration" : "epoch", full ? r->iteration : r->epoch,
           full ? epochs : epochs, r->loss);
    fflush(stdout);
}

static void on_step(void *ud, long epoch, long it, double loss)
{
    run_state *s = ud;
    if (!s->quiet)
        nn_progress_update(epoch, it, loss);
}

static void out_dir_of(const nn_experiment *x, const nn_run_opts *o, char *dir, size_t n)
{
    const char *cfg_dir = x->opts.output.dir;
    if (o->out_dir)
        snprintf(dir, n, "%s", o->out_dir);
    else if (cfg_dir[0])
        snprintf(dir, n, "%s", cfg_dir);
    else
        snprintf(dir, n, "runs/%s", x->name);
}

static void print_results(const nn_report *r)
{
    printf("train accuracy: %.4f\n", r->train_acc);
    if (r->has_val)
        printf("validation accuracy: %.4f\n", r->val_acc);
    if (r->has_test)
        printf("test accuracy: %.4f%s\n", r->test_acc, r->has_val ? " (best model)" : "");
}

/* The outputs after training, summary.json last (its status "ok" only when
 * every other output is there). */
static int write_outputs(nn_report *rep, nn_experiment *x, nn_data *data, nn_model *m,
                         nn_trainer *t, const char *dir, int plots, nn_err *e2)
{
    int rc = nn_report_write_metrics(t, dir, e2);
    if (rc == NN_OK && x->opts.output.weights)
        rc = nn_write_weights(m, nn_trainer_eval_theta(t), nn_path_join(dir, "weights"), e2);
    if (rc == NN_OK && t->has_best && x->opts.output.weights)
        rc = nn_write_weights(m, t->best_theta, nn_path_join(dir, "best_weights"), e2);
    if (rc == NN_OK && plots)
        rc = nn_plots_write(x, data, t, dir, e2);
    if (rc != NN_OK) {
        rep->status = "incomplete";
        rep->error = e2->msg;
    }
    nn_err e3;
    int src = nn_report_write_summary(rep, x, m, dir, &e3);
    if (rc == NN_OK && src != NN_OK) {
        rc = src;
        *e2 = e3;
    }
    return rc;
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

/* The message and status of a run a signal stopped. */
static void interrupted(nn_report *rep, const nn_experiment *x, const nn_trainer *t, int sig,
                        const char *dir, char *why, size_t n)
{
    snprintf(why, n, "stopped by %s at epoch %ld, iteration %ld; %s/%s holds its state: "
             "nnlab run %s -o %s --resume goes on", signal_name(sig), t->next_epoch, t->iteration,
             dir, NN_CHECKPOINT_DIR, x->file, dir);
    rep->status = "interrupted";
    rep->error = why;
    fprintf(stderr, "nnlab: %s\n", why);
}

/* --continue-from: the end state of a shorter run of this experiment, or
 * (said on stderr with the reason) training from the first epoch, which
 * gives the same result with more epochs trained. */
static void continue_from(nn_trainer *t, nn_experiment *x, const char *from)
{
    nn_err e;
    if (nn_checkpoint_continue(t, x, from, &e) == NN_OK)
        fprintf(stderr, "nnlab: continued from %s/%s: epochs %ld to %ld trained here\n", from,
                NN_END_STATE_FILE, t->next_epoch + 1, x->opts.train.epochs);
    else
        fprintf(stderr, "nnlab: warning: cannot continue: %s; training from the first epoch\n",
                e.msg);
}

static int train_and_report(nn_experiment *x, nn_data *data, nn_model *m, const char *dir,
                            const nn_run_opts *o, nn_err *err)
{
    nn_trainer t;
    run_state st;
    memset(&st, 0, sizeof st);
    st.quiet = o->quiet;
    int rc = nn_trainer_init(&t, x, data, m, err);
    if (rc == NN_OK && o->resume && nn_checkpoint_exists(dir)) {
        /* the checkpoint is checked before anything of the folder is
         * rewritten: a refused resume leaves it as it was */
        rc = nn_checkpoint_read(&t, x, dir, err);
        if (rc == NN_OK) /* settings that may differ (output.plots, ...) */
            rc = nn_experiment_write(x, nn_path_join(dir, "config.cfg"), err);
    }
    if (rc == NN_OK && o->continue_from && !t.resumed)
        continue_from(&t, x, o->continue_from);
    if (rc == NN_OK)
        rc = nn_checkpoint_prepare(&st.ck, &t, dir, err);
    if (rc) {
        nn_trainer_free(&t);
        return rc;
    }
    t.boundary = at_boundary;
    t.boundary_ud = &st;
    t.end_state = o->keep_state;
    crash_trainer = &t;
    nn_train_cb cb = {&st, on_log, on_step};
    struct sigaction old[2];
    catch_stop_signals(old);
    nn_progress_begin(x->opts.train.epochs, o->quiet);
    int trc = nn_train(&t, &cb, err);
    nn_progress_clear();
    int sig = t.stopped && st.ck_rc == NN_OK ? stop_signal : 0;
    release_stop_signals(old);
    crash_trainer = NULL;
    nn_checkpoint_release(&st.ck);
    nn_report rep;
    nn_report_fill(&rep, x, data, m, &t);
    char why[1024];
    if (sig) {
        interrupted(&rep, x, &t, sig, dir, why, sizeof why);
    } else if (t.stopped) { /* a checkpoint could not be written */
        trc = st.ck_rc;
        *err = st.ck_err;
        rep.status = "failed";
        rep.error = st.ck_err.msg;
    } else if (trc == NN_EDIVERGED) {
        fprintf(stderr, "nnlab: %s\n", err->msg);
    } else if (trc == NN_OK) {
        print_results(&rep); /* another failure: the command prints its message */
    }
    nn_err e2;
    rc = write_outputs(&rep, x, data, m, &t, dir, !t.stopped, &e2);
    if (rc == NN_OK && !t.stopped)
        nn_checkpoint_remove(dir); /* finished (also diverged): nothing to resume */
    nn_trainer_free(&t);
    last_signal = rc == NN_OK ? sig : 0;
    if (rc) {
        *err = e2;
        return rc;
    }
    return trc;
}

/* The whole of a small text file (free() it). */
static int read_text(const char *path, char **text, nn_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t n = 0, cap = 4096;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        char *more = n + 1 == cap ? realloc(buf, cap *= 2) : buf;
        if (!more)
            free(buf);
        buf = more;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return nn_err_set(err, NN_ENOMEM, "%s: out of memory", path);
    buf[n] = '\0';
    if (bad) {
        free(buf);
        return nn_err_set(err, NN_EIO, "%s: read error", path);
    }
    *text = buf;
    return NN_OK;
}

/* --resume: with a checkpoint, the run goes on from it (train_and_report).
 * Without one, a folder that holds a complete run is left as it is (*complete
 * set: nothing to do, exit 0); one that holds
 * a run that stopped before its first checkpoint, of this experiment
 * (config.cfg names the first key that differs), is started again from the
 * first epoch, as is an empty folder. */
static int resumable(const nn_experiment *x, const char *dir, int *complete, nn_err *err)
{
    if (nn_checkpoint_exists(dir))
        return NN_OK;
    char what[512];
    if (!nn_run_folder_holds_run(dir, what, sizeof what)) {
        fprintf(stderr, "nnlab: %s: no checkpoint there; the run starts at the first epoch\n", dir);
        return NN_OK;
    }
    nn_run_info info;
    nn_err e;
    memset(&info, 0, sizeof info);
    int done = nn_run_summary_read(dir, &info, &e) == NN_OK && strcmp(info.status, "ok") == 0;
    if (done) {
        fprintf(stderr, "nnlab: %s: the run there is complete (summary.json says ok): nothing to "
                "resume (--force runs it again)\n", dir);
        nn_checkpoint_remove(dir); /* what a kill during its removal left */
        *complete = 1;
        return NN_OK;
    }
    char *text = NULL;
    int rc = read_text(nn_path_join(dir, "config.cfg"), &text, err);
    if (rc == NN_OK) {
        char diff[700];
        int d = nn_experiment_differs(x, text, nn_checkpoint_may_differ, diff, sizeof diff);
        if (d != 0)
            rc = nn_err_set(err, NN_EINPUT, "%s/config.cfg: --resume: the run there is of another "
                            "experiment: %s", dir, diff);
    } else {
        rc = nn_err_set(err, NN_EINPUT, "%s: --resume: no checkpoint and no config.cfg there "
                        "(holds %s); give --force to replace it", dir, what);
    }
    free(text);
    if (rc == NN_OK) {
        fprintf(stderr, "nnlab: %s: the run there stopped before its first checkpoint; it starts "
                "again at the first epoch\n", dir);
        rc = nn_run_folder_clear(dir, err);
    }
    return rc;
}

int nn_run(const nn_run_opts *o, nn_err *err)
{
    last_signal = 0;
    nn_registry reg;
    nn_registry_init(&reg, o->plugin_path);
    nn_experiment x;
    nn_data data;
    nn_model m;
    memset(&data, 0, sizeof data);
    memset(&m, 0, sizeof m);
    struct sigaction old_crash[N_CRASH_SIGNALS];
    stack_t old_stack;
    catch_crashes(old_crash, &old_stack);
    int rc = nn_experiment_load(&x, o->file, o->overrides, o->n_overrides, &reg, err);
    if (rc == NN_OK && o->check)
        rc = o->check(&x, err);
    if (rc == NN_OK && x.opts.train.threads > 0)
        nn_blas_set_threads((int)x.opts.train.threads);
    if (rc == NN_OK)
        rc = nn_load_data(&x, &data, o->quiet, err);
    long bs = rc ? 0 : x.opts.train.batch_size;
    long cap = rc ? 0 : (bs == 0 || (size_t)bs > data.train.m ? (long)data.train.m : bs);
    if (rc == NN_OK)
        rc = nn_build_model(&x, &data, cap < 256 ? 256 : cap, &m, err);
    if (rc == NN_OK)
        rc = nn_attach_hooks(&x, &m, err);
    char dir[4096];
    if (rc == NN_OK) {
        out_dir_of(&x, o, dir, sizeof dir);
        rc = nn_run_folder_prepare(dir, o->resume ? NN_FOLDER_RESUME : o->force ? NN_FOLDER_FORCE
                                                                                : NN_FOLDER_NEW, err);
    }
    int complete = 0, from_checkpoint = 0;
    if (rc == NN_OK && o->resume)
        rc = resumable(&x, dir, &complete, err);
    /* going on from a checkpoint: config.cfg and initial_weights are the
     * interrupted run's (train_and_report rewrites config.cfg once the
     * checkpoint is accepted) */
    if (rc == NN_OK && o->resume && !complete)
        from_checkpoint = nn_checkpoint_exists(dir);
    if (rc == NN_OK && !complete && !from_checkpoint)
        rc = nn_experiment_write(&x, nn_path_join(dir, "config.cfg"), err);
    if (rc == NN_OK && !complete && !from_checkpoint && x.opts.output.weights)
        rc = nn_write_weights(&m, m.theta, nn_path_join(dir, "initial_weights"), err);
    if (rc == NN_OK && !complete)
        rc = train_and_report(&x, &data, &m, dir, o, err);
    nn_model_free(&m);
    nn_data_free(&data);
    if (x.file[0])
        nn_experiment_free(&x);
    nn_registry_free(&reg);
    release_crashes(old_crash, &old_stack);
    return rc;
}
