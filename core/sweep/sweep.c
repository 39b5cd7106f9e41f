/* sweep.c: the sweep driver: checks and plans, then hands trials out to
 * local trial processes and (under MPI) to the other ranks, rung by rung,
 * recording each in trials.csv; see sweep.h. */
#include "sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nnlab/io.h"
#include "util.h"

enum { TAG_REQ = 1, TAG_TRIAL, TAG_WAIT, TAG_STOP, TAG_RESULT };

#define SCAN_PAUSE 0.5   /* seconds between looks for claimable trials when none was */
#define TABLE_PAUSE 0.5  /* seconds between re-reads of trials.csv */
#define BOARD_PAUSE 1.0  /* seconds between rewrites of sweep.md while trials finish */

typedef struct job {
    pid_t pid;                   /* local process, or 0 on another rank */
    int rank, trial;
    nn_sw_claim claim;           /* held here for trials run here or on another rank */
    double t0;
    char run[4200];              /* on a rank other than 0: the trial's run folder */
    int finished;                /* the process ended (pid -1): res waits to be recorded */
    nn_sw_result res;
} job;

typedef struct ctx {
    const nn_sweep_opts *o;
    FILE *log;
    nn_sweep_spec s;
    nn_sw_plan p;
    nn_sw_meta meta;
    char dir[4096], file[4096];
    long threads;                /* train.threads override; 0: none */
    int jobs_max;
    nn_sw_table tab;
    double tab_at;
    job *jobs;
    int n_jobs, cap_jobs;
    unsigned char *launched;     /* per plan trial: started by this process */
    double t0, next_scan, board_at;
    long finished;               /* trials this process recorded */
    int stopped;                 /* ranks told to stop */
    int cont_off;                /* halving: promoted trials no longer go on from end states */
} ctx;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* ---- the table and the state of trials ------------------------------------------ */

static int refresh(ctx *c, int force, nn_err *err)
{
    double now = nn_sw_now();
    if (!force && now - c->tab_at < TABLE_PAUSE)
        return NN_OK;
    nn_sw_table t;
    int rc = nn_sw_table_read(c->dir, &t, err);
    if (rc)
        return rc;
    nn_sw_table_free(&c->tab);
    c->tab = t;
    c->tab_at = now;
    return NN_OK;
}

static int settled(const char *status)
{
    return strcmp(status, "ok") == 0 || strcmp(status, "diverged") == 0;
}

static int trial_done(const ctx *c, int i)
{
    const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
    if (!r)
        return 0;
    return !(c->o->retry_failed && !c->launched[i] && !settled(r->r.status));
}

static int in_flight(const ctx *c, int i)
{
    for (int k = 0; k < c->n_jobs; k++)
        if (c->jobs[k].trial == i)
            return 1;
    return 0;
}

static int local_running(const ctx *c)
{
    int n = 0;
    for (int k = 0; k < c->n_jobs; k++)
        n += c->jobs[k].pid > 0;
    return n;
}

/* Plan trials recorded, and those recorded as not ok. */
static void count(const ctx *c, long *done, long *failed)
{
    *done = *failed = 0;
    for (int i = 0; i < c->p.n_trials; i++) {
        const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
        *done += r != NULL;
        *failed += r && strcmp(r->r.status, "ok") != 0;
    }
}

static void progress_of(const ctx *c, nn_sw_progress *pr)
{
    count(c, &pr->done, &pr->failed);
    pr->total = nn_sw_plan_total(&c->s, &c->p);
    pr->running = c->n_jobs;
    double el = nn_sw_now() - c->t0;
    pr->eta = c->finished > 0 ? el / (double)c->finished * (double)(pr->total - pr->done) : NAN;
}

static void board(ctx *c, int figures)
{
    c->board_at = nn_sw_now();
    nn_sw_progress pr;
    progress_of(c, &pr);
    nn_err e;
    if (nn_sw_board_write(c->dir, &c->meta, &c->tab, &pr, figures, &e) != NN_OK)
        fprintf(c->log, "nnlab sweep: leaderboard: %s\n", e.msg);
}

/* ---- claiming and starting -------------------------------------------------------- */

/* The first trial of order[0..n) that is neither done nor taken, claimed;
 * -1 when there is none right now. */
static int next_claimable(ctx *c, const int *order, int n, nn_sw_claim *cl, nn_err *err)
{
    for (int j = 0; j < n; j++) {
        int i = order[j];
        if (in_flight(c, i) || trial_done(c, i) || (c->launched[i] && c->o->retry_failed))
            continue;
        int r = nn_sw_claim_try(c->dir, c->p.trials[i].id, cl, err);
        if (r < 0)
            return r;
        if (r == 0)
            continue;
        if (refresh(c, 1, err) != NN_OK) {
            nn_sw_claim_drop(cl);
            return NN_EIO;
        }
        if (!trial_done(c, i))
            return i;
        nn_sw_claim_release(cl);
    }
    return -1;
}

