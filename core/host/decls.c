/* decls.c: checking a table of parameter declarations (a plugin's or the
 * core's own) before any value is read against it. */
#include "decls.h"

#include <math.h>
#include <string.h>


int nn_choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p && *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

int nn_decls_validate(const nn_param_decl *d, int n, nn_err *err)
{
    for (int i = 0; i < n; i++) {
        const nn_param_decl *p = &d[i];
        if (!p->name || !nn_name_valid(p->name))
            return nn_err_set(err, NN_EPLUGIN, "parameter %d has an invalid name", i);
        for (int j = 0; j < i; j++)
            if (strcmp(d[j].name, p->name) == 0)
                return nn_err_set(err, NN_EPLUGIN, "parameter '%s' declared twice", p->name);
        if (strcmp(p->name, "plugin") == 0 || strcmp(p->name, "seed") == 0)
            return nn_err_set(err, NN_EPLUGIN, "parameter name '%s' is reserved", p->name);
        if (!p->doc || !p->doc[0])
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s' has no doc", p->name);
        if (p->type < NN_T_REAL || p->type > NN_T_STRLIST)
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s' has an unknown type", p->name);
        int numeric = p->type == NN_T_REAL || p->type == NN_T_INT || p->type == NN_T_BOOL;
        if (numeric && !(p->min <= p->def && p->def <= p->max))
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': default %g outside [%g, %g]",
                              p->name, p->def, p->min, p->max);
        if (p->type == NN_T_INT && p->def != floor(p->def))
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': integer default %g", p->name, p->def);
        if (p->type == NN_T_BOOL && p->def != 0 && p->def != 1)
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': boolean default %g", p->name, p->def);
        if (p->type == NN_T_STRING && !p->def_str)
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': string without default", p->name);
        if (p->type == NN_T_STRING && p->choices && !nn_choice_ok(p->choices, p->def_str))
            return nn_err_set(err, NN_EPLUGIN, "parameter '%s': default '%s' not among %s",
                              p->name, p->def_str, p->choices);
    }
    return NN_OK;
}

int nn_name_valid(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return n > 0 && n <= 64;
}
