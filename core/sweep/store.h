/* store.h: what a sweep folder holds, shared safely by every process that
 * works on it (local workers, shards, MPI ranks, a rerun after a kill):
 *   trials.csv   one row per finished trial, appended atomically under a lock
 *   claims/ID.lock  a trial being run: a lock file held (flock) by the process
 *                running it, so a claim dies with its process
 *   sweep.txt    what search this is (for --status), plan.csv its trials. */
#ifndef NN_SW_STORE_H
#define NN_SW_STORE_H

#include <stdio.h>

#include "plan.h"

/* ---- trials.csv ------------------------------------------------------------- */

/* How a trial ended, and what it measured (NAN: not measured). */
typedef struct nn_sw_result {
    char status[16];             /* ok, diverged, failed, error (bad input), crashed */
    double train, val, best_val, test, loss, seconds;
    long iterations, grad_evals; /* -1: not known */
    char reason[300];            /* why it did not finish ok */
    /* halving (not in trials.csv): 1 when the trial went on from the end
     * state of its configuration's trial in the rung before, training from
     * epoch cont_first (1-based); -1 when it was asked to and could not
     * (cont_why), so trained from the first epoch; 0 not asked */
    int cont;
    long cont_first;
    char cont_why[300];
} nn_sw_result;

typedef struct nn_sw_row {
    char trial[16], config[16];
    int repeat;
    long epochs;
    char **values;               /* one per swept key, owned */
    nn_sw_result r;
} nn_sw_row;

typedef struct nn_sw_table {
    char **keys;                 /* the swept keys (columns), owned */
    int n_keys;
    nn_sw_row *rows;
    int n_rows;
} nn_sw_table;

/* Reads dir/trials.csv (an absent file is an empty table; a torn or foreign
 * line is skipped). */
int nn_sw_table_read(const char *dir, nn_sw_table *t, nn_err *err);
void nn_sw_table_free(nn_sw_table *t);
/* The last row of a trial id, or NULL. */
const nn_sw_row *nn_sw_table_find(const nn_sw_table *t, const char *trial);
/* The metric's value in a result ("auto" is not resolved here). */
double nn_sw_metric_value(const nn_sw_result *r, const char *metric);

/* The header line of a sweep over these keys (with the newline). */
int nn_sw_header(const nn_sweep_spec *s, char *out, size_t n);
/* Appends one row under dir/.trials.lock: the file is rewritten with the
 * row added and renamed over trials.csv, so a power cut leaves the old or
 * the new file. A file with another header is refused (NN_EINPUT). */
int nn_sw_append(const char *dir, const nn_sweep_spec *s, const nn_sw_plan *p,
                 const nn_sw_trial *t, const nn_sw_result *r, nn_err *err);
/* NN_EINPUT when dir/trials.csv exists with another header. */
int nn_sw_check_header(const char *dir, const nn_sweep_spec *s, nn_err *err);

/* ---- claims ------------------------------------------------------------------ */

typedef struct nn_sw_claim {
    int fd;                      /* -1: none */
    char path[4200];
} nn_sw_claim;

/* 1 when this process now holds trial's claim, 0 when another holds it,
 * negative on an error. The caller then checks trials.csv again (the
 * holder before it may have finished). */
int nn_sw_claim_try(const char *dir, const char *trial, nn_sw_claim *c, nn_err *err);
/* The trial is recorded: removes the lock file and lets go. */
void nn_sw_claim_release(nn_sw_claim *c);
/* The trial was not finished (interrupted): lets go, anyone may take it. */
void nn_sw_claim_drop(nn_sw_claim *c);
/* Claims held right now by live processes, and the ids (up to max). */
int nn_sw_claims_held(const char *dir, char (*ids)[16], int max);

/* ---- sweep.txt, plan.csv ------------------------------------------------------- */

typedef struct nn_sw_meta {
    char file[4096], name[128], method[16], metric[32];
    int repeats, plots, n_keys;
    long configs, total;
    char rungs[600];             /* "27x1 9x3 3x9 1x27": configurations x epochs */
    char keys[NN_SW_MAX_PARAMS][256], kinds[NN_SW_MAX_PARAMS][16];
} nn_sw_meta;

void nn_sw_meta_of(const nn_sweep_spec *s, const nn_sw_plan *p, nn_sw_meta *m);
int nn_sw_meta_write(const char *dir, const nn_sw_meta *m, nn_err *err);
int nn_sw_meta_read(const char *dir, nn_sw_meta *m, nn_err *err);
int nn_sw_plan_write(const char *dir, const nn_sweep_spec *s, const nn_sw_plan *p, nn_err *err);

/* ---- CSV ----------------------------------------------------------------------- */

/* Writes one field (quoted when it holds a comma, quote or newline). */
void nn_sw_csv_field(FILE *f, const char *v, int last);
/* Splits one line into at most max fields (owned copies); returns the count,
 * or -1 for a torn line (it ends inside quotes). *end: the next line. */
int nn_sw_csv_split(const char *line, char **fields, int max, const char **end);

#endif
