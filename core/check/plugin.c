/* plugin.c: one plugin through nnlab check: find it (NAME, KIND/NAME or a
 * path), load it (first in a child, so a crashing loader is a failed check),
 * the checks every kind gets (descriptor, config through the experiment
 * reader), then the suite of its kind (which also runs independent.c's
 * check); and
 * every plugin on the search path. */
#define _GNU_SOURCE /* dladdr */
#include "suite.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* ---- loads ----------------------------------------------------------------------- */

typedef struct load_arg {
    const char *path;
    nn_kind want;
} load_arg;

static void check_loads(nn_checker *c, const void *arg)
{
    const load_arg *a = arg;
    nn_handle h;
    nn_err e = {{0}};
    int rc = nn_plugin_open(c->reg, a->path, a->want, &h, &e);
    if (rc == NN_OK) {
        nn_chk_report(c, NN_CHK_PASS, NULL, "%s", h.path);
        nn_plugin_close(&h);
    } else {
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
    }
    nn_chk_set_result(c, rc, NULL);
}

/* ---- descriptor ------------------------------------------------------------------- */

/* 1: ptr lies in a read-only mapping; 0: writable (why says so); -1: unknown. */
static int read_only(const void *ptr, char *why, size_t n)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    uintptr_t a = (uintptr_t)ptr;
    char line[4608];
    int res = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || a < lo || a >= hi)
            continue;
        res = perms[1] != 'w';
        if (!res)
            snprintf(why, n, "in writable memory");
        break;
    }
    fclose(f);
    return res;
}

static const char *base_name(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    snprintf(out, n, "%s", b ? b + 1 : path);
    size_t len = strlen(out);
    if (len > 3 && strcmp(out + len - 3, ".so") == 0)
        out[len - 3] = '\0';
    return out;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void check_descriptor(nn_checker *c, const void *arg)
{
    const nn_handle *h = arg;
    const nn_plugin *p = h->desc;
    char problems[1024] = "", base[80], why[128];
    base_name(h->path, base, sizeof base);
    if (strcmp(base, p->name) != 0)
        snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                 "; declares the name '%s' but its file is %s.so", p->name, base);
    nn_plugin_entry entry;
    *(void **)&entry = dlsym(h->dl, NN_ENTRY_SYMBOL);
    if (entry && entry() != p)
        snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                 "; %s() returns a different descriptor on each call (return static data)", NN_ENTRY_SYMBOL);
    const void *ptrs[3] = {p, p->params, (const void *)p->ops.init};
    const char *labels[3] = {"descriptor", "parameter table", "operations table"};
    int unknown = 0;
    for (int i = 0; i < 3; i++) {
        if (!ptrs[i] || (i == 1 && p->n_params == 0))
            continue;
        Dl_info info;
        if (!dladdr(ptrs[i], &info) || !info.dli_fname || !same_file(info.dli_fname, h->path)) {
            snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                     "; the %s is not static data of %s.so", labels[i], base);
            continue;
        }
        int ro = read_only(ptrs[i], why, sizeof why);
        unknown |= ro < 0;
        if (ro == 0)
            snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                     "; the %s is %s (declare it static const)", labels[i], why);
    }
    if (problems[0])
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", problems + 2);
    else
        nn_chk_report(c, NN_CHK_PASS, NULL,
                      "ABI %d, %d-byte reals, name matches the file, doc, %d parameters with defaults in range, %s",
                      p->abi_version, p->real_size, p->n_params,
                      unknown ? "static data of the plugin file" : "read-only static data of the plugin file");
}

/* ---- config ------------------------------------------------------------------------- */

static void config_defaults(nn_checker *c, const void *arg)
{
    const nn_plugin *p = arg;
    nn_err e = {{0}};
    nn_chk_block *b = nn_chk_block_read(p, "", &e);
    if (b)
        nn_chk_report(c, NN_CHK_PASS, NULL, "%d parameters resolved through the experiment reader", p->n_params);
    else
        nn_chk_report(c, NN_CHK_FAIL, NULL, "%s", e.msg);
    nn_chk_block_free(b);
}

static void config_unknown_key(nn_checker *c, const void *arg)
{
    const nn_plugin *p = arg;
    nn_err e = {{0}};
    nn_chk_block *b = nn_chk_block_read(p, "no_such_parameter = 1;", &e);
    int ok = !b && strstr(e.msg, "no_such_parameter") && strstr(e.msg, "unknown key");
    nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL, "%s", b ? "no_such_parameter = 1 was accepted" : e.msg);
    nn_chk_block_free(b);
}

static void config_out_of_range(nn_checker *c, const void *arg)
{
    const nn_plugin *p = arg;
    nn_err e = {{0}};
    for (int i = 0; i < p->n_params; i++) {
        const nn_param_decl *d = &p->params[i];
        if (!nn_chk_is_numeric(d->type) && d->type != NN_T_INTLIST && d->type != NN_T_REALLIST)
            continue;
        double v;
        if (d->max < 1e300 && d->max < 9e18)
            v = d->max + fmax(1, fabs(d->max));
        else if (d->min > -1e300 && d->min > -9e18)
            v = d->min - fmax(1, fabs(d->min));
        else
            continue;
        nn_type t = d->type == NN_T_INTLIST ? NN_T_INT : d->type == NN_T_REALLIST ? NN_T_REAL : d->type;
        char lit[80], list[96], body[256] = "";
        nn_chk_literal(lit, sizeof lit, v, t);
        snprintf(list, sizeof list, t != d->type ? "[%s]" : "%s", lit);
        nn_chk_body_add(body, sizeof body, d->name, list);
        nn_chk_block *b = nn_chk_block_read(p, body, &e);
        int ok = !b && strstr(e.msg, d->name) && strstr(e.msg, "outside the allowed range");
        nn_chk_report(c, ok ? NN_CHK_PASS : NN_CHK_FAIL, NULL, "%s", b ? "the value was accepted" : e.msg);
        nn_chk_block_free(b);
        return;
    }
    nn_chk_report(c, NN_CHK_SKIP, NULL, "no bounded numeric parameter");
}

