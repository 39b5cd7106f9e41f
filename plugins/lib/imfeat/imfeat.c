/* imfeat.c: per-image features identical to CS231n's features.py: HOG
 * (hog_feature), hue histogram (color_histogram_hsv) and scaled pixels.
 * Pure functions, no allocation: callers pass scratch memory. The arithmetic
 * follows NumPy/SciPy/Matplotlib operation by operation (the build uses
 * -ffp-contract=off, so no multiply-add is fused). */
#include "imfeat.h"

#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- HOG: gradients and orientation bins ------------------------------------ */

/* NumPy's arctan2 (SVML on AVX-512 machines, as on the course's) returns
 * copysign(pi/2 - x / |y|, y) when 0 < x <= 1e-9 |y|; glibc rounds correctly
 * instead. It matters for gx == 0 (x = 1e-15): the orientation is then 0 or
 * 180 (no bin) or a hair inside (bin 0 or 8) depending on that last ulp.
 * Elsewhere the two may differ in the last bit, which could only matter for
 * an orientation within about 1e-13 degrees of an inner bin edge. */
static double numpy_atan2(double y, double x)
{
    if (x > 0.0 && x <= 1e-9 * fabs(y))
        return copysign(M_PI / 2 - x / fabs(y), y);
    return atan2(y, x);
}

double imfeat_hog_orientation(double gx, double gy)
{
    return numpy_atan2(gy, gx + 1e-15) * (180.0 / M_PI) + 90.0;
}

/* features.py's rule: bin i when 20 i <= ori < 20 (i + 1) and ori > 0. */
static int bin_of_orientation(double ori)
{
    if (!(ori > 0.0 && ori < 180.0))
        return -1;
    int b = (int)(ori / 20.0);
    if (b > IMFEAT_HOG_BINS - 1)
        b = IMFEAT_HOG_BINS - 1;
    if (ori < 20.0 * b)
        b--;
    else if (b < IMFEAT_HOG_BINS - 1 && ori >= 20.0 * (b + 1))
        b++;
    return b;
}

/* The bin of a gradient from features.py's formula (-1: none). */
int imfeat_hog_bin_exact(double gx, double gy)
{
    return bin_of_orientation(imfeat_hog_orientation(gx, gy));
}

/* tan of the positive bin edges 10, 30, 50, 70 degrees of atan2 (ori - 90);
 * the negative edges are their mirror images. */
#define TAN10 0.17632698070846498
#define TAN30 0.5773502691896257
#define TAN50 1.19175359259421
#define TAN70 2.7474774194546216

/* The bin without atan2 where that is safe: compare |t|, t = gy / (gx + 1e-15),
 * with the edge tangents. Away from an edge by a relative 1e-9 the rounding of
 * atan2, * 180 / pi and + 90 (below 1e-13 degrees) cannot change the side, so
 * both paths agree (tests/test_image_features.c checks this). Near an edge or
 * within 1e-9 rad of +-90 degrees, *sure is 0 and the caller computes the
 * orientation. Returns IMFEAT_HOG_BINS for "no bin"; no data-dependent branches. */
static inline int hog_bin_fast(double gx, double gy, int *sure)
{
    double x = gx + 1e-15, t = gy / x, a = fabs(t), tol = 1e-9 * (1.0 + a);
    int above = (a > TAN10) + (a > TAN30) + (a > TAN50) + (a > TAN70);
    int near = (fabs(a - TAN10) <= tol) | (fabs(a - TAN30) <= tol)
               | (fabs(a - TAN50) <= tol) | (fabs(a - TAN70) <= tol);
    int b = 4 + (t < 0.0 ? -above : above);
    int pos = x > 0.0; /* x < 0: |atan2| > 90 degrees, so ori < 0 or > 180 */
    *sure = (fabs(x) > 1e-9 * fabs(gy)) & (!pos | !near);
    return IMFEAT_HOG_BINS + pos * (b - IMFEAT_HOG_BINS);
}

#if defined(__GNUC__)
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2l __attribute__((vector_size(16)));

static inline v2d v2_abs(v2d x)
{
    return (v2d)((v2l)x & 0x7fffffffffffffffLL);
}

