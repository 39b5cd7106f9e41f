/* plot_model.c: figures of what a model predicts: the decision boundary of
 * 2-D data and the misclassified images by predicted class. */
#include "plot.h"

#include <math.h>
#include <plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict.h"

#define GRID 240
#define SHOWN_CLASSES 10

static const char *class_name(const nn_data *d, int k, char *buf, size_t n)
{
    if (k < NN_MAX_CLASSES && d->class_names[k])
        return d->class_names[k];
    snprintf(buf, n, "class %d", k);
    return buf;
}

/* ---- decision boundary ------------------------------------------------------ */

/* xmin, xmax, ymin, ymax of every split's points, with a 10% margin. */
static void point_bounds(const nn_data *d, double b[4])
{
    const nn_split *sp[3] = {&d->train, &d->val, &d->test};
    b[0] = b[2] = INFINITY;
    b[1] = b[3] = -INFINITY;
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < sp[s]->m; i++) {
            b[0] = fmin(b[0], sp[s]->X[2 * i]);
            b[1] = fmax(b[1], sp[s]->X[2 * i]);
            b[2] = fmin(b[2], sp[s]->X[2 * i + 1]);
            b[3] = fmax(b[3], sp[s]->X[2 * i + 1]);
        }
    for (int a = 0; a < 4; a += 2) {
        double pad = b[a + 1] > b[a] ? 0.1 * (b[a + 1] - b[a]) : 1.0;
        b[a] -= pad;
        b[a + 1] += pad;
    }
}

/* z[i][j] at grid point i (x), j (y): P(y=1) for sigmoid, else the class. */
static int grid_field(nn_model *m, const double b[4], PLFLT **z, nn_err *err)
{
    size_t n = (size_t)GRID * GRID;
    nn_real *X = malloc(n * 2 * sizeof(nn_real));
    int32_t *pred = malloc(n * sizeof(int32_t));
    double *p = malloc(n * sizeof(double));
    if (!X || !pred || !p) {
        free(X);
        free(pred);
        free(p);
        return nn_err_set(err, NN_ENOMEM, "decision boundary: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        X[2 * i] = b[0] + (b[1] - b[0]) * (double)(i / GRID) / (GRID - 1);
        X[2 * i + 1] = b[2] + (b[3] - b[2]) * (double)(i % GRID) / (GRID - 1);
    }
    nn_model_predict(m, X, n, 2, pred, p);
    for (size_t i = 0; i < n; i++)
        z[i / GRID][i % GRID] = m->spec.out == NN_OUT_SIGMOID ? p[i] : (double)pred[i];
    free(X);
    free(pred);
    free(p);
    return NN_OK;
}

/* The filled regions: class colours mixed with 60% white. */
static void draw_regions(PLFLT **z, const double b[4], int sigmoid, int K)
{
    PLINT r[SHOWN_CLASSES], g[SHOWN_CLASSES], bl[SHOWN_CLASSES];
    PLFLT lev[SHOWN_CLASSES + 1];
    int k_max = K < SHOWN_CLASSES ? K : SHOWN_CLASSES;
    for (int k = 0; k < k_max; k++) {
        int c[3];
        nn_plot_color_rgb(NN_PLOT_COLOR + k, c);
        r[k] = (PLINT)(0.4 * c[0] + 153);
        g[k] = (PLINT)(0.4 * c[1] + 153);
        bl[k] = (PLINT)(0.4 * c[2] + 153);
    }
    plscmap1(r, g, bl, k_max);
    for (int k = 0; k <= k_max; k++)
        lev[k] = sigmoid ? (k == 0 ? -0.01 : k == 1 ? 0.5 : 1.01) : k - 0.5;
    plshades((PLFLT_MATRIX)z, GRID, GRID, NULL, b[0], b[1], b[2], b[3], lev, k_max + 1, 0,
             NN_PLOT_INK, 0.6, plfill, 1, NULL, NULL);
}

/* The points of one split, class by class, outlined in ink. */
static void draw_points(const nn_data *d, const nn_split *s, const char *glyph)
{
    PLFLT *x = malloc((s->m + 1) * sizeof(PLFLT)), *y = malloc((s->m + 1) * sizeof(PLFLT));
    for (int k = 0; x && y && k < d->n_classes; k++) {
        int n = 0;
        for (size_t i = 0; i < s->m; i++)
            if (s->y[i] == k) {
                x[n] = s->X[2 * i];
                y[n++] = s->X[2 * i + 1];
            }
        plschr(0, 0.75);
        plcol0(NN_PLOT_INK);
        plstring(n, x, y, glyph);
        plschr(0, 0.55);
        plcol0(NN_PLOT_COLOR + k % 10);
        plstring(n, x, y, glyph);
    }
    free(x);
    free(y);
}

static void boundary_legend(const nn_data *d)
{
    PLINT opt[2 * SHOWN_CLASSES], ink[2 * SHOWN_CLASSES], col[2 * SHOWN_CLASSES], num[2 * SHOWN_CLASSES];
    PLFLT scale[2 * SHOWN_CLASSES];
    const char *text[2 * SHOWN_CLASSES], *sym[2 * SHOWN_CLASSES];
    char buf[2 * SHOWN_CLASSES][96], nb[32];
    int n = 0;
    for (int k = 0; k < d->n_classes && k < SHOWN_CLASSES; k++)
        for (int s = 0; s < 2; s++) {
            if (s == 1 && d->test.m == 0)
                continue;
            snprintf(buf[n], sizeof buf[n], "%s %s", s ? "test" : "train", class_name(d, k, nb, sizeof nb));
            text[n] = buf[n];
            sym[n] = s ? "▲" : "●";
            opt[n] = PL_LEGEND_SYMBOL;
            ink[n] = NN_PLOT_INK;
            col[n] = NN_PLOT_COLOR + k;
            num[n] = 1;
            scale[n++] = 1.0;
        }
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE, 0.01, 0.01, 0.03, NN_PLOT_BG,
             NN_PLOT_INK, 1, 0, 0, n, opt, 1.0, 0.7, 1.8, 0.0, ink, text, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, col, scale, num, sym);
}

