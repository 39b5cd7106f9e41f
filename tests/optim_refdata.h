/* optim_refdata.h: reader of tests/data/optim_reference.txt (format described
 * in tests/gen_optim_reference.py) shared by test_optim_reference.c and
 * test_schedule.c, plus the relative comparison they use. Header-only: each
 * test program includes it once. */
#ifndef NN_OPTIM_REFDATA_H
#define NN_OPTIM_REFDATA_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NN_REF_FILE NN_TEST_DATA "/optim_reference.txt"
#define NN_REF_MAX_SET 16
#define NN_REF_MAX_RECS 256
#define NN_REF_TOL 1e-12

typedef struct nn_ref_set {
    char key[48], val[48];
} nn_ref_set;

/* One record. Arrays by kind:
 *   grads:  g (steps x n)            model: A (n x n), b (n)
 *   optim:  x0 (n), lr (steps), p (steps x n)
 *   sched:  it, ep, lr, metric (steps), scalar = base lr
 *   clipnorm / clipvalue: g, out (n), scalar = max_norm / clip, norm */
typedef struct nn_ref_rec {
    char kind[16], name[64], label[64], source[64];
    int steps, n, nset;
    nn_ref_set set[NN_REF_MAX_SET];
    double scalar, norm;
    double *g, *A, *b, *x0, *lr, *p, *metric, *out;
    long *it, *ep;
} nn_ref_rec;

typedef struct nn_ref {
    nn_ref_rec rec[NN_REF_MAX_RECS];
    int n;
} nn_ref;

/* |a - b| measured against max(1, |b|). */
static double nn_ref_rel(double a, double b)
{
    if (a == b)
        return 0;
    return fabs(a - b) / fmax(1.0, fabs(b));
}

typedef struct nn_ref_reader {
    FILE *f;
    char *line;
    size_t cap;
    char *save;
    int lineno;
} nn_ref_reader;

/* Next non-comment line; returns its first token or NULL at the end. */
static const char *nn_ref_next_line(nn_ref_reader *r)
{
    while (getline(&r->line, &r->cap, r->f) > 0) {
        r->lineno++;
        char *tok = strtok_r(r->line, " \t\r\n", &r->save);
        if (tok && tok[0] != '#')
            return tok;
    }
    return NULL;
}

static const char *nn_ref_tok(nn_ref_reader *r)
{
    const char *tok = strtok_r(NULL, " \t\r\n", &r->save);
    if (!tok) {
        fprintf(stderr, "%s:%d: line too short\n", NN_REF_FILE, r->lineno);
        exit(2);
    }
    return tok;
}

static double nn_ref_num(nn_ref_reader *r) { return strtod(nn_ref_tok(r), NULL); }

/* A line "word v1 .. vn" read into a new array of n doubles. */
static double *nn_ref_row(nn_ref_reader *r, const char *word, int n, double *dst)
{
    const char *tok = nn_ref_next_line(r);
    if (!tok || strcmp(tok, word) != 0) {
        fprintf(stderr, "%s:%d: expected '%s'\n", NN_REF_FILE, r->lineno, word);
        exit(2);
    }
    for (int i = 0; i < n; i++)
        dst[i] = nn_ref_num(r);
    return dst;
}

static double *nn_ref_alloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

static void nn_ref_read_sets(nn_ref_reader *r, nn_ref_rec *c)
{
    for (int k = 0; k < c->nset && k < NN_REF_MAX_SET; k++) {
        nn_ref_next_line(r);
        snprintf(c->set[k].key, sizeof c->set[k].key, "%s", nn_ref_tok(r));
        snprintf(c->set[k].val, sizeof c->set[k].val, "%s", nn_ref_tok(r));
    }
}

static void nn_ref_read_optim(nn_ref_reader *r, nn_ref_rec *c)
{
    snprintf(c->label, sizeof c->label, "%s", nn_ref_tok(r));
    snprintf(c->source, sizeof c->source, "%s", nn_ref_tok(r));
    c->steps = (int)nn_ref_num(r);
    c->n = (int)nn_ref_num(r);
    c->nset = (int)nn_ref_num(r);
    nn_ref_read_sets(r, c);
    c->x0 = nn_ref_row(r, "x0", c->n, nn_ref_alloc(c->n));
    c->lr = nn_ref_alloc(c->steps);
    c->p = nn_ref_alloc((size_t)c->steps * c->n);
    for (int k = 0; k < c->steps; k++) {
        nn_ref_row(r, "step", 1, &c->lr[k]);
        for (int i = 0; i < c->n; i++)
            c->p[(size_t)k * c->n + i] = nn_ref_num(r);
    }
}

static void nn_ref_read_sched(nn_ref_reader *r, nn_ref_rec *c)
{
    memcpy(c->label, c->name, sizeof c->label);
    c->steps = (int)nn_ref_num(r);
    c->nset = (int)nn_ref_num(r);
    c->scalar = nn_ref_num(r);
    nn_ref_read_sets(r, c);
    c->it = calloc((size_t)c->steps + 1, sizeof(long));
    c->ep = calloc((size_t)c->steps + 1, sizeof(long));
    c->lr = nn_ref_alloc(c->steps);
    c->metric = nn_ref_alloc(c->steps);
    for (int k = 0; k < c->steps; k++) {
        double v[2];
        nn_ref_row(r, "at", 2, v);
        c->it[k] = (long)v[0];
        c->ep[k] = (long)v[1];
        c->lr[k] = nn_ref_num(r);
        c->metric[k] = nn_ref_num(r);
    }
}

