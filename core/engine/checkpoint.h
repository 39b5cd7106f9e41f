/* checkpoint.h: everything a run needs to go on exactly where it stopped,
 * in the folder <run>/checkpoint/ (one file, state.bin): the resolved
 * experiment, a hash of the data, the parameters, every optimizer slot and
 * global scalar, the evaluation point, the step count and gradient
 * evaluations, the schedule's state (plateau counters), every random stream
 * (shuffling, each regularizer's), the epoch and the position in it with the
 * epoch's order and partial sums, the best model and its epoch, and the
 * metric rows so far. A run restored from it and trained on gives the same
 * bits as one that never stopped.
 *
 * The folder is replaced atomically: the new one is written as
 * checkpoint.tmp.<pid>/, its file and the folder fsynced, then exchanged
 * with checkpoint/ in one rename (renameat2 RENAME_EXCHANGE; where the file
 * system lacks it, state.bin is renamed over the old one, as atomic), and
 * the parent folder fsynced. A process killed at any moment leaves the
 * previous checkpoint or the new one, whole. */
#ifndef NN_CHECKPOINT_H
#define NN_CHECKPOINT_H

#include "train.h"

#define NN_CHECKPOINT_DIR "checkpoint"
#define NN_CHECKPOINT_FILE "checkpoint/state.bin"
/* The end state a finished run leaves for a run of more epochs to go on
 * from (nnlab run --keep-state; train.h's NN_BOUNDARY_END): the same
 * records and the epochs of its run, in a folder of its own that the run
 * does not remove, so that --resume never takes it for a checkpoint. */
#define NN_END_STATE_DIR "continue"
#define NN_END_STATE_FILE "continue/state.bin"

/* What every checkpoint of one run shares, computed once before training
 * (so that writing one at a boundary costs only the file): the experiment's
 * text and the data's hash. */
typedef struct nn_checkpoint {
    char dir[4096];   /* the run folder */
    char *config;     /* nn_experiment_print text (owned) */
    size_t config_n;
    uint64_t data_hash;
} nn_checkpoint;

/* Prepares c for writing t's checkpoints into dir. */
int nn_checkpoint_prepare(nn_checkpoint *c, const nn_trainer *t, const char *dir, nn_err *err);
void nn_checkpoint_release(nn_checkpoint *c);
/* Replaces <dir>/checkpoint/ with t's state (and its regularizers' streams). */
int nn_checkpoint_write(const nn_checkpoint *c, const nn_trainer *t, nn_err *err);
/* Replaces <dir>/continue/ with t's end state (at NN_BOUNDARY_END). */
int nn_checkpoint_write_end(const nn_checkpoint *c, const nn_trainer *t, nn_err *err);
/* 1 when <dir> holds a checkpoint file. */
int nn_checkpoint_exists(const char *dir);
/* Restores t, initialised for the same experiment, data and model, and the
 * regularizers' streams of x (= t->x) from <dir>'s checkpoint. Refuses
 * (NN_EINPUT) a checkpoint of another experiment naming the first key that
 * differs, one of other data, and a corrupt or truncated file (checksum). */
int nn_checkpoint_read(nn_trainer *t, nn_experiment *x, const char *dir, nn_err *err);
/* Restores t (as nn_checkpoint_read) from the end state in <from>/continue/
 * of a finished run of the same experiment with fewer epochs: only the
 * name and train.epochs may differ besides nn_checkpoint_may_differ, and
 * training goes on at the epoch after that run's last, to the same bits as
 * a run of this many epochs from the start. NN_EINPUT (naming why) leaves t
 * as it was. */
int nn_checkpoint_continue(nn_trainer *t, nn_experiment *x, const char *from, nn_err *err);
/* Removes <dir>/checkpoint (after the run completed). */
void nn_checkpoint_remove(const char *dir);
/* Settings that change how a run is shown or stored, never what it
 * computes: they may differ between a checkpoint and the run resuming it. */
extern const char *const nn_checkpoint_may_differ[];

#endif
