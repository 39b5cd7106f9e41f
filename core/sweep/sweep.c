/* sweep.c: the sweep driver: after setup.c has checked and planned, hands
 * trials out to local trial processes and (under MPI) to the other ranks,
 * rung by rung, recording each in trials.csv; see sweep.h. */
#include "driver.h"

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

#define SCAN_PAUSE 0.5   /* seconds between looks for claimable trials when none was */
#define BOARD_PAUSE 1.0  /* seconds between rewrites of sweep.md while trials finish */

static void on_signal(int sig)
{
    nn_sw_signal = sig;
}

/* ---- the table and the state of trials ------------------------------------------ */

static int settled(const char *status)
{
    return strcmp(status, "ok") == 0 || strcmp(status, "diverged") == 0;
}

static int trial_done(const nn_sw_ctx *c, int i)
{
    const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
    if (!r)
        return 0;
    return !(c->o->retry_failed && !c->launched[i] && !settled(r->r.status));
}

static int in_flight(const nn_sw_ctx *c, int i)
{
    for (int k = 0; k < c->n_jobs; k++)
        if (c->jobs[k].trial == i)
            return 1;
    return 0;
}

static int local_running(const nn_sw_ctx *c)
{
    int n = 0;
    for (int k = 0; k < c->n_jobs; k++)
        n += c->jobs[k].pid > 0;
    return n;
}

/* Plan trials recorded, and those recorded as not ok. */
static void count(const nn_sw_ctx *c, long *done, long *failed)
{
    *done = *failed = 0;
    for (int i = 0; i < c->p.n_trials; i++) {
        const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
        *done += r != NULL;
        *failed += r && strcmp(r->r.status, "ok") != 0;
    }
}

static void progress_of(const nn_sw_ctx *c, nn_sw_progress *pr)
{
    count(c, &pr->done, &pr->failed);
    pr->total = nn_sw_plan_total(&c->s, &c->p);
    pr->running = c->n_jobs;
    double el = nn_sw_now() - c->t0;
    pr->eta = c->finished > 0 ? el / (double)c->finished * (double)(pr->total - pr->done) : NAN;
}

static void board(nn_sw_ctx *c, int figures)
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
static int next_claimable(nn_sw_ctx *c, const int *order, int n, nn_sw_claim *cl, nn_err *err)
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
        if (nn_sw_refresh(c, 1, err) != NN_OK) {
            nn_sw_claim_drop(cl);
            return NN_EIO;
        }
        if (!trial_done(c, i))
            return i;
        nn_sw_claim_release(cl);
    }
    return -1;
}

static int add_job(nn_sw_ctx *c, const nn_sw_job *j, nn_err *err)
{
    if (c->n_jobs == c->cap_jobs) {
        int cap = c->cap_jobs ? 2 * c->cap_jobs : 16;
        nn_sw_job *n = realloc(c->jobs, (size_t)cap * sizeof *n);
        if (!n)
            return nn_err_set(err, NN_ENOMEM, "out of memory");
        c->jobs = n;
        c->cap_jobs = cap;
    }
    c->jobs[c->n_jobs++] = *j;
    c->launched[j->trial] = 1;
    return NN_OK;
}

/* ---- halving: going on from the rung before ------------------------------------------ */