static int add_job(ctx *c, const job *j, nn_err *err)
{
    if (c->n_jobs == c->cap_jobs) {
        int cap = c->cap_jobs ? 2 * c->cap_jobs : 16;
        job *n = realloc(c->jobs, (size_t)cap * sizeof *n);
        if (!n)
            return nn_err_set(err, NN_ENOMEM, "out of memory");
        c->jobs = n;
        c->cap_jobs = cap;
    }
    c->jobs[c->n_jobs++] = *j;
    c->launched[j->trial] = 1;
    return NN_OK;
}

static void run_dir_of(const ctx *c, int i, char *out, size_t n)
{
    snprintf(out, n, "%s/trials/%s", c->dir, c->p.trials[i].id);
}

/* ---- halving: going on from the rung before ------------------------------------------ */

/* The trial of rung - 1 of trial i's configuration and repeat, or -1. */
static int previous_rung_trial(const ctx *c, int i)
{
    const nn_sw_trial *t = &c->p.trials[i];
    if (t->rung == 0)
        return -1;
    for (int j = c->p.rung_start[t->rung - 1]; j < c->p.rung_start[t->rung]; j++)
        if (c->p.trials[j].cfg == t->cfg && c->p.trials[j].repeat == t->repeat)
            return j;
    return -1;
}

/* How trial i stands to the rungs around it: it leaves its end state when
 * a rung follows; it goes on from the end state of its trial in the rung
 * before when that one finished ok (the trial process checks the state and
 * trains from the first epoch when it cannot be used). from: its buffer. */
static nn_sw_chain chain_of(const ctx *c, int i, char *from, size_t n)
{
    nn_sw_chain ch = {0, NULL};
    const nn_sw_trial *t = &c->p.trials[i];
    if (c->s.method != NN_SW_HALVING || !c->s.continue_rungs)
        return ch;
    ch.keep_state = t->rung + 1 < c->p.n_rungs;
    int prev = previous_rung_trial(c, i);
    const nn_sw_row *r = prev >= 0 ? nn_sw_table_find(&c->tab, c->p.trials[prev].id) : NULL;
    if (!c->cont_off && r && strcmp(r->r.status, "ok") == 0) {
        run_dir_of(c, prev, from, n);
        ch.from = from;
    } else if (!c->cont_off && r) {
        fprintf(c->log, "sweep: trial %s is trained from the first epoch: its trial of rung %d (%s) "
                "ended %s\n", t->id, t->rung, c->p.trials[prev].id, r->r.status);
    }
    return ch;
}

/* What going on from the rung before came to (print_progress's line). */
static void say_chain(ctx *c, int i, const nn_sw_result *r)
{
    if (r->cont != -1)
        return;
    const nn_sw_trial *t = &c->p.trials[i];
    int prev = previous_rung_trial(c, i);
    const char *pid = prev >= 0 ? c->p.trials[prev].id : "?";
    if (strstr(r->cont_why, "a checkpoint of another experiment")) {
        /* one setting differs for every trial of the sweep (train.threads
         * from another -j): said once, and no more trials are sent to try */
        if (!c->cont_off)
            fprintf(c->log, "sweep: promoted trials are trained from the first epoch from now on: "
                    "trial %s cannot go on from the end state of trial %s (%s)\n", t->id, pid,
                    r->cont_why);
        c->cont_off = 1;
        return;
    }
    fprintf(c->log, "sweep: warning: trial %s could not go on from trial %s (%s); it was trained "
            "from the first epoch\n", t->id, pid, r->cont_why);
}

static int start_local(ctx *c, int i, nn_sw_claim *cl, nn_err *err)
{
    char **ov = NULL, run[4200], from[4200];
    int n = 0;
    int rc = nn_sw_trial_overrides(&c->s, &c->p, &c->p.trials[i], c->threads, &ov, &n, err);
    run_dir_of(c, i, run, sizeof run);
    nn_sw_chain ch = chain_of(c, i, from, sizeof from);
    job j = {.rank = 0, .trial = i, .claim = *cl, .t0 = nn_sw_now()};
    if (rc == NN_OK)
        rc = nn_sw_spawn(c->o->exe, c->file, run, ov, n, c->o->plugin_path, &ch, &j.pid, err);
    nn_sw_free_overrides(ov, n);
    if (rc == NN_OK)
        rc = add_job(c, &j, err);
    if (rc)
        nn_sw_claim_drop(cl);
    return rc;
}

/* ---- recording -------------------------------------------------------------------------- */

