/* image_plugin.h: helpers for the tests of the image data plugins: open a
 * built plugin with dlopen, give it its declared defaults (nn_decls_defaults,
 * as the experiment reader would), set parameters by
 * name, call load into a fresh nn_data, and make / remove temp folders. */
#ifndef NN_TEST_IMAGE_PLUGIN_H
#define NN_TEST_IMAGE_PLUGIN_H

#include <dirent.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "data.h"
#include "decls.h"
#include "nnlab/plugin.h"

#define IP_MAX_PARAMS 32
#define IP_MAX_LIST 8

typedef struct ip_plugin {
    void *dl;
    const nn_plugin *p;
    nn_value hp[IP_MAX_PARAMS];
    void *defaults[IP_MAX_PARAMS];     /* storage of the list defaults (nn_decls_defaults) */
    const char *lists[IP_MAX_PARAMS][IP_MAX_LIST];
    char list_text[IP_MAX_PARAMS][IP_MAX_LIST][32];
} ip_plugin;

static inline int ip_index(const ip_plugin *t, const char *key)
{
    for (int i = 0; i < t->p->n_params; i++)
        if (strcmp(t->p->params[i].name, key) == 0)
            return i;
    fail_msg("plugin %s has no parameter '%s'", t->p->name, key);
    return -1;
}

/* A STRLIST value from n strings. */
static inline void ip_set_list(ip_plugin *t, const char *key, int n, const char *const *items)
{
    int i = ip_index(t, key);
    assert_true(n <= IP_MAX_LIST);
    for (int k = 0; k < n; k++) {
        snprintf(t->list_text[i][k], sizeof t->list_text[i][k], "%s", items[k]);
        t->lists[i][k] = t->list_text[i][k];
    }
    t->hp[i].n = n;
    t->hp[i].strs = t->lists[i];
}

static inline void ip_open(ip_plugin *t, const char *name)
{
    char path[4096];
    memset(t, 0, sizeof *t);
    snprintf(path, sizeof path, "%s/plugins/data/%s.so", NN_BUILD_DIR, name);
    t->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!t->dl)
        fail_msg("dlopen %s: %s", path, dlerror());
    nn_plugin_entry entry = (nn_plugin_entry)dlsym(t->dl, NN_ENTRY_SYMBOL);
    assert_non_null(entry);
    t->p = entry();
    assert_int_equal(t->p->abi_version, NN_ABI_VERSION);
    assert_int_equal(t->p->kind, NN_KIND_DATA);
    assert_true(t->p->n_params <= IP_MAX_PARAMS);
    nn_err e;
    if (nn_decls_defaults(t->p->params, t->p->n_params, t->hp, t->defaults, &e) != NN_OK)
        fail_msg("defaults of %s: %s", name, e.msg);
}

static inline void ip_close(ip_plugin *t)
{
    for (int i = 0; i < t->p->n_params; i++)
        free(t->defaults[i]);
    dlclose(t->dl);
}

static inline void ip_set_int(ip_plugin *t, const char *key, long v)
{
    t->hp[ip_index(t, key)].i = v;
}

static inline void ip_set_str(ip_plugin *t, const char *key, const char *v)
{
    t->hp[ip_index(t, key)].s = v;
}

/* load() into *d (zeroed first; free with nn_data_free). */
static inline int ip_load(ip_plugin *t, const char *path_base, const char *cache_dir, int threads,
                   nn_data *d, nn_err *e)
{
    nn_data_ctx ctx = {path_base, "test", NULL, 0, threads, 1, cache_dir};
    memset(d, 0, sizeof *d);
    memset(e, 0, sizeof *e);
    return t->p->ops.data->load(t->hp, &ctx, d, e);
}

/* Fails unless load fails with code and a message containing needle. */
static inline void ip_expect_error(ip_plugin *t, const char *base, int code, const char *needle)
{
    nn_data d;
    nn_err e;
    int rc = ip_load(t, base, NULL, 1, &d, &e);
    nn_data_free(&d);
    printf("  expected error %d: %s\n", rc, e.msg);
    if (rc != code || !strstr(e.msg, needle))
        fail_msg("expected code %d with '%s', got %d: '%s'", code, needle, rc, e.msg);
}

/* ---- files and folders ---------------------------------------------------------------- */

static inline void ip_temp_dir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/nnlab_test_XXXXXX");
    assert_non_null(mkdtemp(out));
}

static inline void ip_rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[4096];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            ip_rm_rf(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* Number of entries of dir whose name ends in suffix ("" = all). */
static inline int ip_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name), s = strlen(suffix);
        if (e->d_name[0] != '.' && l >= s && strcmp(e->d_name + l - s, suffix) == 0)
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* Overwrites n bytes of <dir>/<name> at offset. */
static inline void ip_poke(const char *dir, const char *name, long offset, const void *bytes,
                           size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(bytes, 1, n, fp), n);
    fclose(fp);
}

/* ---- fixture: a plugin on a fresh temp folder ------------------------------------------ */

typedef struct ip_fixture {
    char dir[256];
    ip_plugin t;
} ip_fixture;

/* The plugin with path = a new temp folder, the three split sizes, no cache. */
static inline ip_fixture *ip_fixture_new(const char *plugin, long n_train, long n_val,
                                         long n_test)
{
    ip_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    ip_temp_dir(f->dir, sizeof f->dir);
    ip_open(&f->t, plugin);
    ip_set_str(&f->t, "path", f->dir);
    ip_set_int(&f->t, "num_training", n_train);
    ip_set_int(&f->t, "num_validation", n_val);
    ip_set_int(&f->t, "num_test", n_test);
    ip_set_int(&f->t, "cache", 0);
    return f;
}

/* cmocka teardown for a fixture in *state. */
static inline int ip_fixture_free(void **state)
{
    ip_fixture *f = *state;
    ip_close(&f->t);
    ip_rm_rf(f->dir);
    free(f);
    return 0;
}

static inline void ip_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

#endif
