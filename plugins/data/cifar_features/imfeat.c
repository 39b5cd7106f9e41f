/* imfeat.c: per-image features identical to CS231n's features.py: HOG
 * (hog_feature), hue histogram (color_histogram_hsv) and scaled pixels.
 * Pure functions, no allocation: callers pass scratch memory. The arithmetic
 * follows NumPy/SciPy/Matplotlib operation by operation (the build uses
 * -ffp-contract=off, so no multiply-add is fused). */
#include "imfeat.h"

#include <math.h>
#include <string.h>

/* ---- HOG: gradients and orientation bins ------------------------------------ */

/* NumPy's arctan2 (SVML on AVX-512 machines, as on the course's) returns
 * copysign(pi/2 - x / |y|, y) when 0 < x <= 1e-9 |y|; glibc rounds correctly
 * instead. It matters for gx == 0 (x = 1e-15): the orientation is then 0 or
 * 180 (no bin) or a hair inside (bin 0 or 8) depending on that last ulp. */
static double numpy_atan2(double y, double x)
{
    if (x > 0.0 && x <= 1e-9 * fabs(y))
        return copysign(M_PI / 2 - x / fabs(y), y);
    return atan2(y, x);
}

double nn_hog_orientation(double gx, double gy)
{
    return numpy_atan2(gy, gx + 1e-15) * (180.0 / M_PI) + 90.0;
}

/* features.py's rule: bin i when 20 i <= ori < 20 (i + 1) and ori > 0. */
static int bin_of_orientation(double ori)
{
    if (!(ori > 0.0 && ori < 180.0))
        return -1;
    int b = (int)(ori / 20.0);
    if (b > NN_HOG_BINS - 1)
        b = NN_HOG_BINS - 1;
    if (ori < 20.0 * b)
        b--;
    else if (b < NN_HOG_BINS - 1 && ori >= 20.0 * (b + 1))
        b++;
    return b;
}

/* The bin of a gradient from features.py's formula (-1: none). */
int nn_hog_bin_exact(double gx, double gy)
{
    return bin_of_orientation(nn_hog_orientation(gx, gy));
}

/* tan of the positive bin edges 10, 30, 50, 70 degrees of atan2 (ori - 90):
 * the edges are symmetric, -70 ... -10 being their negatives. */
static const double tan_pos_edge[4] = {0.17632698070846498, 0.5773502691896257,
                                       1.19175359259421, 2.7474774194546216};

/* The bin without atan2 where that is safe: compare t = gy / (gx + 1e-15)
 * with the edge tangents. Away from an edge by a relative 1e-9 the rounding of
 * atan2, * 180 / pi and + 90 (below 1e-13 degrees) cannot change the side, so
 * both paths agree (tests/test_image_features.c checks this). Near an edge or
 * within 1e-9 rad of +-90 degrees, *sure is 0 and the caller computes the
 * orientation. Returns NN_HOG_BINS for "no bin"; no data-dependent branches. */
static inline int hog_bin_fast(double gx, double gy, int *sure)
{
    double x = gx + 1e-15, t = gy / x, a = fabs(t), tol = 1e-9 * (1.0 + a);
    int above = 0, near = 0;
    for (int k = 0; k < 4; k++) {
        above += a > tan_pos_edge[k];
        near |= fabs(a - tan_pos_edge[k]) <= tol;
    }
    int b = 4 + (t < 0.0 ? -above : above);
    int pos = x > 0.0; /* x < 0: |atan2| > 90 degrees, so ori < 0 or > 180 */
    *sure = (fabs(x) > 1e-9 * fabs(gy)) & (!pos | !near);
    return NN_HOG_BINS + pos * (b - NN_HOG_BINS);
}

int nn_hog_bin(double gx, double gy)
{
    int sure, b = hog_bin_fast(gx, gy, &sure);
    if (!sure)
        return nn_hog_bin_exact(gx, gy);
    return b == NN_HOG_BINS ? -1 : b;
}

int nn_hog_dim(int h, int w, int cell)
{
    return (h / cell) * (w / cell) * NN_HOG_BINS;
}

/* Slots of the running sums per column: nine bins and a dump for "no bin". */
#define NN_HOG_SLOTS (NN_HOG_BINS + 1)

size_t nn_hog_work_size(int h, int w, int cell)
{
    size_t px = (size_t)h * w;
    size_t v = (size_t)(h / cell) * NN_HOG_BINS * w, t = (size_t)w * NN_HOG_SLOTS;
    return (px + v + t) * sizeof(double) + px * sizeof(int) + px;
}

