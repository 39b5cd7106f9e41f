/* driver.h: the state of one nn_sweep_run and the functions its files
 * share: sweep.c drives the rungs on rank 0 (or alone), setup.c checks and
 * plans the search and opens its folder, ranks.c is the other ranks' side of
 * MPI and the messages' text, state.c what they all read. Internal to
 * core/sweep. */
#ifndef NN_SW_DRIVER_H
#define NN_SW_DRIVER_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "sweep.h"

/* The tags of messages between ranks (ranks.c has their text). */
enum { NN_SW_TAG_REQ = 1, NN_SW_TAG_TRIAL, NN_SW_TAG_WAIT, NN_SW_TAG_STOP, NN_SW_TAG_RESULT };

typedef struct nn_sw_job {
    pid_t pid;                   /* local process, or 0 on another rank */
    int rank, trial;
    nn_sw_claim claim;           /* held here for trials run here or on another rank */
    double t0;
    char run[4200];              /* on a rank other than 0: the trial's run folder */
    int finished;                /* the process ended (pid -1): res waits to be recorded */
    nn_sw_result res;
} nn_sw_job;

typedef struct nn_sw_ctx {
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
    nn_sw_job *jobs;
    int n_jobs, cap_jobs;
    unsigned char *launched;     /* per plan trial: started by this process */
    double t0, next_scan, board_at;
    long finished;               /* trials this process recorded */
    int stopped;                 /* ranks told to stop */
    int cont_off;                /* halving: promoted trials no longer go on from end states */
} nn_sw_ctx;

/* state.c: the signal (SIGINT, SIGTERM) that asks the run to stop, or 0
 * (sweep.c's handler sets it); a pause of seconds. */
extern volatile sig_atomic_t nn_sw_signal;
void nn_sw_nap(double seconds);
/* c->tab re-read from trials.csv when force or half a second has passed. */
int nn_sw_refresh(nn_sw_ctx *c, int force, nn_err *err);
/* Trial i's run folder. */
void nn_sw_run_dir(const nn_sw_ctx *c, int i, char *out, size_t n);
/* The trial of the rung before of trial i's configuration and repeat, or -1. */
int nn_sw_previous_rung(const nn_sw_ctx *c, int i);
/* How trial i stands to the rungs around it (halving): it leaves its end
 * state when a rung follows, and goes on from its previous rung's end state
 * when that trial finished ok. from: the buffer ch.from points into. */
nn_sw_chain nn_sw_chain_of(const nn_sw_ctx *c, int i, char *from, size_t n);

/* setup.c: the search read, planned (rung 0) and every configuration tried
 * against the experiment; then the folder opened (or found to hold this
 * same sweep) and its plan written. */
int nn_sw_setup(nn_sw_ctx *c, nn_err *err);
int nn_sw_open_folder(nn_sw_ctx *c, nn_err *err);
void nn_sw_print_plan(const nn_sw_ctx *c, FILE *f);

/* ranks.c: trial i as rank 0 sends it (malloc'd), a result as another rank
 * sends it parsed back (0, or -1 when malformed), and the loop of a rank
 * other than 0. */
char *nn_sw_trial_text(nn_sw_ctx *c, int i, nn_err *err);
int nn_sw_parse_result(char *msg, int *i, nn_sw_result *r);
int nn_sw_worker(nn_sw_ctx *c, nn_err *err);

#endif
