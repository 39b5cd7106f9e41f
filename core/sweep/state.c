/* state.c: what the files of the sweep driver share about its trials: the
 * table re-read, trial run folders, where a promoted trial goes on from,
 * the stop signal and the pause between looks. See driver.h. */
#include "driver.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define TABLE_PAUSE 0.5  /* seconds between re-reads of trials.csv */

volatile sig_atomic_t nn_sw_signal;

void nn_sw_nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

int nn_sw_refresh(nn_sw_ctx *c, int force, nn_err *err)
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

void nn_sw_run_dir(const nn_sw_ctx *c, int i, char *out, size_t n)
{
    snprintf(out, n, "%s/trials/%s", c->dir, c->p.trials[i].id);
}

/* The trial of rung - 1 of trial i's configuration and repeat, or -1. */
int nn_sw_previous_rung(const nn_sw_ctx *c, int i)
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
nn_sw_chain nn_sw_chain_of(const nn_sw_ctx *c, int i, char *from, size_t n)
{
    nn_sw_chain ch = {0, NULL};
    const nn_sw_trial *t = &c->p.trials[i];
    if (c->s.method != NN_SW_HALVING || !c->s.continue_rungs)
        return ch;
    ch.keep_state = t->rung + 1 < c->p.n_rungs;
    int prev = nn_sw_previous_rung(c, i);
    const nn_sw_row *r = prev >= 0 ? nn_sw_table_find(&c->tab, c->p.trials[prev].id) : NULL;
    if (!c->cont_off && r && strcmp(r->r.status, "ok") == 0) {
        nn_sw_run_dir(c, prev, from, n);
        ch.from = from;
    } else if (!c->cont_off && r) {
        fprintf(c->log, "sweep: trial %s is trained from the first epoch: its trial of rung %d (%s) "
                "ended %s\n", t->id, t->rung, c->p.trials[prev].id, r->r.status);
    }
    return ch;
}
