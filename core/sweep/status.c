/* status.c: nnlab sweep --status (what a sweep folder holds and runs, read
 * while the sweep runs or after) and the shard of a job array. */
#include "sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nn_sweep_status(const char *dir, FILE *out, nn_err *err)
{
    /* claims first, rows after: a trial that finishes in between has its row
     * appended before its claim goes, so it is found done, not counted twice
     * (a claim on a failed trial's id is a --retry-failed rerun: running) */
    char ids[64][16];
    int held = nn_sw_claims_held(dir, ids, 64);
    nn_sw_meta m;
    int rc = nn_sw_meta_read(dir, &m, err);
    nn_sw_table t = {0};
    if (rc == NN_OK)
        rc = nn_sw_table_read(dir, &t, err);
    if (rc)
        return rc;
    nn_sw_progress pr = {.total = m.total, .eta = NAN};
    const nn_sw_row *f;
    for (int i = 0; i < held; i++)
        if (i >= 64 || !(f = nn_sw_table_find(&t, ids[i])) || strcmp(f->r.status, "ok") != 0) {
            if (i < 64 && pr.running < 64)
                memcpy(ids[pr.running], ids[i], sizeof ids[i]);
            pr.running++;
        }
    double secs = 0;
    int n_secs = 0;
    for (int i = 0; i < t.n_rows; i++)
        if (nn_sw_table_find(&t, t.rows[i].trial) == &t.rows[i]) {
            pr.done++;
            pr.failed += strcmp(t.rows[i].r.status, "ok") != 0;
            if (isfinite(t.rows[i].r.seconds))
                secs += t.rows[i].r.seconds, n_secs++;
        }
    if (n_secs && pr.running)
        pr.eta = secs / n_secs * (double)(pr.total - pr.done) / pr.running;
    nn_sw_board_print(out, &m, &t, &pr);
    if (pr.running) {
        fputs("\nrunning:", out);
        for (int i = 0; i < pr.running && i < 64; i++)
            fprintf(out, " %s", ids[i]);
        fputc('\n', out);
    }
    nn_sw_table_free(&t);
    return NN_OK;
}

int nn_sweep_shard_from_env(int *shard, int *n_shards)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN");
    *shard = *n_shards = 0;
    if (!id || !cnt)
        return 0;
    long i = atol(id) - (min ? atol(min) : 0), n = atol(cnt);
    if (n < 1 || i < 0 || i >= n)
        return -1;
    *shard = (int)i + 1;
    *n_shards = (int)n;
    return 1;
}
