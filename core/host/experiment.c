/* experiment.c: loading an experiment file: its top-level keys, -s
 * overrides, the plugin sections (opened through the registry) and the
 * core's own (bound into x->opts). One setting's value: values.c; the
 * resolved text: resolved.c. */
#include "experiment.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decls.h"
#include "options.h"
#include "util.h"
#include "values.h"

static const char *const top_keys[] = {"name", "seed", "data", "model", "init", "optim",
                                       "reg", "train", "output", "base_dir", "sweep",
                                       "benchmark", NULL};

static config_setting_t *get_group(nn_experiment *x, config_setting_t *parent, const char *name,
                                   nn_err *err, int *rc)
{
    config_setting_t *s = config_setting_get_member(parent, name);
    if (!s)
        s = config_setting_add(parent, name, CONFIG_TYPE_GROUP);
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        *rc = nn_cfg_fail(x, s, NULL, err, "expected a group { ... }");
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
    if ((rc = nn_cfg_check_keys(x, sec, seeded ? seed_only : NULL, err)) != 0)
        return rc;
    if (seeded && (rc = nn_cfg_read_seed(x, sec, err)) != 0)
        return rc;
    if ((rc = nn_cfg_read_decls(x, sec, err)) != 0)
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
    nn_cfg_key_path(s, sec->path, sizeof sec->path);
    sec->setting = s;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return nn_cfg_fail(x, s, NULL, err, "expected a group { plugin = \"...\"; ... }");
    config_setting_t *ps = config_setting_get_member(s, "plugin");
    if (!ps) {
        if (!default_plugin)
            return nn_cfg_fail(x, s, NULL, err, "missing key 'plugin' (run 'nnlab list %s')", nn_kind_name(kind));
        ps = config_setting_add(s, "plugin", CONFIG_TYPE_STRING);
        config_setting_set_string(ps, default_plugin);
    }
    if (config_setting_type(ps) != CONFIG_TYPE_STRING)
        return nn_cfg_fail(x, ps, NULL, err, "expected a plugin name in double quotes");
    const char *name = config_setting_get_string(ps);
    if (!nn_name_valid(name))
        return nn_cfg_fail(x, ps, NULL, err, "invalid plugin name '%s': names are [a-z0-9_]+", name);
    nn_err e;
    if (nn_plugin_open(reg, name, kind, &sec->plugin, &e) != NN_OK)
        return nn_cfg_fail(x, ps, NULL, err, "%s", e.msg);
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
    int rc = nn_cfg_check_keys(x, sec, is_optim ? extra_optim : extra, err);
    if (rc)
        return rc;
    if ((rc = nn_cfg_read_seed(x, sec, err)) != 0)
        return rc;
    return nn_cfg_read_decls(x, sec, err);
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
    int rc = nn_cfg_exact_ints(x, x->cfg, text, err);
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
        return nn_cfg_fail(x, l, NULL, err, "expected a list ( { plugin = \"l2\"; ... }, ... )");
    int n = config_setting_length(l);
    if (n > NN_MAX_REG)
        return nn_cfg_fail(x, l, NULL, err, "at most %d regularizers", NN_MAX_REG);
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
            return nn_cfg_fail(x, s, NULL, err, "expected a folder name in double quotes");
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
        return nn_cfg_fail(x, s, NULL, err, "folder '%s' does not exist", dir);
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
            return nn_cfg_fail(x, s, NULL, err, "a name with a control character (byte 0x%02x at %zu) cannot be "
                        "used as a run folder name", (unsigned char)n[i], i);
    if (len > NN_NAME_MAX)
        return nn_cfg_fail(x, s, NULL, err, "'%.40s...' (%zu bytes) cannot be used as a run folder name: "
                    "at most %d bytes", n, len, NN_NAME_MAX);
    if (!n[0] || strchr(n, '/') || strcmp(n, "..") == 0 || strcmp(n, ".") == 0)
        return nn_cfg_fail(x, s, NULL, err, "'%s' cannot be used as a run folder name", n);
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
            const char *near = nn_cfg_closest(k, (const char *const *)top_keys, n_top);
            return nn_cfg_fail(x, c, NULL, err, "unknown key%s%s%s (known: name, seed, data, model, init, optim, reg, train, output, base_dir, sweep, benchmark)",
                        near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        }
        if (strcmp(k, "sweep") == 0 && !config_setting_is_group(c))
            return nn_cfg_fail(x, c, NULL, err, "expected a group { method = \"random\"; trials = 24; params = ( ... ); }");
        if (strcmp(k, "benchmark") == 0 && !config_setting_is_group(c))
            return nn_cfg_fail(x, c, NULL, err, "expected a group { suite = \"small\"; target = 0.9; ... } (docs/benchmark.md)");
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
        return nn_cfg_fail(x, s, NULL, err, "expected a string in double quotes");
    x->name = config_setting_get_string(s);
    if ((rc = check_name(x, s, err)) != 0)
        return rc;
    s = config_setting_get_member(root, "seed");
    if (!s) {
        s = config_setting_add(root, "seed", CONFIG_TYPE_INT);
        config_setting_set_int(s, 0);
    }
    if (!nn_cfg_is_integer(s))
        return nn_cfg_fail(x, s, NULL, err, "expected an integer in [0, 4294967295]");
    if (config_setting_get_int64(s) < 0 || config_setting_get_int64(s) > 4294967295LL)
        return nn_cfg_fail(x, s, NULL, err, "%s is outside the allowed range [0, 4294967295]", nn_cfg_int_text(s).s);
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
    if (nn_cfg_parse_literal(&tmp, eq + 1, why, sizeof why) != 0)
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
        if (nn_cfg_copy(parent, leaf, config_lookup(&tmp, "v")) != 0)
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
    return nn_cfg_exact_ints(x, x->cfg, NULL, err);
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

const char *nn_experiment_reader_version(void)
{
    return NN_STR(LIBCONFIG_VER_MAJOR) "." NN_STR(LIBCONFIG_VER_MINOR) "." NN_STR(LIBCONFIG_VER_REVISION);
}
