/* plot_band.c: curves with a band (nnlab benchmark's learning curves: the
 * mean over seeds of each optimizer with a shaded band of +- one standard
 * deviation), two panels side by side on one page. */
#include "plot.h"

#include <math.h>
#include <plplot.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_BANDS 10

static double py(double v, int log_y)
{
    if (!isfinite(v))
        return NAN;
    return log_y ? (v > 0 ? log10(v) : NAN) : v;
}

/* The window holding every finite mean +- std of the panel. */
static void window(const nn_band *b, int n, int log_y, double *w)
{
    int any = 0;
    w[0] = 0, w[1] = 1, w[2] = 0, w[3] = 1;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < b[i].n; k++) {
            double s = b[i].std && isfinite(b[i].std[k]) ? b[i].std[k] : 0;
            double lo = py(b[i].mean[k] - s, log_y), hi = py(b[i].mean[k] + s, log_y);
            if (!isfinite(lo))
                lo = py(b[i].mean[k], log_y);
            if (!isfinite(lo) || !isfinite(hi) || !isfinite(b[i].x[k]))
                continue;
            if (!any)
                w[0] = w[1] = b[i].x[k], w[2] = lo, w[3] = hi, any = 1;
            w[0] = fmin(w[0], b[i].x[k]), w[1] = fmax(w[1], b[i].x[k]);
            w[2] = fmin(w[2], lo), w[3] = fmax(w[3], hi);
        }
    if (w[1] <= w[0])
        w[1] = w[0] + 1;
    double span = fmax(w[3] - w[2], 0.02 * fmax(fmax(fabs(w[2]), fabs(w[3])), 1e-3));
    double mid = 0.5 * (w[2] + w[3]);
    w[2] = mid - 0.55 * span;
    w[3] = mid + 0.55 * span;
}

/* The shaded band of one curve over its runs of finite points. */
static void band(const nn_band *b, int log_y, int slot)
{
    if (!b->std)
        return;
    PLFLT *x = malloc((size_t)(2 * b->n + 1) * sizeof(PLFLT)), *y = malloc((size_t)(2 * b->n + 1) * sizeof(PLFLT));
    if (x && y) {
        int rgb[3];
        nn_plot_color_rgb(slot, rgb);
        plscol0a(NN_PLOT_FREE, rgb[0], rgb[1], rgb[2], 0.22);
        plcol0(NN_PLOT_FREE);
        int k = 0;
        for (int i = 0; i < b->n; i++) {
            double hi = py(b->mean[i] + b->std[i], log_y);
            if (!isfinite(hi) || !isfinite(py(b->mean[i], log_y)))
                continue;
            x[k] = b->x[i];
            y[k++] = hi;
        }
        int top = k;
        for (int i = b->n - 1; i >= 0; i--) {
            double hi = py(b->mean[i] + b->std[i], log_y), lo = py(b->mean[i] - b->std[i], log_y);
            if (!isfinite(hi) || !isfinite(py(b->mean[i], log_y)))
                continue;
            x[k] = b->x[i];
            y[k++] = isfinite(lo) ? lo : py(b->mean[i], log_y);
        }
        if (top > 1)
            plfill(k, x, y);
    }
    free(x);
    free(y);
}

static void line(const nn_band *b, int log_y, int slot)
{
    PLFLT *x = malloc((size_t)(b->n + 1) * sizeof(PLFLT)), *y = malloc((size_t)(b->n + 1) * sizeof(PLFLT));
    if (x && y) {
        int k = 0;
        for (int i = 0; i < b->n; i++)
            if (isfinite(py(b->mean[i], log_y)))
                x[k] = b->x[i], y[k++] = py(b->mean[i], log_y);
        plcol0(slot);
        plwidth(2);
        if (k > 1)
            plline(k, x, y);
        else if (k == 1)
            plstring(1, x, y, "•");
        plwidth(1);
    }
    free(x);
    free(y);
}

static void legend(const nn_band *b, int n, PLINT position)
{
    PLINT opt[MAX_BANDS], color[MAX_BANDS], style[MAX_BANDS], ink[MAX_BANDS];
    PLFLT width[MAX_BANDS];
    const char *text[MAX_BANDS];
    for (int i = 0; i < n; i++) {
        opt[i] = PL_LEGEND_LINE;
        color[i] = NN_PLOT_COLOR + (i + 1) % 10;
        style[i] = 1;
        width[i] = 2;
        ink[i] = NN_PLOT_INK;
        text[i] = b[i].name ? b[i].name : "";
    }
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position | PL_POSITION_INSIDE, 0.02, 0.02,
             0.06, NN_PLOT_BG, NN_PLOT_INK, 1, 0, 0, n, opt, 1.0, 0.7, 1.7, 0.0, ink, text, NULL, NULL, NULL,
             NULL, color, style, width, NULL, NULL, NULL, NULL);
}

static void panel(const nn_band *b, int n, int log_y, const char *xl, const char *yl, const char *title,
                  const double *vp, PLINT legend_at)
{
    double w[4];
    window(b, n, log_y, w);
    plschr(0, 0.7);
    plvpor(vp[0], vp[1], vp[2], vp[3]);
    plwind(w[0], w[1], w[2], w[3]);
    plcol0(NN_PLOT_GRID);
    plbox("g", 0, 0, "g", 0, 0);
    for (int i = 0; i < n; i++)
        band(&b[i], log_y, NN_PLOT_COLOR + (i + 1) % 10);
    for (int i = 0; i < n; i++)
        line(&b[i], log_y, NN_PLOT_COLOR + (i + 1) % 10);
    plcol0(NN_PLOT_INK);
    plbox("bcnst", 0, 0, log_y ? "bcnstvl" : "bcnstv", 0, 0);
    pllab(xl, yl, title);
    if (n > 0)
        legend(b, n, legend_at);
}

int nn_plot_bands(const char *path, const nn_band *left, const nn_band *right, int n, const char *xlabel,
                  const char *left_label, int left_log, const char *right_label, int right_higher,
                  const char *title, nn_err *err)
{
    if (n > MAX_BANDS)
        n = MAX_BANDS;
    nn_plot_page p;
    int rc = nn_plot_begin(&p, path, NN_PLOT_COMPARE_W, NN_PLOT_COMPARE_H, 0, err);
    if (rc)
        return rc;
    static const double vl[4] = {0.07, 0.48, 0.13, 0.84}, vr[4] = {0.56, 0.97, 0.13, 0.84};
    panel(left, n, left_log, xlabel, left_label, left_label, vl, PL_POSITION_TOP | PL_POSITION_RIGHT);
    panel(right, n, 0, xlabel, right_label, right_label, vr,
          right_higher ? PL_POSITION_BOTTOM | PL_POSITION_RIGHT : PL_POSITION_TOP | PL_POSITION_RIGHT);
    plvpor(0, 1, 0, 1);
    plcol0(NN_PLOT_INK);
    plschr(0, 0.8);
    plmtex("t", -1.6, 0.5, 0.5, title);
    return nn_plot_end(&p, err);
}