/* Correctly rounded i / 255.0 for every byte (what im / 255 gives NumPy). */
#define NN_B4(i) (i) / 255.0, (i + 1) / 255.0, (i + 2) / 255.0, (i + 3) / 255.0
#define NN_B16(i) NN_B4(i), NN_B4(i + 4), NN_B4(i + 8), NN_B4(i + 12)
#define NN_B64(i) NN_B16(i), NN_B16(i + 16), NN_B16(i + 32), NN_B16(i + 48)
static const double by255[256] = {NN_B64(0), NN_B64(64), NN_B64(128), NN_B64(192)};

void nn_imfeat_grey(double *grey, const uint8_t *img, size_t n_px, int channels,
                    const double weights[3])
{
    if (channels == 1) {
        for (size_t i = 0; i < n_px; i++)
            grey[i] = img[i];
        return;
    }
    for (size_t i = 0; i < n_px; i++) {
        const uint8_t *p = img + i * (size_t)channels;
        grey[i] = ((double)p[0] * weights[0] + (double)p[1] * weights[1])
                  + (double)p[2] * weights[2];
    }
}

/* Forward differences of grey (h, w) at pixel i = (r, c); 0 on the last
 * column / row. */
static inline void gradient_at(const double *grey, int h, int w, int r, int c, double *gx,
                               double *gy)
{
    size_t i = (size_t)r * w + c;
    *gx = c + 1 < w ? grey[i + 1] - grey[i] : 0.0;
    *gy = r + 1 < h ? grey[i + w] - grey[i] : 0.0;
}

/* mag: (h, w) gradient magnitude; slot: (h, w) bin, NN_HOG_BINS for none.
 * Pixels the fast test is unsure of are listed in hard, then recomputed. */
static void hog_gradients(double *mag, unsigned char *slot, int *hard, const double *grey,
                          int h, int w)
{
    int n_hard = 0;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            int i = r * w + c, sure;
            double gx, gy;
            gradient_at(grey, h, w, r, c, &gx, &gy);
            mag[i] = sqrt(gx * gx + gy * gy);
            slot[i] = (unsigned char)hog_bin_fast(gx, gy, &sure);
            hard[n_hard] = i;
            n_hard += !sure;
        }
    for (int k = 0; k < n_hard; k++) {
        int i = hard[k], b;
        double gx, gy;
        gradient_at(grey, h, w, i / w, i % w, &gx, &gy);
        b = nn_hog_bin_exact(gx, gy);
        slot[i] = (unsigned char)(b < 0 ? NN_HOG_BINS : b);
    }
}

/* ---- HOG: cell means with scipy.ndimage.uniform_filter ------------------------ */

/* scipy's 'reflect' mode: index -1 is 0, -2 is 1, n is n - 1. */
static int reflect(int i, int n)
{
    return i < 0 ? -i - 1 : (i >= n ? 2 * n - 1 - i : i);
}

/* One step tx[bin] += in - out of SciPy's running sum over the nine masked
 * images, where a pixel is its magnitude in its own bin and 0 elsewhere.
 * Adding a zero difference leaves a sum as it is, so only the slots of the
 * entering and leaving pixels change: by (m_in - m_out) when they share a
 * bin, else by (m_in - 0) and (0 - m_out). Branch-free: when they share it,
 * the second update subtracts 0.0, which changes nothing. */
static void run_step(double *tx, double m_in, int s_in, double m_out, int s_out)
{
    int same = s_in == s_out;
    double add[2] = {m_in, m_in - m_out}, sub[2] = {m_out, 0.0};
    tx[s_in] += add[same];
    tx[s_out] -= sub[same];
}

/* uniform_filter1d along axis 0 (down every column) of the nine masked images,
 * kept at the cell-centre rows: v (n_cell_rows, 9, w). t: (w, NN_HOG_SLOTS)
 * running sums, all columns advanced together. */
static void hog_filter_rows(double *v, double *t, const double *mag, const unsigned char *slot,
                            int h, int w, int cell)
{
    int s1 = cell / 2, s2 = cell - s1 - 1, nrows = h / cell;
    int last = s1 + (nrows - 1) * cell;
    memset(t, 0, (size_t)w * NN_HOG_SLOTS * sizeof(double));
    for (int k = -s1; k <= s2; k++) {
        size_t row = (size_t)reflect(k, h) * w;
        for (int x = 0; x < w; x++)
            t[x * NN_HOG_SLOTS + slot[row + x]] += mag[row + x];
    }
    for (int ll = 0, j = 0; ll <= last; ll++) {
        if (ll > 0) {
            size_t in = (size_t)(ll + s2) * w, out = (size_t)reflect(ll - 1 - s1, h) * w;
            for (int x = 0; x < w; x++)
                run_step(t + x * NN_HOG_SLOTS, mag[in + x], slot[in + x], mag[out + x],
                         slot[out + x]);
        }
        if (ll != s1 + j * cell)
            continue;
        for (int b = 0; b < NN_HOG_BINS; b++)
            for (int x = 0; x < w; x++)
                v[((size_t)j * NN_HOG_BINS + b) * w + x] = t[x * NN_HOG_SLOTS + b] / cell;
        j++;
    }
}

