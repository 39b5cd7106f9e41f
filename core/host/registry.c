/* registry.c: the plugin search path, dlopen, and descriptor validation. */
#define _GNU_SOURCE /* dladdr, dl_iterate_phdr */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decls.h"
#include "util.h"

static const char *const kind_names[] = {NULL, "init", "optim", "reg", "data"};

const char *nn_kind_name(nn_kind kind)
{
    return (kind >= NN_KIND_INIT && kind <= NN_KIND_DATA) ? kind_names[kind] : "?";
}

int nn_kind_parse(const char *s, nn_kind *out)
{
    for (int k = NN_KIND_INIT; k <= NN_KIND_DATA; k++)
        if (strcmp(s, kind_names[k]) == 0) {
            *out = (nn_kind)k;
            return 0;
        }
    return -1;
}

static void add_dirs(nn_registry *r, const char *list)
{
    if (!list)
        return;
    const char *p = list;
    while (*p && r->n_dirs < NN_MAX_SEARCH_DIRS) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0) {
            char *d = malloc(n + 1);
            if (d) {
                memcpy(d, p, n);
                d[n] = '\0';
                r->dirs[r->n_dirs++] = d;
            }
        }
        p += n + (e ? 1 : 0);
    }
}

void nn_registry_init(nn_registry *r, const char *extra)
{
    memset(r, 0, sizeof *r);
    add_dirs(r, extra);
    add_dirs(r, getenv("NNLAB_PLUGIN_PATH"));
    add_dirs(r, NN_BUILD_PLUGIN_DIR);
    add_dirs(r, NN_INSTALL_PLUGIN_DIR);
    /* the plugins installed next to this library, wherever the install
     * tree was moved or installed to (cmake --install --prefix) */
    Dl_info info;
    char dir[4096];
    if (dladdr((void *)nn_registry_init, &info) && info.dli_fname && strrchr(info.dli_fname, '/')) {
        snprintf(dir, sizeof dir, "%.*s/nnlab/plugins",
                 (int)(strrchr(info.dli_fname, '/') - info.dli_fname), info.dli_fname);
        struct stat st;
        if (strcmp(dir, NN_INSTALL_PLUGIN_DIR) != 0 && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            add_dirs(r, dir);
    }
}

void nn_registry_free(nn_registry *r)
{
    for (int i = 0; i < r->n_dirs; i++)
        free(r->dirs[i]);
    r->n_dirs = 0;
}

int nn_registry_find(const nn_registry *r, const char *name, nn_kind kind, char *out, size_t n)
{
    for (int i = 0; i < r->n_dirs; i++) {
        for (int k = NN_KIND_INIT; k <= NN_KIND_DATA; k++) {
            if (kind && k != (int)kind)
                continue;
            snprintf(out, n, "%s/%s/%s.so", r->dirs[i], kind_names[k], name);
            if (nn_file_exists(out))
                return 1;
        }
        snprintf(out, n, "%s/%s.so", r->dirs[i], name);
        if (nn_file_exists(out))
            return 1;
    }
    return 0;
}

typedef struct {
    const char *want;
    char best[65];
    int best_d;
    char list[2048];
} suggest_ctx;

static void suggest_cb(void *ud, nn_kind kind, const char *name, const char *path)
{
    suggest_ctx *s = ud;
    size_t len = strlen(s->list);
    if (len + strlen(name) + 3 < sizeof s->list)
        snprintf(s->list + len, sizeof s->list - len, "%s%s", len ? ", " : "", name);
    int d = nn_edit_distance(s->want, name);
    if (d < s->best_d) {
        s->best_d = d;
        snprintf(s->best, sizeof s->best, "%s", name);
    }
}

static int not_found(const nn_registry *r, const char *name, nn_kind kind, nn_err *err)
{
    suggest_ctx s = {.want = name, .best_d = 1 << 30};
    nn_registry_scan(r, kind, suggest_cb, &s);
    char hint[128] = "";
    int near = (int)strlen(name) / 2; /* a suggestion must be closer than half the name */
    if (s.best[0] && s.best_d <= (near < 2 ? 2 : near > 3 ? 3 : near))
        snprintf(hint, sizeof hint, "; did you mean '%s'?", s.best);
    return nn_err_set(err, NN_EPLUGIN, "unknown %s%splugin '%s'%s (available: %s)",
                      kind ? nn_kind_name(kind) : "", kind ? " " : "", name, hint,
                      s.list[0] ? s.list : "none found on the plugin path");
}

/* ---- trust: who may change the code that is loaded --------------------------- */

/* NN_OK when neither the file nor its folder can be changed by other users
 * (a folder writable by all with the sticky bit, such as /tmp, lets no one
 * replace another's file). */
static int trusted(const char *path, nn_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return nn_err_set(err, NN_EPLUGIN, "%s: not a regular file", path);
    if (st.st_mode & S_IWOTH)
        return nn_err_set(err, NN_EPLUGIN, "%s: refused: the plugin file is writable by every "
                          "user (mode %04o), so anyone could put code into this run; chmod o-w it",
                          path, (unsigned)(st.st_mode & 07777));
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (!dir[0])
        snprintf(dir, sizeof dir, "/");
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        return nn_err_set(err, NN_EPLUGIN, "%s: refused: its folder %s is writable by every user "
                          "(mode %04o), so anyone could replace the plugin; chmod o-w it",
                          path, dir, (unsigned)(st.st_mode & 07777));
    return NN_OK;
}

/* ---- where each plugin's code lies, for naming one that crashes ------------------ */

#define NN_MAX_CODE_RANGES 128
static struct code_range {
    uintptr_t lo, hi;
    const nn_plugin *desc;
    void *dl;
} code_ranges[NN_MAX_CODE_RANGES];
static volatile int n_code_ranges;

typedef struct {
    uintptr_t addr; /* an address inside the object (its entry symbol) */
    void *dl;
} range_ctx;

static int add_ranges(struct dl_phdr_info *info, size_t size, void *ud)
{
    range_ctx *c = ud;
    int mine = 0;
    for (int i = 0; i < info->dlpi_phnum && !mine; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        mine = ph->p_type == PT_LOAD && c->addr >= lo && c->addr < lo + ph->p_memsz;
    }
    for (int i = 0; mine && i < info->dlpi_phnum && n_code_ranges < NN_MAX_CODE_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        struct code_range *r = &code_ranges[n_code_ranges];
        r->lo = info->dlpi_addr + ph->p_vaddr;
        r->hi = r->lo + ph->p_memsz;
        r->dl = c->dl;
        r->desc = NULL;
        n_code_ranges++;
    }
    return mine;
}

static void remember_code(void *dl, nn_plugin_entry entry, const nn_plugin *desc)
{
    int before = n_code_ranges;
    range_ctx c = {(uintptr_t)(void *)entry, dl};
    dl_iterate_phdr(add_ranges, &c);
    for (int i = before; i < n_code_ranges; i++)
        code_ranges[i].desc = desc;
}

static void forget_code(void *dl)
{
    int k = 0;
    for (int i = 0; i < n_code_ranges; i++)
        if (code_ranges[i].dl != dl)
            code_ranges[k++] = code_ranges[i];
    n_code_ranges = k;
}

const nn_plugin *nn_plugin_at(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    for (int i = 0; i < n_code_ranges; i++)
        if (a >= code_ranges[i].lo && a < code_ranges[i].hi)
            return code_ranges[i].desc;
    return NULL;
}

int nn_plugin_open(const nn_registry *r, const char *name_or_path, nn_kind kind,
                   nn_handle *out, nn_err *err)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(name_or_path);
    int is_path = strchr(name_or_path, '/') != NULL;
    if (!is_path && len > 3 && strcmp(name_or_path + len - 3, ".so") == 0)
        return nn_err_set(err, NN_EPLUGIN, "plugin '%s': a plugin file is named with its folder "
                          "(./%s for the current one, which is never searched by itself)",
                          name_or_path, name_or_path);
    if (is_path) {
        if (!nn_file_exists(name_or_path))
            return nn_err_set(err, NN_EPLUGIN, "%s: no such plugin file", name_or_path);
        snprintf(out->path, sizeof out->path, "%s", name_or_path);
    } else {
        if (!nn_name_valid(name_or_path))
            return nn_err_set(err, NN_EPLUGIN,
                              "invalid plugin name '%s': names are [a-z0-9_]+", name_or_path);
        if (!nn_registry_find(r, name_or_path, kind, out->path, sizeof out->path))
            return not_found(r, name_or_path, kind, err);
    }
    int trc = trusted(out->path, err);
    if (trc)
        return trc;
    out->dl = dlopen(out->path, RTLD_NOW | RTLD_LOCAL);
    if (!out->dl)
        return nn_err_set(err, NN_EPLUGIN, "%s: cannot load: %s", out->path, dlerror());
    nn_plugin_entry entry;
    *(void **)&entry = dlsym(out->dl, NN_ENTRY_SYMBOL);
    if (!entry) {
        nn_plugin_close(out);
        return nn_err_set(err, NN_EPLUGIN, "%s: missing entry symbol '%s' (define it with NN_PLUGIN)",
                          name_or_path, NN_ENTRY_SYMBOL);
    }
    out->desc = entry();
    nn_err e;
    int rc = nn_plugin_validate(out->desc, &e);
    if (rc == NN_OK && kind && out->desc->kind != kind)
        rc = nn_err_set(&e, NN_EPLUGIN, "is of kind %s, expected kind %s",
                        nn_kind_name(out->desc->kind), nn_kind_name(kind));
    if (rc == NN_OK && !is_path && strcmp(out->desc->name, name_or_path) != 0)
        rc = nn_err_set(&e, NN_EPLUGIN, "declares the name '%s' but its file is named '%s'",
                        out->desc->name, name_or_path);
    if (rc) {
        nn_err_set(err, rc, "%s: %s", out->path, e.msg);
        nn_plugin_close(out);
        return rc;
    }
    if (out->desc->kind == NN_KIND_OPTIM)
        nn_optim_resolve(out->desc, &out->optim);
    remember_code(out->dl, entry, out->desc);
    return rc;
}