static void boundary_title(nn_model *m, const nn_data *d, const char *name, char *out, size_t n)
{
    double tr = nn_model_evaluate(m, d->train.X, d->train.y, d->train.m, d->d).accuracy;
    int len = snprintf(out, n, "%s: train accuracy %.1f%%", name, 100 * tr);
    if (d->test.m && len > 0 && (size_t)len < n)
        snprintf(out + len, n - (size_t)len, ", test accuracy %.1f%%",
                 100 * nn_model_evaluate(m, d->test.X, d->test.y, d->test.m, d->d).accuracy);
}

int nn_plot_decision_boundary(const char *path, nn_model *m, const nn_data *data,
                              const char *title, nn_err *err)
{
    if (data->d != 2)
        return nn_err_set(err, NN_EINPUT, "decision boundary: the data have %d features, not 2", data->d);
    double b[4];
    point_bounds(data, b);
    PLFLT **z;
    plAlloc2dGrid(&z, GRID, GRID);
    int rc = grid_field(m, b, z, err);
    char full[600];
    if (rc == NN_OK)
        boundary_title(m, data, title, full, sizeof full);
    nn_plot_page p;
    if (rc == NN_OK && (rc = nn_plot_begin(&p, path, NN_PLOT_BOUNDARY_W, NN_PLOT_BOUNDARY_H, 0, err)) == NN_OK) {
        plschr(0, 0.95);
        plvsta();
        plwind(b[0], b[1], b[2], b[3]);
        draw_regions(z, b, m->spec.out == NN_OUT_SIGMOID, data->n_classes);
        draw_points(data, &data->train, "●");
        draw_points(data, &data->test, "▲");
        plcol0(NN_PLOT_INK);
        plschr(0, 0.95);
        plbox("bcnst", 0, 0, "bcnstv", 0, 0);
        pllab("feature 1 (input units)", "feature 2 (input units)", full);
        boundary_legend(data);
        rc = nn_plot_end(&p, err);
    }
    plFree2dGrid(z, GRID, GRID);
    return rc;
}

/* ---- misclassified images ---------------------------------------------------- */

#define MIS_COLS 8
#define MIS_LABEL_W 150
#define MIS_TOP 56
#define MIS_GAP 10
#define MIS_TEXT 22

typedef struct mis_layout {
    int scale, cell, rows, width, height;
    double text; /* PLplot's default text grows with the page's longer side */
} mis_layout;

static mis_layout mis_layout_of(const nn_data *d)
{
    mis_layout l;
    int side = d->height > d->width ? d->height : d->width;
    l.scale = side >= 64 ? 1 : 64 / side;
    l.cell = side * l.scale;
    l.rows = d->n_classes < SHOWN_CLASSES ? d->n_classes : SHOWN_CLASSES;
    l.width = MIS_LABEL_W + MIS_COLS * (l.cell + MIS_GAP) + MIS_GAP;
    l.height = MIS_TOP + l.rows * (l.cell + MIS_TEXT + MIS_GAP) + MIS_GAP;
    l.text = 800.0 / (l.width > l.height ? l.width : l.height);
    return l;
}

