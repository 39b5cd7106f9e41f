/* exact.c: integer settings exactly as written, and no float literal
 * beyond a double (see exact.h).
 *
 * The source is lexed the way libconfig 1.5 lexes it (comments, strings,
 * names), keeping its integer and float literals in order. The integer
 * settings of one source, taken depth first, are its integer values in the
 * same order, so the k-th integer literal is the k-th integer setting (and
 * the same for floats); each pair is checked (the setting must hold what
 * libconfig makes of the literal) before any value is changed. */
#include "exact.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the literals of a source ---------------------------------------------------- */

typedef struct lit {
    int line;
    int is_float;       /* a float literal (value, has_l and too_big unused) */
    int has_l;          /* written with L (libconfig: 64 bits) */
    int too_big;        /* beyond 64 bits */
    long long value;    /* the value written (when !too_big) */
    double real;        /* a float literal as libconfig reads it (strtod) */
    nn_lit_kind bad;    /* a float beyond a double: NN_LIT_OVERFLOW or NN_LIT_UNDERFLOW, else 0 */
    char text[80];
} lit;

typedef struct lits {
    lit *v;
    int n, cap;
} lits;

static int push(lits *l, const lit *x)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        lit *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *x;
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hex_val(char c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }
static int name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*'; }
static int name_char(char c) { return name_start(c) || is_digit(c) || c == '-' || c == '_'; }

/* The exact value of digits [p, e) in base 10 or 16 with a sign. */
static void exact_value(lit *x, const char *p, const char *e, int base, int neg)
{
    uint64_t acc = 0;
    for (; p < e && !x->too_big; p++) {
        unsigned d = (unsigned)(base == 16 ? hex_val(*p) : *p - '0');
        if (acc > (UINT64_MAX - d) / (unsigned)base)
            x->too_big = 1;
        else
            acc = acc * (unsigned)base + d;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (x->too_big || acc > limit) {
        x->too_big = 1;
        return;
    }
    x->value = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(long long)acc) : (long long)acc;
}

static void set_text(lit *x, const char *s, const char *e)
{
    size_t n = (size_t)(e - s) < sizeof x->text - 1 ? (size_t)(e - s) : sizeof x->text - 1;
    memcpy(x->text, s, n);
    x->text[n] = '\0';
}

/* The float literal [s, e) into x: what libconfig reads for it, and whether
 * that is infinite, or 0 for a literal with a digit other than 0 before
 * its exponent. Returns 1. */
static int float_lit(const char *s, const char *e, lit *x)
{
    char t[400];
    size_t n = (size_t)(e - s) < sizeof t - 1 ? (size_t)(e - s) : sizeof t - 1;
    memcpy(t, s, n);
    t[n] = '\0';
    x->is_float = 1;
    x->real = strtod(t, NULL);
    int nonzero = 0;
    for (const char *p = t; *p && *p != 'e' && *p != 'E'; p++)
        nonzero |= *p >= '1' && *p <= '9';
    x->bad = isinf(x->real) ? NN_LIT_OVERFLOW : x->real == 0 && nonzero ? NN_LIT_UNDERFLOW : 0;
    set_text(x, s, e);
    return 1;
}

/* A number token at *pp into x (returns 1: an integer or a float literal). */
static int number(const char **pp, lit *x)
{
    const char *s = *pp, *p = s;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2])) {
        const char *d = p + 2, *e = d;
        while (is_hex(*e))
            e++;
        exact_value(x, d, e, 16, 0);
        p = e;
    } else {
        const char *d = p, *e = d;
        while (is_digit(*e))
            e++;
        if (*e == '.' || ((*e == 'e' || *e == 'E')
                          && (is_digit(e[1]) || ((e[1] == '-' || e[1] == '+') && is_digit(e[2]))))) {
            e += *e == '.';
            while (is_digit(*e))
                e++;
            if ((*e == 'e' || *e == 'E') && (is_digit(e[1]) || ((e[1] == '-' || e[1] == '+') && is_digit(e[2])))) {
                e += 2;
                while (is_digit(*e))
                    e++;
            }
            *pp = e;
            return float_lit(s, e, x);
        }
        exact_value(x, d, e, 10, neg);
        p = e;
    }
    x->has_l = *p == 'L';
    p += *p == 'L';
    p += x->has_l && *p == 'L';
    set_text(x, s, p);
    *pp = p;
    return 1;
}

