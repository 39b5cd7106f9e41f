/* model.c: MLP forward and backward over batches with BLAS; stable losses
 * from pre-activations (softplus, log-sum-exp). */
#include "model.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

nn_real *nn_model_W(const nn_model *m, int layer) { return m->theta + m->tensors[2 * layer].off; }
nn_real *nn_model_b(const nn_model *m, int layer) { return m->theta + m->tensors[2 * layer + 1].off; }

static void add_tensor(nn_model *m, size_t *off, int rows, int cols, int layer, int is_bias)
{
    nn_tensor *t = &m->tensors[m->n_tensors++];
    t->off = *off;
    t->n = (size_t)rows * (size_t)cols;
    t->rows = rows;
    t->cols = cols;
    t->layer = layer;
    t->is_bias = is_bias;
    snprintf(t->name, sizeof t->name, "%c%d", is_bias ? 'b' : 'W', layer + 1);
    *off += t->n;
}

int nn_model_create(nn_model *m, const nn_model_spec *spec, nn_err *err)
{
    memset(m, 0, sizeof *m);
    m->spec = *spec;
    int L = spec->n_layers;
    if (L < 1 || L > NN_MAX_LAYERS || spec->batch_cap < 1)
        return nn_err_set(err, NN_EINPUT, "model: %d layers (1..%d allowed)", L, NN_MAX_LAYERS);
    size_t off = 0, maxu = (size_t)spec->sizes[0];
    for (int l = 0; l < L; l++) {
        add_tensor(m, &off, spec->sizes[l + 1], spec->sizes[l], l, 0);
        add_tensor(m, &off, spec->sizes[l + 1], 1, l, 1);
        if ((size_t)spec->sizes[l + 1] > maxu)
            maxu = (size_t)spec->sizes[l + 1];
    }
    m->n_params = off;
    size_t cap = (size_t)spec->batch_cap;
    m->theta = calloc(off, sizeof(nn_real));
    m->grad = calloc(off, sizeof(nn_real));
    m->dA = calloc(maxu * cap, sizeof(nn_real));
    m->dZ = calloc(maxu * cap, sizeof(nn_real));
    m->Xb = calloc((size_t)spec->sizes[0] * cap, sizeof(nn_real));
    m->yb = calloc(cap, sizeof(int32_t));
    int ok = m->theta && m->grad && m->dA && m->dZ && m->Xb && m->yb;
    for (int l = 0; l < L && ok; l++) {
        m->Z[l] = calloc((size_t)spec->sizes[l + 1] * cap, sizeof(nn_real));
        m->A[l] = calloc((size_t)spec->sizes[l + 1] * cap, sizeof(nn_real));
        ok = m->Z[l] && m->A[l];
    }
    if (!ok) {
        nn_model_free(m);
        return nn_err_set(err, NN_ENOMEM, "model: out of memory (%zu parameters, batch %ld)", off,
                          spec->batch_cap);
    }
    return NN_OK;
}

void nn_model_free(nn_model *m)
{
    free(m->theta);
    free(m->grad);
    free(m->dA);
    free(m->dZ);
    free(m->Xb);
    free(m->yb);
    free(m->mask_store);
    for (int l = 0; l < NN_MAX_LAYERS; l++) {
        free(m->Z[l]);
        free(m->A[l]);
    }
    memset(m, 0, sizeof *m);
}

int nn_model_add_hook(nn_model *m, const nn_reg_ops *ops, const nn_value *hp, nn_rng *rng, nn_err *err)
{
    if (m->n_hooks >= 8)
        return nn_err_set(err, NN_EINPUT, "at most 8 activation regularizers");
    size_t per = 0, cap = (size_t)m->spec.batch_cap;
    for (int l = 0; l + 1 < m->spec.n_layers; l++)
        per += (size_t)m->spec.sizes[l + 1] * cap;
    /* One block for all hooks: grow by reallocating and re-pointing. */
    size_t old = 0;
    for (int h = 0; h < m->n_hooks; h++)
        old += per;
    nn_real *store = realloc(m->mask_store, (old + per + 1) * sizeof(nn_real));
    if (!store)
        return nn_err_set(err, NN_ENOMEM, "out of memory for activation masks");
    m->mask_store = store;
    m->n_hooks++;
    m->hooks[m->n_hooks - 1] = (nn_act_hook){.ops = ops, .hp = hp, .rng = rng};
    size_t o = 0;
    for (int h = 0; h < m->n_hooks; h++)
        for (int l = 0; l + 1 < m->spec.n_layers; l++) {
            m->hooks[h].mask[l] = store + o;
            o += (size_t)m->spec.sizes[l + 1] * cap;
        }
    memset(store + old, 0, per * sizeof(nn_real));
    return NN_OK;
}

