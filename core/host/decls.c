/* decls.c: checking a table of parameter declarations (a plugin's or the
 * core's own) before any value is read against it, the values its defaults
 * stand for, and the "a|b|c" choices of string and enum parameters. */
#include "decls.h"

#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The k-th choice of "a|b|c": its start and length; 0 when there is none. */
static int choice_at(const char *choices, int k, const char **start, size_t *len)
{
    for (const char *p = choices; p && *p; k--) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (k == 0) {
            *start = p;
            *len = l;
            return 1;
        }
        p = e ? e + 1 : p + l;
    }
    return 0;
}

int nn_choice_index(const char *choices, const char *v)
{
    const char *c;
    size_t len;
    for (int k = 0; v && choice_at(choices, k, &c, &len); k++)
        if (len == strlen(v) && strncmp(c, v, len) == 0)
            return k;
    return -1;
}

int nn_choice_ok(const char *choices, const char *v)
{
    return nn_choice_index(choices, v) >= 0;
}

int nn_choice_name(const char *choices, int k, char *out, size_t n)
{
    const char *c;
    size_t len;
    if (k < 0 || !choice_at(choices, k, &c, &len))
        return 0;
    snprintf(out, n, "%.*s", (int)len, c);
    return 1;
}

int nn_enum_default(const nn_param_decl *p, char *out, size_t n)
{
    if (p->def != floor(p->def) || !nn_choice_name(p->choices, (int)p->def, out, n))
        return 0;
    return !p->def_str || strcmp(p->def_str, out) == 0;
}

int nn_decls_find(const nn_param_decl *d, int n, const char *name, nn_type type)
{
    for (int i = 0; i < n; i++)
        if (d[i].type == type && d[i].name && strcmp(d[i].name, name) == 0)
            return i;
    return -1;
}

static int validate_enum(const nn_param_decl *p, nn_err *err)
{
    char def[128];
    if (!p->choices || !p->choices[0])
        return nn_err_set(err, NN_EPLUGIN, "parameter '%s': enum without choices", p->name);
    if (!nn_enum_default(p, def, sizeof def))
        return nn_err_set(err, NN_EPLUGIN, "parameter '%s': default %g%s%s%s is not the index of a choice among %s",
                          p->name, p->def, p->def_str ? " ('" : "", p->def_str ? p->def_str : "",
                          p->def_str ? "')" : "", p->choices);
    return NN_OK;
}

int nn_decls_validate(const nn_param_decl *d, int n, nn_err *err)
{
    for (int i = 0; i < n; i++) {
        const nn_param_decl *p = &d[i];
        if (!p->name || !nn_name_valid(p->name))
            return nn_err_set(err, NN_EPLUGIN, "parameter %d has an invalid name", i);
        for (int j = 0; j < i; j++)
            if (strcmp(d[j].name, p->name) == 0)
                return nn_err_set(err, NN_EPLUGIN, "parameter '%s' declared twice", p->name);
        if (strcmp(p->name, "plugin") == 0 || strcmp(p->name, "seed") == 0)
            return nn_err_set(err, NN_EPLUGIN, "parameter name '%s' is reserved", p->name);
        if (!p->doc || !p->doc[0])
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s' has no doc", p->name);
        if (p->type < NN_T_REAL || p->type > NN_T_ENUM)
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s' has an unknown type", p->name);
        if (p->type == NN_T_ENUM) {
            int rc = validate_enum(p, err);
            if (rc)
                return rc;
            continue;
        }
        int numeric = p->type == NN_T_REAL || p->type == NN_T_INT || p->type == NN_T_BOOL;
        if (numeric && !(p->min <= p->def && p->def <= p->max))
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': default %g outside [%g, %g]",
                              p->name, p->def, p->min, p->max);
        if (p->type == NN_T_INT && p->def != floor(p->def))
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': integer default %g", p->name, p->def);
        if (p->type == NN_T_BOOL && p->def != 0 && p->def != 1)
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': boolean default %g", p->name, p->def);
        if (p->type == NN_T_STRING && !p->def_str)
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': string without default", p->name);
        if (p->type == NN_T_STRING && p->choices && !nn_choice_ok(p->choices, p->def_str))
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': default '%s' not among %s",
                              p->name, p->def_str, p->choices);
    }
    return NN_OK;
}

int nn_name_valid(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return n > 0 && n <= 64;
}

/* One block holding the k elements of a list setting (and, for strings, the
 * characters they point to). */
