/* new.c: `nnlab new KIND NAME [-o FILE] [--force]`: writes a commented
 * starting file for a plugin of that kind (init, optim, reg, data) that builds
 * and passes `nnlab check` as generated. The templates are the files
 * core/cmd/templates/KIND.c; "@NAME@" in them becomes NAME. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "nnlab/io.h"
#include "registry.h"

/* The templates: core/cmd/templates/KIND.c, embedded at build time. */
#include "template_data.h"
#include "template_init.h"
#include "template_optim.h"
#include "template_reg.h"

static const char usage_text[] = "usage: nnlab new KIND NAME [-o FILE] [--force]\n"
                                 "  KIND: init, optim, reg or data; NAME: [a-z0-9_]+ (the plugin's name)\n"
                                 "  writes NAME.c (or FILE); --force overwrites an existing file\n";

static int write_template(FILE *f, const char *tpl, const char *name)
{
    for (const char *p = tpl; *p;) {
        const char *at = strstr(p, "@NAME@");
        size_t n = at ? (size_t)(at - p) : strlen(p);
        if (fwrite(p, 1, n, f) != n)
            return -1;
        if (!at)
            break;
        fputs(name, f);
        p = at + 6;
    }
    return ferror(f) ? -1 : 0;
}

int nn_cmd_new(int argc, char **argv)
{
    const char *kind_s = NULL, *name = NULL, *out = NULL;
    int force = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (argv[i][0] != '-' && !kind_s)
            kind_s = argv[i];
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else {
            fprintf(stderr, "nnlab new: unexpected argument '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    nn_kind kind;
    if (!kind_s || !name) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (nn_kind_parse(kind_s, &kind) != 0) {
        fprintf(stderr, "nnlab new: unknown kind '%s' (init, optim, reg, data)\n", kind_s);
        return 2;
    }
    if (!nn_name_valid(name)) {
        fprintf(stderr, "nnlab new: invalid plugin name '%s': names are [a-z0-9_]+, at most 64 characters\n", name);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", out ? out : name);
    if (!out)
        strncat(path, ".c", sizeof path - strlen(path) - 1);
    struct stat st;
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "nnlab new: %s exists (use --force to overwrite)\n", path);
        return 2;
    }
    const char *tpl = kind == NN_KIND_INIT ? nn_template_init : kind == NN_KIND_OPTIM ? nn_template_optim
                    : kind == NN_KIND_REG ? nn_template_reg : nn_template_data;
    nn_atomic a;
    nn_err err;
    int rc = nn_atomic_open(&a, path, &err);
    if (rc == NN_OK && write_template(a.f, tpl, name) != 0) {
        nn_atomic_abort(&a);
        rc = nn_err_set(&err, NN_EIO, "%s: write failed", path);
    } else if (rc == NN_OK) {
        rc = nn_atomic_commit(&a, &err);
    }
    if (rc) {
        fprintf(stderr, "nnlab new: %s\n", err.msg);
        return 2;
    }
    printf("wrote %s: a %s plugin named '%s'\n"
           "build: cc -shared -fPIC $(pkg-config --cflags --libs nnlab) %s -o %s.so\n"
           "check: nnlab check ./%s.so\n"
           "use:   put %s.so in a folder on NNLAB_PLUGIN_PATH (or pass --plugin-path DIR)\n",
           path, nn_kind_name(kind), name, path, name, name, name);
    return 0;
}