static void nn_ref_read_clip(nn_ref_reader *r, nn_ref_rec *c)
{
    memcpy(c->label, c->name, sizeof c->label);
    c->n = (int)nn_ref_num(r);
    c->scalar = nn_ref_num(r);
    c->g = nn_ref_row(r, "g", c->n, nn_ref_alloc(c->n));
    if (strcmp(c->kind, "clipnorm") == 0)
        nn_ref_row(r, "norm", 1, &c->norm);
    c->out = nn_ref_row(r, "out", c->n, nn_ref_alloc(c->n));
}

static void nn_ref_read_arrays(nn_ref_reader *r, nn_ref_rec *c)
{
    if (strcmp(c->kind, "grads") == 0) {
        c->steps = (int)nn_ref_num(r);
        c->n = (int)nn_ref_num(r);
        c->g = nn_ref_alloc((size_t)c->steps * c->n);
        for (int k = 0; k < c->steps; k++)
            nn_ref_row(r, "g", c->n, c->g + (size_t)k * c->n);
        return;
    }
    c->n = (int)nn_ref_num(r); /* model */
    c->A = nn_ref_alloc((size_t)c->n * c->n);
    for (int k = 0; k < c->n; k++)
        nn_ref_row(r, "A", c->n, c->A + (size_t)k * c->n);
    c->b = nn_ref_row(r, "b", c->n, nn_ref_alloc(c->n));
}

/* Reads every record; exits with a message on a malformed file. */
static void nn_ref_load(nn_ref *ref)
{
    nn_ref_reader r = {fopen(NN_REF_FILE, "r"), NULL, 0, NULL, 0};
    if (!r.f) {
        perror(NN_REF_FILE);
        exit(2);
    }
    memset(ref, 0, sizeof *ref);
    const char *kind;
    while ((kind = nn_ref_next_line(&r)) && ref->n < NN_REF_MAX_RECS) {
        if (strcmp(kind, "end") == 0)
            continue;
        nn_ref_rec *c = &ref->rec[ref->n++];
        snprintf(c->kind, sizeof c->kind, "%s", kind);
        snprintf(c->name, sizeof c->name, "%s", nn_ref_tok(&r));
        if (strcmp(kind, "optim") == 0)
            nn_ref_read_optim(&r, c);
        else if (strcmp(kind, "sched") == 0)
            nn_ref_read_sched(&r, c);
        else if (strncmp(kind, "clip", 4) == 0)
            nn_ref_read_clip(&r, c);
        else
            nn_ref_read_arrays(&r, c);
    }
    free(r.line);
    fclose(r.f);
}

/* The record of this kind and name, or NULL. */
static inline const nn_ref_rec *nn_ref_find(const nn_ref *ref, const char *kind, const char *name)
{
    for (int k = 0; k < ref->n; k++)
        if (strcmp(ref->rec[k].kind, kind) == 0 && strcmp(ref->rec[k].name, name) == 0)
            return &ref->rec[k];
    return NULL;
}

/* Index of value v among choices "a|b|c" (NN_T_ENUM), written into *out;
 * -1 when v is not one of them. */
static int nn_ref_choice(const char *choices, const char *v, long *out)
{
    long k = 0;
    size_t n = strlen(v);
    for (const char *p = choices; p && *p; k++) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) {
            *out = k;
            return 0;
        }
        p = e ? e + 1 : p + len;
    }
    return -1;
}

/* Resolved values for decls: the defaults, then the record's "set" lines.
 * Returns the number of keys that are not declared (0 when all are). */
static int nn_ref_values(const nn_param_decl *decl, int n, const nn_ref_rec *c, nn_value *hp)
{
    int unknown = 0;
    for (int k = 0; k < n; k++) {
        memset(&hp[k], 0, sizeof hp[k]);
        hp[k].r = (nn_real)decl[k].def;
        hp[k].i = (long)decl[k].def;
        hp[k].s = decl[k].def_str;
    }
    for (int j = 0; j < c->nset; j++) {
        int k = 0;
        while (k < n && strcmp(decl[k].name, c->set[j].key) != 0)
            k++;
        if (k == n) {
            fprintf(stderr, "%s %s: unknown key %s\n", c->name, c->label, c->set[j].key);
            unknown++;
            continue;
        }
        hp[k].r = (nn_real)strtod(c->set[j].val, NULL);
        hp[k].i = strtol(c->set[j].val, NULL, 10);
        hp[k].s = c->set[j].val;
        if (decl[k].type == NN_T_ENUM && nn_ref_choice(decl[k].choices, c->set[j].val, &hp[k].i) != 0) {
            fprintf(stderr, "%s %s: %s = %s is not one of %s\n", c->name, c->label,
                    c->set[j].key, c->set[j].val, decl[k].choices);
            unknown++;
        }
    }
    return unknown;
}

#endif