static void print_progress(ctx *c, int i, int rank, const nn_sw_result *r)
{
    nn_sw_progress pr;
    progress_of(c, &pr);
    const char *metric = nn_sw_resolve_metric(c->s.metric, &c->tab);
    double v = nn_sw_metric_value(r, metric);
    char eta[32] = "";
    if (isfinite(pr.eta) && pr.done < pr.total)
        snprintf(eta, sizeof eta, ", ETA %.0f s", pr.eta);
    char where[32] = "";
    if (c->o->mpi)
        snprintf(where, sizeof where, " on rank %d", rank);
    fprintf(c->log, "sweep: %ld/%ld done, %d running, %ld failed%s  (trial %s%s: %s", pr.done, pr.total,
            pr.running, pr.failed, eta, c->p.trials[i].id, where, r->status);
    if (strcmp(r->status, "ok") == 0 && isfinite(v))
        fprintf(c->log, ", %s %.4g", metric, v);
    else if (r->reason[0])
        fprintf(c->log, ": %s", r->reason);
    if (r->cont == 1)
        fprintf(c->log, "; went on from epoch %ld", r->cont_first - 1);
    fputs(")\n", c->log);
    say_chain(c, i, r);
    fflush(c->log);
}

/* Job k finished with result r: its row, its claim let go. */
static int record(ctx *c, int k, const nn_sw_result *r, nn_err *err)
{
    job j = c->jobs[k];
    c->jobs[k] = c->jobs[--c->n_jobs];
    int rc = nn_sw_append(c->dir, &c->s, &c->p, &c->p.trials[j.trial], r, err);
    nn_sw_claim_release(&j.claim);
    if (rc)
        return rc;
    c->finished++;
    if ((rc = refresh(c, 1, err)) != NN_OK)
        return rc;
    print_progress(c, j.trial, j.rank, r);
    if (nn_sw_now() - c->board_at >= BOARD_PAUSE) /* the rung's end writes it in any case */
        board(c, 0);
    return NN_OK;
}

/* Collects the trial processes that ended: their slots are free at once
 * (the next trials start before these are recorded, which takes a few
 * fsyncs), their results wait in the job for record_finished. */
static void reap(ctx *c, int *any)
{
    int ws;
    pid_t pid;
    while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
        for (int k = 0; k < c->n_jobs; k++) {
            job *j = &c->jobs[k];
            if (j->pid != pid)
                continue;
            char run[4200];
            run_dir_of(c, j->trial, run, sizeof run);
            nn_sw_result_of(run, ws, nn_sw_now() - j->t0, &j->res);
            j->pid = -1;
            j->finished = 1;
            *any = 1;
            break;
        }
}

static int record_finished(ctx *c, nn_err *err)
{
    for (int k = 0; k < c->n_jobs;) {
        if (!c->jobs[k].finished) {
            k++;
            continue;
        }
        nn_sw_result r = c->jobs[k].res;
        int rc = record(c, k, &r, err); /* moves the last job into k */
        if (rc)
            return rc;
    }
    return NN_OK;
}

/* Stops every local trial (SIGTERM), lets their claims go unrecorded. */
static void stop_local(ctx *c)
{
    for (int k = 0; k < c->n_jobs; k++)
        if (c->jobs[k].pid > 0)
            kill(c->jobs[k].pid, SIGTERM);
    for (int k = 0; k < c->n_jobs; k++) {
        if (c->jobs[k].pid > 0)
            while (waitpid(c->jobs[k].pid, NULL, 0) < 0 && errno == EINTR)
                ;
        nn_sw_claim_drop(&c->jobs[k].claim);
    }
    c->n_jobs = 0;
}

/* ---- MPI: rank 0's side ---------------------------------------------------------------- */

/* One line per field, the reason (which may hold anything but a newline) last. */
static char *result_text(int i, const nn_sw_result *r)
{
    char *t = malloc(1536);
    if (t)
        snprintf(t, 1536, "%d\n%s\n%.17g\n%.17g\n%.17g\n%.17g\n%.17g\n%ld\n%ld\n%.17g\n%d\n%ld\n%s\n%s", i,
                 r->status, r->train, r->val, r->best_val, r->test, r->loss, r->iterations, r->grad_evals,
                 r->seconds, r->cont, r->cont_first, r->cont_why, r->reason);
    return t;
}

#define RESULT_FIELDS 14

static int parse_result(char *msg, int *i, nn_sw_result *r)
{
    char *f[RESULT_FIELDS];
    int n = 0;
    for (char *p = msg; n < RESULT_FIELDS; n++) {
        f[n] = p;
        char *nl = n < RESULT_FIELDS - 1 ? strchr(p, '\n') : NULL;
        if (n < RESULT_FIELDS - 1 && !nl)
            return -1;
        if (nl)
            *nl = '\0', p = nl + 1;
    }
    memset(r, 0, sizeof *r);
    *i = atoi(f[0]);
    snprintf(r->status, sizeof r->status, "%s", f[1]);
    double *d[5] = {&r->train, &r->val, &r->best_val, &r->test, &r->loss};
    for (int k = 0; k < 5; k++)
        *d[k] = strtod(f[2 + k], NULL);
    r->iterations = atol(f[7]);
    r->grad_evals = atol(f[8]);
    r->seconds = strtod(f[9], NULL);
    r->cont = atoi(f[10]);
    r->cont_first = atol(f[11]);
    snprintf(r->cont_why, sizeof r->cont_why, "%s", f[12]);
    snprintf(r->reason, sizeof r->reason, "%s", f[13]);
    return 0;
}

/* The trial for another rank: index, automatic threads, file, run folder,
 * keep_state, the folder to go on from ("" none), the overrides. */