void nn_model_gather(nn_model *m, const nn_real *X, const int32_t *y, int d,
                     const int64_t *idx, long mb)
{
    for (long j = 0; j < mb; j++) {
        const nn_real *row = X + (size_t)idx[j] * (size_t)d;
        for (int f = 0; f < d; f++)
            m->Xb[(size_t)f * (size_t)mb + (size_t)j] = row[f];
        m->yb[j] = y[idx[j]];
    }
}

void nn_model_gather_range(nn_model *m, const nn_real *X, const int32_t *y, int d,
                           size_t start, long mb)
{
    for (long j = 0; j < mb; j++) {
        const nn_real *row = X + (start + (size_t)j) * (size_t)d;
        for (int f = 0; f < d; f++)
            m->Xb[(size_t)f * (size_t)mb + (size_t)j] = row[f];
        m->yb[j] = y[start + (size_t)j];
    }
}

static void activate(nn_act act, nn_real slope, const nn_real *z, nn_real *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        nn_real v = z[i];
        switch (act) {
        case NN_ACT_RELU: a[i] = v > 0 ? v : 0; break;
        case NN_ACT_LEAKY_RELU: a[i] = v > 0 ? v : slope * v; break;
        case NN_ACT_TANH: a[i] = tanh(v); break;
        case NN_ACT_SIGMOID: a[i] = 1.0 / (1.0 + exp(-v)); break;
        }
    }
}

/* dZ = dA * act'(Z) */
static void activate_backward(nn_act act, nn_real slope, const nn_real *z, const nn_real *da,
                              nn_real *dz, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        nn_real v = z[i], g = 0;
        switch (act) {
        case NN_ACT_RELU: g = v > 0 ? 1 : 0; break;
        case NN_ACT_LEAKY_RELU: g = v > 0 ? 1 : slope; break;
        case NN_ACT_TANH: { nn_real t = tanh(v); g = 1 - t * t; break; }
        case NN_ACT_SIGMOID: { nn_real s = 1.0 / (1.0 + exp(-v)); g = s * (1 - s); break; }
        }
        dz[i] = da[i] * g;
    }
}

/* Z (out, mb) = W (out, in) A (in, mb) + b */
static void linear_forward(nn_real *Z, const nn_real *W, const nn_real *b, const nn_real *A,
                           int out, int in, long mb)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, out, (int)mb, in, 1.0, W, in, A,
                (int)mb, 0.0, Z, (int)mb);
    for (int o = 0; o < out; o++)
        for (long j = 0; j < mb; j++)
            Z[(size_t)o * (size_t)mb + (size_t)j] += b[o];
}

static double softplus(double z) { return (z > 0 ? z : 0) + log1p(exp(-fabs(z))); }

/* Column j of Z (K, mb): its maximum in *mx, returns sum_k exp(z_k - mx). */
static double softmax_column(const nn_real *Z, int K, long mb, long j, double *mx)
{
    double m = -INFINITY, s = 0;
    for (int k = 0; k < K; k++)
        m = fmax(m, Z[(size_t)k * (size_t)mb + (size_t)j]);
    for (int k = 0; k < K; k++)
        s += exp(Z[(size_t)k * (size_t)mb + (size_t)j] - m);
    *mx = m;
    return s;
}

/* Summed loss of the output pre-activations ZL against labels. */
static double output_loss(const nn_model *m, const nn_real *ZL, long mb)
{
    double sum = 0;
    int K = m->spec.sizes[m->spec.n_layers];
    if (m->spec.out == NN_OUT_SIGMOID) {
        for (long j = 0; j < mb; j++)
            sum += softplus(ZL[j]) - (m->yb[j] ? ZL[j] : 0.0);
        return sum;
    }
    for (long j = 0; j < mb; j++) {
        double mx, s = softmax_column(ZL, K, mb, j, &mx);
        sum += mx + log(s) - ZL[(size_t)m->yb[j] * (size_t)mb + (size_t)j];
    }
    return sum;
}

double nn_model_forward(nn_model *m, long mb, int training)
{
    const nn_model_spec *s = &m->spec;
    int L = s->n_layers;
    const nn_real *Ain = m->Xb;
    for (int h = 0; training && h < m->n_hooks; h++)
        if (m->hooks[h].ops->begin_pass)
            m->hooks[h].ops->begin_pass(m->hooks[h].hp, m->hooks[h].rng);
    for (int l = 0; l < L; l++) {
        int out = s->sizes[l + 1], in = s->sizes[l];
        linear_forward(m->Z[l], nn_model_W(m, l), nn_model_b(m, l), Ain, out, in, mb);
        if (l + 1 == L)
            break;
        activate(s->act, s->leaky_slope, m->Z[l], m->A[l], (size_t)out * (size_t)mb);
        for (int h = 0; training && h < m->n_hooks; h++) {
            nn_reg_act a = {m->A[l], m->hooks[h].mask[l], out, mb, l, L - 1, m->hooks[h].rng};
            m->hooks[h].ops->act_forward(m->hooks[h].hp, &a);
        }
        Ain = m->A[l];
    }
    return output_loss(m, m->Z[L - 1], mb);
}

