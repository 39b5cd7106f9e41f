/* experiment.h: experiment files (libconfig). The core reads them, applies the
 * declared defaults, checks types and ranges, refuses unknown keys, and hands
 * every plugin a filled parameter block. Errors read "file:line: key: what". */
#ifndef NN_EXPERIMENT_H
#define NN_EXPERIMENT_H

#include <libconfig.h>

#include "nnlab/plugin.h"
#include "registry.h"

#define NN_MAX_REG 8

typedef struct nn_section {
    char path[64];               /* "data", "optim", "reg[0]", "model", ... */
    config_setting_t *setting;
    const nn_param_decl *decls;
    int n_decls;
    nn_value values[NN_MAX_PARAMS];
    void *lists[NN_MAX_PARAMS];  /* storage of list values, owned here */
    nn_handle plugin;            /* plugin sections only */
    uint32_t seed;               /* section seed (explicit or derived) */
    nn_rng rng;                  /* stream started from seed */
} nn_section;

typedef struct nn_experiment {
    config_t cfg;
    char file[4096];
    char base_dir[4096];
    const char *name;
    uint32_t seed;
    nn_section model, train, output, schedule;
    nn_section data, init, optim;
    nn_section reg[NN_MAX_REG];
    int n_reg;
} nn_experiment;

/* Reads file, applies overrides ("key.path=value", libconfig value syntax),
 * validates everything and opens the plugins. */
int nn_experiment_load(nn_experiment *x, const char *file, const char *const *overrides,
                       int n_overrides, const nn_registry *reg, nn_err *err);
void nn_experiment_free(nn_experiment *x);

/* The resolved experiment (every default filled in) as libconfig text. */
int nn_experiment_write(const nn_experiment *x, const char *path, nn_err *err);

/* Value of a declared parameter by name (NULL if not declared). */
const nn_value *nn_section_get(const nn_section *s, const char *name);

/* Reads a plugin's parameter block from a group that holds only its own keys
 * (plus "plugin" and "seed"), e.g. for nnlab check. Opens nothing. */
int nn_section_read_plugin_params(nn_section *s, const nn_experiment *x, nn_err *err);

/* Reads text, the body of a group `<kind> = { plugin = "<name>"; <body> };`,
 * as the parameter block of plugin p, exactly as in an experiment file
 * (defaults, types, ranges, unknown keys); origin stands for the file name in
 * messages. Opens nothing (p stays the caller's); free x with
 * nn_experiment_free, also after a failure. */
int nn_experiment_read_block(nn_experiment *x, const nn_plugin *p, const char *origin, const char *body,
                             nn_err *err);

/* The section of a plugin of this kind (for reg: the first). */
nn_section *nn_experiment_block(nn_experiment *x, nn_kind kind);

#endif
