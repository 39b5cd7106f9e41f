/* imfeat.h: CS231n image features (HOG, hue histogram, pixels), their
 * threaded extraction, normalisation and on-disk cache: the imfeat plugin
 * library (plugins/lib/README.md), used by the cifar_features and
 * fashion_features data plugins. Everything here carries the imfeat_ /
 * IMFEAT_ prefix; extraction runs on worker threads (deps.cmake).
 *
 * The features reproduce CS231n assignment 1's features.py to the last bit
 * (see tests/gen_feature_reference.py for the NumPy original):
 *   hog: grey = (R w0 + G w1) + B w2 (w = 0.299, 0.587, 0.144 as shipped);
 *        forward differences (last column / row 0); orientation
 *        degrees(atan2(gy, gx + 1e-15)) + 90, unfolded; bin i holds
 *        20 i <= ori < 20 (i + 1) with ori > 0; each bin's masked magnitudes
 *        averaged over cell x cell blocks with scipy's running-sum
 *        uniform_filter; index (cell_col * n_cell_rows + cell_row) * 9 + bin.
 *   hue_hist: matplotlib rgb_to_hsv(im / 255) hue * 255, np.histogram with
 *        nbin equal bins on [0, 255], density=True, times the bin widths.
 *   pixels: HWC values / 255.
 */
#ifndef IMFEAT_H
#define IMFEAT_H

#include <stddef.h>
#include <stdint.h>

#include "nnlab/plugin.h"

#define IMFEAT_HOG_BINS 9
#define IMFEAT_HUE_MAX_BINS 255
#define IMFEAT_HUE_EXACT 255 /* hue table entry: compute this one */
#define IMFEAT_HUE_TABLE_BYTES (3 * 65536)
#define IMFEAT_MAX_KINDS 3

typedef enum imfeat_kind { IMFEAT_HOG, IMFEAT_HUE, IMFEAT_PIXELS } imfeat_kind;

typedef struct imfeat_opts {
    imfeat_kind kinds[IMFEAT_MAX_KINDS]; /* in output order */
    int n_kinds;
    int hog_cell;                        /* pixels per cell side */
    int hue_bins;
    double grey[3];                      /* RGB -> grey weights (3 channels only) */
    int height, width, channels;         /* of every image */
} imfeat_opts;

/* ---- pure feature code (imfeat.c) ------------------------------------------ */

/* Orientation of a gradient, exactly as features.py computes it. */
double imfeat_hog_orientation(double gx, double gy);
/* Bin of a gradient in [0, 9), or -1 when features.py counts it nowhere:
 * from the orientation (exact), and as imfeat_hog computes it (fast, same result). */
int imfeat_hog_bin_exact(double gx, double gy);
int imfeat_hog_bin(double gx, double gy);
/* Number of HOG values for an h x w image. */
int imfeat_hog_dim(int h, int w, int cell);
/* Bytes of scratch memory imfeat_hog needs. */
size_t imfeat_hog_work_size(int h, int w, int cell);
/* grey: (h, w) from img: (h, w, channels) HWC; weights used when channels == 3. */
void imfeat_grey(double *grey, const uint8_t *img, size_t n_px, int channels,
                 const double weights[3]);
/* out: (imfeat_hog_dim) from grey: (h, w); work: imfeat_hog_work_size bytes. */
void imfeat_hog(double *out, const double *grey, int h, int w, int cell, void *work);
/* Hue bins of every (matplotlib case, byte difference, max - min), or
 * IMFEAT_HUE_EXACT where the hue must be computed (near a bin edge): table of
 * IMFEAT_HUE_TABLE_BYTES bytes. */
void imfeat_hue_table(uint8_t *table, int nbin);
/* Hue bin of one RGB pixel: through the table, or exact (table NULL). */
int imfeat_hue_bin(const uint8_t *rgb, int nbin, const uint8_t *table);
/* out: (nbin) hue histogram of img: (n_px, 3) HWC RGB; table from
 * imfeat_hue_table (NULL: every hue computed). nbin <= IMFEAT_HUE_MAX_BINS. */
void imfeat_hue_hist(double *out, const uint8_t *img, size_t n_px, int nbin, const uint8_t *table);

/* Feature length for the options. */
int imfeat_dim(const imfeat_opts *o);
/* Bytes of scratch memory imfeat_image needs, and its set-up (once). */
size_t imfeat_work_size(const imfeat_opts *o);
void imfeat_work_init(void *work, const imfeat_opts *o);
/* out: (imfeat_dim) features of one image. */
void imfeat_image(double *out, const uint8_t *img, const imfeat_opts *o, void *work);

