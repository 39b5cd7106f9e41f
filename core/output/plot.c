/* plot.c: PLplot pages (pngcairo, white background, atomic rename), the
 * palette, and loss and accuracy curves. The model figures are in
 * plot_model.c, which figures.c calls for a run folder. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <plplot.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- pages ------------------------------------------------------------------ */

static const int palette[16][3] = {
    {255, 255, 255}, {0, 0, 0},       {225, 225, 225}, {214, 39, 40},  {31, 119, 180},
    {44, 160, 44},   {255, 127, 14},  {148, 103, 189}, {140, 86, 75},  {227, 119, 194},
    {127, 127, 127}, {188, 189, 34},  {23, 190, 207},  {90, 90, 90},   {60, 60, 60},
    {0, 0, 0},
};

void nn_plot_color_rgb(int slot, int rgb[3])
{
    for (int i = 0; i < 3; i++)
        rgb[i] = palette[slot & 15][i];
}

static char abort_msg[512];
/* PLplot exits the process on a fatal error; while armed, its exit handler
 * jumps back here instead (only around driver lookup and plinit). */
static jmp_buf exit_jmp;
static int exit_armed;

static void on_abort(PLCHAR_VECTOR msg)
{
    snprintf(abort_msg, sizeof abort_msg, "%s", msg);
}

static int on_exit_(PLCHAR_VECTOR msg)
{
    snprintf(abort_msg, sizeof abort_msg, "%s", msg);
    if (exit_armed) {
        exit_armed = 0;
        longjmp(exit_jmp, 1);
    }
    fprintf(stderr, "nnlab: PLplot: %s\n", msg);
    return 1;
}

int nn_plot_available(nn_err *err)
{
    const char *menu[128], *devs[128];
    const char **pm = menu, **pd = devs;
    int n = 128;
    plsexit(on_exit_);
    if (setjmp(exit_jmp))
        return nn_err_set(err, NN_EINPUT, "plots: PLplot: %s (set output.plots = false to run without "
                          "figures)", abort_msg);
    exit_armed = 1;
    plgDevs(&pm, &pd, &n);
    exit_armed = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(pd[i], "pngcairo") == 0)
            return NN_OK;
    return nn_err_set(err, NN_EINPUT,
                      "plots: PLplot has no pngcairo device (install plplot-driver-cairo, "
                      "or set output.plots = false)");
}

static void set_palette(void)
{
    PLINT r[16], g[16], b[16];
    for (int i = 0; i < 16; i++) {
        r[i] = palette[i][0];
        g[i] = palette[i][1];
        b[i] = palette[i][2];
    }
    plscmap0n(16);
    plscmap0(r, g, b, 16);
}