/* Every integer literal of src, in order. */
static int lex(const char *src, lits *out)
{
    int line = 1;
    for (const char *p = src; *p;) {
        char c = *p;
        if (c == '\n') {
            line++, p++;
        } else if (c == '#' || (c == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            p += *p ? 2 : 0;
        } else if (c == '"') {
            for (p++; *p && *p != '"'; p++) {
                line += *p == '\n';
                if (*p == '\\' && p[1])
                    p++;
            }
            p += *p == '"';
        } else if (name_start(c) || c == '@') {
            for (p++; name_char(*p); p++)
                ;
        } else if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(p[1]) || p[1] == '.'))
                   || (c == '.' && is_digit(p[1]))) {
            lit x = {.line = line};
            if (c == '.') {
                const char *s = p++;
                while (is_digit(*p) || *p == 'e' || *p == 'E'
                       || ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
                    p++;
                float_lit(s, p, &x);
            } else {
                number(&p, &x);
            }
            if (push(out, &x) != 0)
                return -1;
        } else {
            p++;
        }
    }
    return 0;
}

/* ---- the settings ------------------------------------------------------------------ */

typedef struct settings {
    config_setting_t **v;
    int n, cap;
} settings;

/* The integer and float settings under s, depth first. */
static int collect(config_setting_t *s, settings *out)
{
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_GROUP || t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_ARRAY) {
        for (int i = 0; i < config_setting_length(s); i++)
            if (collect(config_setting_get_elem(s, (unsigned)i), out) != 0)
                return -1;
        return 0;
    }
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64 && t != CONFIG_TYPE_FLOAT)
        return 0;
    if (out->n == out->cap) {
        int cap = out->cap ? 2 * out->cap : 64;
        config_setting_t **v = realloc(out->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n++] = s;
    return 0;
}

/* What libconfig read for the literal is what the setting holds. */
static int pairs(const lit *x, const config_setting_t *s)
{
    if (x->has_l != (config_setting_type(s) == CONFIG_TYPE_INT64))
        return 0;
    if (x->too_big)
        return 1; /* libconfig clamps; refused below */
    if (x->has_l)
        return config_setting_get_int64(s) == x->value;
    return config_setting_get_int(s) == (int32_t)(uint32_t)(uint64_t)x->value;
}

static int fits_32(const lit *x) { return !x->too_big && x->value >= INT32_MIN && x->value <= INT32_MAX; }

/* An INT setting becomes INT64 of value v; so do its siblings in an array
 * (libconfig's arrays hold one type). */
static void widen(config_setting_t *s, long long v)
{
    config_setting_t *parent = config_setting_parent(s);
    if (parent && config_setting_type(parent) == CONFIG_TYPE_ARRAY)
        for (int i = 0; i < config_setting_length(parent); i++) {
            config_setting_t *e = config_setting_get_elem(parent, (unsigned)i);
            if (config_setting_type(e) == CONFIG_TYPE_INT) {
                long long w = e->value.ival;
                e->type = CONFIG_TYPE_INT64;
                e->value.llval = w;
            }
        }
    s->type = CONFIG_TYPE_INT64;
    s->value.llval = v;
}

static void issue(nn_lit_issue *bad, const config_setting_t *s, const char *file, const lit *x)
{
    bad->setting = s;
    bad->file = file;
    bad->line = x->line;
    bad->kind = x->is_float ? x->bad : x->too_big ? NN_LIT_TOO_BIG : NN_LIT_WRAPPED;
    snprintf(bad->literal, sizeof bad->literal, "%s", x->text);
}

/* The literals of l of one kind (is_float), and the settings of set that
 * take them (ints, or floats), in order; -1 when out of memory. */
static int split(const lits *l, const settings *set, int is_float, lits *lo, settings *so)
{
    lo->v = malloc((size_t)(l->n ? l->n : 1) * sizeof *lo->v);
    so->v = malloc((size_t)(set->n ? set->n : 1) * sizeof *so->v);
    lo->n = so->n = 0;
    if (!lo->v || !so->v)
        return -1;
    for (int i = 0; i < l->n; i++)
        if (l->v[i].is_float == is_float)
            lo->v[lo->n++] = l->v[i];
    for (int i = 0; i < set->n; i++)
        if ((config_setting_type(set->v[i]) == CONFIG_TYPE_FLOAT) == is_float)
            so->v[so->n++] = set->v[i];
    return 0;
}

