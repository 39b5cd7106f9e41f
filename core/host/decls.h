/* decls.h: parameter declarations (nn_param_decl tables) and their checks. */
#ifndef NN_DECLS_H
#define NN_DECLS_H

#include "nnlab/plugin.h"

/* 1 when name matches [a-z0-9_]+ (at most 64 characters): plugin and
 * parameter names. */
int nn_name_valid(const char *name);

/* Check a table of declarations (names, types, defaults inside ranges). */
int nn_decls_validate(const nn_param_decl *d, int n, nn_err *err);

/* The declared defaults as values, as the experiment reader gives them for
 * absent keys: v[i] for d[i]; a list default ("[0.8, 0.9]", "[\"hog\"]")
 * gets its elements in lists[i], one block each (free each with free();
 * NULL for the other types). On failure nothing is left allocated. */
int nn_decls_defaults(const nn_param_decl *d, int n, nn_value *v, void **lists, nn_err *err);

/* 1 when v is one of choices "a|b|c". */
int nn_choice_ok(const char *choices, const char *v);

#endif
