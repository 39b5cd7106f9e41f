/* resolved.c: the resolved experiment (every default filled in) as
 * libconfig text, and comparing a loaded experiment with one written earlier
 * (a checkpoint's), key by key, to name the first that differs. */
#include "experiment.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab/io.h"

static int ignored(const char *path, const char *const *ignore)
{
    for (; ignore && *ignore; ignore++)
        if (strcmp(path, *ignore) == 0)
            return 1;
    return 0;
}

static int is_int(int t) { return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64; }

/* A scalar's value as text, for the message. */
static void value_text(const config_setting_t *s, char *out, size_t n)
{
    int t = config_setting_type(s);
    if (is_int(t))
        snprintf(out, n, "%lld", config_setting_get_int64(s));
    else if (t == CONFIG_TYPE_FLOAT) { /* the fewest digits that read back: 0.3, as written */
        double v = config_setting_get_float(s);
        for (int digits = 1; digits <= 17; digits++) {
            snprintf(out, n, "%.*g", digits, v);
            if (strtod(out, NULL) == v)
                break;
        }
    } else if (t == CONFIG_TYPE_BOOL)
        snprintf(out, n, "%s", config_setting_get_bool(s) ? "true" : "false");
    else if (t == CONFIG_TYPE_STRING)
        snprintf(out, n, "\"%s\"", config_setting_get_string(s));
    else
        snprintf(out, n, "a %s of %d", t == CONFIG_TYPE_GROUP ? "group" : "list",
                 config_setting_length(s));
}

static int differ(const config_setting_t *a, const config_setting_t *b, const char *path,
                  const char *const *ignore, char *what, size_t n);

/* Members of group a against b, then those of b that a lacks. */
static int differ_group(const config_setting_t *a, const config_setting_t *b, const char *path,
                        const char *const *ignore, char *what, size_t n)
{
    char sub[512];
    for (int i = 0; i < config_setting_length(a); i++) {
        const config_setting_t *e = config_setting_get_elem(a, (unsigned)i);
        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", config_setting_name(e));
        if (ignored(sub, ignore))
            continue;
        const config_setting_t *f = config_setting_get_member(b, config_setting_name(e));
        if (!f) {
            snprintf(what, n, "%s: set in the checkpoint's experiment, not in this one", sub);
            return 1;
        }
        if (differ(e, f, sub, ignore, what, n))
            return 1;
    }
    for (int i = 0; i < config_setting_length(b); i++) {
        const config_setting_t *f = config_setting_get_elem(b, (unsigned)i);
        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", config_setting_name(f));
        if (!ignored(sub, ignore) && !config_setting_get_member(a, config_setting_name(f))) {
            snprintf(what, n, "%s: set in this experiment, not in the checkpoint's", sub);
            return 1;
        }
    }
    return 0;
}

static int differ(const config_setting_t *a, const config_setting_t *b, const char *path,
                  const char *const *ignore, char *what, size_t n)
{
    int ta = config_setting_type(a), tb = config_setting_type(b);
    int same_type = ta == tb || (is_int(ta) && is_int(tb));
    char va[160], vb[160];
    if (same_type && ta == CONFIG_TYPE_GROUP)
        return differ_group(a, b, path, ignore, what, n);
    int same = same_type;
    if (same && (ta == CONFIG_TYPE_ARRAY || ta == CONFIG_TYPE_LIST)) {
        same = config_setting_length(a) == config_setting_length(b);
        char sub[512];
        for (int i = 0; same && i < config_setting_length(a); i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            if (differ(config_setting_get_elem(a, (unsigned)i), config_setting_get_elem(b, (unsigned)i),
                       sub, ignore, what, n))
                return 1;
        }
    } else if (same && is_int(ta)) {
        same = config_setting_get_int64(a) == config_setting_get_int64(b);
    } else if (same && ta == CONFIG_TYPE_FLOAT) {
        double x = config_setting_get_float(a), y = config_setting_get_float(b);
        same = memcmp(&x, &y, sizeof x) == 0;
    } else if (same && ta == CONFIG_TYPE_BOOL) {
        same = config_setting_get_bool(a) == config_setting_get_bool(b);
    } else if (same && ta == CONFIG_TYPE_STRING) {
        same = strcmp(config_setting_get_string(a), config_setting_get_string(b)) == 0;
    }
    if (same)
        return 0;
    value_text(a, va, sizeof va);
    value_text(b, vb, sizeof vb);
    snprintf(what, n, "%s: %s in the checkpoint's experiment, %s in this one", path, va, vb);
    return 1;
}

int nn_experiment_differs(const nn_experiment *x, const char *text, const char *const *ignore,
                          char *what, size_t n)
{
    config_t c;
    config_init(&c);
    config_set_auto_convert(&c, 0);
    if (config_read_string(&c, text) != CONFIG_TRUE) {
        snprintf(what, n, "its experiment does not parse (line %d: %s)", config_error_line(&c),
                 config_error_text(&c));
        config_destroy(&c);
        return -1;
    }
    const config_setting_t *now = config_root_setting(x->cfg);
    int rc = differ_group(config_root_setting(&c), now, "", ignore, what, n);
    config_destroy(&c);
    return rc;
}

/* ---- writing the resolved experiment --------------------------------------------- */

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void write_setting(FILE *f, const config_setting_t *s, int depth);

static void write_value(FILE *f, const config_setting_t *s, int depth)
{
    int n = config_setting_length(s);
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: fprintf(f, "%d", config_setting_get_int(s)); break;
    case CONFIG_TYPE_INT64: fprintf(f, "%lldL", config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: {
        char buf[40];
        snprintf(buf, sizeof buf, "%.17g", config_setting_get_float(s));
        if (!strpbrk(buf, ".eEn"))
            strcat(buf, ".0");
        fputs(buf, f);
        break;
    }
    case CONFIG_TYPE_BOOL: fputs(config_setting_get_bool(s) ? "true" : "false", f); break;
    case CONFIG_TYPE_STRING: write_string(f, config_setting_get_string(s)); break;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST: {
        int arr = config_setting_type(s) == CONFIG_TYPE_ARRAY;
        fputs(arr ? "[" : "(", f);
        for (int i = 0; i < n; i++) {
            fputs(i ? ", " : "", f);
            write_value(f, config_setting_get_elem(s, (unsigned)i), depth + 1);
        }
        fputs(arr ? "]" : ")", f);
        break;
    }
    case CONFIG_TYPE_GROUP:
        fputs("{\n", f);
        for (int i = 0; i < n; i++)
            write_setting(f, config_setting_get_elem(s, (unsigned)i), depth + 1);
        fprintf(f, "%*s}", depth * 2, "");
        break;
    }
}

static void write_setting(FILE *f, const config_setting_t *s, int depth)
{
    fprintf(f, "%*s%s = ", depth * 2, "", config_setting_name(s));
    write_value(f, s, depth);
    fputs(";\n", f);
}

int nn_experiment_write(const nn_experiment *x, const char *path, nn_err *err)
{
    nn_atomic a;
    int rc = nn_atomic_open(&a, path, err);
    if (rc)
        return rc;
    fprintf(a.f, "# resolved experiment from %s: every default filled in\n", x->file);
    nn_experiment_print(x, a.f);
    return nn_atomic_commit(&a, err);
}

void nn_experiment_print(const nn_experiment *x, FILE *f)
{
    const config_setting_t *root = config_root_setting(x->cfg);
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *nm = config_setting_name(s); /* a search or a benchmark problem's protocol, not part of one run */
        if (strcmp(nm, "sweep") != 0 && strcmp(nm, "benchmark") != 0)
            write_setting(f, s, 0);
    }
}
