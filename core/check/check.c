/* check.c: plugin conformance suites and the whole-model gradient check
 * (see check.h for the list of checks and the neutral-setting rule). */
#define _GNU_SOURCE /* dladdr */
#include "check.h"

#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "experiment.h"
#include "data.h"
#include "gradcheck.h"
#include "model.h"
#include "run.h"
#include "util.h"

enum { PASS, FAIL, SKIP };

static void report(nn_checker *c, int st, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(nn_checker *c, int st, const char *what, const char *fmt, ...)
{
    static const char *const tag[] = {"PASS", "FAIL", "SKIP"};
    char msg[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(c->out, "%s %s  %s: %s\n", tag[st], c->who, what, msg);
    fflush(c->out);
    if (st == PASS)
        c->pass++;
    else if (st == FAIL)
        c->fail++;
    else
        c->skip++;
}

void nn_checker_init(nn_checker *c, const nn_registry *reg, FILE *out)
{
    memset(c, 0, sizeof *c);
    c->reg = reg;
    c->out = out;
}

/* ---- small helpers ------------------------------------------------------------ */

static int same(const nn_real *a, const nn_real *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Bit-identical and finite (NaN compares equal bit for bit). */
static int same_finite(const nn_real *a, const nn_real *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return same(a, b, n);
}

static void randn_fill(nn_rng *r, nn_real *v, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        v[i] = scale * nn_rng_randn(r);
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p) {
        fprintf(stderr, "nnlab check: out of memory\n");
        exit(1);
    }
    return p;
}

/* A number as a libconfig literal (floats keep a '.' or an exponent). */
static void literal(char *buf, size_t n, double v, nn_type t)
{
    if (t == NN_T_INT) {
        snprintf(buf, n, "%.0f%s", v, fabs(v) > 2147483647.0 ? "L" : "");
        return;
    }
    snprintf(buf, n, "%.17g", v);
    if (!strpbrk(buf, ".eEn"))
        strncat(buf, ".0", n - strlen(buf) - 1);
}

/* Relative difference of two gradients, accumulated element by element. */
typedef struct diffacc {
    double d2, a2, b2, worst;
    char where[64];
    double wa, wb;
} diffacc;

static void diff_add(diffacc *d, double an, double num, const char *label, int row, int col)
{
    double e = an - num;
    d->d2 += e * e;
    d->a2 += an * an;
    d->b2 += num * num;
    if (fabs(e) > d->worst || isnan(e)) {
        d->worst = isnan(e) ? INFINITY : fabs(e);
        snprintf(d->where, sizeof d->where, "%s[%d,%d]", label, row, col);
        d->wa = an;
        d->wb = num;
    }
}

static double diff_value(const diffacc *d)
{
    double den = sqrt(d->a2) + sqrt(d->b2);
    if (isnan(d->d2))
        return NAN;
    return den > 0 ? sqrt(d->d2) / den : (d->d2 > 0 ? INFINITY : 0);
}

/* ---- parameter blocks through the real config reader ---------------------------- */

typedef struct pblock {
    nn_experiment x;
    nn_section s;
} pblock;

static void pblock_free(pblock *b)
{
    if (!b)
        return;
    for (int i = 0; i < NN_MAX_PARAMS; i++)
        free(b->s.lists[i]);
    config_destroy(&b->x.cfg);
    free(b);
}

/* Reads `<kind> = { plugin = "<name>"; <body> };` from memory with the
 * reader experiments use. NULL with the reader's message on refusal. */
static pblock *pblock_read(const nn_plugin *p, const char *body, nn_err *err)
{
    pblock *b = xcalloc(1, sizeof *b);
    config_init(&b->x.cfg);
    config_set_auto_convert(&b->x.cfg, 0);
    snprintf(b->x.file, sizeof b->x.file, "nnlab check");
    const char *kind = nn_kind_name(p->kind);
    char text[8192];
    snprintf(text, sizeof text, "%s = { plugin = \"%s\"; %s };\n", kind, p->name, body ? body : "");
    if (config_read_string(&b->x.cfg, text) != CONFIG_TRUE) {
        nn_err_set(err, NN_EINTERNAL, "cannot parse the test block '%s': %s", text,
                   config_error_text(&b->x.cfg));
        pblock_free(b);
        return NULL;
    }
    b->s.setting = config_lookup(&b->x.cfg, kind);
    snprintf(b->s.path, sizeof b->s.path, "%s", kind);
    b->s.plugin.desc = p;
    if (nn_section_read_plugin_params(&b->s, &b->x, err) != NN_OK) {
        pblock_free(b);
        return NULL;
    }
    return b;
}

static void body_add(char *body, size_t n, const char *name, const char *lit)
{
    size_t len = strlen(body);
    snprintf(body + len, n - len, "%s = %s; ", name, lit);
}

static int is_numeric(nn_type t) { return t == NN_T_REAL || t == NN_T_INT; }

/* Regularizer neutral value of a REAL range (check.h). */
static double neutral_of(const nn_param_decl *d) { return d->min <= 0 && 0 <= d->max ? 0 : d->max; }

/* A value other than the default, inside the range (NAN when none). */
static double varied_of(const nn_param_decl *d)
{
    double v;
    if (d->type == NN_T_INT)
        v = d->def + 1 <= d->max ? d->def + 1 : d->def - 1;
    else if (d->def != 0)
        v = d->def * 0.5;
    else
        v = fmin(0.1, d->min + 0.5 * (d->max - d->min));
    if (v < d->min || v > d->max || v == d->def)
        v = d->min + 0.5 * (d->max - d->min);
    return (v >= d->min && v <= d->max && v != d->def) ? v : NAN;
}

/* Number of elements of a list default such as "[0.8, 0.9]". */
static int list_len(const char *def)
{
    if (!def || !strchr(def, '[') || !strpbrk(def, "0123456789"))
        return 0;
    int n = 1;
    for (const char *p = def; *p; p++)
        n += *p == ',';
    return n;
}

/* neutral = 1: the neutral setting; 0: the active one (defaults, but a
 * default that is already neutral is moved off it). Lists the settings in
 * desc. Returns how many REAL values it set. */
static int reg_body(const nn_plugin *p, int neutral, char *body, size_t n, char *desc, size_t dn)
{
    int count = 0;
    body[0] = desc[0] = '\0';
    for (int i = 0; i < p->n_params; i++) {
        const nn_param_decl *d = &p->params[i];
        char lit[64], one[64];
        double nv = neutral_of(d);
        if (d->type == NN_T_REAL) {
            double v = nv;
            if (!neutral) {
                if (d->def != nv)
                    continue;
                v = nv == 0 ? fmin(0.1, d->max) : d->min + 0.8 * (d->max - d->min);
            }
            literal(lit, sizeof lit, v, NN_T_REAL);
            body_add(body, n, d->name, lit);
            snprintf(one, sizeof one, "%s%s = %g", count ? ", " : "", d->name, v);
            strncat(desc, one, dn - strlen(desc) - 1);
            count++;
        } else if (d->type == NN_T_REALLIST && neutral && list_len(d->def_str) > 0) {
            char list[512] = "[";
            literal(lit, sizeof lit, nv, NN_T_REAL);
            for (int k = 0; k < list_len(d->def_str); k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, lit, sizeof list - strlen(list) - 1);
            }
            strncat(list, "]", sizeof list - strlen(list) - 1);
            body_add(body, n, d->name, list);
            snprintf(one, sizeof one, "%s%s = [%g, ...]", count ? ", " : "", d->name, nv);
            strncat(desc, one, dn - strlen(desc) - 1);
            count++;
        }
    }
    return count;
}

/* ---- every kind: descriptor, config, independent blocks ------------------------ */

/* 1: ptr lies in a read-only mapping; 0: writable (why says so); -1: unknown. */
static int read_only(const void *ptr, char *why, size_t n)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    uintptr_t a = (uintptr_t)ptr;
    char line[4608];
    int res = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || a < lo || a >= hi)
            continue;
        res = perms[1] != 'w';
        if (!res)
            snprintf(why, n, "in writable memory");
        break;
    }
    fclose(f);
    return res;
}