void nn_plugin_close(nn_handle *h)
{
    if (h->dl) {
        forget_code(h->dl);
        dlclose(h->dl);
    }
    h->dl = NULL;
    h->desc = NULL;
    memset(&h->optim, 0, sizeof h->optim);
}

void nn_optim_resolve(const nn_plugin *p, nn_optim_ops *out)
{
    memset(out, 0, sizeof *out);
    if (!p || !p->ops.optim)
        return;
    if (p->abi_version >= 2) {
        *out = *p->ops.optim;
        return;
    }
    /* ABI 1: the struct ends after step; nothing past it may be read */
    memcpy(out, p->ops.optim, offsetof(nn_optim_ops, slot_len));
    out->flags &= NN_OPTIM_DECOUPLED_DECAY; /* the only flag ABI 1 had */
}

#define NN_OPTIM_KNOWN_FLAGS (NN_OPTIM_DECOUPLED_DECAY | NN_OPTIM_PER_TENSOR | NN_OPTIM_MATRIX)

/* The ABI-2 parts of an optimizer's ops (all zero for an ABI-1 plugin). */
static int validate_optim_v2(const nn_plugin *p, const nn_optim_ops *o, nn_err *err)
{
    if (o->flags & ~(unsigned)NN_OPTIM_KNOWN_FLAGS)
        return nn_err_set(err, NN_EPLUGIN, "optim flags 0x%x include bits no NN_OPTIM_* flag defines",
                          o->flags);
    if (o->n_scalars < 0 || o->n_scalars > NN_MAX_SCALARS)
        return nn_err_set(err, NN_EPLUGIN, "n_scalars %d outside 0..%d (NN_MAX_SCALARS)", o->n_scalars,
                          NN_MAX_SCALARS);
    if (o->n_reduce < 0 || o->n_reduce > NN_MAX_REDUCE)
        return nn_err_set(err, NN_EPLUGIN, "n_reduce %d outside 0..%d (NN_MAX_REDUCE)", o->n_reduce,
                          NN_MAX_REDUCE);
    if (o->n_reduce > 0 && !o->reduce)
        return nn_err_set(err, NN_EPLUGIN, "n_reduce %d without a reduce operation", o->n_reduce);
    if (o->n_reduce == 0 && o->reduce)
        return nn_err_set(err, NN_EPLUGIN, "a reduce operation with n_reduce 0 (declare its sums)");
    if (o->n_scalars == 0 && (o->scalars_init || o->scalars_update))
        return nn_err_set(err, NN_EPLUGIN, "%s without global scalars (n_scalars is 0)",
                          o->scalars_init ? "scalars_init" : "scalars_update");
    if (!o->model_step && o->max_evals)
        return nn_err_set(err, NN_EPLUGIN, "max_evals without a model_step operation");
    if (o->max_evals) {
        nn_value hp[NN_MAX_PARAMS];
        void *lists[NN_MAX_PARAMS];
        int rc = nn_decls_defaults(p->params, p->n_params, hp, lists, err);
        if (rc)
            return rc;
        int k = o->max_evals(hp);
        for (int i = 0; i < p->n_params; i++)
            free(lists[i]);
        if (k < 0 || k > NN_MAX_EVALS)
            return nn_err_set(err, NN_EPLUGIN,
                              "max_evals() is %d at the default hyperparameters, outside 0..%d (NN_MAX_EVALS)",
                              k, NN_MAX_EVALS);
    }
    return NN_OK;
}