static char *trial_text(ctx *c, int i, nn_err *err)
{
    char **ov = NULL, run[4200], from[4200];
    int n = 0;
    if (nn_sw_trial_overrides(&c->s, &c->p, &c->p.trials[i], 0, &ov, &n, err) != NN_OK)
        return NULL;
    run_dir_of(c, i, run, sizeof run);
    nn_sw_chain ch = chain_of(c, i, from, sizeof from);
    size_t len = strlen(run) + strlen(c->file) + (ch.from ? strlen(ch.from) : 0) + 64;
    for (int k = 0; k < n; k++)
        len += strlen(ov[k]) + 1;
    char *t = malloc(len);
    if (t) {
        size_t o = (size_t)snprintf(t, len, "%d\n%d\n%s\n%s\n%d\n%s", i, c->s.base_threads == 0, c->file,
                                    run, ch.keep_state, ch.from ? ch.from : "");
        for (int k = 0; k < n; k++)
            o += (size_t)snprintf(t + o, len - o, "\n%s", ov[k]);
    }
    nn_sw_free_overrides(ov, n);
    if (!t)
        nn_err_set(err, NN_ENOMEM, "out of memory");
    return t;
}

/* Answers the other ranks: a trial (or wait, or stop when final) for each
 * request, and records their results. */
static int serve(ctx *c, const int *order, int n_order, int final, int *any, nn_err *err)
{
    const nn_sw_transport *m = c->o->mpi;
    int src, tag, rc = NN_OK;
    char *msg;
    while (rc == NN_OK && m->poll(&src, &tag, &msg) > 0) {
        *any = 1;
        if (tag == TAG_REQ && final) {
            m->send(src, TAG_STOP, "");
            c->stopped++;
        } else if (tag == TAG_REQ) {
            nn_sw_claim cl;
            int i = order ? next_claimable(c, order, n_order, &cl, err) : -1;
            char *t = i >= 0 ? trial_text(c, i, err) : NULL;
            if (i < -1 || (i >= 0 && !t)) {
                rc = i < -1 ? i : NN_ENOMEM;
            } else if (i >= 0) {
                job j = {.pid = 0, .rank = src, .trial = i, .claim = cl, .t0 = nn_sw_now()};
                rc = add_job(c, &j, err);
                m->send(src, TAG_TRIAL, t);
            } else {
                m->send(src, TAG_WAIT, "");
            }
            free(t);
        } else if (tag == TAG_RESULT) {
            int i;
            nn_sw_result r;
            if (parse_result(msg, &i, &r) == 0)
                for (int k = 0; k < c->n_jobs; k++)
                    if (c->jobs[k].pid == 0 && !c->jobs[k].finished && c->jobs[k].rank == src &&
                        c->jobs[k].trial == i) {
                        rc = record(c, k, &r, err);
                        break;
                    }
        }
        free(msg);
    }
    return rc;
}

/* ---- rungs ------------------------------------------------------------------------------ */

static int rung_done(const ctx *c, int a, int b)
{
    for (int i = a; i < b; i++)
        if (!trial_done(c, i))
            return 0;
    return 1;
}

/* This process's share first (every n_shards-th trial), then the rest. */
static int *rung_order(const ctx *c, int a, int b)
{
    int *o = malloc((size_t)(b - a + 1) * sizeof *o), n = 0;
    int sh = c->o->n_shards > 1 ? c->o->shard - 1 : 0, ns = c->o->n_shards > 1 ? c->o->n_shards : 1;
    for (int pass = 0; o && pass < 2; pass++)
        for (int i = a; i < b; i++)
            if (((i - a) % ns == sh) == (pass == 0))
                o[n++] = i;
    return o;
}

static int run_rung(ctx *c, int rung, nn_err *err)
{
    int a = c->p.rung_start[rung], b = c->p.rung_start[rung + 1];
    int *order = rung_order(c, a, b);
    if (!order)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int rc = NN_OK;
    c->next_scan = 0;
    while (rc == NN_OK && !got_signal) {
        int any = 0;
        rc = refresh(c, 0, err);
        /* trials that ended are recorded (their claims let go) before others
         * start: never more claims held here than jobs_max */
        if (rc == NN_OK)
            reap(c, &any);
        if (rc == NN_OK)
            rc = record_finished(c, err);
        while (rc == NN_OK && nn_sw_now() >= c->next_scan && local_running(c) < c->jobs_max) {
            nn_sw_claim cl;
            int i = next_claimable(c, order, b - a, &cl, err);
            if (i < -1)
                rc = i;
            else if (i < 0)
                c->next_scan = nn_sw_now() + SCAN_PAUSE;
            else if ((rc = start_local(c, i, &cl, err)) == NN_OK)
                any = 1;
        }
        if (rc == NN_OK && c->o->mpi)
            rc = serve(c, order, b - a, 0, &any, err);
        if (rc == NN_OK && c->n_jobs == 0 && rung_done(c, a, b))
            break;
        if (!any)
            nap(0.02);
    }
    free(order);
    return rc;
}

