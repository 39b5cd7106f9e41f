/* features_bench.c: timing driver for features_bench.py (not part of the
 * build; the script compiles it with cc together with
 * plugins/lib/imfeat/imfeat.c).
 *
 * usage: features_bench IMAGES N REPEATS OUT
 * IMAGES: N raw RGB 32x32 images (HWC bytes). Prints, for "hog", "hue" and
 * "hog+hue", the median over REPEATS of the single-thread CPU time per image
 * in microseconds; writes the hog+hue features of every image to OUT as doubles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imfeat.h"

/* CPU time of this thread: other programs sharing the cores do not count. */
static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return 1e6 * (double)t.tv_sec + 1e-3 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median over repeats of the time per image; out: (n, dim) features. */
static double time_per_image(const imfeat_opts *o, const unsigned char *img, int n,
                             int repeats, double *out)
{
    int dim = imfeat_dim(o);
    void *work = malloc(imfeat_work_size(o));
    imfeat_work_init(work, o);
    double *t = malloc((size_t)repeats * sizeof(double));
    for (int r = 0; r < repeats; r++) {
        double t0 = now_us();
        for (int i = 0; i < n; i++)
            imfeat_image(out + (size_t)i * dim, img + (size_t)i * 3072, o, work);
        t[r] = (now_us() - t0) / n;
    }
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    double med = t[repeats / 2];
    free(t);
    free(work);
    return med;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s IMAGES N REPEATS OUT\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]), repeats = atoi(argv[3]);
    unsigned char *img = malloc((size_t)n * 3072);
    double *out = malloc((size_t)n * (144 + 10) * sizeof(double));
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(img, 3072, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read %d images\n", argv[1], n);
        return 1;
    }
    fclose(f);
    imfeat_opts o = {{IMFEAT_HOG, IMFEAT_HUE}, 1, 8, 10, {0.299, 0.587, 0.144}, 32, 32, 3};
    printf("hog %.3f\n", time_per_image(&o, img, n, repeats, out));
    o.kinds[0] = IMFEAT_HUE;
    printf("hue %.3f\n", time_per_image(&o, img, n, repeats, out));
    o.kinds[0] = IMFEAT_HOG;
    o.n_kinds = 2;
    printf("hog+hue %.3f\n", time_per_image(&o, img, n, repeats, out));
    f = fopen(argv[4], "wb");
    if (!f || fwrite(out, sizeof(double) * 154, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot write\n", argv[4]);
        return 1;
    }
    fclose(f);
    free(img);
    free(out);
    return 0;
}
