/* registry.h: finding, loading and validating plugins along a search path. */
#ifndef NN_REGISTRY_H
#define NN_REGISTRY_H

#include "decls.h"
#include "nnlab/plugin.h"

#define NN_MAX_SEARCH_DIRS 32

typedef struct nn_registry {
    char *dirs[NN_MAX_SEARCH_DIRS];
    int n_dirs;
} nn_registry;

typedef struct nn_handle {
    void *dl;
    const nn_plugin *desc;
    char path[4096];
    nn_optim_ops optim;  /* optim plugins: the ops resolved for this core's ABI
                            (nn_optim_resolve); read these, never desc->ops.optim */
} nn_handle;

/* Search path, in order: extra (colon-separated, e.g. --plugin-path), the
 * NNLAB_PLUGIN_PATH environment variable, the build tree, the install prefix,
 * and <folder of libnnlab>/nnlab/plugins when the install tree has moved. */
void nn_registry_init(nn_registry *r, const char *extra);
void nn_registry_free(nn_registry *r);

const char *nn_kind_name(nn_kind kind);
int nn_kind_parse(const char *s, nn_kind *out);

/* Open a plugin by name (searching the path; kind may be 0 for any) or by a
 * path containing '/' (a bare "x.so" is refused: the current folder is
 * never searched implicitly). Refuses a file or folder writable by every
 * user (NN_EPLUGIN). Validates the descriptor. */
int nn_plugin_open(const nn_registry *r, const char *name_or_path, nn_kind kind,
                   nn_handle *out, nn_err *err);
void nn_plugin_close(nn_handle *h);
/* The open plugin whose code holds addr, or NULL: async-signal-safe (a
 * crash handler names the plugin it crashed in). */
const nn_plugin *nn_plugin_at(const void *addr);

/* Check a descriptor: ABI, numeric type, name, doc, parameter declarations,
 * defaults within ranges, operations table (for an optimizer the resolved ops:
 * limits, a step or model_step, reduce iff n_reduce > 0, max_evals() at the
 * default hyperparameters). */
int nn_plugin_validate(const nn_plugin *p, nn_err *err);

/* The full ops of an optim descriptor for this core's ABI: the ABI-1 prefix
 * of the plugin's struct (the appended ops NULL and counts 0) when the plugin
 * was built for ABI 1, the whole struct otherwise; all zero without ops. The
 * only place a plugin's nn_optim_ops is read. */
void nn_optim_resolve(const nn_plugin *p, nn_optim_ops *out);

/* Finds <dir>/<kind>/<name>.so or <dir>/<name>.so along the path (kind 0:
 * any kind); writes the file's path into out. Returns 1 when found. */
int nn_registry_find(const nn_registry *r, const char *name, nn_kind kind, char *out, size_t n);

/* Calls fn for each plugin file found (first occurrence of each kind/name):
 * <dir>/<kind>/<name>.so, and <name>.so directly in a search folder (a flat
 * folder of plugins of any kind: each file is loaded to learn its kind; with
 * kind 0, files whose kind cannot be read are reported with kind 0). */
typedef void (*nn_registry_fn)(void *ud, nn_kind kind, const char *name, const char *path);
void nn_registry_scan(const nn_registry *r, nn_kind kind, nn_registry_fn fn, void *ud);

#endif
