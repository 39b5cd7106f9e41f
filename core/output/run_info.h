/* run_info.h: reading a run folder back: its summary.json and metrics.csv
 * (nnlab compare, the sweep leaderboard). */
#ifndef NN_RUN_INFO_H
#define NN_RUN_INFO_H

#include "train.h"

typedef struct nn_run_info {
    char name[128], status[32];
    double train, val, test, best_val, loss, seconds;
    double test_loss;             /* NAN when summary.json has none (no test split) */
    double gradient_evaluations;  /* NAN when summary.json has none */
    long iterations, epochs;
    nn_metric_row *rows;          /* owned: free() */
    long n_rows;
} nn_run_info;

/* Reads dir/summary.json and dir/metrics.csv into r (r->rows owned). */
int nn_run_info_read(const char *dir, nn_run_info *r, nn_err *err);
/* Only dir/summary.json (r->rows NULL). */
int nn_run_summary_read(const char *dir, nn_run_info *r, nn_err *err);

#endif
