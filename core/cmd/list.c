/* list.c: `nnlab list [KIND]`: every plugin found, with its doc and
 * hyperparameters (type, default, range, doc). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "decls.h"
#include "family.h"
#include "registry.h"

static const char *type_name(nn_type t)
{
    static const char *const n[] = {"?", "real", "int", "bool", "string", "int list", "real list", "string list",
                                    "choice"};
    return (t >= NN_T_REAL && t <= NN_T_ENUM) ? n[t] : "?";
}

static void print_param(const nn_param_decl *p)
{
    char def[128], range[128] = "";
    if (p->type == NN_T_REAL || p->type == NN_T_INT)
        snprintf(def, sizeof def, "%.10g", p->def);
    else if (p->type == NN_T_BOOL)
        snprintf(def, sizeof def, "%s", p->def ? "true" : "false");
    else if (p->type == NN_T_STRING)
        snprintf(def, sizeof def, "\"%s\"", p->def_str);
    else if (p->type == NN_T_ENUM) {
        char name[100] = "?";
        nn_enum_default(p, name, sizeof name);
        snprintf(def, sizeof def, "\"%s\"", name);
    }
    else
        snprintf(def, sizeof def, "%s", p->def_str ? p->def_str : "[]");
    if (p->type == NN_T_REAL || p->type == NN_T_INT || p->type == NN_T_INTLIST || p->type == NN_T_REALLIST)
        snprintf(range, sizeof range, "[%g, %g]", p->min, p->max);
    else if (p->choices)
        snprintf(range, sizeof range, "%s", p->choices);
    printf("    %-20s %-11s default %-12s %-22s %s\n", p->name, type_name(p->type), def, range, p->doc);
}

typedef struct {
    const nn_registry *reg;
    int n;
} list_ctx;

static void show(void *ud, nn_kind kind, const char *name, const char *path)
{
    list_ctx *c = ud;
    nn_handle h;
    nn_err err;
    if (nn_plugin_open(c->reg, path, kind, &h, &err) != NN_OK) {
        printf("%-6s %-16s BROKEN: %s\n", nn_kind_name(kind), name, err.msg);
        return;
    }
    const nn_plugin *p = h.desc;
    printf("%-6s %-16s %s\n", nn_kind_name(kind), p->name, p->doc);
    if (kind == NN_KIND_OPTIM) {
        const nn_optim_ops *o = &h.optim;
        char fam[128];
        printf("    (family: %s; state slots per tensor: %d%s%s)\n",
               nn_optim_family_names(nn_optim_families(o), fam, sizeof fam), o->n_slots,
               o->n_scalars ? ", global scalars" : "",
               (o->flags & NN_OPTIM_DECOUPLED_DECAY) ? ", decoupled weight decay" : "");
    }
    for (int i = 0; i < p->n_params; i++)
        print_param(&p->params[i]);
    c->n++;
    nn_plugin_close(&h);
}

int nn_cmd_list(int argc, char **argv)
{
    const char *extra = NULL;
    nn_kind kind = 0;
    for (int i = 1; i < argc; i++) {
        if (nn_opt_plugin_path(argc, argv, &i, &extra))
            continue;
        if (nn_kind_parse(argv[i], &kind) != 0) {
            fprintf(stderr, "nnlab list: unknown kind '%s' (init, optim, reg, data)\n", argv[i]);
            return 2;
        }
    }
    if (nn_check_plugin_path("list", extra))
        return 2;
    nn_registry reg;
    nn_registry_init(&reg, extra);
    list_ctx c = {&reg, 0};
    nn_registry_scan(&reg, kind, show, &c);
    if (c.n == 0) {
        fprintf(stderr, "nnlab list: no plugins found; search path:");
        for (int i = 0; i < reg.n_dirs; i++)
            fprintf(stderr, " %s", reg.dirs[i]);
        fprintf(stderr, "\n");
    }
    nn_registry_free(&reg);
    return c.n ? 0 : 1;
}