static const char *base_name(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    snprintf(out, n, "%s", b ? b + 1 : path);
    size_t len = strlen(out);
    if (len > 3 && strcmp(out + len - 3, ".so") == 0)
        out[len - 3] = '\0';
    return out;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void check_descriptor(nn_checker *c, const nn_handle *h)
{
    const nn_plugin *p = h->desc;
    char problems[1024] = "", base[80], why[128];
    base_name(h->path, base, sizeof base);
    if (strcmp(base, p->name) != 0)
        snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                 "; declares the name '%s' but its file is %s.so", p->name, base);
    nn_plugin_entry entry;
    *(void **)&entry = dlsym(h->dl, NN_ENTRY_SYMBOL);
    if (entry && entry() != p)
        snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                 "; %s() returns a different descriptor on each call (return static data)", NN_ENTRY_SYMBOL);
    const void *ptrs[3] = {p, p->params, (const void *)p->ops.init};
    const char *labels[3] = {"descriptor", "parameter table", "operations table"};
    int unknown = 0;
    for (int i = 0; i < 3; i++) {
        if (!ptrs[i] || (i == 1 && p->n_params == 0))
            continue;
        Dl_info info;
        if (!dladdr(ptrs[i], &info) || !info.dli_fname || !same_file(info.dli_fname, h->path)) {
            snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                     "; the %s is not static data of %s.so", labels[i], base);
            continue;
        }
        int ro = read_only(ptrs[i], why, sizeof why);
        unknown |= ro < 0;
        if (ro == 0)
            snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                     "; the %s is %s (declare it static const)", labels[i], why);
    }
    if (problems[0])
        report(c, FAIL, "descriptor", "%s", problems + 2);
    else
        report(c, PASS, "descriptor", "ABI %d, %d-byte reals, name matches the file, doc, %d parameters with defaults in range, %s",
               p->abi_version, p->real_size, p->n_params,
               unknown ? "static data of the plugin file" : "read-only static data of the plugin file");
}

static void check_config(nn_checker *c, const nn_plugin *p)
{
    nn_err e = {{0}};
    pblock *b = pblock_read(p, "", &e);
    if (b)
        report(c, PASS, "config accepts the defaults", "%d parameters resolved through the experiment reader", p->n_params);
    else
        report(c, FAIL, "config accepts the defaults", "%s", e.msg);
    pblock_free(b);
    b = pblock_read(p, "no_such_parameter = 1;", &e);
    int ok = !b && strstr(e.msg, "no_such_parameter") && strstr(e.msg, "unknown key");
    report(c, ok ? PASS : FAIL, "config refuses an unknown key", "%s",
           b ? "no_such_parameter = 1 was accepted" : e.msg);
    pblock_free(b);
    for (int i = 0; i < p->n_params; i++) {
        const nn_param_decl *d = &p->params[i];
        if (!is_numeric(d->type) && d->type != NN_T_INTLIST && d->type != NN_T_REALLIST)
            continue;
        double v;
        if (d->max < 1e300 && d->max < 9e18)
            v = d->max + fmax(1, fabs(d->max));
        else if (d->min > -1e300 && d->min > -9e18)
            v = d->min - fmax(1, fabs(d->min));
        else
            continue;
        nn_type t = d->type == NN_T_INTLIST ? NN_T_INT : d->type == NN_T_REALLIST ? NN_T_REAL : d->type;
        char lit[80], list[96], body[256];
        literal(lit, sizeof lit, v, t);
        if (t != d->type)
            snprintf(list, sizeof list, "[%s]", lit);
        else
            snprintf(list, sizeof list, "%s", lit);
        body[0] = '\0';
        body_add(body, sizeof body, d->name, list);
        b = pblock_read(p, body, &e);
        ok = !b && strstr(e.msg, d->name) && strstr(e.msg, "outside the allowed range");
        report(c, ok ? PASS : FAIL, "config refuses an out-of-range value", "%s",
               b ? "the value was accepted" : e.msg);
        pblock_free(b);
        return;
    }
    report(c, SKIP, "config refuses an out-of-range value", "no bounded numeric parameter");
}

/* A kind's fingerprint of what a parameter block does (fixed inputs). */
#define SIG_CAP 512
typedef size_t (*sig_fn)(const nn_plugin *p, const nn_value *hp, nn_real *out);

static size_t init_sig(const nn_plugin *p, const nn_value *hp, nn_real *out)
{
    nn_rng r;
    nn_rng_seed(&r, 42);
    p->ops.init->fill(hp, &r, out, out + 35, 7, 5);
    return 40;
}

static size_t optim_sig(const nn_plugin *p, const nn_value *hp, nn_real *out)
{
    enum { N = 6 };
    const nn_optim_ops *o = p->ops.optim;
    nn_real g[N], *slots = xcalloc((size_t)o->n_slots * N + 1, sizeof(nn_real)), *sp[8];
    for (int k = 0; k < o->n_slots; k++)
        sp[k] = slots + k * N;
    nn_rng r;
    nn_rng_seed(&r, 3);
    randn_fill(&r, out, N, 1);
    for (long t = 1; t <= 3; t++) {
        randn_fill(&r, g, N, 1);
        nn_optim_step s = {out, g, sp, N, t, hp[0].r, 0};
        o->step(hp, &s);
    }
    memcpy(out + N, slots, (size_t)o->n_slots * N * sizeof(nn_real));
    free(slots);
    return N + (size_t)o->n_slots * N;
}

static size_t reg_sig(const nn_plugin *p, const nn_value *hp, nn_real *out)
{
    const nn_reg_ops *o = p->ops.reg;
    nn_rng r;
    nn_rng_seed(&r, 5);
    size_t k = 0;
    if (o->penalty) {
        nn_real w[24], g[24] = {0};
        randn_fill(&r, w, 24, 1);
        nn_reg_tensor t = {w, g, 6, 4, 10, 0, 0};
        out[k++] = o->penalty(hp, &t);
        memcpy(out + k, g, sizeof g);
        k += 24;
    }
    if (o->act_forward) {
        nn_real mask[20];
        nn_rng s;
        nn_rng_seed(&s, 9);
        randn_fill(&r, out + k, 20, 1);
        if (o->begin_pass)
            o->begin_pass(hp, &s);
        nn_reg_act a = {out + k, mask, 5, 4, 0, 2, &s};
        o->act_forward(hp, &a);
        k += 20;
        randn_fill(&r, out + k, 20, 1);
        a.a = out + k;
        o->act_backward(hp, &a);
        k += 20;
    }
    if (o->constrain) {
        randn_fill(&r, out + k, 20, 1);
        o->constrain(hp, out + k, 5, 4);
        k += 20;
    }
    return k;
}