static int validate_optim(const nn_plugin *p, nn_err *err)
{
    nn_optim_ops o;
    nn_optim_resolve(p, &o);
    if (!o.step && !o.model_step)
        return nn_err_set(err, NN_EPLUGIN, "optim plugin without a step operation%s",
                          p->abi_version >= 2 ? " (or model_step)" : "");
    if (o.n_slots < 0 || o.n_slots > NN_MAX_SLOTS)
        return nn_err_set(err, NN_EPLUGIN, "n_slots %d outside 0..%d (NN_MAX_SLOTS)", o.n_slots,
                          NN_MAX_SLOTS);
    if (nn_decls_find(p->params, p->n_params, "lr", NN_T_REAL) < 0)
        return nn_err_set(err, NN_EPLUGIN, "an optimizer must declare 'lr' (real) among its hyperparameters");
    return validate_optim_v2(p, &o, err);
}

static int validate_ops(const nn_plugin *p, nn_err *err)
{
    switch (p->kind) {
    case NN_KIND_INIT:
        if (!p->ops.init || !p->ops.init->fill)
            return nn_err_set(err, NN_EPLUGIN, "init plugin without a fill operation");
        return NN_OK;
    case NN_KIND_OPTIM:
        return validate_optim(p, err);
    case NN_KIND_REG: {
        const nn_reg_ops *o = p->ops.reg;
        if (!o || (!o->penalty && !o->act_forward && !o->constrain))
            return nn_err_set(err, NN_EPLUGIN, "reg plugin with no penalty, activation hook or constraint");
        if ((o->act_forward == NULL) != (o->act_backward == NULL))
            return nn_err_set(err, NN_EPLUGIN, "reg plugin must define act_forward and act_backward together");
        return NN_OK;
    }
    case NN_KIND_DATA:
        if (!p->ops.data || !p->ops.data->load)
            return nn_err_set(err, NN_EPLUGIN, "data plugin without a load operation");
        return NN_OK;
    }
    return nn_err_set(err, NN_EPLUGIN, "unknown plugin kind %d", (int)p->kind);
}

