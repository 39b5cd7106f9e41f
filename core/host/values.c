/* values.c: one setting of the parsed tree read as a declared value (type,
 * range, choices, defaults, unknown keys, seeds), and the messages that name
 * the file, line and key of what is wrong. */
#include "values.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decls.h"
#include "exact.h"
#include "util.h"

/* ---- messages -------------------------------------------------------------- */

void nn_cfg_key_path(const config_setting_t *s, char *out, size_t n)
{
    char parts[16][80];
    int k = 0;
    for (; s && config_setting_parent(s) && k < 16; s = config_setting_parent(s)) {
        const char *nm = config_setting_name(s);
        if (nm)
            snprintf(parts[k++], sizeof parts[0], "%s", nm);
        else
            snprintf(parts[k++], sizeof parts[0], "[%d]", config_setting_index(s));
    }
    out[0] = '\0';
    size_t len = 0;
    while (k-- > 0) {
        int dot = len > 0 && parts[k][0] != '[';
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", dot ? "." : "", parts[k]);
    }
}

/* "file:line: key: message", or "command line: key: message" for values set
 * with -s (they have no line). */
int nn_cfg_fail(const nn_experiment *x, const config_setting_t *s, const char *key, nn_err *err,
                const char *fmt, ...)
{
    char msg[700], path[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s)
        nn_cfg_key_path(s, path, sizeof path);
    int line = s ? config_setting_source_line(s) : 0;
    const char *k = key ? key : path;
    if (line > 0)
        return nn_err_set(err, NN_EINPUT, "%s:%d: %s: %s", x->file, line, k, msg);
    if (s && config_setting_parent(s))
        return nn_err_set(err, NN_EINPUT, "%s: %s: %s (value given on the command line)", x->file, k, msg);
    return nn_err_set(err, NN_EINPUT, "%s: %s: %s", x->file, k, msg);
}

const char *nn_cfg_closest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int bd = 3;
    for (int i = 0; i < n; i++) {
        int d = nn_edit_distance(word, cands[i]);
        if (d < bd) {
            bd = d;
            best = cands[i];
        }
    }
    return best;
}

/* ---- copying settings (defaults and -s overrides) -------------------------- */

int nn_cfg_copy(config_setting_t *dst_parent, const char *name, const config_setting_t *src)
{
    int type = config_setting_type(src);
    config_setting_t *d = config_setting_add(dst_parent, name, type);
    if (!d)
        return -1;
    switch (type) {
    case CONFIG_TYPE_INT: /* hexadecimal stays so, for messages */
        return config_setting_set_int(d, config_setting_get_int(src))
               && config_setting_set_format(d, config_setting_get_format(src)) ? 0 : -1;
    case CONFIG_TYPE_INT64:
        return config_setting_set_int64(d, config_setting_get_int64(src))
               && config_setting_set_format(d, config_setting_get_format(src)) ? 0 : -1;
    case CONFIG_TYPE_FLOAT:
        return config_setting_set_float(d, config_setting_get_float(src)) ? 0 : -1;
    case CONFIG_TYPE_BOOL:
        return config_setting_set_bool(d, config_setting_get_bool(src)) ? 0 : -1;
    case CONFIG_TYPE_STRING:
        return config_setting_set_string(d, config_setting_get_string(src)) ? 0 : -1;
    default:
        for (int i = 0; i < config_setting_length(src); i++) {
            const config_setting_t *c = config_setting_get_elem(src, (unsigned)i);
            if (nn_cfg_copy(d, config_setting_name(c), c) != 0)
                return -1;
        }
        return 0;
    }
}

/* What is wrong with a literal, naming it as written. */
typedef struct lit_text {
    char s[300];
} lit_text;

static lit_text lit_reason(const nn_lit_issue *b)
{
    lit_text r;
    nn_lit_reason(b, r.s, sizeof r.s);
    return r;
}

