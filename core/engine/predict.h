/* predict.h: the model's predictions for rows of features (no labels needed),
 * for plots, nnlab eval and the NumPy interchange check. */
#ifndef NN_PREDICT_H
#define NN_PREDICT_H

#include "model.h"

/* pred[i]: predicted class of row i of X (n, d); p1[i] (may be NULL): the
 * sigmoid output P(y=1), or for softmax the probability of pred[i]. The
 * decision is the one nn_model_evaluate makes. */
void nn_model_predict(nn_model *m, const nn_real *X, size_t n, int d, int32_t *pred, double *p1);

#endif