int nn_plot_begin(nn_plot_page *p, const char *path, int width, int height, int sharp,
                  nn_err *err)
{
    int rc = nn_plot_available(err);
    if (rc)
        return rc;
    snprintf(p->path, sizeof p->path, "%s", path);
    snprintf(p->tmp, sizeof p->tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(p->tmp, "wb"); /* PLplot would prompt on stdin for a bad name */
    if (!f)
        return nn_err_set(err, NN_EIO, "%s: cannot create", p->tmp);
    fclose(f);
    char geo[64];
    snprintf(geo, sizeof geo, "%dx%d", width, height);
    abort_msg[0] = '\0';
    plsabort(on_abort);
    plsexit(on_exit_);
    plsdev("pngcairo");
    plsfnam(p->tmp);
    plsetopt("geometry", geo);
    plsetopt("drvopt", sharp ? "graphics_anti_aliasing=1" : "graphics_anti_aliasing=0");
    set_palette();
    if (setjmp(exit_jmp)) {
        unlink(p->tmp);
        return nn_err_set(err, NN_EIO, "%s: PLplot: %s", path, abort_msg);
    }
    exit_armed = 1;
    plinit();
    exit_armed = 0;
    pladv(0);
    return NN_OK;
}

/* 0 when the PNG at path ends with its IEND chunk and is on disk (PLplot's
 * driver does not report a failed write, so a full disk or a file-size
 * limit leaves a truncated file); -1 otherwise, errno 0 when it is only
 * incomplete. */
static int png_complete(const char *path)
{
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
    unsigned char tail[12];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int ok = fseek(f, -12, SEEK_END) == 0 && fread(tail, 1, 12, f) == 12
             && memcmp(tail, iend, 12) == 0;
    errno = 0;
    ok = ok && fsync(fileno(f)) == 0;
    fclose(f);
    return ok ? 0 : -1;
}

int nn_plot_end(nn_plot_page *p, nn_err *err)
{
    plend();
    if (abort_msg[0]) {
        unlink(p->tmp);
        return nn_err_set(err, NN_EIO, "%s: PLplot: %s", p->path, abort_msg);
    }
    if (png_complete(p->tmp) != 0) {
        int e = errno;
        unlink(p->tmp);
        return nn_err_set(err, NN_EIO, "%s: write failed: %s", p->path,
                          e ? strerror(e) : "the figure was not written whole (disk full?)");
    }
    if (rename(p->tmp, p->path) != 0) {
        unlink(p->tmp);
        return nn_err_set(err, NN_EIO, "%s: cannot rename the finished figure into place", p->path);
    }
    return NN_OK;
}

/* ---- curves ----------------------------------------------------------------- */

/* Character height relative to PLplot's default (smaller on wide pages). */
static double chr_scale = 1.0;

static void text_size(double k)
{
    plschr(0, k * chr_scale);
}

enum { F_LOSS, F_VLOSS, F_TRAIN, F_VAL };

/* Plotted value of a row (NAN when absent): loss (log10 when log_y) or accuracy in %. */
static double row_value(const nn_metric_row *r, int field, int log_y)
{
    const double v4[4] = {r->loss, r->val_loss, r->train_acc, r->val_acc};
    double v = v4[field];
    if (!isfinite(v))
        return NAN;
    if (field >= F_TRAIN)
        return 100.0 * v;
    return log_y ? (v > 0 ? log10(v) : NAN) : v;
}

typedef struct range {
    double x0, x1, y0, y1;
    int any;
} range;

static void range_add(range *g, double x, double y)
{
    if (!isfinite(y))
        return;
    if (!g->any) {
        *g = (range){x, x, y, y, 1};
        return;
    }
    g->x0 = fmin(g->x0, x);
    g->x1 = fmax(g->x1, x);
    g->y0 = fmin(g->y0, y);
    g->y1 = fmax(g->y1, y);
}

static range series_range(const nn_series *s, int n, int f0, int f1, int log_y)
{
    range g = {0, 1, 0, 1, 0};
    for (int i = 0; i < n; i++)
        for (long k = 0; k < s[i].n; k++)
            for (int f = f0; f <= f1; f++)
                range_add(&g, (double)s[i].rows[k].epoch, row_value(&s[i].rows[k], f, log_y));
    if (g.x1 <= g.x0)
        g.x1 = g.x0 + 1;
    /* a flat curve gets a span of 2% of its value (PLplot loops on tiny spans) */
    double span = fmax(g.y1 - g.y0, 0.02 * fmax(fmax(fabs(g.y0), fabs(g.y1)), 1e-3));
    double mid = 0.5 * (g.y0 + g.y1);
    g.y0 = mid - 0.55 * span;
    g.y1 = mid + 0.55 * span;
    return g;
}

/* Every series logged one row per iteration (full batch): x is "iteration". */
static const char *x_label(const nn_series *s, int n)
{
    for (int i = 0; i < n; i++)
        for (long k = 0; k < s[i].n; k++)
            if (s[i].rows[k].epoch != s[i].rows[k].iteration)
                return "epoch (passes over the training set)";
    return "iteration (full-batch steps)";
}

/* Axes with grid and labels; vp: viewport (normalized page coordinates) or
 * NULL for the standard one. */
static void frame(const range *g, int log_y, const char *xl, const char *yl, const char *title,
                  const double *vp)
{
    text_size(0.95);
    if (vp)
        plvpor(vp[0], vp[1], vp[2], vp[3]);
    else
        plvsta();
    plwind(g->x0, g->x1, g->y0, g->y1);
    plcol0(NN_PLOT_GRID);
    plwidth(1);
    plbox("g", 0, 0, "g", 0, 0);
    plcol0(NN_PLOT_INK);
    plbox("bcnst", 0, 0, log_y ? "bcnstvl" : "bcnstv", 0, 0);
    pllab(xl, yl, title);
}

/* One curve: connected runs of measured points (a lone point as a dot). */
static void curve(const nn_series *s, int field, int log_y, int color, int style)
{
    PLFLT *x = malloc((size_t)(s->n + 1) * sizeof(PLFLT)), *y = malloc((size_t)(s->n + 1) * sizeof(PLFLT));
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
    plcol0(color);
    pllsty(style);
    plwidth(2);
    int k = 0;
    for (long i = 0; i <= s->n; i++) {
        double v = i < s->n ? row_value(&s->rows[i], field, log_y) : NAN;
        if (isfinite(v)) {
            x[k] = (double)s->rows[i].epoch;
            y[k++] = v;
            continue;
        }
        if (k > 1)
            plline(k, x, y);
        else if (k == 1)
            plstring(1, x, y, "•");
        k = 0;
    }
    pllsty(1);
    plwidth(1);
    free(x);
    free(y);
}

#define MAX_LEGEND 40

typedef struct legend {
    int n;
    const char *text[MAX_LEGEND];
    char buf[MAX_LEGEND][96];
    PLINT opt[MAX_LEGEND], color[MAX_LEGEND], style[MAX_LEGEND], ink[MAX_LEGEND];
    PLFLT width[MAX_LEGEND];
} legend;

static void legend_add(legend *l, const char *name, const char *suffix, int color, int style)
{
    if (l->n >= MAX_LEGEND)
        return;
    int i = l->n++;
    snprintf(l->buf[i], sizeof l->buf[i], "%s%s", name, suffix);
    l->text[i] = l->buf[i];
    l->opt[i] = PL_LEGEND_LINE;
    l->color[i] = color;
    l->style[i] = style;
    l->width[i] = 2;
    l->ink[i] = NN_PLOT_INK;
}

static void legend_draw(const legend *l, PLINT position)
{
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position | PL_POSITION_INSIDE,
             0.02, 0.02, 0.06, NN_PLOT_BG, NN_PLOT_INK, 1, 0, 0, l->n, l->opt, 1.0, 0.9 * chr_scale,
             1.7, 0.0,
             l->ink, l->text, NULL, NULL, NULL, NULL, l->color, l->style, l->width, NULL, NULL,
             NULL, NULL);
}

