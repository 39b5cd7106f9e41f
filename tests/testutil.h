/* testutil.h: shared helpers for the cmocka tests: reading the committed
 * reference records (files in tests/data, "name count v1 ... vn" per line),
 * comparing arrays with the largest difference reported, temp files. */
#ifndef NN_TESTUTIL_H
#define NN_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Reads record `name` from file into a malloc'd array; returns its length
 * (fails the test when missing). */
static inline size_t tu_record(const char *file, const char *name, double **out)
{
    FILE *f = fopen(file, "r");
    if (!f)
        fail_msg("cannot open reference file %s", file);
    char key[256];
    size_t n = 0;
    *out = NULL;
    while (fscanf(f, "%255s", key) == 1) {
        if (key[0] == '#') {
            int c;
            while ((c = fgetc(f)) != '\n' && c != EOF)
                ;
            continue;
        }
        if (fscanf(f, "%zu", &n) != 1)
            break;
        int want = strcmp(key, name) == 0;
        double *v = want ? malloc((n ? n : 1) * sizeof(double)) : NULL;
        for (size_t i = 0; i < n; i++) {
            double x;
            if (fscanf(f, "%lf", &x) != 1)
                fail_msg("%s: record %s truncated", file, key);
            if (v)
                v[i] = x;
        }
        if (want) {
            fclose(f);
            *out = v;
            return n;
        }
    }
    fclose(f);
    fail_msg("%s: no record '%s'", file, name);
    return 0;
}

/* Largest |a-b| / max(|b|, floor) over n; prints it with its index and label,
 * fails when above tol. */
static inline double tu_compare(const char *label, const double *a, const double *b, size_t n,
                                double tol, double floor_)
{
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]) / fmax(fabs(b[i]), floor_);
        if (!(d <= worst) || isnan(d)) {
            worst = isnan(d) ? INFINITY : d;
            at = i;
        }
    }
    printf("  %-40s n=%zu  max rel diff %.3e at [%zu] (got %.17g, want %.17g)\n", label, n, worst, at,
           n ? a[at] : 0.0, n ? b[at] : 0.0);
    if (!(worst <= tol))
        fail_msg("%s: max relative difference %.3e at index %zu exceeds %.1e", label, worst, at, tol);
    return worst;
}

/* Writes text to a fresh temp file whose path goes into path (size >= 64). */
static inline void tu_temp_file(char *path, const char *suffix, const char *text)
{
    snprintf(path, 128, "/tmp/nnlab_test_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0)
        fail_msg("mkstemps failed");
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n)
        fail_msg("write failed");
    close(fd);
}

static inline void tu_temp_dir(char *path)
{
    snprintf(path, 128, "/tmp/nnlab_test_XXXXXX");
    if (!mkdtemp(path))
        fail_msg("mkdtemp failed");
}

/* A uniform value in [-1, 1) from the xorshift64 generator whose state is *s
 * (a test's own, seeded as it likes: the same sequence on every machine). */
static inline double tu_uniform(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

#define TU_REF NN_TEST_DATA "/course_reference.txt"

#endif
