/* report.h: what a run leaves behind (metrics.csv, summary.json) and what it
 * shows while it runs (the progress line). */
#ifndef NN_REPORT_H
#define NN_REPORT_H

#include <stdio.h>

#include "experiment.h"
#include "model.h"
#include "train.h"

typedef struct nn_report {
    const char *status;          /* "ok", "diverged", "failed", or "incomplete" (an output
                                    of the run could not be written; error says which) */
    const char *error;           /* NULL, or why the run is not "ok" */
    double train_acc, val_acc, test_acc, final_loss, seconds;
    double test_loss;            /* mean data loss on the test split, same parameters as test_acc */
    int has_val, has_test;
    const char *test_model;      /* "best" or "final" */
    double best_val_acc;
    long best_epoch, iterations, epochs;
    long gradient_evaluations;   /* loss and gradient evaluations: one per step plus re-evaluations */
    double examples_per_second;
} nn_report;

/* Measures the accuracies of m, t's model, at the optimizer's evaluation
 * point, and the test loss with the test accuracy (test on the best
 * parameters when there are some, i.e. a validation split; the model's
 * parameters are as they were when it returns). */
void nn_report_fill(nn_report *r, const nn_experiment *x, const nn_data *data, nn_model *m,
                    nn_trainer *t);
/* metrics.csv in dir, written atomically. */
int nn_report_write_metrics(const nn_trainer *t, const char *dir, nn_err *err);
/* summary.json in dir, written atomically: a run writes it last, so that its
 * presence means every other output of the run is complete. */
int nn_report_write_summary(const nn_report *r, const nn_experiment *x, const nn_model *m,
                            const char *dir, nn_err *err);

void nn_report_versions(FILE *f);
/* `nnlab --version`: nnlab's version, then the libraries it runs with. */
void nn_print_version(FILE *f);

/* Progress line on a terminal (stderr); silent when not a terminal or quiet. */
void nn_progress_begin(long epochs, int quiet);
void nn_progress_update(long epoch, long iteration, double loss);
void nn_progress_clear(void);

#endif
