/* fuzz_sweep.c: libFuzzer harness of the sweep section reader
 * (nn_sw_spec_read, core/sweep/spec.c) and the planning of its trials.
 *
 * The input is an experiment file with a sweep section; its first lines of
 * the form "#-g KEY=V1,V2" (comments to libconfig) are also given as -g
 * axes, at most 4. A refusal must carry a message. An accepted search of at
 * most 64 configurations is planned (configurations, the first rung, every
 * trial's overrides), as nnlab sweep does before it starts a trial. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plan.h"
#include "spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hold(void *ud, nn_kind kind, const char *name, const char *path)
{
    if (!dlopen(path, RTLD_NOW | RTLD_LOCAL))
        fprintf(stderr, "fuzz_sweep: %s: %s\n", path, dlerror());
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("NNLAB_PLUGIN_PATH", "", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    nn_registry reg; /* every plugin mapped once for the whole run (fuzz_experiment.c) */
    nn_registry_init(&reg, NULL);
    nn_registry_scan(&reg, 0, hold, NULL);
    nn_registry_free(&reg);
    return 0;
}

#define MAX_AXES 4

static int axes(const char *text, char **out)
{
    int n = 0;
    const char *p = text;
    while (n < MAX_AXES && strncmp(p, "#-g ", 4) == 0) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        out[n++] = strndup(p + 4, (size_t)(nl - p - 4));
        p = nl + 1;
    }
    return n;
}

/* Configurations of the search, when few enough to plan here. */
static long configs(const nn_sweep_spec *s)
{
    if (s->method != NN_SW_GRID)
        return s->trials;
    long n = 1;
    for (int i = 0; i < s->n_params && n <= 64; i++)
        n *= s->params[i].n_values;
    return n;
}

static void plan(nn_sweep_spec *s)
{
    if (configs(s) > 64 || (long)s->repeats * configs(s) > 256)
        return;
    nn_sw_plan p;
    nn_err err = {{0}};
    memset(&p, 0, sizeof p);
    if (nn_sw_plan_configs(s, &p, &err) == NN_OK) {
        int cfgs[64];
        for (int i = 0; i < p.n_configs && i < 64; i++)
            cfgs[i] = i;
        if (p.n_configs <= 64 && nn_sw_plan_rung(s, &p, cfgs, p.n_configs, &err) == NN_OK)
            for (int t = 0; t < p.n_trials; t++) {
                char **ov;
                int n;
                if (nn_sw_trial_overrides(s, &p, &p.trials[t], 1, &ov, &n, &err) == NN_OK)
                    nn_sw_free_overrides(ov, n);
            }
    } else if (!err.msg[0]) {
        abort();
    }
    nn_sw_plan_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *grid[MAX_AXES];
    int n_grid = axes(text, grid);
    const char *path = fuzz_write(0, "sweep.cfg", data, size);
    if (!path)
        abort();
    static nn_sweep_spec s;
    nn_err err = {{0}};
    int rc = nn_sw_spec_read(&s, path, NULL, 0, (const char *const *)grid, n_grid, NULL, &err);
    if (rc != NN_OK && !err.msg[0])
        abort();
    if (rc == NN_OK)
        plan(&s);
    nn_sw_spec_free(&s);
    for (int i = 0; i < n_grid; i++)
        free(grid[i]);
    free(text);
    return 0;
}
