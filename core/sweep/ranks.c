/* ranks.c: MPI: the text of the messages between rank 0 and the others
 * (a trial out, a result back), and the loop of a rank other than 0; rank
 * 0's side is serve() in sweep.c. See driver.h. */
#include "driver.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util.h"

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

int nn_sw_parse_result(char *msg, int *i, nn_sw_result *r)
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
char *nn_sw_trial_text(nn_sw_ctx *c, int i, nn_err *err)
{
    char **ov = NULL, run[4200], from[4200];
    int n = 0;
    if (nn_sw_trial_overrides(&c->s, &c->p, &c->p.trials[i], 0, &ov, &n, err) != NN_OK)
        return NULL;
    nn_sw_run_dir(c, i, run, sizeof run);
    nn_sw_chain ch = nn_sw_chain_of(c, i, from, sizeof from);
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

/* ---- MPI: the other ranks ------------------------------------------------------------- */

static int worker_spawn(nn_sw_ctx *c, char *msg, nn_err *err)
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
    nn_sw_job j = {.rank = c->o->mpi->rank, .trial = atoi(lines[0]), .claim = {.fd = -1}, .t0 = nn_sw_now()};
    int rc = nn_sw_spawn(c->o->exe, lines[2], lines[3], lines + 6, n - 6, c->o->plugin_path, &ch, &j.pid, err);
    snprintf(j.run, sizeof j.run, "%s", lines[3]);
    if (rc == NN_OK && c->n_jobs < c->cap_jobs)
        c->jobs[c->n_jobs++] = j;
    return rc;
}

/* Sends rank 0 the result of each finished trial process; 1 when one was. */
static int worker_reap(nn_sw_ctx *c)
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
                    c->o->mpi->send(0, NN_SW_TAG_RESULT, t);
                free(t);
                c->jobs[k] = c->jobs[--c->n_jobs];
                any = 1;
                break;
            }
    return any;
}

/* A rank other than 0: asks for trials while it has a free slot, runs them,
 * sends back their results, until rank 0 says stop. */
int nn_sw_worker(nn_sw_ctx *c, nn_err *err)
{
    const nn_sw_transport *m = c->o->mpi;
    c->jobs_max = c->o->jobs > 0 ? c->o->jobs : 1;
    c->cap_jobs = c->jobs_max;
    c->jobs = calloc((size_t)c->cap_jobs, sizeof *c->jobs);
    if (!c->jobs)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int stop = 0, rc = NN_OK;
    double wait_until = 0;
    while (rc == NN_OK && !nn_sw_signal && (!stop || c->n_jobs > 0)) {
        int any = 0;
        while (rc == NN_OK && !stop && c->n_jobs < c->jobs_max && nn_sw_now() >= wait_until) {
            int tag;
            char *msg = NULL;
            m->send(0, NN_SW_TAG_REQ, "");
            if (m->recv(0, &tag, &msg) < 0)
                rc = nn_err_set(err, NN_EIO, "sweep: lost rank 0");
            else if (tag == NN_SW_TAG_STOP)
                stop = 1;
            else if (tag == NN_SW_TAG_WAIT)
                wait_until = nn_sw_now() + 0.2;
            else if (tag == NN_SW_TAG_TRIAL)
                rc = worker_spawn(c, msg, err), any = 1;
            free(msg);
        }
        if (rc == NN_OK)
            any |= worker_reap(c);
        if (!any)
            nn_sw_nap(0.02);
    }
    return rc;
}
