/* plot.h: drawing figures with PLplot's cairo driver (PNG, white background):
 * pages, palette, loss and accuracy curves and the overlay of several runs
 * (plot.c); decision boundaries of 2-D data and misclassified images
 * (plot_model.c, drawn with plot.c's pages). Every PNG is written
 * atomically. Which figures a run folder gets is figures.h's business. */
#ifndef NN_PLOT_H
#define NN_PLOT_H

#include "model.h"
#include "train.h"

/* Figure sizes in pixels. */
#define NN_PLOT_CURVE_W 800
#define NN_PLOT_CURVE_H 500
#define NN_PLOT_BOUNDARY_W 700
#define NN_PLOT_BOUNDARY_H 600
#define NN_PLOT_COMPARE_W 1400
#define NN_PLOT_COMPARE_H 560

/* The logged rows of one run (metrics.csv). */
typedef struct nn_series {
    const char *name;
    const nn_metric_row *rows;
    long n;
} nn_series;

/* NN_OK when PLplot has the pngcairo device; otherwise a message saying
 * how to get it. */
int nn_plot_available(nn_err *err);

/* ---- for the figure code (plot*.c) --------------------------------------- */

/* cmap0 slots: background, ink, grid, then ten distinct colours (class k
 * uses NN_PLOT_COLOR + k % 10: red, blue, green, ...), a free slot. */
enum { NN_PLOT_BG = 0, NN_PLOT_INK = 1, NN_PLOT_GRID = 2, NN_PLOT_COLOR = 3, NN_PLOT_FREE = 15 };
void nn_plot_color_rgb(int slot, int rgb[3]);

/* A page drawn into "<path>.tmp.<pid>", renamed over path by nn_plot_end.
 * sharp: no antialiasing (pixel images). */
typedef struct nn_plot_page {
    char path[4096];
    char tmp[4200];
} nn_plot_page;
int nn_plot_begin(nn_plot_page *p, const char *path, int width, int height, int sharp,
                  nn_err *err);
int nn_plot_end(nn_plot_page *p, nn_err *err);

/* Training loss per logged row of each series (log10 y axis when log_y). */
int nn_plot_loss(const char *path, const nn_series *s, int n, const char *title, int log_y,
                 nn_err *err);
/* Train (solid) and validation (dashed) accuracy per logged epoch. */
int nn_plot_accuracy(const char *path, const nn_series *s, int n, const char *title, nn_err *err);
/* Loss and accuracy side by side for several runs (nnlab compare). */
int nn_plot_compare(const char *path, const nn_series *s, int n, const char *title, int log_y,
                    nn_err *err);

/* Points of several groups (one colour and legend entry each, e.g. a sweep's
 * metric against one hyperparameter): x on a linear or log10 axis, or, with
 * labels, at categories 0 .. n_labels-1 named by them. Non-finite points are
 * left out. */
typedef struct nn_points {
    const char *name;
    const double *x, *y;
    int n;
} nn_points;
int nn_plot_points(const char *path, const nn_points *g, int n_groups, const char *const *labels,
                   int n_labels, int log_x, const char *xlabel, const char *ylabel,
                   const char *title, nn_err *err);

/* Curves with a shaded band (mean +- std over seeds, nnlab benchmark), one
 * per group, in two panels: left (log10 y axis when left_log) and right
 * (legend at the bottom when right_higher, else at the top). std may be
 * NULL (no band); non-finite points are left out. At most 10 groups. */
typedef struct nn_band {
    const char *name;
    const double *x, *mean, *std;
    int n;
} nn_band;
int nn_plot_bands(const char *path, const nn_band *left, const nn_band *right, int n, const char *xlabel,
                  const char *left_label, int left_log, const char *right_label, int right_higher,
                  const char *title, nn_err *err);

/* The model's prediction over a grid covering the 2-D points as filled
 * regions, train points as discs and test points as triangles coloured by
 * class, the title ending with the model's train and test accuracy.
 * Needs data->d == 2. */
int nn_plot_decision_boundary(const char *path, nn_model *m, const nn_data *data,
                              const char *title, nn_err *err);
/* For each class a row of test images (validation when there is no test
 * split) that the model wrongly put in that class. Needs split images. */
int nn_plot_misclassified(const char *path, nn_model *m, const nn_data *data, const char *title,
                          nn_err *err);
/* The size of that figure in pixels. */
void nn_plot_misclassified_size(const nn_data *data, int *width, int *height);

#endif