int nn_plugin_validate(const nn_plugin *p, nn_err *err)
{
    if (!p)
        return nn_err_set(err, NN_EPLUGIN, "entry returned no descriptor");
    if (p->abi_version > NN_ABI_VERSION)
        return nn_err_set(err, NN_EPLUGIN,
                          "ABI version %d is newer than this nnlab's ABI %d (upgrade nnlab, or rebuild the plugin against this nnlab's plugin.h)",
                          p->abi_version, NN_ABI_VERSION);
    if (p->abi_version < 1)
        return nn_err_set(err, NN_EPLUGIN, "ABI version %d, this nnlab reads ABI 1 to %d (rebuild the plugin)",
                          p->abi_version, NN_ABI_VERSION);
    if (p->real_size != (int)sizeof(nn_real))
        return nn_err_set(err, NN_EPLUGIN,
                          "built for a %d-byte nn_real, this nnlab uses %d bytes (rebuild the plugin)",
                          p->real_size, (int)sizeof(nn_real));
    if (p->kind < NN_KIND_INIT || p->kind > NN_KIND_DATA)
        return nn_err_set(err, NN_EPLUGIN, "unknown plugin kind %d", (int)p->kind);
    if (!p->name || !nn_name_valid(p->name))
        return nn_err_set(err, NN_EPLUGIN, "invalid plugin name '%s'", p->name ? p->name : "(null)");
    if (!p->doc || !p->doc[0])
        return nn_err_set(err, NN_EPLUGIN, "plugin '%s' has no doc line", p->name);
    if (p->n_params < 0 || p->n_params > NN_MAX_PARAMS || (p->n_params && !p->params))
        return nn_err_set(err, NN_EPLUGIN, "plugin '%s': bad parameter table", p->name);
    int rc = nn_decls_validate(p->params, p->n_params, err);
    if (rc)
        return rc;
    return validate_ops(p, err);
}

