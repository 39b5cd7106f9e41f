/* experiment.c: reading, checking and resolving experiment files; the only
 * file that sees libconfig. */
#include "experiment.h"

#include <libconfig.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decls.h"
#include "exact.h"
#include "nnlab/io.h"
#include "options.h"
#include "util.h"

static const char *const top_keys[] = {"name", "seed", "data", "model", "init", "optim",
                                       "reg", "train", "output", "base_dir", "sweep",
                                       "benchmark", NULL};

/* ---- messages -------------------------------------------------------------- */

static void key_path(const config_setting_t *s, char *out, size_t n)
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
static int fail(const nn_experiment *x, const config_setting_t *s, const char *key, nn_err *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(const nn_experiment *x, const config_setting_t *s, const char *key, nn_err *err,
                const char *fmt, ...)
{
    char msg[700], path[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s)
        key_path(s, path, sizeof path);
    int line = s ? config_setting_source_line(s) : 0;
    const char *k = key ? key : path;
    if (line > 0)
        return nn_err_set(err, NN_EINPUT, "%s:%d: %s: %s", x->file, line, k, msg);
    if (s && config_setting_parent(s))
        return nn_err_set(err, NN_EINPUT, "%s: %s: %s (value given on the command line)", x->file, k, msg);
    return nn_err_set(err, NN_EINPUT, "%s: %s: %s", x->file, k, msg);
}

static const char *closest(const char *word, const char *const *cands, int n)
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

static int copy_setting(config_setting_t *dst_parent, const char *name, const config_setting_t *src)
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
            if (copy_setting(d, config_setting_name(c), c) != 0)
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
static int parse_literal(config_t *tmp, const char *text, char *why, size_t n)
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
static int exact_ints(const nn_experiment *x, config_t *cfg, const char *text, nn_err *err)
{
    nn_lit_issue b;
    if (nn_config_exact_ints(cfg, x->file, text, &b) == 0)
        return NN_OK;
    if (b.setting && b.kind != NN_LIT_WRAPPED)
        return fail(x, b.setting, NULL, err, "%s", lit_reason(&b).s);
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
        if (parse_literal(&tmp, p->def_str ? p->def_str : "[]", why, sizeof why) != 0)
            return -1;
        int rc = copy_setting(group, p->name, config_lookup(&tmp, "v"));
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

static int is_integer(const config_setting_t *s)
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
typedef struct short_num {
    char s[32];
} short_num;

static short_num shortest(double v)
{
    short_num r;
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
static short_num int_text(const config_setting_t *s)
{
    short_num r;
    snprintf(r.s, sizeof r.s, config_setting_get_format(s) == CONFIG_FORMAT_HEX ? "0x%llX" : "%lld",
             (long long)config_setting_get_int64(s));
    return r;
}

static int check_range(const nn_experiment *x, const config_setting_t *s, const nn_param_decl *p,
                       double v, nn_err *err)
{
    if (!isfinite(v))
        return fail(x, s, NULL, err, "value must be finite");
    if (v < p->min || v > p->max)
        return fail(x, s, NULL, err, "%s is outside the allowed range [%g, %g] (%s)",
                    is_integer(s) ? int_text(s).s : shortest(v).s, p->min, p->max, p->doc);
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
    const char *near = closest(v, cands, n);
    char hint[96] = "";
    if (near)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    return fail(x, s, NULL, err, "'%s' is not one of %s%s", v, p->choices, hint);
}

static int read_list(const nn_experiment *x, const config_setting_t *s, const nn_param_decl *p,
                     nn_value *v, void **store, nn_err *err)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
        return fail(x, s, NULL, err, "expected a list such as [1, 2]");
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
                return fail(x, e, NULL, err, "expected a string");
            rc = check_choice(x, e, p, config_setting_get_string(e), err);
            ((const char **)*store)[i] = config_setting_get_string(e);
        } else if (p->type == NN_T_INTLIST) {
            if (!is_integer(e))
                return fail(x, e, NULL, err, "expected an integer");
            rc = check_range(x, e, p, number_of(e), err);
            ((long *)*store)[i] = (long)config_setting_get_int64(e);
        } else {
            if (!is_number(e))
                return fail(x, e, NULL, err, "expected a number");
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
            return fail(x, s, NULL, err, "expected a number");
        v->r = (nn_real)number_of(s);
        return check_range(x, s, p, number_of(s), err);
    case NN_T_INT:
        if (!is_integer(s))
            return fail(x, s, NULL, err, "expected an integer");
        v->i = (long)config_setting_get_int64(s);
        return check_range(x, s, p, (double)v->i, err);
    case NN_T_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return fail(x, s, NULL, err, "expected true or false");
        v->i = config_setting_get_bool(s);
        return NN_OK;
    case NN_T_STRING:
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            return fail(x, s, NULL, err, "expected a string in double quotes");
        v->s = config_setting_get_string(s);
        return check_choice(x, s, p, v->s, err);
    case NN_T_ENUM:
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            return fail(x, s, NULL, err, "expected a string in double quotes");
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

static int check_unknown_keys(const nn_experiment *x, const nn_section *sec, const char *const *extra,
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
        const char *near = closest(k, cands, nc);
        char known_list[1024] = "";
        size_t len = 0;
        for (int j = 0; j < nc; j++)
            len += (size_t)snprintf(known_list + len, len < sizeof known_list ? sizeof known_list - len : 0,
                                    "%s%s", j ? ", " : "", cands[j]);
        if (near)
            return fail(x, c, NULL, err, "unknown key; did you mean '%s'? (known: %s)", near, known_list);
        return fail(x, c, NULL, err, "unknown key (known: %s)", known_list);
    }
    return NN_OK;
}

/* Fills defaults into the tree, then reads every declared value. */
static int read_decls(const nn_experiment *x, nn_section *sec, nn_err *err)
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

static int read_seed(const nn_experiment *x, nn_section *sec, nn_err *err)
{
    config_setting_t *s = config_setting_get_member(sec->setting, "seed");
    if (s) {
        if (!is_integer(s))
            return fail(x, s, NULL, err, "expected an integer");
        long long v = config_setting_get_int64(s);
        if (v < 0 || v > 4294967295LL)
            return fail(x, s, NULL, err, "%s is outside the allowed range [0, 4294967295]", int_text(s).s);
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

static config_setting_t *get_group(nn_experiment *x, config_setting_t *parent, const char *name,
                                   nn_err *err, int *rc)
{
    config_setting_t *s = config_setting_get_member(parent, name);
    if (!s)
        s = config_setting_add(parent, name, CONFIG_TYPE_GROUP);
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        *rc = fail(x, s, NULL, err, "expected a group { ... }");
    return s;
}

/* A core section (options.h) in group parent: its values are read and
 * checked like a plugin's, then bound into out, the section's struct. */
static int read_core_section(nn_experiment *x, nn_section *sec, config_setting_t *parent,
                             const nn_option_table *t, void *out, nn_err *err)
{
    int rc = NN_OK;
    const char *leaf = strrchr(t->path, '.');
    snprintf(sec->path, sizeof sec->path, "%s", t->path);
    sec->setting = get_group(x, parent, leaf ? leaf + 1 : t->path, err, &rc);
    if (rc)
        return rc;
    nn_err e;
    if (nn_decls_validate(t->decls, t->n, &e) != NN_OK)
        return nn_err_set(err, NN_EINTERNAL, "%s options: %s", t->path, e.msg);
    sec->decls = t->decls;
    sec->n_decls = t->n;
    int seeded = sec == &x->train; /* the one core section with a seed (the shuffle stream) */
    static const char *const seed_only[] = {"seed", NULL};
    if ((rc = check_unknown_keys(x, sec, seeded ? seed_only : NULL, err)) != 0)
        return rc;
    if (seeded && (rc = read_seed(x, sec, err)) != 0)
        return rc;
    if ((rc = read_decls(x, sec, err)) != 0)
        return rc;
    return nn_options_bind(t, sec->values, out, err);
}

static int read_core_sections(nn_experiment *x, nn_err *err)
{
    config_setting_t *root = config_root_setting(x->cfg);
    int rc = read_core_section(x, &x->model, root, &nn_model_options, &x->opts.model, err);
    if (rc == NN_OK)
        rc = read_core_section(x, &x->train, root, &nn_train_options, &x->opts.train, err);
    if (rc == NN_OK)
        rc = read_core_section(x, &x->output, root, &nn_output_options, &x->opts.output, err);
    if (rc == NN_OK)
        rc = read_core_section(x, &x->schedule, x->optim.setting, &nn_schedule_options,
                               &x->opts.schedule, err);
    return rc;
}

static int read_plugin_section(nn_experiment *x, nn_section *sec, config_setting_t *s,
                               nn_kind kind, const char *default_plugin, const nn_registry *reg,
                               nn_err *err)
{
    key_path(s, sec->path, sizeof sec->path);
    sec->setting = s;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return fail(x, s, NULL, err, "expected a group { plugin = \"...\"; ... }");
    config_setting_t *ps = config_setting_get_member(s, "plugin");
    if (!ps) {
        if (!default_plugin)
            return fail(x, s, NULL, err, "missing key 'plugin' (run 'nnlab list %s')", nn_kind_name(kind));
        ps = config_setting_add(s, "plugin", CONFIG_TYPE_STRING);
        config_setting_set_string(ps, default_plugin);
    }
    if (config_setting_type(ps) != CONFIG_TYPE_STRING)
        return fail(x, ps, NULL, err, "expected a plugin name in double quotes");
    const char *name = config_setting_get_string(ps);
    if (!nn_name_valid(name))
        return fail(x, ps, NULL, err, "invalid plugin name '%s': names are [a-z0-9_]+", name);
    nn_err e;
    if (nn_plugin_open(reg, name, kind, &sec->plugin, &e) != NN_OK)
        return fail(x, ps, NULL, err, "%s", e.msg);
    return nn_section_read_plugin_params(sec, x, err);
}

int nn_section_read_plugin_params(nn_section *sec, const nn_experiment *x, nn_err *err)
{
    const nn_plugin *p = sec->plugin.desc;
    sec->decls = p->params;
    sec->n_decls = p->n_params;
    int is_optim = p->kind == NN_KIND_OPTIM;
    static const char *const extra[] = {"plugin", "seed", NULL};
    static const char *const extra_optim[] = {"plugin", "seed", "schedule", NULL};
    int rc = check_unknown_keys(x, sec, is_optim ? extra_optim : extra, err);
    if (rc)
        return rc;
    if ((rc = read_seed(x, sec, err)) != 0)
        return rc;
    return read_decls(x, sec, err);
}

nn_section *nn_experiment_block(nn_experiment *x, nn_kind kind)
{
    switch (kind) {
    case NN_KIND_INIT: return &x->init;
    case NN_KIND_OPTIM: return &x->optim;
    case NN_KIND_REG: return &x->reg[0];
    default: return &x->data;
    }
}

int nn_experiment_read_block(nn_experiment *x, const nn_plugin *p, const char *origin, const char *body,
                             nn_err *err)
{
    memset(x, 0, sizeof *x);
    snprintf(x->file, sizeof x->file, "%s", origin);
    snprintf(x->base_dir, sizeof x->base_dir, ".");
    if (!(x->cfg = malloc(sizeof *x->cfg)))
        return nn_err_set(err, NN_ENOMEM, "%s: out of memory", origin);
    config_init(x->cfg);
    config_set_auto_convert(x->cfg, 0);
    const char *kind = nn_kind_name(p->kind);
    char text[8192];
    int len = snprintf(text, sizeof text, "%s = { plugin = \"%s\"; %s };\n", kind, p->name, body ? body : "");
    if (len < 0 || (size_t)len >= sizeof text)
        return nn_err_set(err, NN_EINTERNAL, "%s: parameter block too long", origin);
    if (config_read_string(x->cfg, text) != CONFIG_TRUE)
        return nn_err_set(err, NN_EINPUT, "%s:%d: %s (in '%s')", origin, config_error_line(x->cfg),
                          config_error_text(x->cfg), text);
    int rc = exact_ints(x, x->cfg, text, err);
    if (rc)
        return rc;
    nn_section *sec = nn_experiment_block(x, p->kind);
    x->n_reg = p->kind == NN_KIND_REG;
    snprintf(sec->path, sizeof sec->path, "%s", kind);
    sec->setting = config_lookup(x->cfg, kind);
    sec->plugin.desc = p;
    return nn_section_read_plugin_params(sec, x, err);
}

static int read_reg_list(nn_experiment *x, const nn_registry *reg, nn_err *err)
{
    config_setting_t *root = config_root_setting(x->cfg);
    config_setting_t *l = config_setting_get_member(root, "reg");
    if (!l)
        l = config_setting_add(root, "reg", CONFIG_TYPE_LIST);
    if (config_setting_type(l) != CONFIG_TYPE_LIST)
        return fail(x, l, NULL, err, "expected a list ( { plugin = \"l2\"; ... }, ... )");
    int n = config_setting_length(l);
    if (n > NN_MAX_REG)
        return fail(x, l, NULL, err, "at most %d regularizers", NN_MAX_REG);
    for (int i = 0; i < n; i++) {
        int rc = read_plugin_section(x, &x->reg[i], config_setting_get_elem(l, (unsigned)i),
                                     NN_KIND_REG, NULL, reg, err);
        x->n_reg = i + 1;
        if (rc)
            return rc;
    }
    return NN_OK;
}

/* base_dir: the folder relative data paths start from. Default: the
 * experiment file's folder. Recorded as an absolute path so that a resolved
 * config.cfg in a run folder finds the same files. */
static int read_base_dir(nn_experiment *x, config_setting_t *root, nn_err *err)
{
    config_setting_t *s = config_setting_get_member(root, "base_dir");
    char dir[4096];
    if (s) {
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            return fail(x, s, NULL, err, "expected a folder name in double quotes");
        const char *v = config_setting_get_string(s);
        if (v[0] == '/')
            snprintf(dir, sizeof dir, "%s", v);
        else
            snprintf(dir, sizeof dir, "%s/%s", x->base_dir, v);
    } else {
        snprintf(dir, sizeof dir, "%s", x->base_dir);
        s = config_setting_add(root, "base_dir", CONFIG_TYPE_STRING);
    }
    char *abs = realpath(dir, NULL);
    if (!abs)
        return fail(x, s, NULL, err, "folder '%s' does not exist", dir);
    snprintf(x->base_dir, sizeof x->base_dir, "%s", abs);
    free(abs);
    config_setting_set_string(s, x->base_dir);
    return NN_OK;
}

/* The name names the run folder (runs/NAME) and is a line of sweep.txt:
 * one path component of at most NN_NAME_MAX bytes, no control characters. */
#define NN_NAME_MAX 127
static int check_name(const nn_experiment *x, const config_setting_t *s, nn_err *err)
{
    const char *n = x->name;
    size_t len = strlen(n);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f)
            return fail(x, s, NULL, err, "a name with a control character (byte 0x%02x at %zu) cannot be "
                        "used as a run folder name", (unsigned char)n[i], i);
    if (len > NN_NAME_MAX)
        return fail(x, s, NULL, err, "'%.40s...' (%zu bytes) cannot be used as a run folder name: "
                    "at most %d bytes", n, len, NN_NAME_MAX);
    if (!n[0] || strchr(n, '/') || strcmp(n, "..") == 0 || strcmp(n, ".") == 0)
        return fail(x, s, NULL, err, "'%s' cannot be used as a run folder name", n);
    return NN_OK;
}

/* Every top-level key is known; sweep and benchmark (read by nnlab sweep
 * and nnlab benchmark, not part of a run) are groups. */
static int check_top_keys(const nn_experiment *x, const config_setting_t *root, nn_err *err)
{
    int n_top = 0;
    while (top_keys[n_top])
        n_top++;
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *c = config_setting_get_elem(root, (unsigned)i);
        const char *k = config_setting_name(c);
        int known = 0;
        for (int j = 0; top_keys[j] && !known; j++)
            known = strcmp(k, top_keys[j]) == 0;
        if (!known) {
            const char *near = closest(k, (const char *const *)top_keys, n_top);
            return fail(x, c, NULL, err, "unknown key%s%s%s (known: name, seed, data, model, init, optim, reg, train, output, base_dir, sweep, benchmark)",
                        near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        }
        if (strcmp(k, "sweep") == 0 && !config_setting_is_group(c))
            return fail(x, c, NULL, err, "expected a group { method = \"random\"; trials = 24; params = ( ... ); }");
        if (strcmp(k, "benchmark") == 0 && !config_setting_is_group(c))
            return fail(x, c, NULL, err, "expected a group { suite = \"small\"; target = 0.9; ... } (docs/benchmark.md)");
    }
    return NN_OK;
}

static int read_top(nn_experiment *x, nn_err *err)
{
    config_setting_t *root = config_root_setting(x->cfg);
    int rc = check_top_keys(x, root, err);
    if (rc)
        return rc;
    config_setting_t *s = config_setting_get_member(root, "name");
    if (!s) {
        const char *b = strrchr(x->file, '/');
        char nm[256];
        snprintf(nm, sizeof nm, "%s", b ? b + 1 : x->file);
        char *dot = strrchr(nm, '.');
        if (dot)
            *dot = '\0';
        s = config_setting_add(root, "name", CONFIG_TYPE_STRING);
        config_setting_set_string(s, nm);
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return fail(x, s, NULL, err, "expected a string in double quotes");
    x->name = config_setting_get_string(s);
    if ((rc = check_name(x, s, err)) != 0)
        return rc;
    s = config_setting_get_member(root, "seed");
    if (!s) {
        s = config_setting_add(root, "seed", CONFIG_TYPE_INT);
        config_setting_set_int(s, 0);
    }
    if (!is_integer(s))
        return fail(x, s, NULL, err, "expected an integer in [0, 4294967295]");
    if (config_setting_get_int64(s) < 0 || config_setting_get_int64(s) > 4294967295LL)
        return fail(x, s, NULL, err, "%s is outside the allowed range [0, 4294967295]", int_text(s).s);
    x->seed = (uint32_t)config_setting_get_int64(s);
    return read_base_dir(x, root, err);
}

/* "a.b[0].c" -> libconfig path "a.b.[0].c" */
static void to_cfg_path(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = in; *p && j + 2 < n; p++) {
        if (*p == '[' && j > 0 && out[j - 1] != '.')
            out[j++] = '.';
        out[j++] = *p;
    }
    out[j] = '\0';
}

static int apply_override(nn_experiment *x, const char *ov, nn_err *err)
{
    const char *eq = strchr(ov, '=');
    if (!eq || eq == ov)
        return nn_err_set(err, NN_EINPUT, "-s %s: expected key.path=value", ov);
    char key[512], path[600], parent_path[600], why[512];
    snprintf(key, sizeof key, "%.*s", (int)(eq - ov), ov);
    to_cfg_path(key, path, sizeof path);
    config_t tmp;
    if (parse_literal(&tmp, eq + 1, why, sizeof why) != 0)
        return nn_err_set(err, NN_EINPUT, "-s %s: %s", key, why);
    snprintf(parent_path, sizeof parent_path, "%s", path);
    char *dot = strrchr(parent_path, '.');
    const char *leaf = dot ? dot + 1 : parent_path;
    config_setting_t *parent = config_root_setting(x->cfg);
    if (dot) {
        *dot = '\0';
        leaf = dot + 1;
        parent = config_lookup(x->cfg, parent_path);
        if (!parent && !strchr(parent_path, '.') && !strchr(parent_path, '['))
            parent = config_setting_add(config_root_setting(x->cfg), parent_path, CONFIG_TYPE_GROUP);
    }
    int rc = NN_OK;
    if (!parent || config_setting_type(parent) != CONFIG_TYPE_GROUP || leaf[0] == '[') {
        rc = nn_err_set(err, NN_EINPUT, "-s %s: no such group in %s", key, x->file);
    } else {
        if (config_setting_get_member(parent, leaf))
            config_setting_remove(parent, leaf);
        if (copy_setting(parent, leaf, config_lookup(&tmp, "v")) != 0)
            rc = nn_err_set(err, NN_EINPUT, "-s %s: cannot set value", key);
    }
    config_destroy(&tmp);
    return rc;
}

/* Line `line` of file (or, past its end, the last line that is not blank),
 * without its newline and surrounding blanks, into out (cut to fit); "" when
 * it cannot be read. *past_end: whether the line was past the end. */
static void source_line(const char *file, int line, char *out, size_t n, int *past_end)
{
    out[0] = '\0';
    *past_end = 1;
    FILE *f = line > 0 ? fopen(file, "r") : NULL;
    if (!f)
        return;
    char buf[512];
    int at = 1;
    while (fgets(buf, sizeof buf, f)) {
        size_t len = strlen(buf);
        int cut = len == sizeof buf - 1 && buf[len - 1] != '\n';
        while (len && strchr(" \t\r\n", buf[len - 1]))
            buf[--len] = '\0';
        const char *b = buf + strspn(buf, " \t");
        if (*b || at == line)
            snprintf(out, n, "%s%s", b, cut ? "..." : "");
        if (at == line) {
            *past_end = 0;
            break;
        }
        at += !cut;
    }
    fclose(f);
}

/* libconfig's parse error, with the line it names quoted (libconfig's
 * messages do not name the setting: "duplicate setting name"). */
static int parse_error(const nn_experiment *x, const char *file, nn_err *err)
{
    int line = config_error_line(x->cfg);
    const char *what = config_error_text(x->cfg) ? config_error_text(x->cfg) : "syntax error";
    char text[160];
    int past_end;
    source_line(file, line, text, sizeof text, &past_end);
    if (!text[0])
        return nn_err_set(err, NN_EINPUT, "%s:%d: %s%s", file, line, what,
                          past_end ? " at the end of the file" : "");
    if (past_end)
        return nn_err_set(err, NN_EINPUT, "%s:%d: %s at the end of the file (after '%s')", file,
                          line, what, text);
    return nn_err_set(err, NN_EINPUT, "%s:%d: %s (in '%s')", file, line, what, text);
}

static int read_file(nn_experiment *x, const char *file, nn_err *err)
{
    snprintf(x->file, sizeof x->file, "%s", file);
    snprintf(x->base_dir, sizeof x->base_dir, "%s", file);
    char *slash = strrchr(x->base_dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(x->base_dir, sizeof x->base_dir, ".");
    if (!(x->cfg = malloc(sizeof *x->cfg)))
        return nn_err_set(err, NN_ENOMEM, "%s: out of memory", file);
    config_init(x->cfg);
    FILE *f = fopen(file, "r");
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot open: %s", file, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return nn_err_set(err, NN_EINPUT, "%s: not a regular file (an experiment file is a libconfig text file)", file);
    }
    config_set_auto_convert(x->cfg, 0);
    int ok = config_read(x->cfg, f);
    fclose(f);
    if (ok != CONFIG_TRUE)
        return parse_error(x, file, err);
    return exact_ints(x, x->cfg, NULL, err);
}

int nn_experiment_load(nn_experiment *x, const char *file, const char *const *overrides,
                       int n_overrides, const nn_registry *reg, nn_err *err)
{
    memset(x, 0, sizeof *x);
    int rc = read_file(x, file, err);
    for (int i = 0; rc == NN_OK && i < n_overrides; i++)
        rc = apply_override(x, overrides[i], err);
    if (rc)
        return rc;
    config_setting_t *root = config_root_setting(x->cfg);
    if ((rc = read_top(x, err)) != 0)
        return rc;
    config_setting_t *data = config_setting_get_member(root, "data");
    if (!data)
        return nn_err_set(err, NN_EINPUT, "%s: data: missing section (e.g. data = { plugin = \"planar\"; };)", x->file);
    if ((rc = read_plugin_section(x, &x->data, data, NN_KIND_DATA, NULL, reg, err)) != 0)
        return rc;
    config_setting_t *g = get_group(x, root, "init", err, &rc);
    if (rc || (rc = read_plugin_section(x, &x->init, g, NN_KIND_INIT, "he", reg, err)) != 0)
        return rc;
    g = get_group(x, root, "optim", err, &rc);
    if (rc || (rc = read_plugin_section(x, &x->optim, g, NN_KIND_OPTIM, "sgd", reg, err)) != 0)
        return rc;
    const nn_plugin *op = x->optim.plugin.desc;
    x->optim_lr = nn_decls_find(op->params, op->n_params, "lr", NN_T_REAL);
    if (x->optim_lr < 0) /* nn_plugin_open refuses such an optimizer */
        return nn_err_set(err, NN_EPLUGIN, "optim plugin '%s' declares no 'lr'", op->name);
    if ((rc = read_reg_list(x, reg, err)) != 0)
        return rc;
    return read_core_sections(x, err);
}

static void section_free(nn_section *s)
{
    for (int i = 0; i < NN_MAX_PARAMS; i++)
        free(s->lists[i]);
    nn_plugin_close(&s->plugin);
    memset(s, 0, sizeof *s);
}

void nn_experiment_free(nn_experiment *x)
{
    section_free(&x->model);
    section_free(&x->train);
    section_free(&x->output);
    section_free(&x->schedule);
    section_free(&x->data);
    section_free(&x->init);
    section_free(&x->optim);
    for (int i = 0; i < x->n_reg; i++)
        section_free(&x->reg[i]);
    if (x->cfg) {
        config_destroy(x->cfg);
        free(x->cfg);
    }
    memset(x, 0, sizeof *x);
}

const nn_value *nn_section_get(const nn_section *s, const char *name)
{
    for (int i = 0; i < s->n_decls; i++)
        if (strcmp(s->decls[i].name, name) == 0)
            return &s->values[i];
    return NULL;
}

int nn_section_line(const nn_section *s, const char *key)
{
    if (!s->setting)
        return 0;
    const config_setting_t *k = config_setting_get_member(s->setting, key);
    int line = k ? config_setting_source_line(k) : 0;
    return line > 0 ? line : (int)config_setting_source_line(s->setting);
}

#define NN_STR_(v) #v
#define NN_STR(v) NN_STR_(v)

const char *nn_experiment_reader_version(void)
{
    return NN_STR(LIBCONFIG_VER_MAJOR) "." NN_STR(LIBCONFIG_VER_MINOR) "." NN_STR(LIBCONFIG_VER_REVISION);
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
