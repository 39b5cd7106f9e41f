/* checkpoint.h: everything a run needs to go on exactly where it stopped,
 * in one file <run>/checkpoint/state.bin written atomically (a crash while
 * writing leaves the previous checkpoint): the resolved experiment, a hash
 * of the data, the parameters, every optimizer slot and scalar, the
 * evaluation point, the step count and gradient evaluations, the
 * schedule's state (plateau counters), every random stream (shuffling, each
 * regularizer's), the epoch and the position in it with the epoch's order
 * and partial sums, the best model and its epoch, and the metric rows so
 * far. A run restored from it and trained on gives the same bits as one
 * that never stopped. */
#ifndef NN_CHECKPOINT_H
#define NN_CHECKPOINT_H

#include "train.h"

#define NN_CHECKPOINT_DIR "checkpoint"
#define NN_CHECKPOINT_FILE "checkpoint/state.bin"

/* Writes <dir>/checkpoint/state.bin from t (and t->x's regularizer streams). */
int nn_checkpoint_write(const nn_trainer *t, const char *dir, nn_err *err);
/* 1 when <dir> holds a checkpoint file. */
int nn_checkpoint_exists(const char *dir);
/* Restores t, initialised for the same experiment, data and model, and the
 * regularizers' streams of x (= t->x) from <dir>'s checkpoint. Refuses
 * (NN_EINPUT) a checkpoint of another experiment naming the first key that
 * differs, one of other data, and a corrupt file. */
int nn_checkpoint_read(nn_trainer *t, nn_experiment *x, const char *dir, nn_err *err);
/* Removes <dir>/checkpoint (after the run completed). */
void nn_checkpoint_remove(const char *dir);

#endif
