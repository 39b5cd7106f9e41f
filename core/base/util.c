/* util.c: paths, file tests, edit distance, relative difference. */
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *nn_path_join(const char *dir, const char *name)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

int nn_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int nn_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1 << 20;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int sub = prev + (a[i - 1] != b[j - 1]);
            int del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

double nn_rel_diff(double diff2, double a2, double b2)
{
    if (isnan(diff2) || isnan(a2) || isnan(b2))
        return NAN;
    double den = sqrt(a2) + sqrt(b2);
    if (den > 0)
        return sqrt(diff2) / den;
    return diff2 > 0 ? INFINITY : 0.0;
}
