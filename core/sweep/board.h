/* board.h: the leaderboard of a sweep folder, from trials.csv alone (so
 * that any process, and nnlab sweep --status, can draw it at any time):
 * configurations ranked by the metric (mean and std over repeats, at the
 * most epochs each reached), the best trial named and linked as DIR/best,
 * sweep.md, and figures: the metric against each swept key (log axis for
 * log-scale keys) and the best configurations' curves overlaid. */
#ifndef NN_SW_BOARD_H
#define NN_SW_BOARD_H

#include <stdio.h>

#include "store.h"

/* What --status and the progress line show besides the table. */
typedef struct nn_sw_progress {
    long done, failed, total;    /* recorded trials of this plan, those not ok, planned */
    int running;                 /* claims held now */
    double eta;                  /* seconds, or NAN */
} nn_sw_progress;

/* sweep.md and DIR/best; the figures too when figures is set (and the
 * experiment makes plots). */
int nn_sw_board_write(const char *dir, const nn_sw_meta *m, const nn_sw_table *t,
                      const nn_sw_progress *pr, int figures, nn_err *err);
/* The same summary and table as text on f. */
void nn_sw_board_print(FILE *f, const nn_sw_meta *m, const nn_sw_table *t, const nn_sw_progress *pr);
/* "auto" resolved against the rows: best_val_accuracy when any trial
 * measured it, else train_accuracy. */
const char *nn_sw_resolve_metric(const char *metric, const nn_sw_table *t);

#endif