/* Parses a libconfig value literal into tmp as setting "v". */
int nn_cfg_parse_literal(config_t *tmp, const char *text, char *why, size_t n)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "v = %s;", text);
    config_init(tmp);
    if (config_read_string(tmp, buf) != CONFIG_TRUE || !config_lookup(tmp, "v")) {
        /* a bare word such as relu: the shell ate the quotes, or none were written */
        int word = (text[0] >= 'a' && text[0] <= 'z') || (text[0] >= 'A' && text[0] <= 'Z');
        word = word && strcmp(text, "true") && strcmp(text, "false") && strcmp(text, "nan")
               && strcmp(text, "inf");
        snprintf(why, n, "cannot parse value '%s': %s%s%s%s", text,
                 config_error_text(tmp) ? config_error_text(tmp) : "syntax error",
                 word ? " (a string needs double quotes, as in -s 'key=\"" : "", word ? text : "",
                 word ? "\"')" : "");
        config_destroy(tmp);
        return -1;
    }
    nn_lit_issue bad;
    if (nn_config_exact_ints(tmp, "", buf, &bad) != 0) {
        snprintf(why, n, "%s", lit_reason(&bad).s);
        config_destroy(tmp);
        return -1;
    }
    return 0;
}

/* Integers of cfg (read from text, or from x->file when text is NULL) made
 * exactly what was written (exact.h), or the message naming the literal. */
int nn_cfg_exact_ints(const nn_experiment *x, config_t *cfg, const char *text, nn_err *err)
{
    nn_lit_issue b;
    if (nn_config_exact_ints(cfg, x->file, text, &b) == 0)
        return NN_OK;
    if (b.setting && b.kind != NN_LIT_WRAPPED)
        return nn_cfg_fail(x, b.setting, NULL, err, "%s", lit_reason(&b).s);
    return nn_err_set(err, NN_EINPUT, "%s:%d: %s", b.file[0] ? b.file : x->file, b.line, lit_reason(&b).s);
}

static int add_default(config_setting_t *group, const nn_param_decl *p)
{
    config_setting_t *s;
    switch (p->type) {
    case NN_T_REAL:
        s = config_setting_add(group, p->name, CONFIG_TYPE_FLOAT);
        return s && config_setting_set_float(s, p->def) ? 0 : -1;
    case NN_T_INT:
        s = config_setting_add(group, p->name, fabs(p->def) > 2147483647.0 ? CONFIG_TYPE_INT64 : CONFIG_TYPE_INT);
        return s && config_setting_set_int64(s, (long long)p->def) ? 0 : -1;
    case NN_T_BOOL:
        s = config_setting_add(group, p->name, CONFIG_TYPE_BOOL);
        return s && config_setting_set_bool(s, p->def != 0) ? 0 : -1;
    case NN_T_STRING:
        s = config_setting_add(group, p->name, CONFIG_TYPE_STRING);
        return s && config_setting_set_string(s, p->def_str) ? 0 : -1;
    case NN_T_ENUM: {
        char name[128];
        if (!nn_enum_default(p, name, sizeof name))
            return -1;
        s = config_setting_add(group, p->name, CONFIG_TYPE_STRING);
        return s && config_setting_set_string(s, name) ? 0 : -1;
    }
    default: {
        config_t tmp;
        char why[256];
        if (nn_cfg_parse_literal(&tmp, p->def_str ? p->def_str : "[]", why, sizeof why) != 0)
            return -1;
        int rc = nn_cfg_copy(group, p->name, config_lookup(&tmp, "v"));
        config_destroy(&tmp);
        return rc;
    }
    }
}

/* ---- reading values ------------------------------------------------------------ */