/* ---- a plugin, every plugin --------------------------------------------------------- */

static nn_kind kind_of_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    const char *parent = strrchr(dir, '/');
    nn_kind k = 0;
    nn_kind_parse(parent ? parent + 1 : dir, &k);
    return k;
}

/* The plugin file spec names (path, and the kind its folder says). */
static int locate(const nn_checker *c, const char *spec, char *path, size_t n, nn_kind *want, nn_err *err)
{
    *want = 0;
    const char *slash = strchr(spec, '/');
    size_t len = strlen(spec);
    int by_path = (len > 3 && strcmp(spec + len - 3, ".so") == 0) || nn_file_exists(spec);
    if (!by_path && slash && !strchr(slash + 1, '/')) {
        char kind[16];
        snprintf(kind, sizeof kind, "%.*s", (int)(slash - spec), spec);
        if (nn_kind_parse(kind, want) != 0)
            return nn_err_set(err, NN_EINPUT, "%s: no such plugin file, and '%s' is not a kind (init, optim, reg, data)",
                              spec, kind);
        spec = slash + 1;
    } else if (slash && !by_path) {
        return nn_err_set(err, NN_EINPUT, "%s: no such plugin file", spec);
    }
    if (by_path) {
        if (!nn_file_exists(spec))
            return nn_err_set(err, NN_EINPUT, "%s: no such plugin file", spec);
        snprintf(path, n, "%s%s", strchr(spec, '/') ? "" : "./", spec);
        *want = kind_of_dir(path);
        return NN_OK;
    }
    if (nn_registry_find(c->reg, spec, *want, path, n))
        return NN_OK;
    /* not found: the registry's message (with its suggestion) */
    nn_handle h;
    if (nn_plugin_open(c->reg, spec, *want, &h, err) == NN_OK) {
        nn_plugin_close(&h);
        return nn_err_set(err, NN_EINTERNAL, "%s: found but not located", spec);
    }
    return NN_EINPUT;
}

int nn_check_plugin(nn_checker *c, const char *spec, nn_err *err)
{
    char path[4096], base[80];
    nn_kind want;
    int rc = locate(c, spec, path, sizeof path, &want, err);
    if (rc)
        return rc;
    c->plugins++;
    snprintf(c->who, sizeof c->who, "%s/%s", want ? nn_kind_name(want) : "?", base_name(path, base, sizeof base));
    load_arg la = {path, want};
    nn_chk_set_result(c, NN_EPLUGIN, NULL);
    nn_chk_run(c, "loads", 1, check_loads, &la);
    if (nn_chk_result(c, NULL) != NN_OK)
        return NN_OK; /* reported */
    nn_handle h;
    nn_err e = {{0}};
    if (nn_plugin_open(c->reg, path, want, &h, &e) != NN_OK) {
        nn_chk_report(c, NN_CHK_FAIL, "loads", "loaded in the check's process but not again: %s", e.msg);
        return NN_OK;
    }
    const nn_plugin *p = h.desc;
    snprintf(c->who, sizeof c->who, "%s/%s", nn_kind_name(p->kind), p->name);
    nn_chk_run(c, "descriptor", 1, check_descriptor, &h);
    nn_chk_run(c, "config accepts the defaults", 1, config_defaults, p);
    nn_chk_run(c, "config refuses an unknown key", 1, config_unknown_key, p);
    nn_chk_run(c, "config refuses an out-of-range value", 1, config_out_of_range, p);
    nn_chk_block *b = nn_chk_block_read(p, "", &e);
    if (b) {
        switch (p->kind) {
        case NN_KIND_INIT: nn_chk_suite_init(c, p, b); break;
        case NN_KIND_OPTIM: nn_chk_suite_optim(c, p, b); break;
        case NN_KIND_REG: nn_chk_suite_reg(c, p, b); break;
        case NN_KIND_DATA: nn_chk_suite_data(c, p, b); break;
        }
    }
    nn_chk_block_free(b);
    nn_plugin_close(&h);
    return NN_OK;
}

typedef struct found_list {
    char (*paths)[4200];
    int n, cap;
} found_list;

static void collect(void *ud, nn_kind kind, const char *name, const char *path)
{
    (void)kind;
    (void)name;
    found_list *f = ud;
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 32;
        void *p = realloc(f->paths, (size_t)cap * sizeof *f->paths);
        if (!p)
            return;
        f->paths = p;
        f->cap = cap;
    }
    snprintf(f->paths[f->n++], sizeof f->paths[0], "%s", path);
}

int nn_check_all(nn_checker *c)
{
    found_list f = {0};
    nn_registry_scan(c->reg, 0, collect, &f);
    for (int i = 0; i < f.n; i++) {
        nn_err e;
        if (nn_check_plugin(c, f.paths[i], &e) != NN_OK)
            fprintf(c->out, "nnlab check: %s\n", e.msg);
    }
    free(f.paths);
    return f.n;
}
