/* decls.h: parameter declarations (nn_param_decl tables) and their checks. */
#ifndef NN_DECLS_H
#define NN_DECLS_H

#include <stddef.h>

#include "nnlab/plugin.h"

/* 1 when name matches [a-z0-9_]+ (at most 64 characters): plugin and
 * parameter names. */
int nn_name_valid(const char *name);

/* Check a table of declarations (names, types, defaults inside ranges). */
int nn_decls_validate(const nn_param_decl *d, int n, nn_err *err);

/* The declared defaults as values, as the experiment reader gives them for
 * absent keys: v[i] for d[i]; a list default ("[0.8, 0.9]", "[\"hog\"]")
 * gets its elements in lists[i], an enum default its name, one block each
 * (free each with free(); NULL for the other types). On failure nothing is
 * left allocated. */
int nn_decls_defaults(const nn_param_decl *d, int n, nn_value *v, void **lists, nn_err *err);

/* Index of the declaration named name with type type, or -1. */
int nn_decls_find(const nn_param_decl *d, int n, const char *name, nn_type type);

/* 1 when v is one of choices "a|b|c". */
int nn_choice_ok(const char *choices, const char *v);
/* Position of v among choices "a|b|c" (0 for a), or -1. */
int nn_choice_index(const char *choices, const char *v);
/* Writes choice number k of choices into out; 0 when there is none. */
int nn_choice_name(const char *choices, int k, char *out, size_t n);

/* The default of an NN_T_ENUM declaration as its name; 0 when def is not
 * the index of a choice. */
int nn_enum_default(const nn_param_decl *p, char *out, size_t n);

#endif
