/* run.h: an experiment end to end: data, model, initialisation, training,
 * and the run folder (config.cfg, metrics.csv, summary.json, weights). */
#ifndef NN_RUN_H
#define NN_RUN_H

#include "experiment.h"
#include "model.h"
#include "train.h"

typedef struct nn_run_opts {
    const char *file;
    const char *out_dir;          /* NULL: output.dir or runs/<name> */
    const char *const *overrides; /* "key=value" */
    int n_overrides;
    const char *plugin_path;      /* extra search dirs, or NULL */
    int quiet;
    int force;                    /* replace a run the folder holds (its outputs removed first) */
    int resume;                   /* continue the run the folder holds from its checkpoint */
    int keep_state;               /* leave DIR/continue/, the end state a longer run goes on from */
    const char *continue_from;    /* a run folder with continue/: go on from its end (a run of
                                   * fewer epochs); else trained from the first epoch, with a
                                   * warning saying why */
    /* more checks of the loaded experiment before anything is written (the
     * command's: its sweep section), or NULL */
    int (*check)(const nn_experiment *x, nn_err *err);
} nn_run_opts;

/* Loads the experiment's data through its data plugin and checks the result
 * (shapes, labels in range, finite values). */
int nn_load_data(const nn_experiment *x, nn_data *data, int quiet, nn_err *err);
/* Builds the model for the data and initialises it with the init plugin. */
int nn_build_model(const nn_experiment *x, const nn_data *data, long batch_cap, nn_model *m,
                   nn_err *err);
/* Attaches the experiment's activation regularizers (dropout, noise). The
 * hooks draw from the regularizers' streams x->reg[r].rng, which the caller
 * lends to the model for its life: they advance as it trains (and a test may
 * reseed them to freeze the masks between passes). */
int nn_attach_hooks(nn_experiment *x, nn_model *m, nn_err *err);

/* Runs an experiment; returns NN_OK, NN_EDIVERGED or another error. A run
 * stopped by SIGINT or SIGTERM writes its checkpoint and outputs (status
 * "interrupted") and returns NN_OK with nn_run_signal() the signal. */
int nn_run(const nn_run_opts *o, nn_err *err);
/* The signal that stopped the last nn_run, or 0. */
int nn_run_signal(void);

/* Writes W1.npy, b1.npy, ... of theta into dir. */
int nn_write_weights(const nn_model *m, const nn_real *theta, const char *dir, nn_err *err);
/* Reads them back into theta (shapes must match). */
int nn_read_weights(const nn_model *m, nn_real *theta, const char *dir, nn_err *err);

#endif