/* The configurations the next rung runs (successive halving). */
static int promote(ctx *c, int rung, nn_err *err)
{
    int a = c->p.rung_start[rung], b = c->p.rung_start[rung + 1];
    nn_sw_outcome *out = calloc((size_t)c->p.n_trials + 1, sizeof *out);
    int *next = calloc((size_t)c->p.n_configs + 1, sizeof *next), n = 0;
    int rc = out && next ? NN_OK : nn_err_set(err, NN_ENOMEM, "out of memory");
    const char *metric = nn_sw_resolve_metric(c->s.metric, &c->tab);
    for (int i = a; rc == NN_OK && i < b; i++) {
        const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
        out[i].done = r != NULL;
        out[i].value = r ? nn_sw_metric_value(&r->r, metric) : NAN;
        out[i].ok = r && strcmp(r->r.status, "ok") == 0 && isfinite(out[i].value);
    }
    if (rc == NN_OK && nn_sw_promote(&c->p, rung, out, nn_sw_metric_higher(metric) != 0, next, &n) != NN_OK)
        rc = nn_err_set(err, NN_EINTERNAL, "sweep: rung %d is not complete", rung);
    if (rc == NN_OK)
        rc = nn_sw_plan_rung(&c->s, &c->p, next, n, err);
    char who[48] = "configuration goes";
    if (n != 1)
        snprintf(who, sizeof who, "%d configurations go", n);
    const char *how = !c->s.continue_rungs ? ", trained again from the first epoch (sweep.continue = false)"
                    : c->cont_off ? ", trained again from the first epoch" : "";
    char from[64] = "";
    if (!how[0])
        snprintf(from, sizeof from, ", going on from epoch %ld", c->p.rung_epochs[rung]);
    if (rc == NN_OK)
        fprintf(c->log, "sweep: rung %d done; the best %s on to %ld epochs%s%s\n", rung + 1, who,
                c->p.rung_epochs[rung + 1], how, from);
    free(out);
    free(next);
    return rc;
}

/* ---- setting up ---------------------------------------------------------------------- */

static int validate_configs(ctx *c, nn_err *err)
{
    for (int k = 0; k < c->p.n_configs; k++) {
        nn_sw_config *cf = &c->p.configs[k];
        char *ov[NN_SW_MAX_PARAMS];
        int rc = NN_OK;
        for (int i = 0; i < c->s.n_params; i++) {
            size_t n = strlen(c->s.params[i].key) + strlen(cf->values[i]) + 2;
            if ((ov[i] = malloc(n)))
                snprintf(ov[i], n, "%s=%s", c->s.params[i].key, cf->values[i]);
            else
                rc = NN_ENOMEM;
        }
        nn_err e;
        if (rc == NN_OK)
            rc = nn_sw_spec_try(&c->s, (const char *const *)ov, c->s.n_params, cf->seeds, &e);
        for (int i = 0; i < c->s.n_params; i++)
            free(ov[i]);
        if (rc) {
            char what[1024] = "";
            size_t len = 0;
            for (int i = 0; i < c->s.n_params; i++)
                len += (size_t)snprintf(what + len, len < sizeof what ? sizeof what - len : 0, "%s%s = %s",
                                        i ? ", " : "", c->s.params[i].key, cf->values[i]);
            return nn_err_set(err, rc == NN_ENOMEM ? rc : NN_EINPUT, "%s: sweep: configuration %s (%s): %s",
                              c->s.file, cf->hash, what, e.msg);
        }
    }
    /* one trial's whole override list (name, seeds, epochs, threads) */
    char **ov = NULL;
    int n = 0;
    int rc = nn_sw_trial_overrides(&c->s, &c->p, &c->p.trials[c->p.n_trials - 1], c->threads, &ov, &n, err);
    nn_err e;
    if (rc == NN_OK && nn_sw_spec_try(&c->s, (const char *const *)ov + c->s.n_fixed, n - c->s.n_fixed, NULL, &e) != NN_OK)
        rc = nn_err_set(err, NN_EINPUT, "%s: sweep: a trial's settings are refused: %s", c->s.file, e.msg);
    nn_sw_free_overrides(ov, n);
    return rc;
}

static void print_plan(const ctx *c, FILE *f)
{
    fprintf(f, "sweep of %s: %s search, %d configurations x %d seed%s = %ld trials", c->s.name,
            nn_sw_method_name(c->s.method), c->p.n_configs, c->s.repeats, c->s.repeats == 1 ? "" : "s",
            nn_sw_plan_total(&c->s, &c->p));
    if (c->s.method == NN_SW_HALVING) {
        fputs(" in rungs of", f);
        for (int k = 0; k < c->p.n_rungs; k++)
            fprintf(f, " %dx%ld", c->p.rung_configs[k], c->p.rung_epochs[k]);
        fputs(" (configurations x epochs)", f);
    }
    fputs("\n\ntrial,config,repeat,epochs", f);
    for (int i = 0; i < c->s.n_params; i++)
        fprintf(f, ",%s", c->s.params[i].key);
    fputc('\n', f);
    for (int t = 0; t < c->p.n_trials; t++) {
        const nn_sw_trial *tr = &c->p.trials[t];
        fprintf(f, "%s,%s,%d,%ld,", tr->id, c->p.configs[tr->cfg].hash, tr->repeat, tr->epochs);
        for (int i = 0; i < c->s.n_params; i++)
            nn_sw_csv_field(f, c->p.configs[tr->cfg].values[i], i == c->s.n_params - 1);
    }
}

