/* family.c: optimizer families from declared flags and ops (family.h). */
#include "family.h"

#include <stdio.h>

unsigned nn_optim_families(const nn_optim_ops *o)
{
    unsigned f = 0;
    if (o->flags & NN_OPTIM_PER_TENSOR)
        f |= NN_FAMILY_PER_TENSOR;
    if (o->flags & NN_OPTIM_MATRIX)
        f |= NN_FAMILY_MATRIX;
    if (!(f & (NN_FAMILY_PER_TENSOR | NN_FAMILY_MATRIX)) && !o->model_step)
        f |= NN_FAMILY_ELEMENTWISE;
    if (o->n_scalars > 0)
        f |= NN_FAMILY_GLOBAL;
    if (o->eval_point)
        f |= NN_FAMILY_EVAL_POINT;
    if (o->model_step)
        f |= NN_FAMILY_REEVAL;
    return f;
}

const char *nn_optim_family_names(unsigned families, char *buf, size_t n)
{
    static const char *const names[] = {
#define NN_FAMILY_NAME(e, s) s,
        NN_OPTIM_FAMILIES(NN_FAMILY_NAME)
#undef NN_FAMILY_NAME
    };
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < NN_FAMILY_COUNT; k++)
        if (families & (1u << k))
            len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? ", " : "",
                                    names[k]);
    return buf;
}
