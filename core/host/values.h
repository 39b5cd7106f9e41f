/* values.h: the settings of a parsed experiment file read as declared values
 * (values.c). Shared by the readers of core/host only: it is the one header
 * besides libconfig's own that names libconfig's types. */
#ifndef NN_VALUES_H
#define NN_VALUES_H

#include <libconfig.h>

#include "experiment.h"

/* "file:line: key: message" (key: s's path unless given), or without the
 * line for a value set with -s; returns NN_EINPUT. */
int nn_cfg_fail(const nn_experiment *x, const config_setting_t *s, const char *key, nn_err *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* s's path from the root: "reg[0].lambda". */
void nn_cfg_key_path(const config_setting_t *s, char *out, size_t n);
/* The candidate within edit distance 2 of word (the nearest), or NULL. */
const char *nn_cfg_closest(const char *word, const char *const *cands, int n);

/* A deep copy of src as member name of dst_parent; -1 when it cannot be made. */
int nn_cfg_copy(config_setting_t *dst_parent, const char *name, const config_setting_t *src);
/* Parses a value literal ("0.1", "[1, 2]", "\"relu\"") into tmp as setting "v",
 * integers exactly as written; -1 with the reason in why (tmp destroyed). */
int nn_cfg_parse_literal(config_t *tmp, const char *text, char *why, size_t n);
/* Integers of cfg (read from text, or from x->file when text is NULL) made
 * exactly what was written (exact.h), or the message naming the literal. */
int nn_cfg_exact_ints(const nn_experiment *x, config_t *cfg, const char *text, nn_err *err);

int nn_cfg_is_integer(const config_setting_t *s);
/* An integer setting's value as written (every digit; hexadecimal stays so). */
typedef struct nn_cfg_num {
    char s[32];
} nn_cfg_num;
nn_cfg_num nn_cfg_int_text(const config_setting_t *s);

/* Refuses a key of sec that is neither declared nor in extra (NULL-terminated),
 * suggesting the nearest known one. */
int nn_cfg_check_keys(const nn_experiment *x, const nn_section *sec, const char *const *extra,
                      nn_err *err);
/* Fills sec's defaults into the tree, then reads and checks every declared
 * value into sec->values (list storage in sec->lists). */
int nn_cfg_read_decls(const nn_experiment *x, nn_section *sec, nn_err *err);
/* sec's seed: the one written, or derived from x's and recorded in the tree;
 * starts sec->rng from it. */
int nn_cfg_read_seed(const nn_experiment *x, nn_section *sec, nn_err *err);

#endif