/* The folder holds this experiment's sweep, or nothing yet: its
 * experiment.cfg (the resolved experiment, less its first comment line)
 * must be the same. */
static int check_folder(ctx *c, nn_err *err)
{
    char have[4300], mine[4300];
    snprintf(have, sizeof have, "%s/experiment.cfg", c->dir);
    if (!nn_file_exists(have))
        return nn_sw_spec_write_base(&c->s, have, err);
    snprintf(mine, sizeof mine, "%s/.experiment.cfg.%ld", c->dir, (long)getpid());
    int rc = nn_sw_spec_write_base(&c->s, mine, err);
    char *a = rc ? NULL : nn_read_text(have), *b = rc ? NULL : nn_read_text(mine);
    unlink(mine);
    const char *pa = a ? strchr(a, '\n') : NULL, *pb = b ? strchr(b, '\n') : NULL;
    if (rc == NN_OK && (!pa || !pb || strcmp(pa, pb) != 0)) {
        const char *x = pa, *y = pb;
        int line = 2;
        for (; x && y && *x && *x == *y; x++, y++)
            line += *x == '\n';
        rc = nn_err_set(err, NN_EINPUT, "%s: this folder holds a sweep of a different experiment "
                        "(its experiment.cfg differs from %s with these -s settings at line %d); "
                        "use another -o DIR, or remove the folder to start again", c->dir, c->s.file, line - 1);
    }
    free(a);
    free(b);
    return rc ? rc : nn_sw_check_header(c->dir, &c->s, err);
}

static int setup(ctx *c, nn_err *err)
{
    const nn_sweep_opts *o = c->o;
    int rc = nn_sw_spec_read(&c->s, o->file, o->fixed, o->n_fixed, o->grid, o->n_grid, o->plugin_path, err);
    if (rc == NN_OK)
        rc = nn_sw_plan_configs(&c->s, &c->p, err);
    int *cfgs = rc ? NULL : malloc((size_t)c->p.n_configs * sizeof(int));
    for (int k = 0; cfgs && k < c->p.n_configs; k++)
        cfgs[k] = k;
    if (rc == NN_OK && !cfgs)
        rc = nn_err_set(err, NN_ENOMEM, "out of memory");
    if (rc == NN_OK)
        rc = nn_sw_plan_rung(&c->s, &c->p, cfgs, c->p.n_configs, err);
    free(cfgs);
    int local = o->mpi ? o->mpi->local_size : 1;
    c->jobs_max = o->jobs > 0 ? o->jobs : o->mpi ? 1 : nn_sw_cpus();
    c->threads = c->s.base_threads == 0 ? (nn_sw_cpus() / (c->jobs_max * local) > 1 ? nn_sw_cpus() / (c->jobs_max * local) : 1) : 0;
    if (rc == NN_OK)
        rc = validate_configs(c, err);
    char *abs = rc ? NULL : realpath(o->file, NULL);
    snprintf(c->file, sizeof c->file, "%s", abs ? abs : o->file);
    free(abs);
    return rc;
}

static int open_folder(ctx *c, nn_err *err)
{
    if (c->o->out)
        snprintf(c->dir, sizeof c->dir, "%s", c->o->out);
    else
        snprintf(c->dir, sizeof c->dir, "runs/%s_sweep", c->s.name);
    int rc = nn_mkdirs(c->dir, err);
    if (rc == NN_OK)
        rc = check_folder(c, err);
    c->launched = rc ? NULL : calloc((size_t)nn_sw_plan_total(&c->s, &c->p) + 1, 1);
    if (rc == NN_OK && !c->launched)
        rc = nn_err_set(err, NN_ENOMEM, "out of memory");
    nn_sw_meta_of(&c->s, &c->p, &c->meta);
    if (rc == NN_OK)
        rc = nn_sw_meta_write(c->dir, &c->meta, err);
    if (rc == NN_OK)
        rc = nn_sw_plan_write(c->dir, &c->s, &c->p, err);
    if (rc == NN_OK)
        rc = refresh(c, 1, err);
    return rc;
}

/* ---- MPI: the other ranks ------------------------------------------------------------- */