/* uniform_filter1d along axis 1 of v's lines, kept at the cell-centre
 * columns: out[(cell_col * n_cell_rows + cell_row) * 9 + bin]. */
static void hog_filter_cols(double *out, const double *v, int h, int w, int cell)
{
    int s1 = cell / 2, s2 = cell - s1 - 1, nrows = h / cell, ncols = w / cell;
    int last = s1 + (ncols - 1) * cell;
    for (int j = 0; j < nrows; j++)
        for (int b = 0; b < NN_HOG_BINS; b++) {
            const double *line = v + ((size_t)j * NN_HOG_BINS + b) * w;
            double t = 0.0;
            for (int k = -s1; k <= s2; k++)
                t += line[reflect(k, w)];
            for (int ll = 0, i = 0; ll <= last; ll++) {
                if (ll > 0)
                    t += line[ll + s2] - line[reflect(ll - 1 - s1, w)];
                if (ll != s1 + i * cell)
                    continue;
                out[((size_t)i * nrows + j) * NN_HOG_BINS + b] = t / cell;
                i++;
            }
        }
}

void nn_hog(double *out, const double *grey, int h, int w, int cell, void *work)
{
    size_t px = (size_t)h * w;
    double *mag = work;                                    /* (h, w) */
    double *v = mag + px;                                  /* (h / cell, 9, w) */
    double *t = v + (size_t)(h / cell) * NN_HOG_BINS * w;  /* (w, NN_HOG_SLOTS) */
    int *hard = (int *)(t + (size_t)w * NN_HOG_SLOTS);    /* (h * w) */
    unsigned char *slot = (unsigned char *)(hard + px);   /* (h, w) */
    hog_gradients(mag, slot, hard, grey, h, w);
    hog_filter_rows(v, t, mag, slot, h, w, cell);
    hog_filter_cols(out, v, h, w, cell);
}

/* ---- hue histogram ------------------------------------------------------------ */

/* matplotlib.colors.rgb_to_hsv(im / 255)[..., 0] * 255 for one pixel; mx,
 * mn: its largest and smallest byte. The case picks the operands by channel: red max (g - b),
 * green (b - r) + 2, blue (r - g) + 4, later cases winning ties as in
 * matplotlib; doubles compare as their bytes do, so the choice is made on
 * integers. */
static double hue255(const uint8_t *p, int mx, int mn)
{
    static const unsigned char ia[3] = {1, 2, 0}, ib[3] = {2, 0, 1};
    static const double base[3] = {0.0, 2.0, 4.0};
    int grey = mx == mn; /* hue 0: (x - x) / 1 with the red case */
    int blue = (p[2] == mx) & !grey, green = (p[1] == mx) & !blue & !grey;
    int k = 2 * blue + green;
    double delta = by255[mx] - by255[mn] + grey;
    double h = base[k] + (by255[p[ia[k]]] - by255[p[ib[k]]]) / delta;
    h = h / 6.0;
    /* (h / 6) % 1.0: h / 6 lies in [-1/6, 5/6], where NumPy's remainder
     * (fmod, then + 1.0 for a negative result) is h or h + 1.0. */
    h += h < 0.0 ? 1.0 : 0.0;
    return h * 255.0;
}

/* Bin of v among nbin bins with edges e (np.histogram: the last is closed). */
static int hist_bin(double v, const double *e, int nbin, double inv_step)
{
    int k = (int)(v * inv_step);
    k = k < 0 ? 0 : (k > nbin - 1 ? nbin - 1 : k);
    while (k > 0 && v < e[k])
        k--;
    while (k < nbin - 1 && v >= e[k + 1])
        k++;
    return k;
}

/* 1 / d for d = 1 .. 255 (entry 0 unused). */
#define NN_R1(i) 1.0 / ((i) + ((i) == 0))
#define NN_R4(i) NN_R1(i), NN_R1(i + 1), NN_R1(i + 2), NN_R1(i + 3)
#define NN_R16(i) NN_R4(i), NN_R4(i + 4), NN_R4(i + 8), NN_R4(i + 12)
#define NN_R64(i) NN_R16(i), NN_R16(i + 16), NN_R16(i + 32), NN_R16(i + 48)
static const double inv_int[256] = {NN_R64(0), NN_R64(64), NN_R64(128), NN_R64(192)};