/* The kind a plugin file declares, learnt by loading it (for flat folders of
 * .so files); 0 when it cannot be loaded or its descriptor is unreadable. */
static nn_kind peek_kind(const char *path)
{
    nn_err e;
    if (trusted(path, &e) != NN_OK)
        return 0;
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return 0;
    nn_plugin_entry entry;
    *(void **)&entry = dlsym(dl, NN_ENTRY_SYMBOL);
    const nn_plugin *p = entry ? entry() : NULL;
    nn_kind k = p && p->abi_version >= 1 && p->abi_version <= NN_ABI_VERSION && p->kind >= NN_KIND_INIT &&
                p->kind <= NN_KIND_DATA ? p->kind : 0;
    dlclose(dl);
    return k;
}

/* Reports the <name>.so files of dir as plugins of kind. flat: dir holds
 * plugins of any kind; only those declaring kind are reported (kind 0: those
 * whose kind cannot be read, so that they can be shown as broken). */
static void scan_dir(const char *dir, nn_kind kind, int flat, char seen[][80], int *n_seen,
                     nn_registry_fn fn, void *ud)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char names[256][68];
    int n = 0;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len < 4 || len > 67 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        memcpy(names[n], e->d_name, len - 3);
        names[n][len - 3] = '\0';
        if (nn_name_valid(names[n]))
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        char key[80], path[4200];
        snprintf(key, sizeof key, "%d/%s", (int)kind, names[i]);
        int dup = 0;
        for (int j = 0; j < *n_seen && !dup; j++)
            dup = strcmp(seen[j], key) == 0;
        if (dup || *n_seen >= 512)
            continue;
        snprintf(path, sizeof path, "%s/%s.so", dir, names[i]);
        if (flat && (!nn_file_exists(path) || peek_kind(path) != kind))
            continue;
        memcpy(seen[(*n_seen)++], key, sizeof key);
        fn(ud, kind, names[i], path);
    }
}

void nn_registry_scan(const nn_registry *r, nn_kind kind, nn_registry_fn fn, void *ud)
{
    static char seen[512][80];
    int n_seen = 0;
    for (int k = NN_KIND_INIT; k <= NN_KIND_DATA; k++) {
        if (kind && k != (int)kind)
            continue;
        for (int i = 0; i < r->n_dirs; i++) {
            char dir[4200];
            snprintf(dir, sizeof dir, "%s/%s", r->dirs[i], kind_names[k]);
            scan_dir(dir, (nn_kind)k, 0, seen, &n_seen, fn, ud);
            scan_dir(r->dirs[i], (nn_kind)k, 1, seen, &n_seen, fn, ud);
        }
    }
    for (int i = 0; kind == 0 && i < r->n_dirs; i++)
        scan_dir(r->dirs[i], 0, 1, seen, &n_seen, fn, ud);
}
