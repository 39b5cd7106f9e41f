/* sweep.h: the sweep engine: a search (the experiment file's sweep section
 * and -g axes) planned, checked before anything runs, and run as isolated
 * trial processes, N at a time, on this machine, in shards of a job array,
 * or over MPI ranks, all sharing one sweep folder: trials.csv (one row per
 * finished trial), claims/ (trials being run), trials/ID/ (each trial an
 * ordinary run folder), sweep.md, best/ and the figures. Rerunning the same
 * command after a kill runs only what had not finished. The layer nnlab
 * sweep and nnlab benchmark are built on. */
#ifndef NN_SWEEP_H
#define NN_SWEEP_H

#include <stdio.h>

#include "board.h"
#include "plan.h"
#include "pool.h"
#include "spec.h"
#include "store.h"

/* Messages between MPI ranks (core/sweep/mpi/ implements it over MPI):
 * rank 0 plans and hands out trials; every rank runs them. */
typedef struct nn_sw_transport {
    int rank, size;
    int local_size;              /* ranks on this machine */
    /* A message waiting from any rank: 1 (and *msg, malloc'd), 0 none, <0 error. */
    int (*poll)(int *src, int *tag, char **msg);
    /* Blocks for a message from src: its tag and *msg (malloc'd). */
    int (*recv)(int src, int *tag, char **msg);
    int (*send)(int dst, int tag, const char *msg);
    void (*abort)(int status);
} nn_sw_transport;

typedef struct nn_sweep_opts {
    const char *file;
    const char *out;             /* NULL: runs/<name>_sweep */
    const char *const *fixed;    /* -s key=value */
    int n_fixed;
    const char *const *grid;     /* -g key=v1,v2,... */
    int n_grid;
    const char *plugin_path;
    const char *exe;             /* the nnlab command that runs each trial */
    int jobs;                    /* trials at a time in this process; 0: one per CPU (1 under MPI) */
    int shard, n_shards;         /* this process's share (1-based) of the trials it starts with; 0: all */
    int dry_run;                 /* check and print the plan, run nothing */
    int retry_failed;            /* run again the trials recorded as failed, crashed or error */
    const nn_sw_transport *mpi;  /* NULL: no MPI */
    FILE *log;                   /* progress lines; NULL: stderr */
} nn_sweep_opts;

typedef struct nn_sweep_result {
    char dir[4096];
    long done, failed, total;    /* trials of the plan recorded, those not ok, planned */
    int worst;                   /* 0 every trial ok; 1 one diverged, failed or crashed; 2 one met bad input */
    int signal;                  /* the signal that stopped this process, 0 if none */
} nn_sweep_result;

/* Runs (or resumes) the sweep. NN_EINPUT etc. for the sweep itself (nothing
 * runs then); a trial's failure is recorded in trials.csv and res->worst. */
int nn_sweep_run(const nn_sweep_opts *o, nn_sweep_result *res, nn_err *err);

/* Progress and leaderboard of a sweep folder at any time (read only). */
int nn_sweep_status(const char *dir, FILE *out, nn_err *err);

/* The shard of a SLURM job array task: SLURM_ARRAY_TASK_ID (less
 * SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT; 0 when not in one, -1
 * when the variables are inconsistent. */
int nn_sweep_shard_from_env(int *shard, int *n_shards);

#endif
