/* gradcheck.c: central differences against the analytic gradient, with the
 * hooks' random streams frozen and ReLU kinks detected (see gradcheck.h). */
#include "gradcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"
#include "util.h"

typedef struct gc_state {
    nn_model *m;
    long mb;
    const nn_gc_opts *o;
    nn_rng saved[8];          /* each hook's stream before the first pass */
    nn_real *scratch;         /* penalty gradients of the +/- evaluations go here */
    uint8_t *side;            /* side of the kink of every hidden pre-activation at theta */
    size_t n_side;
} gc_state;

static void restore_streams(gc_state *s)
{
    for (int h = 0; h < s->m->n_hooks; h++)
        *s->m->hooks[h].rng = s->saved[h];
}

static int has_kinks(const nn_model *m)
{
    return m->spec.act == NN_ACT_RELU || m->spec.act == NN_ACT_LEAKY_RELU;
}

/* The kink sides of the last forward pass: 1 where z > 0 (the branch the
 * activation and its derivative take). With store, records them; otherwise
 * returns 1 when any differs from the record. */
static int kink_sides(gc_state *s, int store)
{
    const nn_model *m = s->m;
    size_t k = 0;
    for (int l = 0; l + 1 < m->spec.n_layers; l++) {
        size_t n = (size_t)m->spec.sizes[l + 1] * (size_t)s->mb;
        const nn_real *z = m->Z[l];
        for (size_t i = 0; i < n; i++, k++) {
            uint8_t side = z[i] > 0;
            if (store)
                s->side[k] = side;
            else if (s->side[k] != side)
                return 1;
        }
    }
    return 0;
}

/* J at the current theta, from the saved streams. */
static double objective(gc_state *s)
{
    restore_streams(s);
    double data = nn_model_forward(s->m, s->mb, 1);
    double J = s->o->loss ? s->o->loss(s->o->ud, s->m, s->mb) : data / (double)s->mb;
    if (s->o->n_reg)
        J += nn_penalties(s->o->regs, s->o->n_reg, s->m, s->scratch, s->mb);
    return J;
}

/* Indices of the elements of one tensor to check (sorted), count in *cnt. */
static int pick_elements(size_t n, size_t max, size_t *out, size_t *cnt, uint32_t seed)
{
    if (max == 0 || max >= n) {
        for (size_t i = 0; i < n; i++)
            out[i] = i;
        *cnt = n;
        return NN_OK;
    }
    int64_t *perm = malloc(n * sizeof(int64_t));
    if (!perm)
        return NN_ENOMEM;
    nn_rng r;
    nn_rng_seed(&r, seed);
    nn_rng_permutation(&r, perm, n);
    /* mark the first max, then list them in order */
    uint8_t *mark = calloc(n, 1);
    if (!mark) {
        free(perm);
        return NN_ENOMEM;
    }
    for (size_t i = 0; i < max; i++)
        mark[perm[i]] = 1;
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (mark[i])
            out[c++] = i;
    *cnt = c;
    free(mark);
    free(perm);
    return NN_OK;
}

static void check_tensor(gc_state *s, const nn_tensor *ts, const nn_real *g, nn_gc_tensor *out,
                         size_t *idx, double sums[3], nn_gc_result *r, int *rc)
{
    nn_model *m = s->m;
    double eps = r->eps;
    size_t cnt = 0;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", ts->name);
    out->n = ts->n;
    *rc = pick_elements(ts->n, s->o->max_per_tensor, idx, &cnt, 12345u + (uint32_t)(ts - m->tensors));
    if (*rc)
        return;
    double d2 = 0, a2 = 0, b2 = 0, worst = -1;
    for (size_t k = 0; k < cnt; k++) {
        size_t e = idx[k], i = ts->off + e;
        nn_real keep = m->theta[i], xp = (nn_real)(keep + eps), xm = (nn_real)(keep - eps);
        m->theta[i] = xp;
        double jp = objective(s);
        int crossed = r->has_kinks && kink_sides(s, 0);
        m->theta[i] = xm;
        double jm = objective(s);
        crossed = crossed || (r->has_kinks && kink_sides(s, 0));
        m->theta[i] = keep;
        if (crossed) {
            out->kinks++;
            if (!s->o->keep_kinks)
                continue;
        }
        double num = nn_gc_quotient(jp, jm, xp, xm, eps), an = g[i], d = an - num;
        d2 += d * d;
        a2 += an * an;
        b2 += num * num;
        out->checked++;
        if (fabs(d) > worst || isnan(d)) {
            worst = isnan(d) ? INFINITY : fabs(d);
            out->worst = e;
            out->worst_row = (int)(e / (size_t)ts->cols);
            out->worst_col = (int)(e % (size_t)ts->cols);
            out->worst_g = an;
            out->worst_num = num;
        }
    }
    out->diff = nn_rel_diff(d2, a2, b2);
    sums[0] += d2;
    sums[1] += a2;
    sums[2] += b2;
}

