/* pool.h: trials as isolated processes: each is `nnlab run FILE -q -o DIR
 * -s ...` in its own process (its output in DIR/run.log), which dies with
 * the sweep that started it; its result is read back from the exit status,
 * DIR/summary.json and DIR/run.log. */
#ifndef NN_SW_POOL_H
#define NN_SW_POOL_H

#include <sys/types.h>

#include "store.h"

/* How a halving trial stands to its neighbours: keep_state leaves its end
 * state (nnlab run --keep-state) for the next rung; from (or NULL) is the
 * run folder of the rung before whose end state it goes on from
 * (--continue-from). */
typedef struct nn_sw_chain {
    int keep_state;
    const char *from;
} nn_sw_chain;

/* Starts exe ("the nnlab command") as `exe run file -q --force -o run_dir
 * [--keep-state] [--continue-from FROM] [--plugin-path P] -s ov...`; the
 * child's stdout and stderr go to run_dir/run.log. */
int nn_sw_spawn(const char *exe, const char *file, const char *run_dir, char *const *ov, int n_ov,
                const char *plugin_path, const nn_sw_chain *chain, pid_t *pid, nn_err *err);

/* The result of a trial process that ended with wait status ws (with what
 * its run.log says of going on from the rung before). */
void nn_sw_result_of(const char *run_dir, int ws, double seconds, nn_sw_result *r);

/* CPUs this process may use. */
int nn_sw_cpus(void);

/* Seconds on a monotonic clock. */
double nn_sw_now(void);

#endif