/* ---- extraction over whole splits (imextract.c) ----------------------------- */

/* How one plugin wants its features produced. */
typedef struct imfeat_run {
    const char *tag;         /* plugin name: messages and cache file names */
    const imfeat_opts *opts;
    int normalize;           /* subtract the training mean, divide by its std */
    int bias;                /* append a column of ones */
    int use_cache;
    const char *data_dir;    /* dataset folder: default cache location */
    /* The cache key: the input files and every parameter of the plugin. */
    const char *const *files;
    int n_files;
    const nn_param_decl *decls;
    const nn_value *hp;      /* (n_decls) in declaration order */
    int n_decls;
    /* Optional: when the training split was allocated without images (the
     * largest array of a run, and training needs only its features), the
     * extraction reads them in windows (window) through this call:
     * training images [first, first + count), HWC, into out. */
    int (*train_images)(void *ud, size_t first, size_t count, uint8_t *out, nn_err *err);
    void *train_ud;
    size_t window;           /* images per window; 0: IMFEAT_WINDOW */
} imfeat_run;

#define IMFEAT_WINDOW 1024 /* training images held at a time by a windowed extraction */

/* Fills X of data->train, val and test (allocated with images, or train
 * without them and run->train_images set; d = features + bias) from their
 * images: from the cache when it holds the key,
 * else by extraction on ctx->threads threads, then stores the cache (only
 * when HOG or hue histograms are asked for). */
int imfeat_fill(const imfeat_run *run, const nn_data_ctx *ctx, nn_data *data, nn_err *err);
/* Extracts columns [0, dim) of every split's X from its images. */
int imfeat_extract(const imfeat_run *run, int threads, int quiet, nn_data *data, nn_err *err);
/* CS231n's preprocessing of columns [0, dim): X -= mean(train), X /= std(train)
 * (a column with zero spread is only centred). NN_OK or NN_ENOMEM. */
int imfeat_normalize(nn_data *data, int dim);

/* ---- cache (imcache.c) --------------------------------------------------------- */

typedef struct imfeat_keybuf {
    char *s;
    size_t len, cap;
    int failed;              /* an allocation failed */
} imfeat_keybuf;

void imfeat_keybuf_printf(imfeat_keybuf *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends a file's name, size and modification time; fails when it is not a
 * readable regular file. */
int imfeat_keybuf_add_file(imfeat_keybuf *k, const char *path, nn_err *err);
void imfeat_keybuf_free(imfeat_keybuf *k);
/* The cache key of a run: tag, format, sizeof(nn_real), the files, then
 * every parameter as "name value". */
int imfeat_key(imfeat_keybuf *k, const imfeat_run *run, nn_err *err);

/* Picks the cache file for a key: ctx->cache_dir, else <data_dir>/.nnlab_cache
 * (unless data_dir is under /usr), else $XDG_CACHE_HOME/nnlab or
 * ~/.cache/nnlab; creates the folder. Returns 0 and the path, or -1 when no
 * folder is writable. */
int imfeat_cache_path(char *out, size_t n, const char *cache_dir, const char *data_dir,
                      const char *tag, const char *key);
/* What imfeat_cache_load found. */
enum { IMFEAT_CACHE_MISS = 0, IMFEAT_CACHE_HIT = 1, IMFEAT_CACHE_CORRUPT = -1 };
/* HIT when the file holds the key and the shapes of data (X filled), MISS
 * when there is no file or it is for another key or format, CORRUPT when it
 * is for this key but truncated, resized or its checksum does not match
 * (why: n bytes saying which; X may be partly overwritten). */
int imfeat_cache_load(const char *file, const char *key, nn_data *data, char *why, size_t n);
/* Writes the file atomically (temporary file, then rename); 0 or -1. */
int imfeat_cache_store(const char *file, const char *key, const nn_data *data);

/* ---- small helpers (imutil.c) -------------------------------------------------- */

/* dir joined with rel unless rel is absolute; fails when too long. */
int imfeat_path_join(char *out, size_t n, const char *dir, const char *rel);
/* Worker threads for ctx->threads (0 = every online core). */
int imfeat_thread_count(int requested);
/* o->kinds from a STRLIST of feature names, each among allowed ("a|b"),
 * none twice. */
int imfeat_parse_kinds(imfeat_opts *o, const nn_value *list, const char *allowed, nn_err *err);

#endif