/* What going on from the rung before came to (print_progress's line). */
static void say_chain(nn_sw_ctx *c, int i, const nn_sw_result *r)
{
    if (r->cont != -1)
        return;
    const nn_sw_trial *t = &c->p.trials[i];
    int prev = nn_sw_previous_rung(c, i);
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

static int start_local(nn_sw_ctx *c, int i, nn_sw_claim *cl, nn_err *err)
{
    char **ov = NULL, run[4200], from[4200];
    int n = 0;
    int rc = nn_sw_trial_overrides(&c->s, &c->p, &c->p.trials[i], c->threads, &ov, &n, err);
    nn_sw_run_dir(c, i, run, sizeof run);
    nn_sw_chain ch = nn_sw_chain_of(c, i, from, sizeof from);
    nn_sw_job j = {.rank = 0, .trial = i, .claim = *cl, .t0 = nn_sw_now()};
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

static void print_progress(nn_sw_ctx *c, int i, int rank, const nn_sw_result *r)
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
static int record(nn_sw_ctx *c, int k, const nn_sw_result *r, nn_err *err)
{
    nn_sw_job j = c->jobs[k];
    c->jobs[k] = c->jobs[--c->n_jobs];
    int rc = nn_sw_append(c->dir, &c->s, &c->p, &c->p.trials[j.trial], r, err);
    nn_sw_claim_release(&j.claim);
    if (rc)
        return rc;
    c->finished++;
    if ((rc = nn_sw_refresh(c, 1, err)) != NN_OK)
        return rc;
    print_progress(c, j.trial, j.rank, r);
    if (nn_sw_now() - c->board_at >= BOARD_PAUSE) /* the rung's end writes it in any case */
        board(c, 0);
    return NN_OK;
}

/* Collects the trial processes that ended: their slots are free at once
 * (the next trials start before these are recorded, which takes a few
 * fsyncs), their results wait in the job for record_finished. */
static void reap(nn_sw_ctx *c, int *any)
{
    int ws;
    pid_t pid;
    while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
        for (int k = 0; k < c->n_jobs; k++) {
            nn_sw_job *j = &c->jobs[k];
            if (j->pid != pid)
                continue;
            char run[4200];
            nn_sw_run_dir(c, j->trial, run, sizeof run);
            nn_sw_result_of(run, ws, nn_sw_now() - j->t0, &j->res);
            j->pid = -1;
            j->finished = 1;
            *any = 1;
            break;
        }
}

static int record_finished(nn_sw_ctx *c, nn_err *err)
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
static void stop_local(nn_sw_ctx *c)
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

/* Answers the other ranks: a trial (or wait, or stop when final) for each
 * request, and records their results. */
static int serve(nn_sw_ctx *c, const int *order, int n_order, int final, int *any, nn_err *err)
{
    const nn_sw_transport *m = c->o->mpi;
    int src, tag, rc = NN_OK;
    char *msg;
    while (rc == NN_OK && m->poll(&src, &tag, &msg) > 0) {
        *any = 1;
        if (tag == NN_SW_TAG_REQ && final) {
            m->send(src, NN_SW_TAG_STOP, "");
            c->stopped++;
        } else if (tag == NN_SW_TAG_REQ) {
            nn_sw_claim cl;
            int i = order ? next_claimable(c, order, n_order, &cl, err) : -1;
            char *t = i >= 0 ? nn_sw_trial_text(c, i, err) : NULL;
            if (i < -1 || (i >= 0 && !t)) {
                rc = i < -1 ? i : NN_ENOMEM;
            } else if (i >= 0) {
                nn_sw_job j = {.pid = 0, .rank = src, .trial = i, .claim = cl, .t0 = nn_sw_now()};
                rc = add_job(c, &j, err);
                m->send(src, NN_SW_TAG_TRIAL, t);
            } else {
                m->send(src, NN_SW_TAG_WAIT, "");
            }
            free(t);
        } else if (tag == NN_SW_TAG_RESULT) {
            int i;
            nn_sw_result r;
            if (nn_sw_parse_result(msg, &i, &r) == 0)
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

static int rung_done(const nn_sw_ctx *c, int a, int b)
{
    for (int i = a; i < b; i++)
        if (!trial_done(c, i))
            return 0;
    return 1;
}

/* This process's share first (every n_shards-th trial), then the rest. */
static int *rung_order(const nn_sw_ctx *c, int a, int b)
{
    int *o = malloc((size_t)(b - a + 1) * sizeof *o), n = 0;
    int sh = c->o->n_shards > 1 ? c->o->shard - 1 : 0, ns = c->o->n_shards > 1 ? c->o->n_shards : 1;
    for (int pass = 0; o && pass < 2; pass++)
        for (int i = a; i < b; i++)
            if (((i - a) % ns == sh) == (pass == 0))
                o[n++] = i;
    return o;
}

static int run_rung(nn_sw_ctx *c, int rung, nn_err *err)
{
    int a = c->p.rung_start[rung], b = c->p.rung_start[rung + 1];
    int *order = rung_order(c, a, b);
    if (!order)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int rc = NN_OK;
    c->next_scan = 0;
    while (rc == NN_OK && !nn_sw_signal) {
        int any = 0;
        rc = nn_sw_refresh(c, 0, err);
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
            nn_sw_nap(0.02);
    }
    free(order);
    return rc;
}

/* The configurations the next rung runs (successive halving). */
static int promote(nn_sw_ctx *c, int rung, nn_err *err)
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

/* ---- the whole run ---------------------------------------------------------------------- */

/* Some trial of the rung finished ok (else halving has nothing to promote). */
static int rung_any_ok(const nn_sw_ctx *c, int rung)
{
    for (int i = c->p.rung_start[rung]; i < c->p.rung_start[rung + 1]; i++) {
        const nn_sw_row *r = nn_sw_table_find(&c->tab, c->p.trials[i].id);
        if (r && strcmp(r->r.status, "ok") == 0)
            return 1;
    }
    return 0;
}

static int run_all(nn_sw_ctx *c, nn_err *err)
{
    int rc = NN_OK;
    for (int rung = 0; rc == NN_OK && !nn_sw_signal; rung++) {
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
        if (rc == NN_OK && !nn_sw_signal)
            board(c, 1);
        if (rung + 1 >= c->p.n_rungs)
            break;
    }
    return rc;
}

/* Tells every other rank to stop (answering their requests), recording any
 * result still coming in. */
static void drain(nn_sw_ctx *c, nn_err *err)
{
    while (c->o->mpi && c->stopped < c->o->mpi->size - 1 && !nn_sw_signal) {
        int any = 0;
        if (serve(c, NULL, 0, 1, &any, err) != NN_OK)
            break;
        if (!any)
            nn_sw_nap(0.02);
    }
}

static void fill_result(nn_sw_ctx *c, nn_sweep_result *res)
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

static void ctx_free(nn_sw_ctx *c)
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
static int lead(nn_sw_ctx *c, nn_sweep_result *res, nn_err *err)
{
    const nn_sweep_opts *o = c->o;
    int rc = nn_sw_setup(c, err);
    if (rc == NN_OK && o->dry_run)
        nn_sw_print_plan(c, stdout);
    else if (rc == NN_OK && (rc = nn_sw_open_folder(c, err)) == NN_OK) {
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
    if (nn_sw_signal || rc)
        stop_local(c); /* a trial left running would have no one to record it */
    nn_err e2;
    drain(c, rc ? &e2 : err);
    if (c->dir[0] && c->launched) {
        nn_sw_refresh(c, 1, &e2);
        if (nn_sw_signal)
            board(c, 0);
        fill_result(c, res);
    }
    return rc;
}

int nn_sweep_run(const nn_sweep_opts *o, nn_sweep_result *res, nn_err *err)
{
    memset(res, 0, sizeof *res);
    nn_sw_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    c->o = o;
    c->log = o->log ? o->log : stderr;
    c->t0 = nn_sw_now();
    nn_sw_signal = 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = o->mpi && o->mpi->rank > 0 ? nn_sw_worker(c, err) : lead(c, res, err);
    if (nn_sw_signal && o->mpi)
        o->mpi->abort(128 + nn_sw_signal);
    res->signal = nn_sw_signal;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    ctx_free(c);
    free(c);
    return rc;
}