/* The hue bin from an approximate hue (no division: within 1e-12 of
 * hue255's); *sure is 0 when it lies within 1e-9 of an inner edge. A grey
 * pixel or a red maximum with g == b has hue 0 exactly, in bin 0. */
static inline int hue_bin_fast(const uint8_t *p, int mx, int mn, const double *e, int nbin,
                               double inv_step, int *sure)
{
    static const unsigned char ia[3] = {1, 2, 0}, ib[3] = {2, 0, 1};
    static const double base[3] = {0.0, 2.0, 4.0};
    int grey = mx == mn;
    int blue = (p[2] == mx) & !grey, green = (p[1] == mx) & !blue & !grey;
    int c = 2 * blue + green;
    double h = (base[c] + (p[ia[c]] - p[ib[c]]) * inv_int[mx - mn]) * (1.0 / 6.0);
    h += h < 0.0 ? 1.0 : 0.0;
    double v = h * 255.0;
    int k = (int)(v * inv_step);
    k = k > nbin - 1 ? nbin - 1 : k;
    *sure = !((k > 0) & (v - e[k] <= 1e-9)) & !((k < nbin - 1) & (e[k + 1] - v <= 1e-9));
    return k;
}

/* Histogram edges as np.linspace(0, 255, nbin + 1) makes them. */
static void hue_edges(double *edge, int nbin)
{
    double step = 255.0 / nbin;
    for (int i = 0; i < nbin; i++)
        edge[i] = i * step;
    edge[nbin] = 255.0;
}

int nn_hue_bin(const uint8_t *p, int nbin, int exact)
{
    double edge[NN_HUE_MAX_BINS + 1], inv_step = nbin / 255.0;
    int mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1], sure;
    mx = p[2] > mx ? p[2] : mx;
    mn = p[2] < mn ? p[2] : mn;
    hue_edges(edge, nbin);
    int k = hue_bin_fast(p, mx, mn, edge, nbin, inv_step, &sure);
    if (exact || !sure)
        k = hist_bin(hue255(p, mx, mn), edge, nbin, inv_step);
    return k;
}

void nn_hue_hist(double *out, const uint8_t *img, size_t n_px, int nbin)
{
    double edge[NN_HUE_MAX_BINS + 1], inv_step = nbin / 255.0;
    long count[NN_HUE_MAX_BINS] = {0};
    hue_edges(edge, nbin);
    for (size_t i = 0; i < n_px; i++) {
        const uint8_t *p = img + 3 * i;
        int mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1], sure;
        mx = p[2] > mx ? p[2] : mx;
        mn = p[2] < mn ? p[2] : mn;
        int k = hue_bin_fast(p, mx, mn, edge, nbin, inv_step, &sure);
        if (!sure)
            k = hist_bin(hue255(p, mx, mn), edge, nbin, inv_step);
        count[k]++;
    }
    for (int i = 0; i < nbin; i++) { /* n / db / n.sum(), then * db */
        double db = edge[i + 1] - edge[i];
        out[i] = n_px ? (double)count[i] / db / (double)n_px * db : 0.0;
    }
}

/* ---- one image --------------------------------------------------------------- */

static int kind_dim(const nn_imfeat_opts *o, nn_feat_kind k)
{
    switch (k) {
    case NN_FEAT_HOG:
        return nn_hog_dim(o->height, o->width, o->hog_cell);
    case NN_FEAT_HUE:
        return o->hue_bins;
    case NN_FEAT_PIXELS:
        return o->height * o->width * o->channels;
    }
    return 0;
}

int nn_imfeat_dim(const nn_imfeat_opts *o)
{
    int d = 0;
    for (int i = 0; i < o->n_kinds; i++)
        d += kind_dim(o, o->kinds[i]);
    return d;
}

size_t nn_imfeat_work_size(const nn_imfeat_opts *o)
{
    size_t px = (size_t)o->height * o->width;
    return px * sizeof(double) + nn_hog_work_size(o->height, o->width, o->hog_cell);
}

void nn_imfeat_image(double *out, const uint8_t *img, const nn_imfeat_opts *o, void *work)
{
    size_t px = (size_t)o->height * o->width, n = px * o->channels;
    double *grey = work;
    for (int i = 0; i < o->n_kinds; i++) {
        switch (o->kinds[i]) {
        case NN_FEAT_HOG:
            nn_imfeat_grey(grey, img, px, o->channels, o->grey);
            nn_hog(out, grey, o->height, o->width, o->hog_cell, grey + px);
            break;
        case NN_FEAT_HUE:
            nn_hue_hist(out, img, px, o->hue_bins);
            break;
        case NN_FEAT_PIXELS:
            for (size_t j = 0; j < n; j++)
                out[j] = by255[img[j]];
            break;
        }
        out += kind_dim(o, o->kinds[i]);
    }
}