static void check_independent(nn_checker *c, const nn_plugin *p, sig_fn sig)
{
    nn_err e;
    pblock *A = pblock_read(p, "", &e), *B = NULL;
    if (!A)
        return; /* reported by check_config */
    nn_real *sa = xcalloc(SIG_CAP, sizeof(nn_real)), *sb = xcalloc(SIG_CAP, sizeof(nn_real));
    nn_real *t = xcalloc(SIG_CAP, sizeof(nn_real));
    size_t na = sig(p, A->s.values, sa), nb = 0;
    int eligible = 0, found = -1;
    char names[512] = "", lit[64] = "";
    double v = 0;
    /* optimizers: lr last (the core passes the scheduled rate in the step) */
    int start = p->kind == NN_KIND_OPTIM ? 1 : 0;
    for (int j = 0; j < p->n_params && found < 0; j++) {
        int i = (start + j) % p->n_params;
        const nn_param_decl *d = &p->params[i];
        v = is_numeric(d->type) ? varied_of(d) : NAN;
        if (isnan(v))
            continue;
        eligible++;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", eligible > 1 ? ", " : "", d->name);
        char body[256] = "";
        literal(lit, sizeof lit, v, d->type);
        body_add(body, sizeof body, d->name, lit);
        B = pblock_read(p, body, &e);
        if (!B)
            continue;
        nb = sig(p, B->s.values, sb);
        if (nb != na || !same(sa, sb, na))
            found = i;
        else {
            pblock_free(B);
            B = NULL;
        }
    }
    if (found < 0) {
        if (eligible == 0)
            report(c, SKIP, "parameter blocks independent", "no numeric hyperparameter to vary");
        else
            report(c, FAIL, "parameter blocks independent",
                   "changing %s one at a time never changed the result (are the values cached in static state?)",
                   names);
    } else {
        int ok = 1;
        for (int round = 0; round < 2 && ok; round++) {
            ok = sig(p, A->s.values, t) == na && same(t, sa, na);
            ok = ok && sig(p, B->s.values, t) == nb && same(t, sb, nb);
        }
        const nn_param_decl *d = &p->params[found];
        report(c, ok ? PASS : FAIL, "parameter blocks independent",
               ok ? "%s %g -> %g changes the result; blocks A, B, A, B interleaved give A, B, A, B exactly"
                  : "%s %g -> %g: blocks A, B, A, B interleaved do not reproduce A and B (state kept between calls)",
               d->name, d->def, v);
    }
    pblock_free(A);
    pblock_free(B);
    free(sa);
    free(sb);
    free(t);
}

/* ---- a small network for gradient checks ---------------------------------------- */

static int small_net(nn_model *m, nn_act act, const int *sizes, int n_layers, long mb, uint32_t seed,
                     nn_err *err)
{
    nn_model_spec s = {.n_layers = n_layers, .act = act, .leaky_slope = 0.1, .out = NN_OUT_SOFTMAX,
                       .batch_cap = mb};
    memcpy(s.sizes, sizes, (size_t)(n_layers + 1) * sizeof(int));
    int rc = nn_model_create(m, &s, err);
    if (rc)
        return rc;
    nn_rng r;
    nn_rng_seed(&r, seed);
    randn_fill(&r, m->theta, m->n_params, 0.5);
    int K = sizes[n_layers];
    for (long j = 0; j < mb; j++) {
        for (int f = 0; f < sizes[0]; f++)
            m->Xb[(size_t)f * (size_t)mb + (size_t)j] = nn_rng_randn(&r);
        m->yb[j] = (int32_t)(j % K);
    }
    return NN_OK;
}

static void report_gradcheck(nn_checker *c, const char *what, const nn_gc_result *r, int rc,
                             const nn_err *e)
{
    if (rc) {
        report(c, FAIL, what, "%s", e->msg);
        return;
    }
    char sum[256];
    nn_gc_summary(r, sum, sizeof sum);
    int ok = r->diff < NN_CHECK_GRAD_TOL && r->checked > 0;
    if (ok) {
        report(c, PASS, what, "%s", sum);
        return;
    }
    int w = 0;
    for (int i = 1; i < r->n_tensors; i++)
        if (!(r->t[i].diff <= r->t[w].diff))
            w = i;
    const nn_gc_tensor *t = &r->t[w];
    report(c, FAIL, what, "%s > %g; worst tensor %s (difference %.3e, element [%d,%d]: analytic %.10g, numeric %.10g)",
           sum, NN_CHECK_GRAD_TOL, t->name, t->diff, t->worst_row, t->worst_col, t->worst_g, t->worst_num);
}

/* ---- init ----------------------------------------------------------------------- */

static void suite_init(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    const nn_init_ops *o = p->ops.init;
    static const int shapes[3][2] = {{53, 37}, {1, 1}, {3, 200}}; /* fan_in, fan_out */
    char bad[256] = "";
    for (int s = 0; s < 3 && !bad[0]; s++) {
        int fi = shapes[s][0], fo = shapes[s][1];
        size_t n = (size_t)fi * (size_t)fo, left = 0;
        nn_real *W = xcalloc(n, sizeof(nn_real)), *b = xcalloc((size_t)fo, sizeof(nn_real));
        for (size_t i = 0; i < n; i++)
            W[i] = NAN;
        for (int i = 0; i < fo; i++)
            b[i] = NAN;
        nn_rng r;
        nn_rng_seed(&r, 1);
        int rc = o->fill(hp, &r, W, b, fi, fo);
        for (size_t i = 0; i < n; i++)
            left += !isfinite(W[i]);
        for (int i = 0; i < fo; i++)
            left += !isfinite(b[i]);
        if (rc)
            snprintf(bad, sizeof bad, "fill returned %d for fan_in %d, fan_out %d", rc, fi, fo);
        else if (left)
            snprintf(bad, sizeof bad, "%zu of %zu elements of W (%d x %d) and b not finite afterwards", left,
                     n + (size_t)fo, fo, fi);
        free(W);
        free(b);
    }
    if (bad[0])
        report(c, FAIL, "fills every element", "%s", bad);
    else
        report(c, PASS, "fills every element", "W and b pre-filled with NaN all finite after fill (W 37x53, 1x1, 200x3)");

    static const int big[2][2] = {{400, 300}, {150, 600}};
    for (int s = 0; s < 2; s++) {
        int fi = big[s][0], fo = big[s][1];
        if (!o->variance) {
            report(c, SKIP, "mean and variance", "the plugin declares no variance()");
            break;
        }
        size_t n = (size_t)fi * (size_t)fo;
        nn_real *W = xcalloc(n, sizeof(nn_real)), *b = xcalloc((size_t)fo, sizeof(nn_real));
        nn_rng r;
        nn_rng_seed(&r, 7 + (uint32_t)s);
        o->fill(hp, &r, W, b, fi, fo);
        double mean = 0, var = 0, m4 = 0;
        for (size_t i = 0; i < n; i++)
            mean += W[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = W[i] - mean;
            var += d * d;
            m4 += d * d * d * d;
        }
        var /= (double)(n - 1);
        m4 /= (double)n;
        double dv = o->variance(hp, fi, fo), dm = o->mean ? o->mean(hp, fi, fo) : 0;
        double se_m = sqrt(var / (double)n), se_v = sqrt(fmax(m4 - var * var, 0) / (double)n);
        double zm, zv;
        int ok;
        if (dv == 0) {
            ok = var == 0 && fabs(mean - dm) <= 1e-12 * fmax(1, fabs(dm));
            zm = zv = ok ? 0 : INFINITY;
        } else {
            zm = se_m > 0 ? (mean - dm) / se_m : (mean == dm ? 0 : INFINITY);
            zv = se_v > 0 ? (var - dv) / se_v : INFINITY;
            ok = fabs(zm) <= 5 && fabs(zv) <= 5;
        }
        report(c, ok ? PASS : FAIL, "mean and variance",
               "%zu weights, fan_in %d, fan_out %d: mean %.4e (declared %.4e, %.1f standard errors), variance %.5e (declared %.5e, %.1f standard errors)%s",
               n, fi, fo, mean, dm, zm, var, dv, zv, ok ? "" : "; tolerance 5");
        free(W);
        free(b);
    }

    {
        enum { FI = 30, FO = 20, N = FI * FO + FO };
        nn_real *a = xcalloc(N, sizeof(nn_real)), *b2 = xcalloc(N, sizeof(nn_real)), *d = xcalloc(N, sizeof(nn_real));
        nn_rng r;
        nn_rng_seed(&r, 11);
        o->fill(hp, &r, a, a + FI * FO, FI, FO);
        nn_rng_seed(&r, 11);
        o->fill(hp, &r, b2, b2 + FI * FO, FI, FO);
        nn_rng_seed(&r, 12);
        o->fill(hp, &r, d, d + FI * FO, FI, FO);
        int constant = 1;
        for (int i = 1; i < FI * FO; i++)
            constant &= a[i] == a[0];
        int repro = same(a, b2, N), differ = !same(a, d, N);
        if (!repro)
            report(c, FAIL, "seeds", "the same seed gave different weights");
        else if (!differ && !constant)
            report(c, FAIL, "seeds", "seeds 11 and 12 gave identical weights (the stream is not used)");
        else
            report(c, PASS, "seeds", constant ? "same seed, same weights (constant initializer: the seed has no effect)"
                                              : "same seed, same weights; different seeds, different weights");
        free(a);
        free(b2);
        free(d);
    }

    static const int sizes[] = {4, 6, 5, 3};
    nn_model m;
    nn_err e;
    int rc = small_net(&m, NN_ACT_TANH, sizes, 3, 5, 4, &e);
    nn_gc_result r;
    if (rc == NN_OK) {
        nn_rng ir;
        nn_rng_seed(&ir, 3);
        for (int l = 0; l < 3 && rc == NN_OK; l++)
            rc = o->fill(hp, &ir, nn_model_W(&m, l), nn_model_b(&m, l), sizes[l], sizes[l + 1]);
        if (rc)
            nn_err_set(&e, rc, "fill failed");
        else
            rc = nn_gradcheck(&m, 5, NULL, &r, &e);
        nn_model_free(&m);
    }
    report_gradcheck(c, "gradient check of a 4-6-5-3 tanh net initialised with it", &r, rc, &e);
}

