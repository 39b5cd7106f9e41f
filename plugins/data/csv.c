/* csv: the user's own data from delimited text files, one example per row.
 * Each x_* file holds the features and, when its y_* key is empty, the label
 * in column label_column (default: the last); when y_* is given, the x file
 * holds only features and the label is column label_column of the y file.
 * Labels are class numbers 0..K-1 (integral values such as 1 or 1.0), or
 * names: if any training label is not a number, every label is read as a
 * name and the names, sorted, become classes 0..K-1 (the class names of the
 * run). Blank lines and lines starting with '#' are skipped; fields may be
 * quoted with "..." and are trimmed of surrounding spaces. Numbers are
 * decimal: 0x10 is refused, not read as 16. */
#include "nnlab/plugin.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"

enum { P_LABEL_COLUMN = TABLE_CLASSES + 1, P_HEADER, P_DELIMITER };

static const nn_param_decl params[] = {
    TABLE_FILE_PARAMS("CSV file, relative to the experiment file"),
    {"label_column", NN_T_INT, -1, NULL, -1000000, 1000000, NULL,
     "column holding the label, 0-based; negative counts from the end (-1 = last)"},
    {"header", NN_T_BOOL, 0, NULL, 0, 1, NULL, "the first row of every file holds column names"},
    {"delimiter", NN_T_STRING, 0, "auto", 0, 0, "auto|comma|semicolon|tab|whitespace",
     "field separator; auto: per file, , or ; if the first data line has one, else whitespace "
     "(runs of spaces and tabs, np.savetxt's default)"},
};

#define MAX_NAMES NN_MAX_CLASSES

/* Per-load state: class names from the training labels (string labels). */
typedef struct names {
    int used;       /* labels are names */
    int n;
    char *name[MAX_NAMES];
    int splits_read; /* the first split read is the training split */
} names;

typedef struct text {
    char *buf;
    const char *file;
    char delim;     /* 0: whitespace */
    int header;
} text;

typedef struct row {
    char *field[4096];
    int n;
    long line;
} row;

