/* sweep.c: `nnlab sweep FILE [-g key=v1,v2,...]... [-s key=value]... [-j N]
 * [-o DIR] [--shard I/N] [--dry-run] [--retry-failed]` and `nnlab sweep
 * --status DIR`: the command over the sweep engine (core/sweep/sweep.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "sweep.h"
#ifdef NN_WITH_MPI
#include "mpi/mpi.h"
#endif

#define MAX_ARGS 256

/* The usage on f; the exit status status. */
static int usage_on(FILE *f, int status)
{
    fprintf(f,
            "usage: nnlab sweep FILE [-g key=v1,v2,...]... [-s key=value]... [-j N] [-o DIR]\n"
            "                  [--shard I/N] [--dry-run] [--retry-failed] [--plugin-path DIR]\n"
            "       nnlab sweep --status DIR\n"
            "  the search is FILE's sweep section plus the -g axes (values in libconfig syntax,\n"
            "  e.g. -g optim.lr=0.1,0.01 -g 'model.hidden=[10],[20, 10]'); under mpirun the ranks\n"
            "  share the trials; --shard (or SLURM_ARRAY_TASK_ID/COUNT) runs a share of them\n");
    return status;
}

static int usage(void) { return usage_on(stderr, 2); }

int nn_opt_shard(const char *v, int *shard, int *n_shards)
{
    char *e;
    long i = strtol(v, &e, 10);
    if (e == v || *e != '/')
        return -1;
    const char *t = e + 1;
    long n = strtol(t, &e, 10);
    if (e == t || *e || n < 1 || i < 1 || i > n || n > 100000)
        return -1;
    *shard = (int)i;
    *n_shards = (int)n;
    return 0;
}

/* -j N: a whole number from 1 to 1024, or -1 with a message. */
static int parse_jobs(const char *v, int *jobs)
{
    char *e;
    errno = 0;
    long n = strtol(v, &e, 10);
    if (e == v || *e || errno || n < 1 || n > 1024) {
        fprintf(stderr, "nnlab sweep: -j: '%s' is not a whole number from 1 to 1024\n", v);
        return -1;
    }
    *jobs = (int)n;
    return 0;
}

static int parse_args(int argc, char **argv, nn_sweep_opts *o, const char **fixed, const char **grid,
                      const char **status)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-g") == 0 && v && o->n_grid < MAX_ARGS)
            grid[o->n_grid++] = argv[++i];
        else if (strcmp(a, "-s") == 0 && v && o->n_fixed < MAX_ARGS)
            fixed[o->n_fixed++] = argv[++i];
        else if (strcmp(a, "-j") == 0 && v) {
            if (parse_jobs(argv[++i], &o->jobs) != 0)
                return -1;
        }
        else if (strcmp(a, "-o") == 0 && v)
            o->out = argv[++i];
        else if (strcmp(a, "--shard") == 0 && v && nn_opt_shard(v, &o->shard, &o->n_shards) == 0)
            i++;
        else if (strcmp(a, "--status") == 0 && v)
            *status = argv[++i];
        else if (strcmp(a, "--dry-run") == 0)
            o->dry_run = 1;
        else if (strcmp(a, "--retry-failed") == 0)
            o->retry_failed = 1;
        else if (nn_opt_plugin_path(argc, argv, &i, &o->plugin_path))
            continue;
        else if (a[0] != '-' && !o->file)
            o->file = a;
        else {
            fprintf(stderr, "nnlab sweep: unexpected or incomplete argument '%s'\n", a);
            return -1;
        }
    }
    if (*status ? o->file != NULL : o->file == NULL)
        return -1;
    return 0;
}

static int status_cmd(const char *dir)
{
    nn_err err = {{0}};
    int rc = nn_sweep_status(dir, stdout, &err);
    if (rc)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    return nn_exit_status(rc);
}

static int run_cmd(nn_sweep_opts *o)
{
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "nnlab sweep: cannot find the nnlab command (/proc/self/exe)\n");
        return 1;
    }
    exe[n] = '\0';
    o->exe = exe;
    if (!o->n_shards && nn_sweep_shard_from_env(&o->shard, &o->n_shards) < 0) {
        fprintf(stderr, "nnlab sweep: SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT are inconsistent\n");
        return 2;
    }
#ifdef NN_WITH_MPI
    o->mpi = nn_sw_mpi_start();
#endif
    int lead = !o->mpi || o->mpi->rank == 0;
    nn_err err = {{0}};
    nn_sweep_result res;
    int rc = nn_sweep_run(o, &res, &err);
    if (rc && lead)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    if (rc == NN_OK && lead && !o->dry_run && !res.signal) {
        nn_sweep_status(res.dir, stdout, &err);
        printf("\nwrote %s/sweep.md and %s/trials.csv\n", res.dir, res.dir);
    }
    if (rc == NN_OK && lead && res.signal)
        fprintf(stderr, "nnlab sweep: stopped by signal %d after %ld of %ld trials; run the same "
                "command again to go on\n", res.signal, res.done, res.total);
    else if (rc == NN_OK && lead && res.worst)
        fprintf(stderr, "nnlab sweep: %ld of %ld trials did not finish ok (see %s/trials.csv and "
                "their run.log)\n", res.failed, res.total, res.dir);
#ifdef NN_WITH_MPI
    nn_sw_mpi_end();
#endif
    if (rc)
        return nn_exit_status(rc);
    return res.signal ? 128 + res.signal : lead ? res.worst : 0;
}

int nn_cmd_sweep(int argc, char **argv)
{
    static const char *fixed[MAX_ARGS], *grid[MAX_ARGS];
    nn_sweep_opts o = {0};
    o.fixed = fixed;
    o.grid = grid;
    const char *status = NULL;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return usage_on(stdout, 0);
    if (parse_args(argc, argv, &o, fixed, grid, &status) != 0)
        return usage();
    if (nn_check_plugin_path("sweep", o.plugin_path))
        return 2;
    return status ? status_cmd(status) : run_cmd(&o);
}