/* ---- reg -------------------------------------------------------------------------- */

static void reg_penalty_fd(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    const nn_reg_ops *o = p->ops.reg;
    static const int ts[3][4] = {{6, 4, 0, 0}, {6, 1, 0, 1}, {3, 6, 1, 0}}; /* rows, cols, layer, bias */
    static const char *const names[3] = {"W1", "b1", "W2"};
    const double eps = 1e-6;
    diffacc d = {0};
    double pen = 0;
    nn_rng r;
    nn_rng_seed(&r, 21);
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)ts[k][0] * (size_t)ts[k][1];
        nn_real *w = xcalloc(n, sizeof(nn_real)), *g = xcalloc(n, sizeof(nn_real)),
                *scratch = xcalloc(n, sizeof(nn_real));
        randn_fill(&r, w, n, 1);
        nn_reg_tensor t = {w, g, ts[k][0], ts[k][1], 10, ts[k][2], ts[k][3]};
        pen += o->penalty(hp, &t);
        nn_reg_tensor s = t;
        s.grad = scratch;
        for (size_t i = 0; i < n; i++) {
            nn_real keep = w[i];
            w[i] = keep + eps;
            double jp = o->penalty(hp, &s);
            w[i] = keep - eps;
            double jm = o->penalty(hp, &s);
            w[i] = keep;
            diff_add(&d, g[i], (jp - jm) / (2 * eps), names[k], (int)(i / (size_t)ts[k][1]),
                     (int)(i % (size_t)ts[k][1]));
        }
        free(w);
        free(g);
        free(scratch);
    }
    double diff = diff_value(&d);
    int ok = diff < NN_CHECK_GRAD_TOL;
    report(c, ok ? PASS : FAIL, "penalty gradient vs central differences",
           "difference %.3e%s (eps %g, W 6x4, b 6x1, W 3x6, m 10, penalty %.6g; worst %s: analytic %.10g, numeric %.10g)",
           diff, ok ? "" : " > 1e-07", eps, pen, d.where, d.wa, d.wb);
}

/* Sum of G * act_forward(a) with the stream restored to *s0. */
static double act_objective(const nn_reg_ops *o, const nn_value *hp, const nn_rng *s0, const nn_real *a0,
                            nn_real *a, nn_real *mask, const nn_real *G, int units, long m, int layer)
{
    nn_rng s = *s0;
    size_t n = (size_t)units * (size_t)m;
    memcpy(a, a0, n * sizeof(nn_real));
    if (o->begin_pass)
        o->begin_pass(hp, &s);
    nn_reg_act act = {a, mask, units, m, layer, 2, &s};
    o->act_forward(hp, &act);
    double L = 0;
    for (size_t i = 0; i < n; i++)
        L += G[i] * a[i];
    return L;
}

static void reg_act_fd(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    const nn_reg_ops *o = p->ops.reg;
    enum { U = 5, M = 4, N = U * M };
    const double eps = 1e-6;
    diffacc d = {0};
    nn_rng r;
    nn_rng_seed(&r, 31);
    for (int layer = 0; layer < 2; layer++) {
        nn_real a0[N], a[N], mask[N], G[N], dA[N];
        randn_fill(&r, a0, N, 1);
        randn_fill(&r, G, N, 1);
        nn_rng s0;
        nn_rng_seed(&s0, 77 + (uint32_t)layer);
        act_objective(o, hp, &s0, a0, a, mask, G, U, M, layer);
        memcpy(dA, G, sizeof dA);
        nn_rng s = s0;
        nn_reg_act act = {dA, mask, U, M, layer, 2, &s};
        o->act_backward(hp, &act);
        for (int i = 0; i < N; i++) {
            nn_real x[N];
            memcpy(x, a0, sizeof x);
            x[i] = a0[i] + eps;
            double jp = act_objective(o, hp, &s0, x, a, mask, G, U, M, layer);
            x[i] = a0[i] - eps;
            double jm = act_objective(o, hp, &s0, x, a, mask, G, U, M, layer);
            diff_add(&d, dA[i], (jp - jm) / (2 * eps), layer ? "A2" : "A1", i / M, i % M);
        }
    }
    double diff = diff_value(&d);
    int ok = diff < NN_CHECK_GRAD_TOL;
    report(c, ok ? PASS : FAIL, "activation backward vs central differences",
           "difference %.3e%s (eps %g, 5 units x 4 examples, hidden layers 1 and 2, masks from the same stream; worst %s: analytic %.10g, numeric %.10g)",
           diff, ok ? "" : " > 1e-07", eps, d.where, d.wa, d.wb);
}

static void reg_neutral(nn_checker *c, const nn_plugin *p)
{
    char body[2048], desc[512];
    if (reg_body(p, 1, body, sizeof body, desc, sizeof desc) == 0) {
        report(c, SKIP, "neutral setting changes nothing", "no real hyperparameter to turn it off with");
        return;
    }
    nn_err e;
    pblock *b = pblock_read(p, body, &e);
    if (!b) {
        report(c, FAIL, "neutral setting changes nothing", "the neutral setting (%s) is refused: %s", desc, e.msg);
        return;
    }
    const nn_reg_ops *o = p->ops.reg;
    const nn_value *hp = b->s.values;
    enum { N = 24 };
    nn_real w[N], g[N], g0[N], a[N], a0[N], mask[N];
    nn_rng r;
    nn_rng_seed(&r, 41);
    char bad[256] = "";
    if (o->penalty) {
        randn_fill(&r, w, N, 1);
        randn_fill(&r, g0, N, 1);
        memcpy(g, g0, sizeof g);
        nn_reg_tensor t = {w, g, 6, 4, 10, 0, 0};
        nn_real pen = o->penalty(hp, &t);
        if (pen != 0)
            snprintf(bad, sizeof bad, "penalty %g instead of 0", pen);
        else if (!same(g, g0, N))
            snprintf(bad, sizeof bad, "the penalty changed the gradient");
    }
    if (o->act_forward && !bad[0]) {
        randn_fill(&r, a0, N, 1);
        memcpy(a, a0, sizeof a);
        nn_rng s;
        nn_rng_seed(&s, 3);
        if (o->begin_pass)
            o->begin_pass(hp, &s);
        nn_reg_act act = {a, mask, 6, 4, 0, 2, &s};
        o->act_forward(hp, &act);
        if (!same(a, a0, N))
            snprintf(bad, sizeof bad, "the activation hook changed the activations");
        o->act_backward(hp, &act);
        if (!bad[0] && !same(a, a0, N))
            snprintf(bad, sizeof bad, "the activation hook changed the backward gradient");
    }
    if (o->constrain && !bad[0]) {
        randn_fill(&r, w, N, 1);
        memcpy(g0, w, sizeof w);
        o->constrain(hp, w, 6, 4);
        if (!same(w, g0, N))
            snprintf(bad, sizeof bad, "the constraint changed the weights");
    }
    if (bad[0])
        report(c, FAIL, "neutral setting changes nothing", "%s: %s", desc, bad);
    else
        report(c, PASS, "neutral setting changes nothing", "%s: penalty 0 and gradients, activations and weights bit-identical", desc);
    pblock_free(b);
}