/* hog_bin_fast on two gradients at once: the same operations lane by lane
 * (comparisons give -1 for true). */
static inline void hog_bin_fast2(const double *gx, const double *gy, unsigned char *slot,
                                 int *sure)
{
    v2d x, y;
    memcpy(&x, gx, sizeof x);
    memcpy(&y, gy, sizeof y);
    x = x + 1e-15;
    v2d t = y / x, a = v2_abs(t), tol = 1e-9 * (1.0 + a);
    v2l above = -((a > TAN10) + (a > TAN30) + (a > TAN50) + (a > TAN70));
    v2l near = (v2_abs(a - TAN10) <= tol) | (v2_abs(a - TAN30) <= tol)
                  | (v2_abs(a - TAN50) <= tol) | (v2_abs(a - TAN70) <= tol);
    v2l neg = t < 0.0, pos = x > 0.0;
    v2l b = 4 + ((above ^ neg) - neg);
    v2l s = (b & pos) | (IMFEAT_HOG_BINS & ~pos);
    v2l ok = (v2_abs(x) > 1e-9 * v2_abs(y)) & (~pos | ~near);
    slot[0] = (unsigned char)s[0];
    slot[1] = (unsigned char)s[1];
    sure[0] = ok[0] != 0;
    sure[1] = ok[1] != 0;
}
#endif

int imfeat_hog_bin(double gx, double gy)
{
    int sure, b = hog_bin_fast(gx, gy, &sure);
    if (!sure)
        return imfeat_hog_bin_exact(gx, gy);
    return b == IMFEAT_HOG_BINS ? -1 : b;
}

int imfeat_hog_dim(int h, int w, int cell)
{
    return (h / cell) * (w / cell) * IMFEAT_HOG_BINS;
}

/* Slots of the running sums per column: nine bins and a dump for "no bin". */
#define HOG_SLOTS (IMFEAT_HOG_BINS + 1)

size_t imfeat_hog_work_size(int h, int w, int cell)
{
    size_t px = (size_t)h * w;
    size_t v = (size_t)(h / cell) * IMFEAT_HOG_BINS * w, t = (size_t)w * HOG_SLOTS;
    return (px + v + t + 2 * (size_t)w) * sizeof(double) + px * sizeof(int) + px;
}

/* Correctly rounded i / 255.0 for every byte (what im / 255 gives NumPy). */
#define BY255_4(i) (i) / 255.0, (i + 1) / 255.0, (i + 2) / 255.0, (i + 3) / 255.0
#define BY255_16(i) BY255_4(i), BY255_4(i + 4), BY255_4(i + 8), BY255_4(i + 12)
#define BY255_64(i) BY255_16(i), BY255_16(i + 16), BY255_16(i + 32), BY255_16(i + 48)
static const double by255[256] = {BY255_64(0), BY255_64(64), BY255_64(128), BY255_64(192)};