void nn_plot_misclassified_size(const nn_data *data, int *width, int *height)
{
    mis_layout l = mis_layout_of(data);
    *width = l.width;
    *height = l.height;
}

/* One image with its top-left corner at (x0, y0) in pixel world coordinates
 * (y up), as rectangles of equal colour along each row. */
static void draw_image(const nn_data *d, const uint8_t *img, int scale, double x0, double y0)
{
    int C = d->channels, W = d->width;
    for (int r = 0; r < d->height; r++)
        for (int c = 0; c < W;) {
            const uint8_t *px = img + ((size_t)r * (size_t)W + (size_t)c) * (size_t)C;
            int e = c + 1;
            while (e < W && memcmp(px, img + ((size_t)r * (size_t)W + (size_t)e) * (size_t)C, (size_t)C) == 0)
                e++;
            plscol0(NN_PLOT_FREE, px[0], px[C > 2 ? 1 : 0], px[C > 2 ? 2 : 0]);
            plcol0(NN_PLOT_FREE);
            PLFLT xs[4] = {x0 + c * scale, x0 + e * scale, x0 + e * scale, x0 + c * scale};
            PLFLT ys[4] = {y0 - r * scale, y0 - r * scale, y0 - (r + 1) * scale, y0 - (r + 1) * scale};
            plfill(4, xs, ys);
            c = e;
        }
}

/* Row k: the images whose prediction is k and label is not. */
static void draw_mis_row(const nn_data *d, const nn_split *s, const int32_t *pred, int k,
                         const mis_layout *l)
{
    char nb[32], txt[160];
    double ytop = l->height - MIS_TOP - k * (l->cell + MIS_TEXT + MIS_GAP);
    size_t per = (size_t)d->height * (size_t)d->width * (size_t)d->channels;
    int shown = 0, wrong = 0;
    for (size_t i = 0; i < s->m; i++) {
        if (pred[i] != k || s->y[i] == k)
            continue;
        if (wrong++ >= MIS_COLS)
            continue;
        double x0 = MIS_LABEL_W + shown++ * (l->cell + MIS_GAP);
        draw_image(d, s->images + i * per, l->scale, x0, ytop);
        plcol0(NN_PLOT_INK);
        plschr(0, 0.55 * l->text);
        plptex(x0 + l->cell / 2.0, ytop - l->cell - 13, 1, 0, 0.5, class_name(d, s->y[i], nb, sizeof nb));
    }
    plcol0(NN_PLOT_INK);
    plschr(0, 0.75 * l->text);
    snprintf(txt, sizeof txt, "as %s", class_name(d, k, nb, sizeof nb));
    plptex(10, ytop - l->cell / 2.0 + 4, 1, 0, 0, txt);
    snprintf(txt, sizeof txt, "(%d wrong)", wrong);
    plschr(0, 0.6 * l->text);
    plptex(10, ytop - l->cell / 2.0 - 14, 1, 0, 0, txt);
}

int nn_plot_misclassified(const char *path, nn_model *m, const nn_data *data, const char *title,
                          nn_err *err)
{
    const nn_split *s = data->test.m && data->test.images ? &data->test : &data->val;
    if (data->height <= 0 || !s->m || !s->images || (data->channels != 1 && data->channels < 3))
        return nn_err_set(err, NN_EINPUT, "misclassified: the data have no test or validation images");
    int32_t *pred = malloc(s->m * sizeof(int32_t));
    if (!pred)
        return nn_err_set(err, NN_ENOMEM, "misclassified: out of memory");
    nn_model_predict(m, s->X, s->m, data->d, pred, NULL);
    mis_layout l = mis_layout_of(data);
    nn_plot_page p;
    int rc = nn_plot_begin(&p, path, l.width, l.height, 1, err);
    if (rc == NN_OK) {
        plvpor(0, 1, 0, 1);
        plwind(0, l.width, 0, l.height);
        char t[600];
        snprintf(t, sizeof t, "%s: misclassified %s images by predicted class (below: true class)",
                 title, s == &data->test ? "test" : "validation");
        plcol0(NN_PLOT_INK);
        plschr(0, 0.85 * l.text);
        plptex(l.width / 2.0, l.height - 32, 1, 0, 0.5, t);
        for (int k = 0; k < l.rows; k++)
            draw_mis_row(data, s, pred, k, &l);
        rc = nn_plot_end(&p, err);
    }
    free(pred);
    return rc;
}
