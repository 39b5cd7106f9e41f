/* spec.c: reading and checking a sweep section and the -g axes. Every
 * problem is found here, before a trial runs or the sweep folder exists. */
#include "spec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"
#include "util.h"

static const char *const section_keys[] = {"method", "trials", "seed", "metric", "params", "repeats",
                                           "eta", "min_epochs", "max_epochs", "continue", NULL};
static const char *const param_keys[] = {"key", "values", "choice", "uniform", "log_uniform", "int",
                                         "log_int", NULL};
static const char *const methods[] = {"grid", "random", "halving", NULL};
static const char *const metrics[] = {"auto", "val_accuracy", "best_val_accuracy", "train_accuracy",
                                      "test_accuracy", "final_loss", NULL};

const char *nn_sw_kind_name(nn_sw_kind k)
{
    return param_keys[1 + (int)k];
}

const char *nn_sw_method_name(nn_sw_method m)
{
    return methods[m];
}

int nn_sw_metric_higher(const char *metric)
{
    if (strcmp(metric, "final_loss") == 0)
        return 0;
    for (int i = 0; metrics[i]; i++)
        if (strcmp(metric, metrics[i]) == 0)
            return 1;
    return -1;
}

/* "file:line: path: message", or "file: path: message (value given on the
 * command line)" for a node without a line (set with -s). */
static int bad(const nn_sweep_spec *s, const nn_tree *t, const char *path, nn_err *err,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int bad(const nn_sweep_spec *s, const nn_tree *t, const char *path, nn_err *err,
               const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (t && t->line > 0)
        return nn_err_set(err, NN_EINPUT, "%s:%d: %s: %s", s->file, t->line, path, msg);
    return nn_err_set(err, NN_EINPUT, "%s: %s: %s%s", s->file, path, msg,
                      t ? " (value given on the command line)" : "");
}

static int index_of(const char *w, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(w, list[i]) == 0)
            return i;
    return -1;
}

static void join(const char *const *list, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; list[i]; i++)
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", i ? ", " : "", list[i]);
}

/* Every member of group t is one of known. */
static int check_keys(const nn_sweep_spec *s, const nn_tree *t, const char *path,
                      const char *const *known, nn_err *err)
{
    for (int k = 0; k < t->n_kids; k++) {
        const nn_tree *c = &t->kids[k];
        if (index_of(c->name, known) >= 0)
            continue;
        const char *near = NULL;
        int bd = 3;
        for (int i = 0; known[i]; i++) {
            int d = nn_edit_distance(c->name, known[i]);
            if (d < bd)
                bd = d, near = known[i];
        }
        char list[256], p[128];
        join(known, list, sizeof list);
        snprintf(p, sizeof p, "%s.%s", path, c->name);
        if (near)
            return bad(s, c, p, err, "unknown key; did you mean '%s'? (known: %s)", near, list);
        return bad(s, c, p, err, "unknown key (known: %s)", list);
    }
    return NN_OK;
}

static int get_int(const nn_sweep_spec *s, const nn_tree *t, const char *path, long long lo,
                   long long hi, long long *out, nn_err *err)
{
    if (t->type != NN_TREE_INT)
        return bad(s, t, path, err, "expected an integer, not %s", nn_tree_type_name(t->type));
    char v[32];
    nn_tree_int_text(t, v, sizeof v);
    if (t->i < lo || t->i > hi)
        return bad(s, t, path, err, "%s is outside the allowed range [%lld, %lld]", v, lo, hi);
    *out = t->i;
    return NN_OK;
}

static int get_choice(const nn_sweep_spec *s, const nn_tree *t, const char *path,
                      const char *const *list, int *out, nn_err *err)
{
    char all[256];
    join(list, all, sizeof all);
    if (t->type != NN_TREE_STRING)
        return bad(s, t, path, err, "expected a string in double quotes (one of %s)", all);
    if ((*out = index_of(t->s, list)) < 0)
        return bad(s, t, path, err, "'%s' is not one of %s", t->s, all);
    return NN_OK;
}

/* ---- params ------------------------------------------------------------------ */

