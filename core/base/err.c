/* err.c: the caller-owned error buffer. */
#include <stdarg.h>
#include <stdio.h>

#include "nnlab/plugin.h"

int nn_err_set(nn_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
