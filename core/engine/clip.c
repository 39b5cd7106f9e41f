/* clip.c: gradient clipping (see clip.h). */
#include "clip.h"

#include <math.h>

/* L2 norm; when the plain sum of squares overflows, it is taken again on
 * g / max|g| so that large but finite gradients keep a finite norm. */
static double nn_l2_norm(const nn_real *g, size_t n)
{
    double ss = 0, amax = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * (double)g[i];
    if (!isinf(ss))
        return sqrt(ss);
    for (size_t i = 0; i < n; i++)
        amax = fmax(amax, fabs((double)g[i]));
    if (isinf(amax))
        return amax;
    ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += ((double)g[i] / amax) * ((double)g[i] / amax);
    return amax * sqrt(ss);
}

double nn_clip_grad_norm(nn_real *g, size_t n, double max_norm)
{
    const double norm = nn_l2_norm(g, n);
    if (!isfinite(norm))
        return norm;
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0)
        for (size_t i = 0; i < n; i++)
            g[i] = (nn_real)(g[i] * coef);
    return norm;
}

void nn_clip_grad_value(nn_real *g, size_t n, double clip)
{
    for (size_t i = 0; i < n; i++) {
        if (g[i] > clip)
            g[i] = (nn_real)clip;
        else if (g[i] < -clip)
            g[i] = (nn_real)-clip;
    }
}