/* The integer literals against the integer settings: wrapped ones widened,
 * or 1 with *bad. */
static int check_ints(const lits *l, const settings *set, const char *file, nn_lit_issue *bad)
{
    int paired = l->n == set->n;
    for (int i = 0; paired && i < l->n; i++)
        paired = pairs(&l->v[i], set->v[i]);
    for (int i = 0; i < l->n; i++) {
        const lit *x = &l->v[i];
        if (x->too_big || (!paired && !x->has_l && !fits_32(x))) {
            issue(bad, paired ? set->v[i] : NULL, file, x);
            return 1;
        }
        if (paired && !x->has_l && !fits_32(x))
            widen(set->v[i], x->value);
    }
    return 0;
}

/* The float literals: 1 with *bad for the first one beyond a double (with
 * its setting when the literals and the settings pair). */
static int check_floats(const lits *l, const settings *set, const char *file, nn_lit_issue *bad)
{
    int paired = l->n == set->n;
    for (int i = 0; paired && i < l->n; i++)
        paired = config_setting_get_float(set->v[i]) == l->v[i].real
                 || (isnan(l->v[i].real) && isnan(config_setting_get_float(set->v[i])));
    for (int i = 0; i < l->n; i++)
        if (l->v[i].bad) {
            issue(bad, paired ? set->v[i] : NULL, file, &l->v[i]);
            return 1;
        }
    return 0;
}

/* One source: its literals against its settings. */
static int check_source(const char *src, const char *file, settings *set, nn_lit_issue *bad)
{
    lits l = {0}, li = {0}, lf = {0};
    settings si = {0}, sf = {0};
    int rc = 0;
    if (lex(src, &l) == 0 && split(&l, set, 0, &li, &si) == 0 && split(&l, set, 1, &lf, &sf) == 0)
        rc = check_ints(&li, &si, file, bad) || check_floats(&lf, &sf, file, bad);
    /* (out of memory: nothing to compare with) */
    free(l.v);
    free(li.v);
    free(lf.v);
    free(si.v);
    free(sf.v);
    return rc;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(b, 2 * cap + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

int nn_config_exact_ints(config_t *cfg, const char *main_file, const char *text,
                         nn_lit_issue *bad)
{
    settings all = {0}, one = {0};
    memset(bad, 0, sizeof *bad);
    if (collect(config_root_setting(cfg), &all) != 0 || all.n == 0) {
        free(all.v);
        return 0;
    }
    one.v = malloc((size_t)all.n * sizeof *one.v);
    char *done = calloc((size_t)all.n, 1);
    int rc = 0;
    for (int i = 0; one.v && done && i < all.n && rc == 0; i++) {
        if (done[i])
            continue;
        /* every setting of the source of setting i, in order */
        const char *file = all.v[i]->file;
        one.n = 0;
        for (int j = i; j < all.n; j++) {
            const char *fj = all.v[j]->file;
            if (!done[j] && (fj == file || (fj && file && strcmp(fj, file) == 0))) {
                one.v[one.n++] = all.v[j];
                done[j] = 1;
            }
        }
        const char *name = file ? file : (text ? "" : main_file);
        char *src = file || !text ? read_all(name) : NULL;
        if (src || (!file && text))
            rc = check_source(src ? src : text, name, &one, bad);
        free(src);
    }
    free(done);
    free(one.v);
    free(all.v);
    return rc;
}

void nn_lit_reason(const nn_lit_issue *b, char *out, size_t n)
{
    switch (b->kind) {
    case NN_LIT_TOO_BIG:
        snprintf(out, n, "%s does not fit in a 64-bit integer", b->literal);
        break;
    case NN_LIT_OVERFLOW:
        snprintf(out, n, "%s does not fit in a double (the largest is about 1.8e308)", b->literal);
        break;
    case NN_LIT_UNDERFLOW:
        snprintf(out, n, "%s does not fit in a double: it would be read as 0 (the smallest is about "
                 "4.9e-324)", b->literal);
        break;
    default:
        snprintf(out, n, "%s does not fit in the 32 bits libconfig reads an integer without L in; "
                 "write %sL", b->literal, b->literal);
    }
}
