/* predict.c: predictions for rows of features, in batches through m->Xb. */
#include "predict.h"

#include <math.h>
#include <string.h>

/* Probability of the predicted (softmax) or positive (sigmoid) class of column j. */
static double out_prob(const nn_model *m, long mb, long j, int32_t pred)
{
    const nn_real *ZL = m->Z[m->spec.n_layers - 1];
    if (m->spec.out == NN_OUT_SIGMOID)
        return 1.0 / (1.0 + exp(-ZL[j]));
    int K = m->spec.sizes[m->spec.n_layers];
    double top = ZL[(size_t)pred * (size_t)mb + (size_t)j], s = 0;
    for (int k = 0; k < K; k++)
        s += exp(ZL[(size_t)k * (size_t)mb + (size_t)j] - top);
    return 1.0 / s;
}

void nn_model_predict(nn_model *m, const nn_real *X, size_t n, int d, int32_t *pred, double *p1)
{
    long cap = m->spec.batch_cap;
    for (size_t start = 0; start < n; start += (size_t)cap) {
        long mb = (long)((n - start) < (size_t)cap ? (n - start) : (size_t)cap);
        nn_model_batch_changed(m);
        for (long j = 0; j < mb; j++)
            for (int f = 0; f < d; f++)
                m->Xb[(size_t)f * (size_t)mb + (size_t)j] = X[(start + (size_t)j) * (size_t)d + (size_t)f];
        memset(m->yb, 0, (size_t)mb * sizeof(int32_t));
        nn_model_forward(m, mb, 0);
        nn_model_predict_batch(m, mb, pred + start);
        for (long j = 0; p1 && j < mb; j++)
            p1[start + (size_t)j] = out_prob(m, mb, j, pred[start + (size_t)j]);
    }
}