/* dZ of the output layer for the mean loss: (p - y) / mb */
static void output_backward(const nn_model *m, nn_real *dZ, long mb)
{
    int K = m->spec.sizes[m->spec.n_layers];
    const nn_real *ZL = m->Z[m->spec.n_layers - 1];
    double inv = 1.0 / (double)mb;
    if (m->spec.out == NN_OUT_SIGMOID) {
        for (long j = 0; j < mb; j++) {
            double a = 1.0 / (1.0 + exp(-ZL[j]));
            dZ[j] = inv * (a - (double)m->yb[j]);
        }
        return;
    }
    for (long j = 0; j < mb; j++) {
        double mx, s = softmax_column(ZL, K, mb, j, &mx);
        for (int k = 0; k < K; k++) {
            size_t i = (size_t)k * (size_t)mb + (size_t)j;
            double p = exp(ZL[i] - mx) / s;
            dZ[i] = inv * (p - (k == m->yb[j] ? 1.0 : 0.0));
        }
    }
}

void nn_model_backward(nn_model *m, long mb, int training)
{
    const nn_model_spec *s = &m->spec;
    int L = s->n_layers;
    nn_real *dZ = m->dZ, *dA = m->dA;
    output_backward(m, dZ, mb);
    for (int l = L - 1; l >= 0; l--) {
        int out = s->sizes[l + 1], in = s->sizes[l];
        const nn_real *Ain = l ? m->A[l - 1] : m->Xb;
        nn_real *dW = m->grad + m->tensors[2 * l].off, *db = m->grad + m->tensors[2 * l + 1].off;
        /* dW (out, in) = dZ (out, mb) Ain^T (mb, in) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, out, in, (int)mb, 1.0, dZ, (int)mb,
                    Ain, (int)mb, 0.0, dW, in);
        for (int o = 0; o < out; o++) {
            double acc = 0;
            for (long j = 0; j < mb; j++)
                acc += dZ[(size_t)o * (size_t)mb + (size_t)j];
            db[o] = acc;
        }
        if (l == 0)
            break;
        /* dA (in, mb) = W^T (in, out) dZ (out, mb) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, (int)mb, out, 1.0,
                    nn_model_W(m, l), in, dZ, (int)mb, 0.0, dA, (int)mb);
        for (int h = m->n_hooks - 1; training && h >= 0; h--) {
            nn_reg_act a = {dA, m->hooks[h].mask[l - 1], in, mb, l - 1, L - 1, m->hooks[h].rng};
            m->hooks[h].ops->act_backward(m->hooks[h].hp, &a);
        }
        activate_backward(s->act, s->leaky_slope, m->Z[l - 1], dA, dZ, (size_t)in * (size_t)mb);
    }
}

void nn_model_predict_batch(const nn_model *m, long mb, int32_t *pred)
{
    int K = m->spec.sizes[m->spec.n_layers];
    const nn_real *ZL = m->Z[m->spec.n_layers - 1];
    for (long j = 0; j < mb; j++) {
        if (m->spec.out == NN_OUT_SIGMOID) {
            pred[j] = 1.0 / (1.0 + exp(-ZL[j])) > 0.5;
            continue;
        }
        int best = 0;
        for (int k = 1; k < K; k++)
            if (ZL[(size_t)k * (size_t)mb + (size_t)j] > ZL[(size_t)best * (size_t)mb + (size_t)j])
                best = k;
        pred[j] = best;
    }
}

nn_eval nn_model_evaluate(nn_model *m, const nn_real *X, const int32_t *y, size_t n, int d)
{
    nn_eval e = {0, 0};
    size_t correct = 0;
    int32_t pred[256];
    long cap = m->spec.batch_cap < 256 ? m->spec.batch_cap : 256;
    for (size_t start = 0; start < n; start += (size_t)cap) {
        long mb = (long)((n - start) < (size_t)cap ? (n - start) : (size_t)cap);
        nn_model_gather_range(m, X, y, d, start, mb);
        e.loss += nn_model_forward(m, mb, 0);
        nn_model_predict_batch(m, mb, pred);
        for (long j = 0; j < mb; j++)
            correct += pred[j] == m->yb[j];
    }
    if (n) {
        e.loss *= 1.0 / (double)n;
        e.accuracy = (double)correct / (double)n;
    }
    return e;
}