static void reg_modes(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    static const int sizes[] = {3, 6, 5, 2};
    nn_model m;
    nn_err e;
    if (small_net(&m, NN_ACT_RELU, sizes, 3, 4, 8, &e) != NN_OK) {
        report(c, FAIL, "evaluation deterministic", "%s", e.msg);
        return;
    }
    size_t nz = 2 * 4;
    nn_real plain[8], ev1[8], ev2[8], tr1[8], tr2[8];
    nn_model_forward(&m, 4, 0);
    memcpy(plain, m.Z[2], nz * sizeof(nn_real));
    nn_rng stream;
    nn_rng_seed(&stream, 5);
    nn_model_add_hook(&m, p->ops.reg, hp, &stream, &e);
    nn_model_forward(&m, 4, 0);
    memcpy(ev1, m.Z[2], sizeof ev1);
    nn_model_forward(&m, 4, 0);
    memcpy(ev2, m.Z[2], sizeof ev2);
    nn_rng saved = stream;
    nn_model_forward(&m, 4, 1);
    memcpy(tr1, m.Z[2], sizeof tr1);
    stream = saved;
    nn_model_forward(&m, 4, 1);
    memcpy(tr2, m.Z[2], sizeof tr2);
    int eval_ok = same(ev1, plain, nz) && same(ev2, plain, nz);
    report(c, eval_ok ? PASS : FAIL, "evaluation deterministic",
           eval_ok ? "evaluation outputs identical twice and equal to the network without it"
                   : "evaluation outputs differ between calls or from the network without it");
    int tr_ok = same(tr1, tr2, nz);
    report(c, tr_ok ? PASS : FAIL, "training pass reproducible",
           tr_ok ? "two training passes from the same stream state give identical outputs"
                 : "two training passes from the same stream state differ (randomness outside the given stream?)");
    nn_model_free(&m);
}

static void suite_reg(nn_checker *c, const nn_plugin *p)
{
    const nn_reg_ops *o = p->ops.reg;
    char body[2048], desc[512];
    int moved = reg_body(p, 0, body, sizeof body, desc, sizeof desc);
    nn_err e;
    pblock *b = pblock_read(p, body, &e);
    if (!b) {
        report(c, FAIL, "active setting", "%s", e.msg);
        return;
    }
    if (moved)
        fprintf(c->out, "     (checked with %s; every other parameter at its default)\n", desc);
    const nn_value *hp = b->s.values;
    if (o->penalty)
        reg_penalty_fd(c, p, hp);
    if (o->act_forward)
        reg_act_fd(c, p, hp);
    reg_neutral(c, p);
    if (o->act_forward)
        reg_modes(c, p, hp);
    if (o->penalty || o->act_forward) {
        static const int sizes[] = {4, 7, 6, 3};
        nn_model m;
        nn_gc_result r;
        int rc = small_net(&m, NN_ACT_RELU, sizes, 3, 6, 9, &e);
        nn_rng stream;
        nn_rng_seed(&stream, 13);
        if (rc == NN_OK && o->act_forward)
            rc = nn_model_add_hook(&m, o, hp, &stream, &e);
        nn_gc_opts go = {.regs = &b->s, .n_reg = o->penalty ? 1 : 0};
        if (rc == NN_OK)
            rc = nn_gradcheck(&m, 6, &go, &r, &e);
        if (m.theta)
            nn_model_free(&m);
        report_gradcheck(c, "gradient check of a 4-7-6-3 relu net with it", &r, rc, &e);
    }
    pblock_free(b);
}

/* ---- optim -------------------------------------------------------------------- */

typedef struct opt_run {
    const nn_plugin *p;
    const nn_value *hp;
    size_t n;
    nn_real *x, *g, *slots, *sp[8];
    long t;
} opt_run;

static void opt_init(opt_run *r, const nn_plugin *p, const nn_value *hp, size_t n)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->hp = hp;
    r->n = n;
    int ns = p->ops.optim->n_slots;
    r->x = xcalloc(n, sizeof(nn_real));
    r->g = xcalloc(n, sizeof(nn_real));
    r->slots = xcalloc((size_t)ns * n, sizeof(nn_real));
    for (int k = 0; k < ns; k++)
        r->sp[k] = r->slots + (size_t)k * n;
}

static void opt_free(opt_run *r)
{
    free(r->x);
    free(r->g);
    free(r->slots);
}

static size_t opt_state(const opt_run *r) { return (size_t)r->p->ops.optim->n_slots * r->n; }

static void opt_reset(opt_run *r, const nn_real *x0)
{
    memcpy(r->x, x0, r->n * sizeof(nn_real));
    memset(r->slots, 0, opt_state(r) * sizeof(nn_real));
    r->t = 0;
}

static void opt_step(opt_run *r, nn_real lr, int is_bias)
{
    r->t++;
    nn_optim_step s = {r->x, r->g, r->sp, r->n, r->t, lr, is_bias};
    r->p->ops.optim->step(r->hp, &s);
}

/* Objectives: value at x, gradient into g. */
typedef double (*objective)(const nn_real *x, nn_real *g, size_t n, int variant);

/* 1/2 sum h_i x_i^2, h from 1 to 10 (reversed for variant 1). */
static double quadratic(const nn_real *x, nn_real *g, size_t n, int variant)
{
    double f = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = variant ? n - 1 - i : i;
        double h = 1 + 9.0 * (double)k / (double)(n - 1);
        g[i] = h * x[i];
        f += 0.5 * h * x[i] * x[i];
    }
    return f;
}

static double rosenbrock(const nn_real *x, nn_real *g, size_t n, int variant)
{
    double a = x[0], b = x[1];
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
}

static double descend(opt_run *r, objective f, int variant, long steps, nn_real lr)
{
    for (long k = 0; k < steps; k++) {
        f(r->x, r->g, r->n, variant);
        opt_step(r, lr, 0);
    }
    return f(r->x, r->g, r->n, variant);
}

static void quad_start(nn_real *x0, size_t n, int variant)
{
    for (size_t i = 0; i < n; i++)
        x0[i] = (variant ? -2.0 : 1.0) * ((i % 2) ? -1.0 : 1.0) * (1 + 0.1 * (double)i);
}

/* Best final value over lr = default * 10^k, k = -2..3 (within the range). */
static double lr_search(const nn_plugin *p, const nn_value *hp, objective f, const nn_real *x0, size_t n,
                        long steps, double *best_lr)
{
    opt_run r;
    opt_init(&r, p, hp, n);
    double lr0 = hp[0].r > 0 ? hp[0].r : 1e-3, best = INFINITY;
    *best_lr = lr0;
    for (int k = -2; k <= 3; k++) {
        double lr = lr0 * pow(10, k);
        if (lr > p->params[0].max)
            continue;
        opt_reset(&r, x0);
        double v = descend(&r, f, 0, steps, lr);
        if (isfinite(v) && v < best) {
            best = v;
            *best_lr = lr;
        }
    }
    opt_free(&r);
    return best;
}

/* A run over n parameters; x0 (n) drawn from N(0, 1) with rng seeded seed. */
static void opt_random_start(opt_run *r, const nn_plugin *p, const nn_value *hp, size_t n, nn_real *x0,
                             nn_rng *rng, uint32_t seed)
{
    opt_init(r, p, hp, n);
    nn_rng_seed(rng, seed);
    randn_fill(rng, x0, n, 1);
}

