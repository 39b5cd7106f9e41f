/* tree.c: copying a libconfig setting into an nn_tree (see tree.h). */
#include "tree.h"

#include "exact.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nn_tree_format_real(double v, char *out, size_t n)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(out, n, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strpbrk(out, ".eEn"))
        strncat(out, ".0", n - strlen(out) - 1);
}

/* A growing string. */
typedef struct buf {
    char *s;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

static void put_string(buf *b, const char *s)
{
    char c[3] = {0};
    put(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            c[0] = '\\';
            c[1] = *s;
        } else if (*s == '\n') {
            c[0] = '\\';
            c[1] = 'n';
        } else {
            c[0] = *s;
            c[1] = 0;
        }
        put(b, c);
    }
    put(b, "\"");
}

static void put_text(buf *b, const nn_tree *t)
{
    char num[48];
    switch (t->type) {
    case NN_TREE_INT: /* beyond 32 bits libconfig needs the L */
        snprintf(num, sizeof num, t->i > 2147483647LL || t->i < -2147483648LL ? "%lldL" : "%lld", t->i);
        put(b, num);
        break;
    case NN_TREE_REAL:
        nn_tree_format_real(t->r, num, sizeof num);
        put(b, num);
        break;
    case NN_TREE_BOOL: put(b, t->i ? "true" : "false"); break;
    case NN_TREE_STRING: put_string(b, t->s); break;
    default:
        put(b, t->type == NN_TREE_ARRAY ? "[" : t->type == NN_TREE_LIST ? "(" : "{ ");
        for (int k = 0; k < t->n_kids; k++) {
            if (t->type == NN_TREE_GROUP) {
                put(b, t->kids[k].name);
                put(b, " = ");
                put(b, t->kids[k].text);
                put(b, "; ");
            } else {
                put(b, k ? ", " : "");
                put(b, t->kids[k].text);
            }
        }
        put(b, t->type == NN_TREE_ARRAY ? "]" : t->type == NN_TREE_LIST ? ")" : "}");
    }
}

static void tree_clear(nn_tree *t)
{
    for (int k = 0; k < t->n_kids; k++)
        tree_clear(&t->kids[k]);
    free(t->kids);
    free(t->s);
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* Fills t from s; 0, or -1 when out of memory. */
static int copy(nn_tree *t, const config_setting_t *s)
{
    memset(t, 0, sizeof *t);
    const char *nm = config_setting_name(s);
    snprintf(t->name, sizeof t->name, "%s", nm ? nm : "");
    t->line = config_setting_source_line(s) > 0 ? config_setting_source_line(s) : 0;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        t->type = NN_TREE_INT;
        t->i = config_setting_get_int64(s);
        t->r = (double)t->i;
        t->hex = config_setting_get_format(s) == CONFIG_FORMAT_HEX;
        break;
    case CONFIG_TYPE_FLOAT:
        t->type = NN_TREE_REAL;
        t->r = config_setting_get_float(s);
        break;
    case CONFIG_TYPE_BOOL:
        t->type = NN_TREE_BOOL;
        t->i = config_setting_get_bool(s);
        break;
    case CONFIG_TYPE_STRING:
        t->type = NN_TREE_STRING;
        if (!(t->s = strdup(config_setting_get_string(s))))
            return -1;
        break;
    default: {
        int type = config_setting_type(s);
        t->type = type == CONFIG_TYPE_ARRAY ? NN_TREE_ARRAY : type == CONFIG_TYPE_LIST ? NN_TREE_LIST : NN_TREE_GROUP;
        int n = config_setting_length(s);
        t->kids = calloc((size_t)(n ? n : 1), sizeof *t->kids);
        if (!t->kids)
            return -1;
        for (int k = 0; k < n; k++) {
            t->n_kids = k + 1;
            if (copy(&t->kids[k], config_setting_get_elem(s, (unsigned)k)) != 0)
                return -1;
        }
    }
    }
    buf b = {0};
    put_text(&b, t);
    t->text = b.s;
    return b.oom || !b.s ? -1 : 0;
}

static int copy_out(const config_setting_t *s, nn_tree **out, nn_err *err)
{
    nn_tree *t = calloc(1, sizeof *t);
    if (!t || copy(t, s) != 0) {
        nn_tree_free(t);
        *out = NULL;
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    }
    *out = t;
    return NN_OK;
}

int nn_tree_of(const nn_experiment *x, const char *path, nn_tree **out, nn_err *err)
{
    *out = NULL;
    const config_setting_t *s = config_lookup(x->cfg, path);
    return s ? copy_out(s, out, err) : NN_OK;
}

int nn_tree_parse(const char *literal, nn_tree **out, nn_err *err)
{
    *out = NULL;
    size_t n = strlen(literal) + 16;
    char *text = malloc(n);
    if (!text)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    snprintf(text, n, "v = %s;", literal);
    config_t cfg;
    config_init(&cfg);
    config_set_auto_convert(&cfg, 0);
    int rc;
    const config_setting_t *v;
    nn_lit_issue bad;
    char why[300];
    if (config_read_string(&cfg, text) != CONFIG_TRUE || !(v = config_lookup(&cfg, "v")))
        rc = nn_err_set(err, NN_EINPUT, "cannot parse value '%s': %s", literal,
                        config_error_text(&cfg) ? config_error_text(&cfg) : "syntax error");
    else if (nn_config_exact_ints(&cfg, "", text, &bad) != 0) /* integers as written */
        rc = nn_err_set(err, NN_EINPUT, "%s", (nn_lit_reason(&bad, why, sizeof why), why));
    else if ((rc = copy_out(v, out, err)) == NN_OK) {
        (*out)->name[0] = '\0';
        (*out)->line = 0;
    }
    config_destroy(&cfg);
    free(text);
    return rc;
}

void nn_tree_free(nn_tree *t)
{
    if (!t)
        return;
    tree_clear(t);
    free(t);
}

const nn_tree *nn_tree_member(const nn_tree *t, const char *name)
{
    for (int k = 0; t && t->type == NN_TREE_GROUP && k < t->n_kids; k++)
        if (strcmp(t->kids[k].name, name) == 0)
            return &t->kids[k];
    return NULL;
}

void nn_tree_int_text(const nn_tree *t, char *out, size_t n)
{
    snprintf(out, n, t->hex ? "0x%llX" : "%lld", t->i);
}

const char *nn_tree_type_name(nn_tree_type t)
{
    static const char *const names[] = {"an integer", "a number", "true or false", "a string",
                                        "an array [ ... ]", "a list ( ... )", "a group { ... }"};
    return t <= NN_TREE_GROUP ? names[t] : "a value";
}
