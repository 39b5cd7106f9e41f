/* plot_points.c: points against a numeric or categorical axis (nnlab sweep's
 * metric against each hyperparameter). */
#include "plot.h"

#include <math.h>
#include <plplot.h>
#include <stdio.h>
#include <string.h>

#define MAX_GROUPS 10

/* x as plotted: log10 on a log axis (NAN for x <= 0). */
static double px(double x, int log_x)
{
    return log_x ? (x > 0 ? log10(x) : NAN) : x;
}

static void span(const nn_points *g, int n_groups, int log_x, int n_labels, double *w)
{
    int any = 0;
    w[0] = 0, w[1] = 1, w[2] = 0, w[3] = 1;
    for (int i = 0; i < n_groups; i++)
        for (int k = 0; k < g[i].n; k++) {
            double x = px(g[i].x[k], log_x), y = g[i].y[k];
            if (!isfinite(x) || !isfinite(y))
                continue;
            if (!any)
                w[0] = w[1] = x, w[2] = w[3] = y, any = 1;
            w[0] = fmin(w[0], x), w[1] = fmax(w[1], x);
            w[2] = fmin(w[2], y), w[3] = fmax(w[3], y);
        }
    if (n_labels > 0)
        w[0] = -0.5, w[1] = n_labels - 0.5;
    double dx = w[1] - w[0], dy = w[3] - w[2];
    if (dx <= 0)
        dx = fmax(fabs(w[0]) * 0.1, 0.5);
    if (dy <= 0)
        dy = fmax(fabs(w[2]) * 0.02, 1e-3);
    if (n_labels == 0)
        w[0] -= 0.05 * dx, w[1] += 0.05 * dx;
    w[2] -= 0.08 * dy, w[3] += 0.08 * dy;
}

static void draw_group(const nn_points *g, int log_x, int color)
{
    plschr(0, 1.6);
    plcol0(color);
    for (int k = 0; k < g->n; k++) {
        PLFLT x = px(g->x[k], log_x), y = g->y[k];
        if (isfinite(x) && isfinite(y))
            plstring(1, &x, &y, "•");
    }
    plschr(0, 0.95);
}

static void legend_groups(const nn_points *g, int n)
{
    PLINT opt[MAX_GROUPS], color[MAX_GROUPS], ink[MAX_GROUPS];
    PLFLT scale[MAX_GROUPS];
    const char *text[MAX_GROUPS], *sym[MAX_GROUPS];
    PLINT nsym[MAX_GROUPS];
    for (int i = 0; i < n; i++) {
        opt[i] = PL_LEGEND_SYMBOL;
        color[i] = NN_PLOT_COLOR + (i + 1) % 10;
        ink[i] = NN_PLOT_INK;
        scale[i] = 1;
        nsym[i] = 1;
        text[i] = g[i].name ? g[i].name : "";
        sym[i] = "•";
    }
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_BOTTOM | PL_POSITION_RIGHT | PL_POSITION_INSIDE, 0.02, 0.02, 0.05,
             NN_PLOT_BG, NN_PLOT_INK, 1, 0, 0, n, opt, 1.0, 0.9, 1.7, 0.0, ink, text, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, color, scale, nsym, sym);
}

int nn_plot_points(const char *path, const nn_points *g, int n_groups, const char *const *labels,
                   int n_labels, int log_x, const char *xlabel, const char *ylabel,
                   const char *title, nn_err *err)
{
    if (n_groups > MAX_GROUPS)
        n_groups = MAX_GROUPS;
    nn_plot_page p;
    int rc = nn_plot_begin(&p, path, NN_PLOT_CURVE_W, NN_PLOT_CURVE_H, 0, err);
    if (rc)
        return rc;
    double w[4];
    span(g, n_groups, log_x && !labels, labels ? n_labels : 0, w);
    plschr(0, 0.95);
    plvsta();
    plwind(w[0], w[1], w[2], w[3]);
    plcol0(NN_PLOT_GRID);
    plbox(labels ? "" : "g", 0, 0, "g", 0, 0);
    plcol0(NN_PLOT_INK);
    plbox(labels ? "bc" : log_x ? "bcnstl" : "bcnst", labels ? 1 : 0, 0, "bcnstv", 0, 0);
    for (int i = 0; labels && i < n_labels; i++)
        plmtex("b", 1.6, (i + 0.5) / n_labels, 0.5, labels[i]);
    pllab(labels ? "" : xlabel, ylabel, title);
    if (labels)
        plmtex("b", 3.2, 0.5, 0.5, xlabel);
    for (int i = 0; i < n_groups; i++)
        draw_group(&g[i], log_x && !labels, NN_PLOT_COLOR + (i + 1) % 10);
    if (n_groups > 1)
        legend_groups(g, n_groups);
    return nn_plot_end(&p, err);
}