int nn_gradcheck(nn_model *m, long mb, const nn_gc_opts *o, nn_gc_result *r, nn_err *err)
{
    static const nn_gc_opts none = {0};
    if (!o)
        o = &none;
    memset(r, 0, sizeof *r);
    if (mb < 1 || mb > m->spec.batch_cap)
        return nn_err_set(err, NN_EINPUT, "gradient check: batch of %ld outside 1..%ld", mb,
                          m->spec.batch_cap);
    gc_state s = {.m = m, .mb = mb, .o = o};
    int skip_z = m->skip_z;
    m->skip_z = 0; /* the kink sides and margins read every Z */
    r->eps = o->eps > 0 ? o->eps : NN_GC_DEFAULT_EPS;
    r->mb = mb;
    r->n_params = m->n_params;
    r->n_tensors = m->n_tensors;
    r->has_kinks = has_kinks(m);
    r->kinks_kept = o->keep_kinks;
    r->kink_margin = INFINITY;
    for (int h = 0; h < m->n_hooks; h++)
        s.saved[h] = *m->hooks[h].rng;
    size_t max_t = 0;
    for (int i = 0; i < m->n_tensors; i++)
        max_t = m->tensors[i].n > max_t ? m->tensors[i].n : max_t;
    for (int l = 0; l + 1 < m->spec.n_layers; l++)
        s.n_side += (size_t)m->spec.sizes[l + 1] * (size_t)mb;
    nn_real *g = calloc(m->n_params, sizeof(nn_real));
    s.scratch = calloc(m->n_params, sizeof(nn_real));
    s.side = malloc(s.n_side + 1);
    size_t *idx = malloc((max_t + 1) * sizeof(size_t));
    int rc = NN_OK;
    if (!g || !s.scratch || !s.side || !idx) {
        rc = nn_err_set(err, NN_ENOMEM, "gradient check: out of memory (%zu parameters)", m->n_params);
        goto out;
    }
    /* Analytic gradient of J, from the same streams the differences use. */
    restore_streams(&s);
    double data = nn_model_forward(m, mb, 1);
    nn_model_backward(m, mb, 1);
    memcpy(g, m->grad, m->n_params * sizeof(nn_real));
    r->loss = o->loss ? o->loss(o->ud, m, mb) : data / (double)mb;
    if (o->n_reg)
        r->loss += nn_penalties(o->regs, o->n_reg, m, g, mb);
    if (r->has_kinks) {
        kink_sides(&s, 1);
        for (int l = 0; l + 1 < m->spec.n_layers; l++)
            for (size_t i = 0; i < (size_t)m->spec.sizes[l + 1] * (size_t)mb; i++)
                r->kink_margin = fmin(r->kink_margin, fabs(m->Z[l][i]));
    }
    if (o->corrupt)
        o->corrupt(o->ud, m, g);
    double sums[3] = {0, 0, 0};
    for (int t = 0; t < m->n_tensors && rc == NN_OK; t++) {
        check_tensor(&s, &m->tensors[t], g, &r->t[t], idx, sums, r, &rc);
        r->checked += r->t[t].checked;
        r->kinks += r->t[t].kinks;
    }
    if (rc) {
        nn_err_set(err, rc, "gradient check: out of memory");
        goto out;
    }
    r->diff = nn_rel_diff(sums[0], sums[1], sums[2]);
out:
    restore_streams(&s);
    m->skip_z = skip_z;
    free(g);
    free(s.scratch);
    free(s.side);
    free(idx);
    return rc;
}

void nn_gc_print_tensors(FILE *f, const nn_gc_result *r, const char *prefix)
{
    for (int i = 0; i < r->n_tensors; i++) {
        const nn_gc_tensor *t = &r->t[i];
        fprintf(f, "%s%-4s difference %.3e over %zu of %zu elements", prefix, t->name, t->diff,
                t->checked, t->n);
        if (t->kinks)
            fprintf(f, " (%zu across a ReLU kink, %s)", t->kinks, r->kinks_kept ? "compared" : "skipped");
        if (t->checked)
            fprintf(f, "; worst %s[%d,%d]: analytic %.10g, numeric %.10g", t->name, t->worst_row,
                    t->worst_col, t->worst_g, t->worst_num);
        fputc('\n', f);
    }
}

void nn_gc_summary(const nn_gc_result *r, char *buf, size_t n)
{
    int len = snprintf(buf, n, "difference %.3e (eps %g, %ld examples, %zu of %zu elements", r->diff,
                       r->eps, r->mb, r->checked, r->n_params);
    if (len < 0 || (size_t)len >= n)
        return;
    if (r->has_kinks && r->kinks == 0)
        snprintf(buf + len, n - (size_t)len, ", no ReLU kink crossed)");
    else if (r->has_kinks)
        snprintf(buf + len, n - (size_t)len, ", %zu %s: their +-eps evaluations cross a ReLU kink)", r->kinks,
                 r->kinks_kept ? "compared anyway" : "skipped");
    else
        snprintf(buf + len, n - (size_t)len, ")");
}