static int is_number(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

int nn_cfg_is_integer(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static double number_of(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                                      : (double)config_setting_get_int64(s);
}

/* v with the fewest digits that read back as v (-0.2, not -0.20000000000000001). */
static nn_cfg_num shortest(double v)
{
    nn_cfg_num r;
    if (v == floor(v) && fabs(v) < 1e17) { /* an integer: all its digits */
        snprintf(r.s, sizeof r.s, "%.0f", v);
        return r;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(r.s, sizeof r.s, "%.*g", digits, v);
        if (strtod(r.s, NULL) == v)
            break;
    }
    return r;
}

/* An integer setting's value as it was written: every digit, in hexadecimal
 * (0x1FFFFFFFF) when it was written so. */
nn_cfg_num nn_cfg_int_text(const config_setting_t *s)
{
    nn_cfg_num r;
    snprintf(r.s, sizeof r.s, config_setting_get_format(s) == CONFIG_FORMAT_HEX ? "0x%llX" : "%lld",
             (long long)config_setting_get_int64(s));
    return r;
}

static int check_range(const nn_experiment *x, const config_setting_t *s, const nn_param_decl *p,
                       double v, nn_err *err)
{
    if (!isfinite(v))
        return nn_cfg_fail(x, s, NULL, err, "value must be finite");
    if (v < p->min || v > p->max)
        return nn_cfg_fail(x, s, NULL, err, "%s is outside the allowed range [%g, %g] (%s)",
                    nn_cfg_is_integer(s) ? nn_cfg_int_text(s).s : shortest(v).s, p->min, p->max, p->doc);
    return NN_OK;
}

static int check_choice(const nn_experiment *x, const config_setting_t *s, const nn_param_decl *p,
                        const char *v, nn_err *err)
{
    if (!p->choices || nn_choice_ok(p->choices, v))
        return NN_OK;
    const char *cands[32];
    char buf[512];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", p->choices);
    for (char *t = strtok(buf, "|"); t && n < 32; t = strtok(NULL, "|"))
        cands[n++] = t;
    const char *near = nn_cfg_closest(v, cands, n);
    char hint[96] = "";
    if (near)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    return nn_cfg_fail(x, s, NULL, err, "'%s' is not one of %s%s", v, p->choices, hint);
}

static int read_list(const nn_experiment *x, const config_setting_t *s, const nn_param_decl *p,
                     nn_value *v, void **store, nn_err *err)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return nn_cfg_fail(x, s, NULL, err, "expected a list such as [1, 2]");
    int n = config_setting_length(s);
    size_t esz = p->type == NN_T_INTLIST ? sizeof(long)
               : p->type == NN_T_REALLIST ? sizeof(nn_real) : sizeof(char *);
    *store = calloc((size_t)(n ? n : 1), esz);
    if (!*store)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        int rc = NN_OK;
        if (p->type == NN_T_STRLIST) {
            if (config_setting_type(e) != CONFIG_TYPE_STRING)
                return nn_cfg_fail(x, e, NULL, err, "expected a string");
            rc = check_choice(x, e, p, config_setting_get_string(e), err);
            ((const char **)*store)[i] = config_setting_get_string(e);
        } else if (p->type == NN_T_INTLIST) {
            if (!nn_cfg_is_integer(e))
                return nn_cfg_fail(x, e, NULL, err, "expected an integer");
            rc = check_range(x, e, p, number_of(e), err);
            ((long *)*store)[i] = (long)config_setting_get_int64(e);
        } else {
            if (!is_number(e))
                return nn_cfg_fail(x, e, NULL, err, "expected a number");
            rc = check_range(x, e, p, number_of(e), err);
            ((nn_real *)*store)[i] = (nn_real)number_of(e);
        }
        if (rc)
            return rc;
    }
    v->n = n;
    v->ints = p->type == NN_T_INTLIST ? *store : NULL;
    v->reals = p->type == NN_T_REALLIST ? *store : NULL;
    v->strs = p->type == NN_T_STRLIST ? *store : NULL;
    return NN_OK;
}

static int read_value(const nn_experiment *x, const config_setting_t *s, const nn_param_decl *p,
                      nn_value *v, void **store, nn_err *err)
{
    memset(v, 0, sizeof *v);
    switch (p->type) {
    case NN_T_REAL:
        if (!is_number(s))
            return nn_cfg_fail(x, s, NULL, err, "expected a number");
        v->r = (nn_real)number_of(s);
        return check_range(x, s, p, number_of(s), err);
    case NN_T_INT:
        if (!nn_cfg_is_integer(s))
            return nn_cfg_fail(x, s, NULL, err, "expected an integer");
        v->i = (long)config_setting_get_int64(s);
        return check_range(x, s, p, (double)v->i, err);
    case NN_T_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return nn_cfg_fail(x, s, NULL, err, "expected true or false");
        v->i = config_setting_get_bool(s);
        return NN_OK;
    case NN_T_STRING:
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            return nn_cfg_fail(x, s, NULL, err, "expected a string in double quotes");
        v->s = config_setting_get_string(s);
        return check_choice(x, s, p, v->s, err);
    case NN_T_ENUM:
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            return nn_cfg_fail(x, s, NULL, err, "expected a string in double quotes");
        v->s = config_setting_get_string(s);
        v->i = nn_choice_index(p->choices, v->s);
        return check_choice(x, s, p, v->s, err);
    default:
        return read_list(x, s, p, v, store, err);
    }
}