static int read_file(const char *path, char **out, nn_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(b, 2 * cap + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b)
        return nn_err_set(err, NN_ENOMEM, "%s: out of memory", path);
    if (bad) {
        free(b);
        return nn_err_set(err, NN_EIO, "%s: read error", path);
    }
    b[n] = '\0';
    if (memchr(b, '\0', n))
        return free(b), nn_err_set(err, NN_EINPUT, "%s: binary file (a NUL byte), not CSV text", path);
    *out = b;
    return NN_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Splits the next data line of *pos into r (in place); 0 at the end, 1 for a
 * row, negative on error. */
static int next_row(const text *t, char **pos, long *line, row *r, nn_err *err)
{
    while (**pos) {
        char *s = *pos, *e = strchr(s, '\n');
        if (e)
            *e = '\0';
        *pos = e ? e + 1 : s + strlen(s);
        ++*line;
        char *p = trim(s);
        if (!*p || *p == '#')
            continue;
        r->n = 0;
        r->line = *line;
        while (p) {
            if (r->n == (int)(sizeof r->field / sizeof r->field[0]))
                return nn_err_set(err, NN_EINPUT, "%s:%ld: more than %d columns", t->file, *line, r->n);
            if (t->delim == 0)
                while (*p == ' ' || *p == '\t')
                    p++;
            char *f = p, *next = NULL;
            if (*p == '"') {
                char *q = strchr(p + 1, '"');
                if (!q)
                    return nn_err_set(err, NN_EINPUT, "%s:%ld: unterminated quote", t->file, *line);
                *q = '\0';
                f = p + 1;
                p = q + 1;
            }
            for (; *p; p++)
                if (t->delim ? *p == t->delim : (*p == ' ' || *p == '\t'))
                    break;
            if (*p) {
                *p = '\0';
                next = p + 1;
            }
            r->field[r->n++] = trim(f);
            p = next;
            if (t->delim == 0 && p && !*trim(p))
                p = NULL;
        }
        return 1;
    }
    return 0;
}

/* strtod reads 0x10 as 16 and 0x1p3 as 8: a csv field is decimal */
static int hexadecimal(const char *s)
{
    s += *s == '-' || *s == '+';
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

static int number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && end != s && *end == '\0' && !hexadecimal(s);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Training labels that are names: the sorted distinct names become classes. */
static int collect_names(names *nm, char **lab, size_t m, const char *file, nn_err *err)
{
    nm->used = 1;
    for (size_t i = 0; i < m; i++) {
        int k = 0;
        while (k < nm->n && strcmp(nm->name[k], lab[i]) != 0)
            k++;
        if (k < nm->n)
            continue;
        if (nm->n == MAX_NAMES)
            return nn_err_set(err, NN_EINPUT, "%s: more than %d distinct labels", file, MAX_NAMES);
        if (!(nm->name[nm->n++] = strdup(lab[i])))
            return nn_err_set(err, NN_ENOMEM, "out of memory");
    }
    qsort(nm->name, (size_t)nm->n, sizeof nm->name[0], cmp_str);
    return NN_OK;
}

/* Labels into class numbers (or raw values for the table library's check). */
static int labels(names *nm, int is_train, char **lab, size_t m, const long *lines, const char *file,
                  double *y, nn_err *err)
{
    int numeric = !nm->used;
    for (size_t i = 0; i < m && numeric; i++)
        numeric = number(lab[i], &y[i]);
    for (size_t i = 0; i < m && numeric; i++)
        if (!(y[i] >= 0 && y[i] < MAX_NAMES && y[i] == floor(y[i])))
            return nn_err_set(err, NN_EINPUT, "%s:%ld: label '%.60s' is not a class number (integers 0..%d)",
                              file, lines[i], lab[i], MAX_NAMES - 1);
    if (numeric)
        return NN_OK;
    if (!nm->used && !is_train) {
        for (size_t i = 0; i < m; i++)
            if (!number(lab[i], &y[i]))
                return nn_err_set(err, NN_EINPUT, "%s:%ld: label '%.60s' is not a number (the training labels are numbers)",
                                  file, lines[i], lab[i]);
    }
    if (!nm->used) {
        int rc = collect_names(nm, lab, m, file, err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < m; i++) {
        char *const *hit = bsearch(&lab[i], nm->name, (size_t)nm->n, sizeof nm->name[0], cmp_str);
        if (!hit)
            return nn_err_set(err, NN_EINPUT, "%s:%ld: label '%.60s' does not occur in the training labels",
                              file, lines[i], lab[i]);
        y[i] = (double)(hit - nm->name);
    }
    return NN_OK;
}

typedef struct parsed {
    double *X;      /* features, (m, d) */
    char **lab;     /* label fields (point into the text), or NULL */
    long *line;     /* source line of each row */
    size_t m;
    int d;
} parsed;

static void parsed_free(parsed *p)
{
    free(p->X);
    free(p->lab);
    free(p->line);
    memset(p, 0, sizeof *p);
}

/* Reads every row of a file; with want_label, column label_column is the
 * label and the others features, else all columns are features. */
static int parse(const nn_value *hp, text *t, int want_label, parsed *out, nn_err *err)
{
    memset(out, 0, sizeof *out);
    char *pos = t->buf;
    long line = 0, lc = hp[P_LABEL_COLUMN].i;
    row *r = malloc(sizeof *r);
    if (!r)
        return nn_err_set(err, NN_ENOMEM, "out of memory");
    int rc = NN_OK, got, cols = -1, label = -1;
    size_t cap = 0;
    if (t->header && (got = next_row(t, &pos, &line, r, err)) <= 0) {
        free(r);
        return got < 0 ? NN_EINPUT : nn_err_set(err, NN_EINPUT, "%s: empty file (header = true)", t->file);
    }
    if (t->header) { /* names such as 0,1,2 are fine; 0.25,1.5 is data */
        int all_num = 1, fraction = 0;
        for (int c = 0; c < r->n && all_num; c++) {
            double v;
            all_num = number(r->field[c], &v);
            fraction |= all_num && v != floor(v);
        }
        if (all_num && fraction) {
            free(r);
            return nn_err_set(err, NN_EINPUT, "%s:%ld: header = true, but this first row looks like data "
                              "(header applies to every file)", t->file, line);
        }
    }
    while (rc == NN_OK && (got = next_row(t, &pos, &line, r, err)) == 1) {
        if (cols < 0) {
            cols = r->n;
            if (want_label) {
                label = (int)(lc < 0 ? cols + lc : lc);
                if (label < 0 || label >= cols) {
                    rc = nn_err_set(err, NN_EINPUT, "%s:%ld: label_column %ld does not exist (%d columns)",
                                    t->file, r->line, lc, cols);
                    break;
                }
            }
            out->d = cols - (want_label ? 1 : 0); /* 0 for a label file */
        } else if (r->n != cols) {
            rc = nn_err_set(err, NN_EINPUT, "%s:%ld: %d columns, the first data row has %d", t->file,
                            r->line, r->n, cols);
            break;
        }
        if (out->m == cap) {
            cap = cap ? 2 * cap : 256;
            double *X = realloc(out->X, cap * (size_t)(out->d ? out->d : 1) * sizeof(double));
            char **lab = X ? realloc(out->lab, cap * sizeof(char *)) : NULL;
            long *ln = lab ? realloc(out->line, cap * sizeof(long)) : NULL;
            if (X)
                out->X = X;
            if (lab)
                out->lab = lab;
            if (ln)
                out->line = ln;
            if (!ln) {
                rc = nn_err_set(err, NN_ENOMEM, "%s: out of memory", t->file);
                break;
            }
        }
        int k = 0;
        for (int c = 0; c < cols && rc == NN_OK; c++) {
            if (c == label) {
                out->lab[out->m] = r->field[c];
                continue;
            }
            double *v = &out->X[out->m * (size_t)out->d + (size_t)k++];
            if (!number(r->field[c], v) || !isfinite(*v))
                rc = nn_err_set(err, NN_EINPUT, "%s:%ld: column %d: '%.40s%s' is not a %snumber", t->file,
                                r->line, c, r->field[c], strlen(r->field[c]) > 40 ? "..." : "",
                                number(r->field[c], v) ? "finite " : hexadecimal(r->field[c]) ? "decimal " : "");
        }
        out->line[out->m++] = r->line;
    }
    if (got < 0)
        rc = NN_EINPUT;
    free(r);
    if (rc)
        parsed_free(out);
    return rc;
}

/* The first of , ; in the first line that is not blank or a comment, else
 * whitespace (tabs included: a tab-separated file with empty fields needs
 * delimiter = "tab"). */
static char sniff(const char *b)
{
    for (const char *p = b; *p;) {
        const char *e = strchr(p, '\n'), *q = p;
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (q < p + n && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < p + n && *q != '#') {
            for (const char *d = ",;"; *d; d++)
                if (memchr(p, *d, n))
                    return *d;
            return 0;
        }
        p += n + (e != NULL);
    }
    return ',';
}

static int load_text(const char *path, const nn_value *hp, text *t, nn_err *err)
{
    static const char *const dn[] = {"comma", "semicolon", "tab", "whitespace"};
    static const char dc[] = {',', ';', '\t', 0};
    t->file = path;
    t->header = (int)hp[P_HEADER].i;
    int rc = read_file(path, &t->buf, err);
    if (rc)
        return rc;
    t->delim = sniff(t->buf);
    for (int i = 0; i < 4; i++)
        if (strcmp(hp[P_DELIMITER].s, dn[i]) == 0)
            t->delim = dc[i];
    return NN_OK;
}

/* One split; every buffer read or parsed here is freed here, whatever fails. */
static int read_split(const nn_value *hp, void *ud, table_split *tb, nn_err *err)
{
    names *nm = ud;
    int is_train = nm->splits_read++ == 0;
    text tx = {0}, ty = {0};
    parsed px, py;
    memset(&px, 0, sizeof px);
    memset(&py, 0, sizeof py);
    int sep = tb->yfile[0] != '\0';
    int rc = load_text(tb->xfile, hp, &tx, err);
    if (rc == NN_OK)
        rc = parse(hp, &tx, !sep, &px, err);
    if (rc == NN_OK && px.m == 0)
        rc = nn_err_set(err, NN_EINPUT, "%s: no data rows%s", tb->xfile,
                        hp[P_HEADER].i ? " after the header" : "");
    if (rc == NN_OK && px.d == 0 && !sep)
        rc = nn_err_set(err, NN_EINPUT, "%s: one column only, no features besides the label (delimiter \"%s\": is that right?)",
                        tb->xfile, hp[P_DELIMITER].s);
    if (rc == NN_OK && sep) {
        rc = load_text(tb->yfile, hp, &ty, err);
        if (rc == NN_OK)
            rc = parse(hp, &ty, 1, &py, err);
        if (rc == NN_OK && py.m != px.m)
            rc = nn_err_set(err, NN_EINPUT, "%s: %zu labels but %s has %zu rows", tb->yfile, py.m,
                            tb->xfile, px.m);
    }
    if (rc == NN_OK) {
        parsed *pl = sep ? &py : &px;
        tb->m = px.m;
        tb->d = px.d;
        tb->y = malloc((px.m ? px.m : 1) * sizeof(double));
        rc = tb->y ? labels(nm, is_train, pl->lab, pl->m, pl->line, sep ? tb->yfile : tb->xfile, tb->y, err)
                   : nn_err_set(err, NN_ENOMEM, "out of memory");
        tb->X = px.X; /* table_load frees X and y */
        px.X = NULL;
    }
    parsed_free(&px);
    parsed_free(&py);
    free(tx.buf);
    free(ty.buf);
    return rc;
}

static int load(const nn_value *hp, const nn_data_ctx *ctx, nn_data *out, nn_err *err)
{
    names nm;
    memset(&nm, 0, sizeof nm);
    const table_reader reader = {.read = read_split, .ud = &nm, .y_optional = 1};
    int rc = table_load(hp, ctx, &reader, out, err);
    if (rc == NN_OK && nm.used) {
        if (nm.n > out->n_classes)
            rc = nn_err_set(err, NN_EINPUT, "classes = %d but the labels have %d names", out->n_classes, nm.n);
        for (int k = 0; k < nm.n && rc == NN_OK; k++)
            rc = nn_data_set_class_name(out, k, nm.name[k]);
    }
    for (int k = 0; k < nm.n; k++)
        free(nm.name[k]);
    return rc;
}

static const nn_data_ops ops = {load};

static const nn_plugin desc = {
    NN_ABI_VERSION, sizeof(nn_real), NN_KIND_DATA, "csv",
    "the user's data from CSV/text files: features and a label column (numbers or class names)",
    NN_ARRAY_LEN(params), params, {.data = &ops}};

NN_PLUGIN(desc)