static int worker_spawn(ctx *c, char *msg, nn_err *err)
{
    char *lines[NN_SW_MAX_PARAMS + 64 + 128];
    int n = 0;
    for (char *p = msg; p && n < (int)(sizeof lines / sizeof lines[0]); n++) {
        lines[n] = p;
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        p = nl ? nl + 1 : NULL;
    }
    if (n < 6)
        return nn_err_set(err, NN_EINTERNAL, "sweep: a malformed trial message");
    int auto_threads = atoi(lines[1]);
    nn_sw_chain ch = {atoi(lines[4]), lines[5][0] ? lines[5] : NULL};
    char th[48];
    long t = nn_sw_cpus() / (c->jobs_max * c->o->mpi->local_size);
    snprintf(th, sizeof th, "train.threads=%ld", t > 1 ? t : 1);
    if (auto_threads)
        lines[n++] = th;
    job j = {.rank = c->o->mpi->rank, .trial = atoi(lines[0]), .claim = {.fd = -1}, .t0 = nn_sw_now()};
    int rc = nn_sw_spawn(c->o->exe, lines[2], lines[3], lines + 6, n - 6, c->o->plugin_path, &ch, &j.pid, err);
    snprintf(j.run, sizeof j.run, "%s", lines[3]);
    if (rc == NN_OK && c->n_jobs < c->cap_jobs)
        c->jobs[c->n_jobs++] = j;
    return rc;
}

/* Sends rank 0 the result of each finished trial process; 1 when one was. */
static int worker_reap(ctx *c)
{
    int ws, any = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
        for (int k = 0; k < c->n_jobs; k++)
            if (c->jobs[k].pid == pid) {
                nn_sw_result r;
                nn_sw_result_of(c->jobs[k].run, ws, nn_sw_now() - c->jobs[k].t0, &r);
                char *t = result_text(c->jobs[k].trial, &r);
                if (t)
                    c->o->mpi->send(0, TAG_RESULT, t);
                free(t);
                c->jobs[k] = c->jobs[--c->n_jobs];
                any = 1;
                break;
            }
    return any;
}

/* A rank other than 0: asks for trials while it has a free slot, runs them,
 * sends back their results, until rank 0 says stop. */
static int worker(ctx *c, nn_err *err)
{
    const nn_sw_transport *m = c->o->mpi;
    c->jobs_max = c->o->jobs > 0 ? c->o->jobs : 1;
    c->cap_jobs = c->jobs_max;
    c->jobs = calloc((size_t)c->cap_jobs, sizeof *c->jobs);
    if (!c->jobs)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int stop = 0, rc = NN_OK;
    double wait_until = 0;
    while (rc == NN_OK && !got_signal && (!stop || c->n_jobs > 0)) {
        int any = 0;
        while (rc == NN_OK && !stop && c->n_jobs < c->jobs_max && nn_sw_now() >= wait_until) {
            int tag;
            char *msg = NULL;
            m->send(0, TAG_REQ, "");
            if (m->recv(0, &tag, &msg) < 0)
                rc = nn_err_set(err, NN_EIO, "sweep: lost rank 0");
            else if (tag == TAG_STOP)
                stop = 1;
            else if (tag == TAG_WAIT)
                wait_until = nn_sw_now() + 0.2;
            else if (tag == TAG_TRIAL)
                rc = worker_spawn(c, msg, err), any = 1;
            free(msg);
        }
        if (rc == NN_OK)
            any |= worker_reap(c);
        if (!any)
            nap(0.02);
    }
    return rc;
}

/* ---- the whole run ---------------------------------------------------------------------- */

/* Some trial of the rung finished ok (else halving has nothing to promote). */
static int rung_any_ok(const ctx *c, int rung)
{
    for (int i = c->p.rung_start[rung]; i < c->p.rung_start[rung + 1]; i++) {
        const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
        if (r && strcmp(r->r.status, "ok") == 0)
            return 1;
    }
    return 0;
}

static int run_all(ctx *c, nn_err *err)
{
    int rc = NN_OK;
    for (int rung = 0; rc == NN_OK && !got_signal; rung++) {
        if (rung > 0 && !rung_any_ok(c, rung - 1)) {
            fprintf(c->log, "sweep: no trial of rung %d finished ok, so none is promoted; stopping "
                    "(see %s/trials.csv)\n", rung, c->dir);
            break;
        }
        if (rung > 0) {
            rc = promote(c, rung - 1, err);
            if (rc == NN_OK)
                rc = nn_sw_plan_write(c->dir, &c->s, &c->p, err);
        }
        if (rc == NN_OK)
            rc = run_rung(c, rung, err);
        if (rc == NN_OK && !got_signal)
            board(c, 1);
        if (rung + 1 >= c->p.n_rungs)
            break;
    }
    return rc;
}

/* Tells every other rank to stop (answering their requests), recording any
 * result still coming in. */
static void drain(ctx *c, nn_err *err)
{
    while (c->o->mpi && c->stopped < c->o->mpi->size - 1 && !got_signal) {
        int any = 0;
        if (serve(c, NULL, 0, 1, &any, err) != NN_OK)
            break;
        if (!any)
            nap(0.02);
    }
}