static void optim_zero_and_lr0(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    enum { N = 9 };
    opt_run r;
    nn_real x0[N];
    nn_rng rng;
    opt_random_start(&r, p, hp, N, x0, &rng, 51);
    if (p->ops.optim->flags & NN_OPTIM_DECOUPLED_DECAY) {
        report(c, SKIP, "zero gradient changes nothing",
               "declares decoupled weight decay (NN_OPTIM_DECOUPLED_DECAY): a zero gradient may move parameters");
    } else {
        int ok = 1;
        for (int bias = 0; bias < 2 && ok; bias++) {
            opt_reset(&r, x0);
            memset(r.g, 0, sizeof(nn_real) * N);
            for (int k = 0; k < 5; k++)
                opt_step(&r, hp[0].r, bias);
            ok = same(r.x, x0, N);
        }
        report(c, ok ? PASS : FAIL, "zero gradient changes nothing",
               ok ? "5 steps with a zero gradient (weights and biases, default lr) leave the parameters bit-identical"
                  : "5 steps with a zero gradient moved the parameters (declare NN_OPTIM_DECOUPLED_DECAY if intended)");
    }
    opt_reset(&r, x0);
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        randn_fill(&rng, r.g, N, 1);
        opt_step(&r, 0, 0);
    }
    ok = same(r.x, x0, N);
    report(c, ok ? PASS : FAIL, "uses the scheduled learning rate",
           ok ? "3 steps with lr 0 (the step's lr, which the schedule sets) leave the parameters bit-identical"
              : "3 steps with lr 0 moved the parameters: use s->lr, the scheduled rate, not hp[0]");
    opt_free(&r);
}

static void optim_convergence(nn_checker *c, const nn_plugin *p, const nn_value *hp, double *qlr)
{
    enum { N = 10 };
    nn_real x0[N], g[N];
    quad_start(x0, N, 0);
    double f0 = quadratic(x0, g, N, 0);
    const long qsteps = 5000, rsteps = 5000;
    double fq = lr_search(p, hp, quadratic, x0, N, qsteps, qlr);
    if (!isfinite(fq))
        report(c, FAIL, "converges on a convex quadratic",
               "not finite after %ld steps at every lr tried (default %g x 10^-2..10^3)", qsteps, hp[0].r);
    else
        report(c, fq <= 1e-6 * f0 ? PASS : FAIL, "converges on a convex quadratic",
               "f=%.3e after %ld steps from f=%.4g (condition number 10, n=%d; best lr %g of default %g x 10^-2..10^3)%s",
               fq, qsteps, f0, N, *qlr, hp[0].r, fq <= 1e-6 * f0 ? "" : "; needs f <= 1e-6 f0");
    nn_real r0[2] = {-1.2, 1};
    double fr0 = rosenbrock(r0, g, 2, 0), rlr;
    double fr = lr_search(p, hp, rosenbrock, r0, 2, rsteps, &rlr);
    if (!isfinite(fr))
        report(c, FAIL, "makes progress on Rosenbrock",
               "not finite after %ld steps from (-1.2, 1) at every lr tried", rsteps);
    else
        report(c, fr <= 0.1 * fr0 ? PASS : FAIL, "makes progress on Rosenbrock",
               "f=%.3e after %ld steps from (-1.2, 1), f=%.4g (best lr %g)%s", fr, rsteps, fr0, rlr,
               fr <= 0.1 * fr0 ? "" : "; needs f <= 0.1 f0");
}

static void optim_state(nn_checker *c, const nn_plugin *p, const nn_value *hp, double lr)
{
    enum { N = 10, HALF = 15 };
    nn_real x0[N];
    quad_start(x0, N, 0);
    opt_run a, b;
    opt_init(&a, p, hp, N);
    opt_init(&b, p, hp, N); /* other arrays, other addresses */
    opt_reset(&a, x0);
    descend(&a, quadratic, 0, HALF, lr);
    size_t ns = opt_state(&a);
    nn_real *xs = xcalloc(N, sizeof(nn_real)), *ss = xcalloc(ns, sizeof(nn_real));
    memcpy(xs, a.x, N * sizeof(nn_real));
    memcpy(ss, a.slots, ns * sizeof(nn_real));
    long ts = a.t;
    descend(&a, quadratic, 0, HALF, lr);
    memcpy(b.x, xs, N * sizeof(nn_real));
    memcpy(b.slots, ss, ns * sizeof(nn_real));
    b.t = ts;
    descend(&b, quadratic, 0, HALF, lr);
    int ok = same_finite(a.x, b.x, N) && same(a.slots, b.slots, ns);
    report(c, ok ? PASS : FAIL, "state saved and restored continues bit-identically",
           ok ? "parameters and %d slot arrays copied out after %d steps, restored into new arrays: the next %d steps are bit-identical"
              : "parameters and %d slot arrays copied out after %d steps and restored into new arrays: the next %d steps differ (state outside the declared slots?)",
           p->ops.optim->n_slots, HALF, HALF);
    free(xs);
    free(ss);
    opt_free(&a);
    opt_free(&b);

    /* Interleaved runs equal solo runs. */
    opt_run s0, s1, i0, i1;
    nn_real y0[N];
    quad_start(y0, N, 1);
    opt_init(&s0, p, hp, N);
    opt_init(&s1, p, hp, N);
    opt_init(&i0, p, hp, N);
    opt_init(&i1, p, hp, N);
    opt_reset(&s0, x0);
    descend(&s0, quadratic, 0, 20, lr);
    opt_reset(&s1, y0);
    descend(&s1, quadratic, 1, 20, lr);
    opt_reset(&i0, x0);
    opt_reset(&i1, y0);
    for (int k = 0; k < 20; k++) {
        descend(&i0, quadratic, 0, 1, lr);
        descend(&i1, quadratic, 1, 1, lr);
    }
    ok = same_finite(s0.x, i0.x, N) && same_finite(s1.x, i1.x, N);
    report(c, ok ? PASS : FAIL, "no hidden state",
           ok ? "two runs interleaved step by step, each with its own slots, equal the same runs alone (20 steps)"
              : "two runs interleaved step by step, each with its own slots, differ from the same runs alone: the plugin keeps state outside its declared slots (static variables?)");
    opt_free(&s0);
    opt_free(&s1);
    opt_free(&i0);
    opt_free(&i1);
}

static void optim_split(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    enum { N = 17, STEPS = 5 };
    static const size_t chunk[3] = {5, 7, 5};
    opt_run w, s;
    opt_init(&w, p, hp, N);
    opt_init(&s, p, hp, N);
    nn_rng r;
    nn_rng_seed(&r, 61);
    nn_real x0[N];
    randn_fill(&r, x0, N, 1);
    opt_reset(&w, x0);
    opt_reset(&s, x0);
    int ns = p->ops.optim->n_slots;
    for (long t = 1; t <= STEPS; t++) {
        randn_fill(&r, w.g, N, 1);
        memcpy(s.g, w.g, sizeof(nn_real) * N);
        opt_step(&w, hp[0].r, 0);
        size_t off = 0;
        for (int k = 0; k < 3; k++) {
            nn_real *sp[8];
            for (int j = 0; j < ns; j++)
                sp[j] = s.sp[j] + off;
            nn_optim_step st = {s.x + off, s.g + off, sp, chunk[k], t, hp[0].r, 0};
            p->ops.optim->step(hp, &st);
            off += chunk[k];
        }
    }
    int ok = same_finite(w.x, s.x, N) && same(w.slots, s.slots, opt_state(&w));
    report(c, ok ? PASS : FAIL, "same update whatever the split",
           ok ? "%d steps on one array of %d equal the same steps on chunks of 5, 7 and 5, bit for bit"
              : "%d steps on one array of %d differ from the same steps on chunks of 5, 7 and 5 (the update must be elementwise)",
           STEPS, N);
    opt_free(&w);
    opt_free(&s);
}