/* ---- sections -------------------------------------------------------------------- */

static int is_extra_key(const char *k, const char *const *extra)
{
    for (; extra && *extra; extra++)
        if (strcmp(k, *extra) == 0)
            return 1;
    return 0;
}

int nn_cfg_check_keys(const nn_experiment *x, const nn_section *sec, const char *const *extra,
                              nn_err *err)
{
    int n = config_setting_length(sec->setting);
    for (int i = 0; i < n; i++) {
        const config_setting_t *c = config_setting_get_elem(sec->setting, (unsigned)i);
        const char *k = config_setting_name(c);
        int known = is_extra_key(k, extra);
        for (int j = 0; j < sec->n_decls && !known; j++)
            known = strcmp(k, sec->decls[j].name) == 0;
        if (known)
            continue;
        const char *cands[NN_MAX_PARAMS + 8];
        int nc = 0;
        for (int j = 0; j < sec->n_decls; j++)
            cands[nc++] = sec->decls[j].name;
        for (const char *const *e = extra; e && *e && nc < NN_MAX_PARAMS + 8; e++)
            cands[nc++] = *e;
        const char *near = nn_cfg_closest(k, cands, nc);
        char known_list[1024] = "";
        size_t len = 0;
        for (int j = 0; j < nc; j++)
            len += (size_t)snprintf(known_list + len, len < sizeof known_list ? sizeof known_list - len : 0,
                                    "%s%s", j ? ", " : "", cands[j]);
        if (near)
            return nn_cfg_fail(x, c, NULL, err, "unknown key; did you mean '%s'? (known: %s)", near, known_list);
        return nn_cfg_fail(x, c, NULL, err, "unknown key (known: %s)", known_list);
    }
    return NN_OK;
}

/* Fills defaults into the tree, then reads every declared value. */
int nn_cfg_read_decls(const nn_experiment *x, nn_section *sec, nn_err *err)
{
    for (int i = 0; i < sec->n_decls; i++) {
        const nn_param_decl *p = &sec->decls[i];
        config_setting_t *s = config_setting_get_member(sec->setting, p->name);
        if (!s) {
            if (add_default(sec->setting, p) != 0)
                return nn_err_set(err, NN_EINTERNAL, "%s.%s: cannot apply default", sec->path, p->name);
            s = config_setting_get_member(sec->setting, p->name);
        }
        int rc = read_value(x, s, p, &sec->values[i], &sec->lists[i], err);
        if (rc)
            return rc;
    }
    return NN_OK;
}

int nn_cfg_read_seed(const nn_experiment *x, nn_section *sec, nn_err *err)
{
    config_setting_t *s = config_setting_get_member(sec->setting, "seed");
    if (s) {
        if (!nn_cfg_is_integer(s))
            return nn_cfg_fail(x, s, NULL, err, "expected an integer");
        long long v = config_setting_get_int64(s);
        if (v < 0 || v > 4294967295LL)
            return nn_cfg_fail(x, s, NULL, err, "%s is outside the allowed range [0, 4294967295]", nn_cfg_int_text(s).s);
        sec->seed = (uint32_t)v;
    } else {
        sec->seed = nn_rng_derive(x->seed, sec->path);
        s = config_setting_add(sec->setting, "seed", CONFIG_TYPE_INT64);
        if (!s || !config_setting_set_int64(s, sec->seed))
            return nn_err_set(err, NN_EINTERNAL, "%s: cannot record derived seed", sec->path);
    }
    nn_rng_seed(&sec->rng, sec->seed);
    return NN_OK;
}
