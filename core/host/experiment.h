/* experiment.h: experiment files (libconfig). The core reads them, applies the
 * declared defaults, checks types and ranges, refuses unknown keys, and hands
 * every plugin a filled parameter block; the core's own sections are bound
 * into the typed structs of options.h (x->opts). Errors read
 * "file:line: key: what". libconfig stays inside core/host: the parsed tree
 * is reached only through the functions below. */
#ifndef NN_EXPERIMENT_H
#define NN_EXPERIMENT_H

#include <stdio.h>

#include "nnlab/plugin.h"
#include "options.h"
#include "registry.h"

#define NN_MAX_REG 8

struct config_t;         /* libconfig's, used by experiment.c only */
struct config_setting_t;

typedef struct nn_section {
    char path[64];               /* "data", "optim", "reg[0]", "model", ... */
    struct config_setting_t *setting;
    const nn_param_decl *decls;
    int n_decls;
    nn_value values[NN_MAX_PARAMS];
    void *lists[NN_MAX_PARAMS];  /* storage of list values, owned here */
    nn_handle plugin;            /* plugin sections only */
    uint32_t seed;               /* section seed (explicit or derived) */
    nn_rng rng;                  /* stream started from seed; whoever draws
                                    from it during a run copies it first
                                    (the regularizer hooks excepted: see
                                    nn_attach_hooks) */
} nn_section;

typedef struct nn_experiment {
    struct config_t *cfg;        /* the parsed file (owned) */
    char file[4096];
    char base_dir[4096];
    const char *name;
    uint32_t seed;
    nn_section model, train, output, schedule;
    nn_section data, init, optim;
    nn_section reg[NN_MAX_REG];
    int n_reg;
    struct {                     /* the core's sections, typed (options.h) */
        nn_model_opts model;
        nn_train_opts train;
        nn_output_opts output;
        nn_schedule_opts schedule;
    } opts;
    int optim_lr;                /* index of the optimizer's "lr" in optim.values */
} nn_experiment;

/* Reads file, applies overrides ("key.path=value", libconfig value syntax),
 * validates everything and opens the plugins. */
int nn_experiment_load(nn_experiment *x, const char *file, const char *const *overrides,
                       int n_overrides, const nn_registry *reg, nn_err *err);
void nn_experiment_free(nn_experiment *x);

/* The resolved experiment (every default filled in) as libconfig text; a
 * top-level sweep or benchmark section (read by nnlab sweep and nnlab
 * benchmark, ignored by a run) is left out. */
int nn_experiment_write(const nn_experiment *x, const char *path, nn_err *err);
/* The same text (without the comment line naming the file) on f. */
void nn_experiment_print(const nn_experiment *x, FILE *f);
/* 0 when text (as nn_experiment_print writes it) is the experiment x is,
 * apart from the key paths in ignore ("output.plots", NULL-terminated);
 * 1 with the first key that differs and both values in what; -1 when text
 * does not parse. */
int nn_experiment_differs(const nn_experiment *x, const char *text, const char *const *ignore,
                          char *what, size_t n);

/* Value of a declared parameter by name (NULL if not declared). For tests
 * and tools; the engine reads x->opts and plugins their hp[P_X]. */
const nn_value *nn_section_get(const nn_section *s, const char *name);

/* Line of key in the file (of the section itself when key is not written
 * there); 0 when neither has one (values given with -s). For messages. */
int nn_section_line(const nn_section *s, const char *key);

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

/* The libconfig version experiments are read with, "1.5.0". */
const char *nn_experiment_reader_version(void);

#endif