static void optim_extremes(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    enum { N = 8 };
    opt_run r;
    nn_real x0[N];
    nn_rng rng;
    opt_random_start(&r, p, hp, N, x0, &rng, 71);
    char bad[160] = "";
    double biggest = 0;
    for (int mode = 0; mode < 2 && !bad[0]; mode++) {
        opt_reset(&r, x0);
        for (int k = 0; k < 5; k++) {
            for (int i = 0; i < N; i++)
                r.g[i] = mode == 0 ? 0 : ((i % 2) ? -1e300 : 1e300);
            opt_step(&r, hp[0].r, 0);
        }
        for (size_t i = 0; i < N && !bad[0]; i++) {
            if (!isfinite(r.x[i]))
                snprintf(bad, sizeof bad, "parameter %zu is %g after 5 steps with %s gradients", i, r.x[i],
                         mode ? "1e300" : "zero");
            biggest = fmax(biggest, fabs(r.x[i]));
        }
        for (size_t i = 0; i < opt_state(&r) && !bad[0]; i++)
            if (isnan(r.slots[i]))
                snprintf(bad, sizeof bad, "slot value %zu is NaN after 5 steps with %s gradients", i,
                         mode ? "1e300" : "zero");
    }
    if (bad[0])
        report(c, FAIL, "no NaN on zero or huge gradients", "%s (default hyperparameters)", bad);
    else
        report(c, PASS, "no NaN on zero or huge gradients",
               "5 steps with zero and with +-1e300 gradients at the defaults: parameters finite (largest |x| %.3g), no NaN in the slots",
               biggest);
    opt_free(&r);
}

/* The state checks run first, at the default lr: a plugin with hidden state
 * could be left poisoned by the lr search. */
static void suite_optim(nn_checker *c, const nn_plugin *p, const nn_value *hp)
{
    double lr;
    optim_zero_and_lr0(c, p, hp);
    optim_state(c, p, hp, hp[0].r);
    optim_split(c, p, hp);
    optim_extremes(c, p, hp);
    optim_convergence(c, p, hp, &lr);
}

/* ---- data ------------------------------------------------------------------------ */

static uint64_t fnv(const void *v, size_t n, uint64_t h)
{
    const unsigned char *p = v;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static uint64_t data_digest(const nn_data *d)
{
    uint64_t h = 1469598103934665603ull;
    int head[5] = {d->d, d->n_classes, d->height, d->width, d->channels};
    h = fnv(head, sizeof head, h);
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    for (int k = 0; k < 3; k++) {
        h = fnv(&s[k]->m, sizeof s[k]->m, h);
        if (!s[k]->m)
            continue;
        h = fnv(s[k]->X, s[k]->m * (size_t)d->d * sizeof(nn_real), h);
        h = fnv(s[k]->y, s[k]->m * sizeof(int32_t), h);
    }
    return h;
}

typedef struct rowkey {
    uint64_t h;
    int split;
    size_t row;
} rowkey;

static int rowkey_cmp(const void *a, const void *b)
{
    const rowkey *x = a, *y = b;
    return x->h < y->h ? -1 : x->h > y->h ? 1 : x->split - y->split;
}

static const char *const split_names[3] = {"train", "validation", "test"};

static void data_checks(nn_checker *c, const nn_data *d)
{
    const nn_split *s[3] = {&d->train, &d->val, &d->test};
    char bad[256] = "";
    if (d->d <= 0 || d->n_classes < 2 || d->n_classes > NN_MAX_CLASSES || d->train.m == 0)
        snprintf(bad, sizeof bad, "d=%d, %d classes, %zu training rows", d->d, d->n_classes, d->train.m);
    for (int k = 0; k < 3 && !bad[0]; k++)
        if (s[k]->m && (!s[k]->X || !s[k]->y))
            snprintf(bad, sizeof bad, "%s split of %zu rows without X or y", split_names[k], s[k]->m);
    int img = d->height || d->width || d->channels;
    for (int k = 0; k < 3 && !bad[0]; k++)
        if (s[k]->images && !(d->height > 0 && d->width > 0 && d->channels > 0))
            snprintf(bad, sizeof bad, "%s split has images but height/width/channels are %d/%d/%d",
                     split_names[k], d->height, d->width, d->channels);
    if (bad[0]) {
        report(c, FAIL, "shapes", "%s", bad);
        return;
    }
    report(c, PASS, "shapes", "%d features, %d classes; %zu train, %zu validation, %zu test rows%s", d->d,
           d->n_classes, d->train.m, d->val.m, d->test.m, img ? " (with image geometry)" : "");

    long *count = xcalloc((size_t)d->n_classes, sizeof(long));
    for (int k = 0; k < 3 && !bad[0]; k++)
        for (size_t i = 0; i < s[k]->m && !bad[0]; i++) {
            int32_t y = s[k]->y[i];
            if (y < 0 || y >= d->n_classes)
                snprintf(bad, sizeof bad, "%s label %d at row %zu outside [0, %d)", split_names[k], y, i,
                         d->n_classes);
            else
                count[y]++;
        }
    int missing = -1;
    for (int k = 0; k < d->n_classes && !bad[0] && missing < 0; k++)
        if (count[k] == 0)
            missing = k;
    if (bad[0])
        report(c, FAIL, "labels in range", "%s", bad);
    else
        report(c, PASS, "labels in range", "every label in [0, %d)", d->n_classes);
    if (!bad[0] && missing < 0)
        report(c, PASS, "class count matches the labels", "all %d declared classes occur in the data", d->n_classes);
    else if (!bad[0])
        report(c, FAIL, "class count matches the labels", "class %d of the %d declared never occurs in any split",
               missing, d->n_classes);
    free(count);

    size_t nonfinite = 0;
    char first[160] = "";
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < s[k]->m * (size_t)d->d; i++)
            if (!isfinite(s[k]->X[i]) && nonfinite++ == 0)
                snprintf(first, sizeof first, "%s X[%zu,%zu] = %g", split_names[k], i / (size_t)d->d,
                         i % (size_t)d->d, s[k]->X[i]);
    if (nonfinite)
        report(c, FAIL, "no NaN or Inf", "%s (%zu non-finite values)", first, nonfinite);
    else
        report(c, PASS, "no NaN or Inf", "all %zu values finite",
               (d->train.m + d->val.m + d->test.m) * (size_t)d->d);

    size_t total = d->train.m + d->val.m + d->test.m, n = 0, shared[3] = {0, 0, 0};
    rowkey *keys = xcalloc(total, sizeof(rowkey));
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < s[k]->m; i++)
            keys[n++] = (rowkey){fnv(s[k]->X + i * (size_t)d->d, (size_t)d->d * sizeof(nn_real),
                                     1469598103934665603ull), k, i};
    qsort(keys, n, sizeof *keys, rowkey_cmp);
    char example[200] = "";
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n && keys[j].h == keys[i].h; j++) {
            if (keys[j].split == keys[i].split)
                continue;
            const nn_real *a = s[keys[i].split]->X + keys[i].row * (size_t)d->d;
            const nn_real *b = s[keys[j].split]->X + keys[j].row * (size_t)d->d;
            if (memcmp(a, b, (size_t)d->d * sizeof(nn_real)) != 0)
                continue;
            int pair = keys[i].split + keys[j].split - 1; /* 0 train-val, 1 train-test, 2 val-test */
            if (shared[0] + shared[1] + shared[2] == 0)
                snprintf(example, sizeof example, "%s row %zu = %s row %zu", split_names[keys[i].split],
                         keys[i].row, split_names[keys[j].split], keys[j].row);
            shared[pair]++;
        }
    free(keys);
    size_t dup = shared[0] + shared[1] + shared[2];
    if (dup)
        report(c, FAIL, "splits disjoint", "%zu identical rows across splits (train/validation %zu, train/test %zu, validation/test %zu), e.g. %s",
               dup, shared[0], shared[1], shared[2], example);
    else
        report(c, PASS, "splits disjoint", "no row of one split occurs in another (%zu rows compared)", total);
}

