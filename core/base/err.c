/* err.c: the caller-owned error buffer, and the names, messages and exit
 * statuses of the error codes (one table: NN_ERRNO_MAP in nnlab/plugin.h). */
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

typedef struct nn_errno_row {
    int code, status;
    const char *name, *msg;
} nn_errno_row;

#define NN_ERRNO_ROW(name, value, status, msg) {value, status, #name, msg},
static const nn_errno_row errno_rows[] = {NN_ERRNO_MAP(NN_ERRNO_ROW)};
#undef NN_ERRNO_ROW

static const nn_errno_row *find(int code)
{
    for (size_t i = 0; i < sizeof errno_rows / sizeof errno_rows[0]; i++)
        if (errno_rows[i].code == code)
            return &errno_rows[i];
    return NULL;
}

const char *nn_strerror(int code)
{
    const nn_errno_row *r = find(code);
    return r ? r->msg : "unknown error";
}

const char *nn_err_name(int code)
{
    const nn_errno_row *r = find(code);
    return r ? r->name : "NN_UNKNOWN";
}

int nn_exit_status(int code)
{
    const nn_errno_row *r = find(code);
    return r ? r->status : 1;
}
