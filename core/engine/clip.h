/* clip.h: gradient clipping over one flat gradient buffer, as
 * torch.nn.utils.clip_grad_norm_ (L2, with its 1e-6 epsilon) and
 * clip_grad_value_. */
#ifndef NN_CLIP_H
#define NN_CLIP_H

#include <stddef.h>

#include "nnlab/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scales g by max_norm / (norm + 1e-6) when that is below 1. Returns the L2
 * norm before clipping; a non-finite norm is returned with g untouched. */
double nn_clip_grad_norm(nn_real *g, size_t n, double max_norm);
/* Clamps every element into [-clip, clip] (NaN stays NaN). */
void nn_clip_grad_value(nn_real *g, size_t n, double clip);

#ifdef __cplusplus
}
#endif
#endif