static void suite_data(nn_checker *c, const nn_plugin *p, const pblock *b)
{
    nn_data d;
    nn_rng rng = b->s.rng;
    nn_data_ctx ctx = {".", "nnlab check", &rng, b->s.seed, 0, 1, NULL};
    nn_err e = {{0}};
    memset(&d, 0, sizeof d);
    int rc = p->ops.data->load(b->s.values, &ctx, &d, &e);
    if (rc) {
        nn_data_free(&d);
        if (rc == NN_EIO || rc == NN_EINPUT)
            report(c, SKIP, "loads with its defaults", "%s (check its data with: nnlab check --experiment FILE)",
                   e.msg[0] ? e.msg : "load failed");
        else
            report(c, FAIL, "loads with its defaults", "returned %d: %s", rc, e.msg[0] ? e.msg : "load failed");
        return;
    }
    report(c, PASS, "loads with its defaults", "seed %u", (unsigned)b->s.seed);
    data_checks(c, &d);
    uint64_t h1 = data_digest(&d);
    nn_data_free(&d);
    memset(&d, 0, sizeof d);
    rng = b->s.rng;
    rc = p->ops.data->load(b->s.values, &ctx, &d, &e);
    uint64_t h2 = rc ? 0 : data_digest(&d);
    nn_data_free(&d);
    if (rc)
        report(c, FAIL, "same seed, same data", "the second load failed: %s", e.msg);
    else
        report(c, h1 == h2 ? PASS : FAIL, "same seed, same data", "two loads from seed %u %s", (unsigned)b->s.seed,
               h1 == h2 ? "are identical" : "differ (randomness outside the given stream?)");
}

/* ---- a plugin, every plugin --------------------------------------------------------- */

static nn_kind kind_of_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    const char *parent = strrchr(dir, '/');
    nn_kind k = 0;
    nn_kind_parse(parent ? parent + 1 : dir, &k);
    return k;
}

int nn_check_plugin(nn_checker *c, const char *spec, nn_err *err)
{
    char path[4096], base[80];
    nn_kind want = 0;
    const char *slash = strchr(spec, '/');
    size_t len = strlen(spec);
    int by_path = (len > 3 && strcmp(spec + len - 3, ".so") == 0) || nn_file_exists(spec);
    if (!by_path && slash && !strchr(slash + 1, '/')) {
        char kind[16];
        snprintf(kind, sizeof kind, "%.*s", (int)(slash - spec), spec);
        if (nn_kind_parse(kind, &want) != 0)
            return nn_err_set(err, NN_EINPUT, "%s: no such plugin file, and '%s' is not a kind (init, optim, reg, data)",
                              spec, kind);
        spec = slash + 1;
    } else if (slash && !by_path) {
        return nn_err_set(err, NN_EINPUT, "%s: no such plugin file", spec);
    }
    if (by_path) {
        if (!nn_file_exists(spec))
            return nn_err_set(err, NN_EINPUT, "%s: no such plugin file", spec);
        snprintf(path, sizeof path, "%s%s", strchr(spec, '/') ? "" : "./", spec);
        want = kind_of_dir(path);
    } else if (!nn_registry_find(c->reg, spec, want, path, sizeof path)) {
        nn_handle h;
        if (nn_plugin_open(c->reg, spec, want, &h, err) == NN_OK) {
            nn_plugin_close(&h);
            return nn_err_set(err, NN_EINTERNAL, "%s: found but not located", spec);
        }
        return NN_EINPUT;
    }
    c->plugins++;
    snprintf(c->who, sizeof c->who, "%s/%s", want ? nn_kind_name(want) : "?", base_name(path, base, sizeof base));
    nn_handle h;
    nn_err e = {{0}};
    if (nn_plugin_open(c->reg, path, want, &h, &e) != NN_OK) {
        report(c, FAIL, "loads", "%s", e.msg);
        return NN_OK;
    }
    const nn_plugin *p = h.desc;
    snprintf(c->who, sizeof c->who, "%s/%s", nn_kind_name(p->kind), p->name);
    report(c, PASS, "loads", "%s", h.path);
    check_descriptor(c, &h);
    check_config(c, p);
    pblock *b = pblock_read(p, "", &e);
    if (b) {
        switch (p->kind) {
        case NN_KIND_INIT:
            check_independent(c, p, init_sig);
            suite_init(c, p, b->s.values);
            break;
        case NN_KIND_OPTIM:
            check_independent(c, p, optim_sig);
            suite_optim(c, p, b->s.values);
            break;
        case NN_KIND_REG:
            check_independent(c, p, reg_sig);
            suite_reg(c, p);
            break;
        case NN_KIND_DATA:
            suite_data(c, p, b);
            break;
        }
    }
    pblock_free(b);
    nn_plugin_close(&h);
    return NN_OK;
}

typedef struct found_list {
    char (*paths)[4200];
    int n, cap;
} found_list;

static void collect(void *ud, nn_kind kind, const char *name, const char *path)
{
    found_list *f = ud;
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 32;
        void *p = realloc(f->paths, (size_t)cap * sizeof *f->paths);
        if (!p)
            return;
        f->paths = p;
        f->cap = cap;
    }
    snprintf(f->paths[f->n++], sizeof f->paths[0], "%s", path);
}

int nn_check_all(nn_checker *c)
{
    found_list f = {0};
    nn_registry_scan(c->reg, 0, collect, &f);
    for (int i = 0; i < f.n; i++) {
        nn_err e;
        if (nn_check_plugin(c, f.paths[i], &e) != NN_OK)
            fprintf(c->out, "nnlab check: %s\n", e.msg);
    }
    free(f.paths);
    return f.n;
}

/* ---- the whole network of an experiment ------------------------------------------- */

int nn_check_experiment(nn_checker *c, const char *file, const nn_check_model_opts *o, nn_err *err)
{
    static const nn_check_model_opts defaults = {0};
    if (!o)
        o = &defaults;
    nn_experiment x;
    nn_data d;
    nn_model m;
    memset(&d, 0, sizeof d);
    memset(&m, 0, sizeof m);
    int rc = nn_experiment_load(&x, file, NULL, 0, c->reg, err);
    if (rc == NN_OK)
        rc = nn_load_data(&x, &d, 1, err);
    long mb = o->batch > 0 ? o->batch : 8;
    if (rc == NN_OK && (size_t)mb > d.train.m)
        mb = (long)d.train.m;
    if (rc == NN_OK)
        rc = nn_build_model(&x, &d, mb, &m, err);
    if (rc == NN_OK)
        rc = nn_attach_hooks(&x, &m, err);
    if (rc == NN_OK) {
        snprintf(c->who, sizeof c->who, "%s", file);
        int64_t *perm = xcalloc(d.train.m, sizeof(int64_t));
        nn_rng r;
        nn_rng_seed(&r, 0);
        nn_rng_permutation(&r, perm, d.train.m);
        nn_model_gather(&m, d.train.X, d.train.y, d.d, perm, mb);
        free(perm);
        nn_gc_opts go = {.eps = o->eps, .regs = x.reg, .n_reg = x.n_reg,
                         .max_per_tensor = o->all ? 0 : (o->per_tensor ? o->per_tensor : 100)};
        nn_gc_result res;
        nn_err e = {{0}};
        char what[512];
        int len = snprintf(what, sizeof what, "gradient check of the whole network (init %s",
                           x.init.plugin.desc->name);
        for (int i = 0; i < x.n_reg && len > 0 && (size_t)len < sizeof what; i++)
            len += snprintf(what + len, sizeof what - (size_t)len, ", %s %s",
                            x.reg[i].plugin.desc->ops.reg->act_forward ? "hook" : "reg",
                            x.reg[i].plugin.desc->name);
        if (len > 0 && (size_t)len < sizeof what)
            snprintf(what + len, sizeof what - (size_t)len, ")");
        int grc = nn_gradcheck(&m, mb, &go, &res, &e);
        report_gradcheck(c, what, &res, grc, &e);
        if (grc == NN_OK)
            nn_gc_print_tensors(c->out, &res, "     ");
        c->plugins++;
    }
    nn_model_free(&m);
    nn_data_free(&d);
    if (x.file[0])
        nn_experiment_free(&x);
    return rc;
}