static void fill_result(ctx *c, nn_sweep_result *res)
{
    snprintf(res->dir, sizeof res->dir, "%s", c->dir);
    count(c, &res->done, &res->failed);
    res->total = nn_sw_plan_total(&c->s, &c->p);
    for (int i = 0; i < c->p.n_trials; i++) {
        const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
        int w = !r || strcmp(r->r.status, "ok") == 0 ? 0 : strcmp(r->r.status, "error") == 0 ? 2 : 1;
        res->worst = w > res->worst ? w : res->worst;
    }
}

static void ctx_free(ctx *c)
{
    for (int k = 0; k < c->n_jobs; k++)
        nn_sw_claim_drop(&c->jobs[k].claim);
    free(c->jobs);
    free(c->launched);
    nn_sw_table_free(&c->tab);
    nn_sw_plan_free(&c->p);
    nn_sw_spec_free(&c->s);
}

/* Rank 0, or the only process: check, plan, run, record. */
static int lead(ctx *c, nn_sweep_result *res, nn_err *err)
{
    const nn_sweep_opts *o = c->o;
    int rc = setup(c, err);
    if (rc == NN_OK && o->dry_run)
        print_plan(c, stdout);
    else if (rc == NN_OK && (rc = open_folder(c, err)) == NN_OK) {
        long done, failed;
        count(c, &done, &failed);
        fprintf(c->log, "sweep: %ld trials of %s (%s search), %d at a time%s, into %s", nn_sw_plan_total(&c->s, &c->p),
                c->s.file, nn_sw_method_name(c->s.method), c->jobs_max, o->mpi ? " on each MPI rank" : "", c->dir);
        if (done)
            fprintf(c->log, "; %ld already recorded there", done);
        fputc('\n', c->log);
        rc = run_all(c, err);
    }
    nn_err e1;
    record_finished(c, rc ? &e1 : err); /* trials that ended are recorded, even when stopping */
    if (got_signal || rc)
        stop_local(c); /* a trial left running would have no one to record it */
    nn_err e2;
    drain(c, rc ? &e2 : err);
    if (c->dir[0] && c->launched) {
        refresh(c, 1, &e2);
        if (got_signal)
            board(c, 0);
        fill_result(c, res);
    }
    return rc;
}

int nn_sweep_run(const nn_sweep_opts *o, nn_sweep_result *res, nn_err *err)
{
    memset(res, 0, sizeof *res);
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    c->o = o;
    c->log = o->log ? o->log : stderr;
    c->t0 = nn_sw_now();
    got_signal = 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = o->mpi && o->mpi->rank > 0 ? worker(c, err) : lead(c, res, err);
    if (got_signal && o->mpi)
        o->mpi->abort(128 + got_signal);
    res->signal = got_signal;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    ctx_free(c);
    free(c);
    return rc;
}

/* ---- --status, shards ----------------------------------------------------------------- */

int nn_sweep_status(const char *dir, FILE *out, nn_err *err)
{
    /* claims first, rows after: a trial that finishes in between has its row
     * appended before its claim goes, so it is found done, not counted twice
     * (a claim on a failed trial's id is a --retry-failed rerun: running) */
    char ids[64][16];
    int held = nn_sw_claims_held(dir, ids, 64);
    nn_sw_meta m;
    int rc = nn_sw_meta_read(dir, &m, err);
    nn_sw_table t = {0};
    if (rc == NN_OK)
        rc = nn_sw_table_read(dir, &t, err);
    if (rc)
        return rc;
    nn_sw_progress pr = {.total = m.total, .eta = NAN};
    const nn_sw_row *f;
    for (int i = 0; i < held; i++)
        if (i >= 64 || !(f = nn_sw_table_find(&t, ids[i])) || strcmp(f->r.status, "ok") != 0) {
            if (i < 64 && pr.running < 64)
                memcpy(ids[pr.running], ids[i], sizeof ids[i]);
            pr.running++;
        }
    double secs = 0;
    int n_secs = 0;
    for (int i = 0; i < t.n_rows; i++)
        if (nn_sw_table_find(&t, t.rows[i].trial) == &t.rows[i]) {
            pr.done++;
            pr.failed += strcmp(t.rows[i].r.status, "ok") != 0;
            if (isfinite(t.rows[i].r.seconds))
                secs += t.rows[i].r.seconds, n_secs++;
        }
    if (n_secs && pr.running)
        pr.eta = secs / n_secs * (double)(pr.total - pr.done) / pr.running;
    nn_sw_board_print(out, &m, &t, &pr);
    if (pr.running) {
        fputs("\nrunning:", out);
        for (int i = 0; i < pr.running && i < 64; i++)
            fprintf(out, " %s", ids[i]);
        fputc('\n', out);
    }
    nn_sw_table_free(&t);
    return NN_OK;
}

int nn_sweep_shard_from_env(int *shard, int *n_shards)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN");
    *shard = *n_shards = 0;
    if (!id || !cnt)
        return 0;
    long i = atol(id) - (min ? atol(min) : 0), n = atol(cnt);
    if (n < 1 || i < 0 || i >= n)
        return -1;
    *shard = (int)i + 1;
    *n_shards = (int)n;
    return 1;
}
