/* folder.h: the run folder as a whole. A run writes every file atomically
 * (a temporary "<name>.tmp.<pid>" renamed into place) and summary.json
 * last, so a folder with summary.json is complete. A folder that already
 * holds a run is not written over by accident: nnlab run refuses it unless
 * told to replace it (--force: the old outputs are removed first) or to
 * continue it (--resume). Temporaries left by processes that died are
 * removed when the next run starts in the folder. */
#ifndef NN_FOLDER_H
#define NN_FOLDER_H

#include <stddef.h>

#include "nnlab/plugin.h"

typedef enum nn_folder_mode {
    NN_FOLDER_NEW,    /* refuse a folder that holds a run */
    NN_FOLDER_FORCE,  /* remove the outputs of the run it holds */
    NN_FOLDER_RESUME, /* keep them: the run continues there */
} nn_folder_mode;

/* Creates dir when needed and removes stale temporaries; then, when dir
 * holds a run: NN_EINPUT for NN_FOLDER_NEW (the message names what is
 * there and the two options), its outputs removed for NN_FOLDER_FORCE. */
int nn_run_folder_prepare(const char *dir, nn_folder_mode mode, nn_err *err);

/* 1 when dir holds outputs of a run, with the first few named in what. */
int nn_run_folder_holds_run(const char *dir, char *what, size_t n);

/* Removes "<name>.tmp.<pid>" files of processes that no longer exist in dir
 * and its run subfolders; returns how many. */
int nn_run_folder_remove_stale(const char *dir);

/* Removes the outputs of a run from dir (never other files); NN_OK or NN_EIO
 * naming what could not be removed. */
int nn_run_folder_clear(const char *dir, nn_err *err);

#endif