static int list_block(const nn_param_decl *p, const config_setting_t *s, nn_value *v, void **store,
                      nn_err *err)
{
    int k = config_setting_length(s);
    size_t esz = p->type == NN_T_INTLIST ? sizeof(long) : p->type == NN_T_REALLIST ? sizeof(nn_real) : sizeof(char *);
    size_t bytes = (size_t)k * esz;
    for (int i = 0; i < k && p->type == NN_T_STRLIST; i++) {
        const char *e = config_setting_get_string_elem(s, i);
        bytes += e ? strlen(e) + 1 : 0;
    }
    char *blk = calloc(1, bytes + 1);
    if (!blk)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    char *chars = blk + (size_t)k * esz;
    for (int i = 0; i < k; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        int t = config_setting_type(e);
        int integer = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
        if (p->type == NN_T_STRLIST ? t != CONFIG_TYPE_STRING : p->type == NN_T_INTLIST ? !integer
                                                                : !integer && t != CONFIG_TYPE_FLOAT) {
            free(blk);
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': element %d of the default %s has the wrong type",
                              p->name, i, p->def_str);
        }
        if (p->type == NN_T_STRLIST) {
            size_t len = strlen(config_setting_get_string(e)) + 1;
            memcpy(chars, config_setting_get_string(e), len);
            ((const char **)(void *)blk)[i] = chars;
            chars += len;
        } else if (p->type == NN_T_INTLIST) {
            ((long *)(void *)blk)[i] = (long)config_setting_get_int64(e);
        } else {
            ((nn_real *)(void *)blk)[i] = (nn_real)(integer ? (double)config_setting_get_int64(e)
                                                            : config_setting_get_float(e));
        }
    }
    v->n = k;
    v->ints = p->type == NN_T_INTLIST ? (const long *)(void *)blk : NULL;
    v->reals = p->type == NN_T_REALLIST ? (const nn_real *)(void *)blk : NULL;
    v->strs = p->type == NN_T_STRLIST ? (const char *const *)(void *)blk : NULL;
    *store = blk;
    return NN_OK;
}

/* A list default, read with the parser experiment files are read with. */
static int list_default(const nn_param_decl *p, nn_value *v, void **store, nn_err *err)
{
    char text[4200];
    snprintf(text, sizeof text, "v = %s;", p->def_str ? p->def_str : "[]");
    config_t cfg;
    config_init(&cfg);
    const config_setting_t *s = config_read_string(&cfg, text) == CONFIG_TRUE ? config_lookup(&cfg, "v") : NULL;
    int t = s ? config_setting_type(s) : CONFIG_TYPE_NONE;
    int rc = t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST
                 ? list_block(p, s, v, store, err)
                 : nn_err_set(err, NN_EPLUGIN, "parameter '%s': default '%s' is not a list such as [1, 2]",
                              p->name, p->def_str ? p->def_str : "");
    config_destroy(&cfg);
    return rc;
}

/* An enum default: its index, and its name in a block of its own. */
static int enum_default(const nn_param_decl *p, nn_value *v, void **store, nn_err *err)
{
    char name[128];
    if (!nn_enum_default(p, name, sizeof name))
        return nn_err_set(err, NN_EPLUGIN, "parameter '%s': default %g is not the index of a choice among %s",
                          p->name, p->def, p->choices ? p->choices : "(none)");
    char *copy = malloc(strlen(name) + 1);
    if (!copy)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    strcpy(copy, name);
    v->i = (long)p->def;
    v->s = copy;
    *store = copy;
    return NN_OK;
}

int nn_decls_defaults(const nn_param_decl *d, int n, nn_value *v, void **lists, nn_err *err)
{
    for (int i = 0; i < n; i++) {
        const nn_param_decl *p = &d[i];
        memset(&v[i], 0, sizeof v[i]);
        lists[i] = NULL;
        int rc = NN_OK;
        switch (p->type) {
        case NN_T_REAL: v[i].r = (nn_real)p->def; break;
        case NN_T_INT: v[i].i = (long)p->def; break;
        case NN_T_BOOL: v[i].i = p->def != 0; break;
        case NN_T_STRING: v[i].s = p->def_str; break;
        case NN_T_ENUM: rc = enum_default(p, &v[i], &lists[i], err); break;
        default: rc = list_default(p, &v[i], &lists[i], err); break;
        }
        if (rc) {
            for (int j = 0; j < i; j++) {
                free(lists[j]);
                lists[j] = NULL;
            }
            return rc;
        }
    }
    return NN_OK;
}