void imfeat_grey(double *grey, const uint8_t *img, size_t n_px, int channels,
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

/* Forward differences of grey (h, w) at pixel (r, c); 0 on the last column /
 * row. */
static inline void gradient_at(const double *grey, int h, int w, int r, int c, double *gx,
                               double *gy)
{
    size_t i = (size_t)r * w + c;
    *gx = c + 1 < w ? grey[i + 1] - grey[i] : 0.0;
    *gy = r + 1 < h ? grey[i + w] - grey[i] : 0.0;
}

/* gx, gy: (w) the differences of row r. */
static void row_differences(double *gx, double *gy, const double *grey, int r, int h, int w)
{
    const double *g = grey + (size_t)r * w;
    for (int c = 0; c + 1 < w; c++)
        gx[c] = g[c + 1] - g[c];
    gx[w - 1] = 0.0;
    for (int c = 0; c < w; c++)
        gy[c] = r + 1 < h ? g[c + w] - g[c] : 0.0;
}

/* mag: (w) sqrt(gx^2 + gy^2); two at a time with SSE2 (sqrtpd rounds as
 * sqrt does). */
static void row_magnitudes(double *mag, const double *gx, const double *gy, int w)
{
    int c = 0;
#ifdef __SSE2__
    for (; c + 2 <= w; c += 2) {
        __m128d x = _mm_loadu_pd(gx + c), y = _mm_loadu_pd(gy + c);
        _mm_storeu_pd(mag + c, _mm_sqrt_pd(_mm_add_pd(_mm_mul_pd(x, x), _mm_mul_pd(y, y))));
    }
#endif
    for (; c < w; c++)
        mag[c] = sqrt(gx[c] * gx[c] + gy[c] * gy[c]);
}

/* slot: (w) bins of one row; the columns the fast test is unsure of go into
 * hard as pixel indices (base + column); returns how many. */
static int row_bins(unsigned char *slot, int *hard, int base, const double *gx,
                    const double *gy, int w)
{
    int n = 0, c = 0, sure[2];
#if defined(__GNUC__)
    for (; c + 2 <= w; c += 2) {
        hog_bin_fast2(gx + c, gy + c, slot + c, sure);
        hard[n] = base + c;
        n += !sure[0];
        hard[n] = base + c + 1;
        n += !sure[1];
    }
#endif
    for (; c < w; c++) {
        slot[c] = (unsigned char)hog_bin_fast(gx[c], gy[c], sure);
        hard[n] = base + c;
        n += !sure[0];
    }
    return n;
}

/* mag: (h, w) gradient magnitude; slot: (h, w) bin, IMFEAT_HOG_BINS for none;
 * gxy: (2 w) scratch; hard: (h w) scratch. Unsure pixels are recomputed. */
static void hog_gradients(double *mag, unsigned char *slot, int *hard, double *gxy,
                          const double *grey, int h, int w)
{
    int n_hard = 0;
    for (int r = 0; r < h; r++) {
        int row = r * w;
        row_differences(gxy, gxy + w, grey, r, h, w);
        row_magnitudes(mag + row, gxy, gxy + w, w);
        n_hard += row_bins(slot + row, hard + n_hard, row, gxy, gxy + w, w);
    }
    for (int k = 0; k < n_hard; k++) {
        int i = hard[k], b;
        double gx, gy;
        gradient_at(grey, h, w, i / w, i % w, &gx, &gy);
        b = imfeat_hog_bin_exact(gx, gy);
        slot[i] = (unsigned char)(b < 0 ? IMFEAT_HOG_BINS : b);
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
 * bin, else by (m_in - 0) and (0 - m_out). Branch-free, with apart = 0 or 1:
 * m_out * 0 is 0, x - 0 is x, and subtracting 0 changes nothing. */
static inline void run_step(double *tx, double m_in, int s_in, double m_out, int s_out)
{
    double apart = (double)(s_in != s_out);
    tx[s_in] += m_in - m_out * (1.0 - apart);
    tx[s_out] -= m_out * apart;
}

/* 1 / cell when cell is a power of two (then sum * it equals sum / cell,
 * both being the correctly rounded sum 2^-k), else 0. */
static double pow2_inverse(int cell)
{
    return (cell & (cell - 1)) == 0 ? 1.0 / cell : 0.0;
}

/* SciPy's tmp / filter_size. */
static inline double cell_mean(double sum, int cell, double inv_pow2)
{
    return inv_pow2 != 0.0 ? sum * inv_pow2 : sum / cell;
}

/* uniform_filter1d along axis 0 (down every column) of the nine masked images,
 * kept at the cell-centre rows: v (n_cell_rows, 9, w). t: (w, HOG_SLOTS)
 * running sums, all columns advanced together. */
static void hog_filter_rows(double *v, double *t, const double *mag, const unsigned char *slot,
                            int h, int w, int cell)
{
    int s1 = cell / 2, s2 = cell - s1 - 1, nrows = h / cell;
    int last = s1 + (nrows - 1) * cell;
    double inv = pow2_inverse(cell);
    memset(t, 0, (size_t)w * HOG_SLOTS * sizeof(double));
    for (int k = -s1; k <= s2; k++) {
        size_t row = (size_t)reflect(k, h) * w;
        for (int x = 0; x < w; x++)
            t[x * HOG_SLOTS + slot[row + x]] += mag[row + x];
    }
    for (int ll = 0, j = 0; ll <= last; ll++) {
        if (ll > 0) {
            size_t in = (size_t)(ll + s2) * w, out = (size_t)reflect(ll - 1 - s1, h) * w;
            for (int x = 0; x < w; x++)
                run_step(t + x * HOG_SLOTS, mag[in + x], slot[in + x], mag[out + x],
                         slot[out + x]);
        }
        if (ll != s1 + j * cell)
            continue;
        for (int b = 0; b < IMFEAT_HOG_BINS; b++)
            for (int x = 0; x < w; x++)
                v[((size_t)j * IMFEAT_HOG_BINS + b) * w + x] =
                    cell_mean(t[x * HOG_SLOTS + b], cell, inv);
        j++;
    }
}

/* uniform_filter1d along axis 1 of v's lines, kept at the cell-centre
 * columns: out[(cell_col * n_cell_rows + cell_row) * 9 + bin]. The nine bins
 * of a cell row run side by side (independent sums, same operations). */
static void hog_filter_cols(double *out, const double *v, int h, int w, int cell)
{
    int s1 = cell / 2, s2 = cell - s1 - 1, nrows = h / cell, ncols = w / cell;
    int last = s1 + (ncols - 1) * cell;
    double inv = pow2_inverse(cell);
    for (int j = 0; j < nrows; j++) {
        const double *line = v + (size_t)j * IMFEAT_HOG_BINS * w; /* bin b at line + b w */
        double t[IMFEAT_HOG_BINS] = {0};
        for (int k = -s1; k <= s2; k++)
            for (int b = 0, c = reflect(k, w); b < IMFEAT_HOG_BINS; b++)
                t[b] += line[(size_t)b * w + c];
        for (int ll = 0, i = 0; ll <= last; ll++) {
            int in = ll + s2, gone = reflect(ll - 1 - s1, w);
            for (int b = 0; ll > 0 && b < IMFEAT_HOG_BINS; b++)
                t[b] += line[(size_t)b * w + in] - line[(size_t)b * w + gone];
            if (ll != s1 + i * cell)
                continue;
            for (int b = 0; b < IMFEAT_HOG_BINS; b++)
                out[((size_t)i * nrows + j) * IMFEAT_HOG_BINS + b] = cell_mean(t[b], cell, inv);
            i++;
        }
    }
}

void imfeat_hog(double *out, const double *grey, int h, int w, int cell, void *work)
{
    size_t px = (size_t)h * w;
    double *mag = work;                                    /* (h, w) */
    double *v = mag + px;                                  /* (h / cell, 9, w) */
    double *t = v + (size_t)(h / cell) * IMFEAT_HOG_BINS * w;  /* (w, HOG_SLOTS) */
    double *gxy = t + (size_t)w * HOG_SLOTS;            /* (2, w) */
    int *hard = (int *)(gxy + 2 * (size_t)w);              /* (h * w) */
    unsigned char *slot = (unsigned char *)(hard + px);   /* (h, w) */
    hog_gradients(mag, slot, hard, gxy, grey, h, w);
    hog_filter_rows(v, t, mag, slot, h, w, cell);
    hog_filter_cols(out, v, h, w, cell);
}

/* ---- hue histogram ------------------------------------------------------------ */

/* matplotlib's case for a pixel: c = 0 (red is the maximum, or grey), 1
 * (green), 2 (blue), later cases winning ties as matplotlib's assignments
 * do (doubles compare as their bytes do, so this is decided on integers);
 * num: the case's byte difference (g - b, b - r or r - g); d = max - min. */
static inline int hue_case(const uint8_t *p, int *num, int *d)
{
    int r = p[0], g = p[1], b = p[2];
    int mx = r > g ? r : g, mn = r < g ? r : g;
    mx = b > mx ? b : mx;
    mn = b < mn ? b : mn;
    int grey = mx == mn;
    int blue = (b == mx) & !grey, green = (g == mx) & !blue & !grey;
    int diff[3] = {g - b, b - r, r - g}, c = 2 * blue + green;
    *num = diff[c];
    *d = mx - mn;
    return c;
}

/* matplotlib.colors.rgb_to_hsv(im / 255)[..., 0] * 255 for one pixel: red
 * (g - b) / delta, green 2 + (b - r) / delta, blue 4 + (r - g) / delta on
 * the values / 255, then (h / 6) % 1.0. */
static double hue255(const uint8_t *p)
{
    static const unsigned char ia[3] = {1, 2, 0}, ib[3] = {2, 0, 1};
    static const double base[3] = {0.0, 2.0, 4.0};
    int num, d, c = hue_case(p, &num, &d);
    int mx = p[0] > p[1] ? p[0] : p[1];
    mx = p[2] > mx ? p[2] : mx;
    if (d == 0)
        return 0.0;
    double h = base[c] + (by255[p[ia[c]]] - by255[p[ib[c]]]) / (by255[mx] - by255[mx - d]);
    h = h / 6.0;
    /* h / 6 lies in [-1/6, 5/6], where NumPy's remainder (fmod, then + 1.0
     * for a negative result) is h or h + 1.0. */
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

/* Histogram edges as np.linspace(0, 255, nbin + 1) makes them. */
static void hue_edges(double *edge, int nbin)
{
    double step = 255.0 / nbin;
    for (int i = 0; i < nbin; i++)
        edge[i] = i * step;
    edge[nbin] = 255.0;
}

/* Table slot of (case, num, d): d^2 + num + d packs -d <= num <= d. */
static inline size_t hue_slot(int c, int num, int d)
{
    return (size_t)c * 65536 + (size_t)(d * d + num + d);
}

/* 1 / d for d = 1 .. 255 (entry 0: 1). */
#define INV_1(i) 1.0 / ((i) + ((i) == 0))
#define INV_4(i) INV_1(i), INV_1(i + 1), INV_1(i + 2), INV_1(i + 3)
#define INV_16(i) INV_4(i), INV_4(i + 4), INV_4(i + 8), INV_4(i + 12)
#define INV_64(i) INV_16(i), INV_16(i + 16), INV_16(i + 32), INV_16(i + 48)
static const double inv_int[256] = {INV_64(0), INV_64(64), INV_64(128), INV_64(192)};

/* The bin of an approximate hue from (case, num, d) alone, within 1e-11 of
 * hue255's; IMFEAT_HUE_EXACT when it lies within 1e-9 of an inner edge. Hue 0
 * (grey, or red with g == b) is exact, in bin 0. */
static int approx_bin(int c, int num, int d, const double *e, int nbin)
{
    static const double base[3] = {0.0, 2.0, 4.0};
    double h = (base[c] + num * inv_int[d]) * (1.0 / 6.0);
    h += h < 0.0 ? 1.0 : 0.0;
    double v = h * 255.0;
    int k = (int)(v * (nbin / 255.0));
    k = k > nbin - 1 ? nbin - 1 : k;
    int near = (k > 0 && v - e[k] <= 1e-9) || (k < nbin - 1 && e[k + 1] - v <= 1e-9);
    return near ? IMFEAT_HUE_EXACT : k;
}

void imfeat_hue_table(uint8_t *table, int nbin)
{
    double edge[IMFEAT_HUE_MAX_BINS + 1];
    hue_edges(edge, nbin);
    for (int c = 0; c < 3; c++)
        for (int d = 0; d < 256; d++)
            for (int num = -d; num <= d; num++)
                table[hue_slot(c, num, d)] = (uint8_t)approx_bin(c, num, d, edge, nbin);
}

/* The bin: from the table, or from the exact hue (table NULL, or near an edge). */
static inline int hue_bin(const uint8_t *p, const uint8_t *table, const double *edge, int nbin)
{
    int num, d, c = hue_case(p, &num, &d);
    int k = table ? table[hue_slot(c, num, d)] : IMFEAT_HUE_EXACT;
    return k != IMFEAT_HUE_EXACT ? k : hist_bin(hue255(p), edge, nbin, nbin / 255.0);
}

int imfeat_hue_bin(const uint8_t *rgb, int nbin, const uint8_t *table)
{
    double edge[IMFEAT_HUE_MAX_BINS + 1];
    hue_edges(edge, nbin);
    return hue_bin(rgb, table, edge, nbin);
}

void imfeat_hue_hist(double *out, const uint8_t *img, size_t n_px, int nbin, const uint8_t *table)
{
    double edge[IMFEAT_HUE_MAX_BINS + 1];
    long count[IMFEAT_HUE_MAX_BINS] = {0};
    hue_edges(edge, nbin);
    for (size_t i = 0; i < n_px; i++)
        count[hue_bin(img + 3 * i, table, edge, nbin)]++;
    for (int i = 0; i < nbin; i++) { /* n / db / n.sum(), then * db */
        double db = edge[i + 1] - edge[i];
        out[i] = n_px ? (double)count[i] / db / (double)n_px * db : 0.0;
    }
}

/* ---- one image --------------------------------------------------------------- */

static int kind_dim(const imfeat_opts *o, imfeat_kind k)
{
    switch (k) {
    case IMFEAT_HOG:
        return imfeat_hog_dim(o->height, o->width, o->hog_cell);
    case IMFEAT_HUE:
        return o->hue_bins;
    case IMFEAT_PIXELS:
        return o->height * o->width * o->channels;
    }
    return 0;
}

int imfeat_dim(const imfeat_opts *o)
{
    int d = 0;
    for (int i = 0; i < o->n_kinds; i++)
        d += kind_dim(o, o->kinds[i]);
    return d;
}

/* Scratch memory: grey products (3, 256): byte * weight; grey (h, w); HOG's
 * scratch; the hue table when hue histograms are asked for. */
typedef struct work_layout {
    size_t products, grey, hog, hue, total; /* byte offsets */
} work_layout;

static work_layout layout_of(const imfeat_opts *o)
{
    work_layout l = {0};
    size_t px = (size_t)o->height * o->width;
    l.grey = 3 * 256 * sizeof(double);
    l.hog = l.grey + px * sizeof(double);
    l.hue = l.hog + imfeat_hog_work_size(o->height, o->width, o->hog_cell);
    l.total = l.hue;
    for (int i = 0; i < o->n_kinds; i++)
        if (o->kinds[i] == IMFEAT_HUE)
            l.total = l.hue + IMFEAT_HUE_TABLE_BYTES;
    return l;
}

size_t imfeat_work_size(const imfeat_opts *o)
{
    return layout_of(o).total;
}

void imfeat_work_init(void *work, const imfeat_opts *o)
{
    work_layout l = layout_of(o);
    double *products = (double *)((char *)work + l.products);
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++)
            products[c * 256 + v] = (double)v * o->grey[c];
    if (l.total > l.hue)
        imfeat_hue_table((uint8_t *)work + l.hue, o->hue_bins);
}

/* imfeat_grey with the products looked up: the same sums of the same
 * products. */
static void grey_of(double *grey, const uint8_t *img, size_t n_px, int channels,
                    const double *products)
{
    if (channels != 3) {
        for (size_t i = 0; i < n_px; i++)
            grey[i] = img[i];
        return;
    }
    for (size_t i = 0; i < n_px; i++, img += 3)
        grey[i] = (products[img[0]] + products[256 + img[1]]) + products[512 + img[2]];
}

void imfeat_image(double *out, const uint8_t *img, const imfeat_opts *o, void *work)
{
    size_t px = (size_t)o->height * o->width, n = px * o->channels;
    work_layout l = layout_of(o);
    double *grey = (double *)((char *)work + l.grey);
    const uint8_t *table = l.total > l.hue ? (const uint8_t *)work + l.hue : NULL;
    for (int i = 0; i < o->n_kinds; i++) {
        switch (o->kinds[i]) {
        case IMFEAT_HOG:
            grey_of(grey, img, px, o->channels, (const double *)((char *)work + l.products));
            imfeat_hog(out, grey, o->height, o->width, o->hog_cell, (char *)work + l.hog);
            break;
        case IMFEAT_HUE:
            imfeat_hue_hist(out, img, px, o->hue_bins, table);
            break;
        case IMFEAT_PIXELS:
            for (size_t j = 0; j < n; j++)
                out[j] = by255[img[j]];
            break;
        }
        out += kind_dim(o, o->kinds[i]);
    }
}