static int key_ok(const char *k)
{
    if (!k[0] || strlen(k) >= 200)
        return 0;
    for (const char *p = k; *p; p++)
        if (!(*p == '_' || *p == '.' || *p == '[' || *p == ']' || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* Why key cannot be varied (a trial's run never reads it), or NULL. */
static const char *key_refused(const char *k)
{
    static const char *const not_read[][2] = {
        {"sweep", "the sweep section is the search itself, not part of a trial's run"},
        {"benchmark", "the benchmark section is nnlab benchmark's, not part of a trial's run"},
        {"output.dir", "each trial's run folder is the sweep's (DIR/trials/ID), whatever output.dir says"},
    };
    for (size_t i = 0; i < sizeof not_read / sizeof not_read[0]; i++) {
        size_t n = strlen(not_read[i][0]);
        if (strncmp(k, not_read[i][0], n) == 0 && (k[n] == '\0' || k[n] == '.' || k[n] == '['))
            return not_read[i][1];
    }
    return NULL;
}

/* values = [...] / choice = (...): the texts of the elements. */
static int read_list(nn_sweep_spec *s, nn_sw_param *p, const nn_tree *t, const char *path,
                     nn_err *err)
{
    if (t->type != NN_TREE_ARRAY && t->type != NN_TREE_LIST)
        return bad(s, t, path, err, "expected a list of values such as [0.1, 0.01] or ([10], [20, 10])");
    if (t->n_kids == 0 || t->n_kids > NN_SW_MAX_VALUES)
        return bad(s, t, path, err, "expected 1 to %d values, not %d", NN_SW_MAX_VALUES, t->n_kids);
    p->values = calloc((size_t)t->n_kids, sizeof(char *));
    p->value_lines = calloc((size_t)t->n_kids, sizeof(int));
    if (!p->values || !p->value_lines)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    for (int k = 0; k < t->n_kids; k++) {
        if (!(p->values[k] = strdup(t->kids[k].text)))
            return nn_err_set(err, NN_ENOMEM, "out of memory");
        p->value_lines[k] = t->kids[k].line ? t->kids[k].line : t->line;
        p->n_values = k + 1;
        for (int j = 0; j < k; j++)
            if (strcmp(p->values[j], p->values[k]) == 0)
                return bad(s, &t->kids[k], path, err, "value %s is listed twice", p->values[k]);
    }
    return NN_OK;
}

static int read_range(nn_sweep_spec *s, nn_sw_param *p, const nn_tree *t, const char *path,
                      nn_err *err)
{
    int ints = p->kind == NN_SW_INT || p->kind == NN_SW_LOG_INT;
    const char *what = ints ? "two integers [lo, hi]" : "two numbers [lo, hi]";
    if (t->type != NN_TREE_ARRAY || t->n_kids != 2)
        return bad(s, t, path, err, "expected %s", what);
    for (int k = 0; k < 2; k++) {
        nn_tree_type ty = t->kids[k].type;
        if (ints ? ty != NN_TREE_INT : ty != NN_TREE_INT && ty != NN_TREE_REAL)
            return bad(s, t, path, err, "expected %s", what);
    }
    p->lo = t->kids[0].r;
    p->hi = t->kids[1].r;
    if (!isfinite(p->lo) || !isfinite(p->hi) || !(p->lo < p->hi))
        return bad(s, t, path, err, "expected lo < hi, both finite (got [%s, %s])", t->kids[0].text,
                   t->kids[1].text);
    if (p->kind == NN_SW_LOG_UNIFORM && !(p->lo > 0))
        return bad(s, t, path, err, "a log-uniform range needs lo > 0 (got %s)", t->kids[0].text);
    if (p->kind == NN_SW_LOG_INT && p->lo < 1)
        return bad(s, t, path, err, "a log-integer range needs lo >= 1 (got %s)", t->kids[0].text);
    if (ints && (fabs(p->lo) > 1e15 || fabs(p->hi) > 1e15))
        return bad(s, t, path, err, "integers up to 1e15");
    return NN_OK;
}

static int read_param(nn_sweep_spec *s, const nn_tree *t, int idx, nn_err *err)
{
    nn_sw_param *p = &s->params[s->n_params];
    snprintf(p->where, sizeof p->where, "sweep.params[%d]", idx);
    p->line = t->line;
    if (t->type != NN_TREE_GROUP)
        return bad(s, t, p->where, err, "expected a group { key = \"optim.lr\"; log_uniform = [1e-4, 0.1]; }");
    int rc = check_keys(s, t, p->where, param_keys, err);
    if (rc)
        return rc;
    char path[128];
    const nn_tree *k = nn_tree_member(t, "key");
    snprintf(path, sizeof path, "%s.key", p->where);
    if (!k)
        return bad(s, t, p->where, err, "missing key = \"section.name\" (the setting to vary, as -s takes it)");
    if (k->type != NN_TREE_STRING || !key_ok(k->s))
        return bad(s, k, path, err, "expected a key path in double quotes such as \"optim.lr\" or \"reg[0].lambda\"");
    snprintf(p->key, sizeof p->key, "%s", k->s);
    if (key_refused(p->key))
        return bad(s, k, path, err, "%s cannot be varied: %s", p->key, key_refused(p->key));
    const nn_tree *how = NULL;
    for (int i = 1; param_keys[i]; i++) {
        const nn_tree *c = nn_tree_member(t, param_keys[i]);
        if (c && how)
            return bad(s, c, p->where, err, "both %s and %s: give one way of varying %s", how->name,
                       c->name, p->key);
        if (c) {
            how = c;
            p->kind = (nn_sw_kind)(i - 1);
        }
    }
    if (!how)
        return bad(s, t, p->where, err, "%s: missing values, choice, uniform, log_uniform, int or log_int", p->key);
    snprintf(path, sizeof path, "%s.%s", p->where, how->name);
    s->n_params++;
    return p->kind <= NN_SW_CHOICE ? read_list(s, p, how, path, err) : read_range(s, p, how, path, err);
}

static int read_params(nn_sweep_spec *s, const nn_tree *t, nn_err *err)
{
    if (t->type != NN_TREE_LIST)
        return bad(s, t, "sweep.params", err, "expected a list of groups ( { key = \"optim.lr\"; values = [0.1, 0.01]; }, ... )");
    if (t->n_kids > NN_SW_MAX_PARAMS)
        return bad(s, t, "sweep.params", err, "at most %d keys", NN_SW_MAX_PARAMS);
    for (int i = 0; i < t->n_kids; i++) {
        int rc = read_param(s, &t->kids[i], i, err);
        if (rc)
            return rc;
        for (int j = 0; j < s->n_params - 1; j++)
            if (strcmp(s->params[j].key, s->params[s->n_params - 1].key) == 0)
                return bad(s, &t->kids[i], s->params[s->n_params - 1].where, err,
                           "%s is already varied by %s", s->params[j].key, s->params[j].where);
    }
    return NN_OK;
}

/* ---- the section ------------------------------------------------------------- */

typedef struct section_vals {
    const nn_tree *method, *trials, *seed, *metric, *repeats, *eta, *min_epochs, *max_epochs, *params;
    const nn_tree *cont;
} section_vals;

static int read_numbers(nn_sweep_spec *s, const section_vals *v, nn_err *err)
{
    long long n;
    int rc = NN_OK;
    if (v->trials && (rc = get_int(s, v->trials, "sweep.trials", 1, NN_SW_MAX_CONFIGS, &n, err)) == NN_OK) {
        s->trials = (long)n;
        s->trials_line = v->trials->line;
    }
    if (rc == NN_OK && v->seed && (rc = get_int(s, v->seed, "sweep.seed", 0, 4294967295LL, &n, err)) == NN_OK)
        s->seed = (uint32_t)n;
    if (rc == NN_OK && v->repeats && (rc = get_int(s, v->repeats, "sweep.repeats", 1, 1000, &n, err)) == NN_OK)
        s->repeats = (int)n;
    if (rc == NN_OK && v->eta && (rc = get_int(s, v->eta, "sweep.eta", 2, 100, &n, err)) == NN_OK)
        s->eta = (long)n;
    if (rc == NN_OK && v->min_epochs && (rc = get_int(s, v->min_epochs, "sweep.min_epochs", 1, 1000000000, &n, err)) == NN_OK)
        s->min_epochs = (long)n;
    if (rc == NN_OK && v->max_epochs && (rc = get_int(s, v->max_epochs, "sweep.max_epochs", 1, 1000000000, &n, err)) == NN_OK)
        s->max_epochs = (long)n;
    if (rc == NN_OK && v->cont && v->cont->type != NN_TREE_BOOL)
        rc = bad(s, v->cont, "sweep.continue", err, "expected true or false, not %s",
                 nn_tree_type_name(v->cont->type));
    if (rc == NN_OK && v->cont)
        s->continue_rungs = v->cont->i != 0;
    return rc;
}

/* Settings that only make sense with another method, and what each method needs. */
static int check_method(nn_sweep_spec *s, const section_vals *v, nn_err *err)
{
    const nn_tree *only_halving[] = {v->eta, v->min_epochs, v->max_epochs, v->cont};
    for (int i = 0; i < 4; i++)
        if (only_halving[i] && s->method != NN_SW_HALVING) {
            char p[64];
            snprintf(p, sizeof p, "sweep.%s", only_halving[i]->name);
            return bad(s, only_halving[i], p, err, "only for method = \"halving\"");
        }
    if (s->method == NN_SW_GRID && v->trials)
        return bad(s, v->trials, "sweep.trials", err,
                   "a grid runs every combination; trials is for method = \"random\" or \"halving\"");
    if (s->method == NN_SW_RANDOM && !s->trials)
        return bad(s, v->method, "sweep.method", err, "random search needs trials = N (the configurations to draw)");
    for (int i = 0; i < s->n_params; i++) {
        const nn_sw_param *p = &s->params[i];
        if (p->kind > NN_SW_CHOICE && !s->trials) {
            nn_tree at = {.line = p->line};
            return bad(s, &at, p->where, err, "%s: %s needs a search that draws (method = \"random\", "
                       "or \"halving\" with trials = N); a grid takes values = [...]", p->key,
                       nn_sw_kind_name(p->kind));
        }
        if (s->method == NN_SW_HALVING && strcmp(p->key, "train.epochs") == 0) {
            nn_tree at = {.line = p->line};
            return bad(s, &at, p->where, err, "halving sets train.epochs itself (min_epochs, eta, max_epochs)");
        }
    }
    if (s->method == NN_SW_HALVING && s->max_epochs == 0)
        s->max_epochs = s->base_epochs;
    if (s->method == NN_SW_HALVING && s->min_epochs > s->max_epochs)
        return bad(s, v->min_epochs, "sweep.min_epochs", err, "%ld is more than max_epochs %ld",
                   s->min_epochs, s->max_epochs);
    return NN_OK;
}

static int read_section(nn_sweep_spec *s, const nn_tree *t, nn_err *err)
{
    if (t->type != NN_TREE_GROUP)
        return bad(s, t, "sweep", err, "expected a group { method = \"random\"; trials = 24; params = ( ... ); }");
    int rc = check_keys(s, t, "sweep", section_keys, err);
    if (rc)
        return rc;
    section_vals v = {nn_tree_member(t, "method"), nn_tree_member(t, "trials"), nn_tree_member(t, "seed"),
                      nn_tree_member(t, "metric"), nn_tree_member(t, "repeats"), nn_tree_member(t, "eta"),
                      nn_tree_member(t, "min_epochs"), nn_tree_member(t, "max_epochs"),
                      nn_tree_member(t, "params"), nn_tree_member(t, "continue")};
    int m = 0;
    if (v.method && (rc = get_choice(s, v.method, "sweep.method", methods, &m, err)) != 0)
        return rc;
    s->method = v.method ? (nn_sw_method)m : v.trials ? NN_SW_RANDOM : NN_SW_GRID;
    if (v.metric && (rc = get_choice(s, v.metric, "sweep.metric", metrics, &m, err)) != 0)
        return rc;
    if (v.metric)
        snprintf(s->metric, sizeof s->metric, "%s", metrics[m]);
    if ((rc = read_numbers(s, &v, err)) != 0)
        return rc;
    if (v.params && (rc = read_params(s, v.params, err)) != 0)
        return rc;
    return check_method(s, &v, err);
}

/* ---- -g axes ------------------------------------------------------------------ */

static int split_fail(char **out, int n)
{
    while (n > 0)
        free(out[--n]);
    return -1;
}

/* Splits "v1,v2,..." at commas outside brackets, parentheses and quotes;
 * on failure (too many or an empty value) nothing stays allocated. */
static int split_values(const char *list, char **out, int max)
{
    int depth = 0, quoted = 0, n = 0;
    const char *start = list;
    for (const char *p = list;; p++) {
        if (*p == '"' && (p == list || p[-1] != '\\'))
            quoted = !quoted;
        else if (!quoted && (*p == '[' || *p == '(' || *p == '{'))
            depth++;
        else if (!quoted && (*p == ']' || *p == ')' || *p == '}'))
            depth--;
        if (*p == '\0' || (*p == ',' && depth == 0 && !quoted)) {
            if (n >= max || p == start)
                return split_fail(out, n);
            if (!(out[n] = strndup(start, (size_t)(p - start))))
                return split_fail(out, n);
            n++;
            start = p + 1;
        }
        if (*p == '\0')
            return n;
    }
}

static void param_clear(nn_sw_param *p)
{
    for (int k = 0; k < p->n_values; k++)
        free(p->values[k]);
    free(p->values);
    free(p->value_lines);
    memset(p, 0, sizeof *p);
}

static int grid_axis(nn_sweep_spec *s, const char *arg, nn_err *err)
{
    const char *eq = strchr(arg, '=');
    char key[256];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - arg) : 0, arg);
    if (!eq || !key_ok(key))
        return nn_err_set(err, NN_EINPUT, "-g %s: expected key=v1,v2,... (values in libconfig syntax)", arg);
    if (key_refused(key))
        return nn_err_set(err, NN_EINPUT, "-g %s: %s cannot be varied: %s", key, key, key_refused(key));
    int at = s->n_params;
    for (int i = 0; i < s->n_params; i++)
        if (strcmp(s->params[i].key, key) == 0)
            at = i;
    if (at == NN_SW_MAX_PARAMS)
        return nn_err_set(err, NN_EINPUT, "-g %s: at most %d keys", key, NN_SW_MAX_PARAMS);
    char *raw[NN_SW_MAX_VALUES];
    int n = split_values(eq + 1, raw, NN_SW_MAX_VALUES);
    if (n < 0) {
        return nn_err_set(err, NN_EINPUT, "-g %s: expected key=v1,v2,... (1 to %d values, none empty)",
                          arg, NN_SW_MAX_VALUES);
    }
    nn_sw_param p = {.kind = NN_SW_VALUES, .n_values = 0};
    snprintf(p.key, sizeof p.key, "%s", key);
    snprintf(p.where, sizeof p.where, "-g %s", key);
    p.values = calloc((size_t)n, sizeof(char *));
    p.value_lines = calloc((size_t)n, sizeof(int));
    int rc = p.values && p.value_lines ? NN_OK : nn_err_set(err, NN_ENOMEM, "out of memory");
    for (int k = 0; k < n; k++) {
        nn_tree *t = NULL;
        nn_err e;
        if (rc == NN_OK && nn_tree_parse(raw[k], &t, &e) != NN_OK)
            rc = nn_err_set(err, NN_EINPUT, "-g %s: %s", key, e.msg);
        if (rc == NN_OK && !(p.values[p.n_values++] = strdup(t->text)))
            rc = nn_err_set(err, NN_ENOMEM, "out of memory");
        for (int j = 0; rc == NN_OK && j < p.n_values - 1; j++)
            if (strcmp(p.values[j], p.values[p.n_values - 1]) == 0)
                rc = nn_err_set(err, NN_EINPUT, "-g %s: value %s is listed twice", key, raw[k]);
        nn_tree_free(t);
        free(raw[k]);
    }
    if (rc) {
        param_clear(&p);
        return rc;
    }
    if (at < s->n_params)
        param_clear(&s->params[at]);
    s->params[at] = p;
    s->n_params += at == s->n_params;
    return NN_OK;
}

/* ---- checking values by loading the experiment -------------------------------- */

int nn_sw_spec_try(const nn_sweep_spec *s, const char *const *ov, int n, uint32_t *seeds, nn_err *err)
{
    const char **all = calloc((size_t)(s->n_fixed + n + 1), sizeof(char *));
    if (!all)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    for (int i = 0; i < s->n_fixed; i++)
        all[i] = s->fixed[i];
    for (int i = 0; i < n; i++)
        all[s->n_fixed + i] = ov[i];
    nn_experiment *x = malloc(sizeof *x);
    int rc = x ? nn_experiment_load(x, s->file, all, s->n_fixed + n, &s->reg, err)
               : nn_err_set(err, NN_ENOMEM, "out of memory");
    for (int i = 0; rc == NN_OK && seeds && i < s->n_seeded; i++) {
        const char *sec = s->seeded[i];
        seeds[i] = strcmp(sec, "init") == 0 ? x->init.seed : strcmp(sec, "optim") == 0 ? x->optim.seed
                 : strcmp(sec, "train") == 0 ? x->train.seed : x->reg[atoi(sec + 4)].seed;
    }
    if (x)
        nn_experiment_free(x);
    free(x);
    free(all);
    return rc;
}

/* The experiment's message without the file name and key it starts with and
 * the command-line note, to follow "file:line: sweep...: key = value: ". */
static const char *reason(const nn_sweep_spec *s, const char *key, const char *msg, char *buf, size_t n)
{
    size_t fl = strlen(s->file), kl = strlen(key);
    if (strncmp(msg, s->file, fl) == 0 && msg[fl] == ':' && msg[fl + 1] == ' ')
        msg += fl + 2;
    if (strncmp(msg, key, kl) == 0 && msg[kl] == ':' && msg[kl + 1] == ' ')
        msg += kl + 2;
    snprintf(buf, n, "%s", msg);
    char *note = strstr(buf, " (value given on the command line)");
    if (note)
        *note = '\0';
    return buf;
}

static int try_value(const nn_sweep_spec *s, const nn_sw_param *p, const char *text, int line,
                     nn_err *err)
{
    char ov[4300];
    snprintf(ov, sizeof ov, "%s=%s", p->key, text);
    const char *one[1] = {ov};
    nn_err e;
    int rc = nn_sw_spec_try(s, one, 1, NULL, &e);
    if (rc == NN_OK)
        return NN_OK;
    char why[1024];
    reason(s, p->key, e.msg, why, sizeof why);
    if (p->line == 0)
        return nn_err_set(err, NN_EINPUT, "%s: value %s refused: %s", p->where, text, why);
    return nn_err_set(err, rc == NN_ENOMEM ? rc : NN_EINPUT, "%s:%d: %s: %s = %s: %s", s->file,
                      line ? line : p->line, p->where, p->key, text, why);
}

static void range_text(const nn_sw_param *p, double v, char *out, size_t n)
{
    if (p->kind == NN_SW_INT || p->kind == NN_SW_LOG_INT)
        snprintf(out, n, fabs(v) > 2147483647.0 ? "%.0fL" : "%.0f", v);
    else
        nn_tree_format_real(v, out, n);
}

/* Each listed value, and both ends of each range (a range has no holes in
 * between: the core's checks are intervals). */
static int check_values(const nn_sweep_spec *s, nn_err *err)
{
    for (int i = 0; i < s->n_params; i++) {
        const nn_sw_param *p = &s->params[i];
        int rc = NN_OK;
        for (int k = 0; rc == NN_OK && k < p->n_values; k++)
            rc = try_value(s, p, p->values[k], p->value_lines[k], err);
        char t[64];
        if (rc == NN_OK && p->kind > NN_SW_CHOICE) {
            range_text(p, p->lo, t, sizeof t);
            rc = try_value(s, p, t, p->line, err);
            range_text(p, p->hi, t, sizeof t);
            if (rc == NN_OK)
                rc = try_value(s, p, t, p->line, err);
        }
        if (rc)
            return rc;
    }
    return NN_OK;
}

/* ---- reading ------------------------------------------------------------------ */

/* What the search takes from its experiment x, and x's sweep section. */
static int base_of(nn_sweep_spec *s, const nn_experiment *x, nn_tree **section, nn_err *err)
{
    snprintf(s->name, sizeof s->name, "%s", x->name);
    s->base_epochs = x->opts.train.epochs;
    s->base_threads = x->opts.train.threads;
    s->plots = x->opts.output.plots;
    s->seed = nn_rng_derive(x->seed, "sweep");
    static const char *const fixed_sections[] = {"init", "optim", "train"};
    for (int i = 0; i < 3; i++)
        snprintf(s->seeded[s->n_seeded++], sizeof s->seeded[0], "%s", fixed_sections[i]);
    for (int i = 0; i < x->n_reg; i++)
        snprintf(s->seeded[s->n_seeded++], sizeof s->seeded[0], "reg[%d]", i);
    return nn_tree_of(x, "sweep", section, err);
}

static int read_base(nn_sweep_spec *s, nn_tree **section, nn_err *err)
{
    nn_experiment *x = malloc(sizeof *x);
    if (!x)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int rc = nn_experiment_load(x, s->file, s->fixed, s->n_fixed, &s->reg, err);
    if (rc == NN_OK)
        rc = base_of(s, x, section, err);
    nn_experiment_free(x);
    free(x);
    return rc;
}

int nn_sw_section_check(const nn_experiment *x, nn_err *err)
{
    nn_sweep_spec *s = calloc(1, sizeof *s);
    if (!s)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    snprintf(s->file, sizeof s->file, "%s", x->file);
    snprintf(s->metric, sizeof s->metric, "auto");
    s->repeats = 1;
    s->eta = 3;
    nn_tree *section = NULL;
    int rc = base_of(s, x, &section, err);
    if (rc == NN_OK && section)
        rc = read_section(s, section, err);
    nn_tree_free(section);
    nn_sw_spec_free(s);
    free(s);
    return rc;
}

int nn_sw_spec_read(nn_sweep_spec *s, const char *file, const char *const *fixed, int n_fixed,
                    const char *const *grid, int n_grid, const char *plugin_path, nn_err *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->file, sizeof s->file, "%s", file);
    snprintf(s->metric, sizeof s->metric, "auto");
    s->fixed = fixed;
    s->n_fixed = n_fixed;
    s->plugin_path = plugin_path;
    s->repeats = 1;
    s->eta = 3;
    s->continue_rungs = 1;
    nn_registry_init(&s->reg, plugin_path);
    nn_tree *section = NULL;
    int rc = read_base(s, &section, err);
    s->has_section = section != NULL;
    if (rc == NN_OK && section)
        rc = read_section(s, section, err);
    nn_tree_free(section);
    for (int i = 0; rc == NN_OK && i < n_grid; i++)
        rc = grid_axis(s, grid[i], err);
    if (rc == NN_OK && s->n_params == 0)
        rc = nn_err_set(err, NN_EINPUT, "%s: nothing to vary: add a sweep section with params "
                        "(e.g. sweep = { params = ( { key = \"optim.lr\"; values = [0.1, 0.01]; } ); };) "
                        "or give -g key=v1,v2,...", s->file);
    if (rc == NN_OK)
        rc = check_values(s, err);
    return rc;
}

void nn_sw_spec_free(nn_sweep_spec *s)
{
    for (int i = 0; i < s->n_params; i++)
        param_clear(&s->params[i]);
    nn_registry_free(&s->reg);
    s->n_params = 0;
}

int nn_sw_spec_write_base(const nn_sweep_spec *s, const char *path, nn_err *err)
{
    nn_experiment *x = malloc(sizeof *x);
    if (!x)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int rc = nn_experiment_load(x, s->file, s->fixed, s->n_fixed, &s->reg, err);
    if (rc == NN_OK)
        rc = nn_experiment_write(x, path, err);
    nn_experiment_free(x);
    free(x);
    return rc;
}