static int series_color(int i)
{
    static const int order[10] = {4, 6, 5, 3, 7, 8, 9, 10, 11, 12};
    return order[i % 10];
}

static int has_field(const nn_series *s, int field)
{
    for (long k = 0; k < s->n; k++)
        if (isfinite(row_value(&s->rows[k], field, 0)))
            return 1;
    return 0;
}

/* Training loss (solid) and validation loss (dashed) where measured. */
static void draw_loss(const nn_series *s, int n, const char *title, int log_y, const double *vp)
{
    range g = series_range(s, n, F_LOSS, F_VLOSS, log_y);
    frame(&g, log_y, x_label(s, n), log_y ? "loss (cross-entropy, nats, log scale)"
                                          : "loss (cross-entropy, nats)", title, vp);
    legend l = {0};
    for (int i = 0; i < n; i++) {
        int one = n == 1;
        curve(&s[i], F_LOSS, log_y, series_color(i), 1);
        legend_add(&l, one ? "training" : s[i].name, one ? "" : " training", series_color(i), 1);
        if (!has_field(&s[i], F_VLOSS))
            continue;
        curve(&s[i], F_VLOSS, log_y, one ? series_color(1) : series_color(i), 2);
        legend_add(&l, one ? "validation" : s[i].name, one ? "" : " validation",
                   one ? series_color(1) : series_color(i), 2);
    }
    legend_draw(&l, PL_POSITION_TOP | PL_POSITION_RIGHT);
}

static void draw_accuracy(const nn_series *s, int n, const char *title, const double *vp)
{
    range g = series_range(s, n, F_TRAIN, F_VAL, 0);
    g.y0 = fmax(0, floor((g.y0 - 2) / 10) * 10);
    g.y1 = 101;
    frame(&g, 0, x_label(s, n), "accuracy (% of examples)", title, vp);
    legend l = {0};
    for (int i = 0; i < n; i++) {
        int one = n == 1;
        curve(&s[i], F_TRAIN, 0, one ? series_color(0) : series_color(i), 1);
        legend_add(&l, one ? "train" : s[i].name, one ? "" : " train", one ? series_color(0) : series_color(i), 1);
        if (!has_field(&s[i], F_VAL))
            continue;
        curve(&s[i], F_VAL, 0, one ? series_color(1) : series_color(i), 2);
        legend_add(&l, one ? "validation" : s[i].name, one ? "" : " validation",
                   one ? series_color(1) : series_color(i), 2);
    }
    legend_draw(&l, PL_POSITION_BOTTOM | PL_POSITION_RIGHT);
}

/* One page of loss (loss = 1) or accuracy curves. */
static int curve_page(const char *path, const nn_series *s, int n, const char *title, int loss,
                      int log_y, nn_err *err)
{
    nn_plot_page p;
    int rc = nn_plot_begin(&p, path, NN_PLOT_CURVE_W, NN_PLOT_CURVE_H, 0, err);
    if (rc)
        return rc;
    if (loss)
        draw_loss(s, n, title, log_y, NULL);
    else
        draw_accuracy(s, n, title, NULL);
    return nn_plot_end(&p, err);
}

int nn_plot_loss(const char *path, const nn_series *s, int n, const char *title, int log_y,
                 nn_err *err)
{
    return curve_page(path, s, n, title, 1, log_y, err);
}

int nn_plot_accuracy(const char *path, const nn_series *s, int n, const char *title, nn_err *err)
{
    return curve_page(path, s, n, title, 0, 0, err);
}

int nn_plot_compare(const char *path, const nn_series *s, int n, const char *title, int log_y,
                    nn_err *err)
{
    nn_plot_page p;
    int rc = nn_plot_begin(&p, path, NN_PLOT_COMPARE_W, NN_PLOT_COMPARE_H, 0, err);
    if (rc)
        return rc;
    static const double left[4] = {0.07, 0.48, 0.13, 0.84}, right[4] = {0.56, 0.97, 0.13, 0.84};
    chr_scale = 0.7;
    draw_loss(s, n, "loss", log_y, left);
    draw_accuracy(s, n, "accuracy", right);
    plvpor(0, 1, 0, 1);
    plcol0(NN_PLOT_INK);
    text_size(1.1);
    plmtex("t", -1.6, 0.5, 0.5, title);
    chr_scale = 1.0;
    return nn_plot_end(&p, err);
}
