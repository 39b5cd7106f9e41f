/* imutil.c: path joining, thread counts and the features list, for the image
 * feature plugins. */
#include "imfeat.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int imfeat_path_join(char *out, size_t n, const char *dir, const char *rel)
{
    int len;
    if (rel[0] == '/' || !dir || !dir[0])
        len = snprintf(out, n, "%s", rel);
    else
        len = snprintf(out, n, "%s/%s", dir, rel);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

int imfeat_thread_count(int requested)
{
    long n = requested > 0 ? requested : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 256 ? 256 : (int)n;
}

static int kind_of(const char *name, imfeat_kind *k)
{
    static const char *const names[IMFEAT_MAX_KINDS] = {"hog", "hue_hist", "pixels"};
    for (int i = 0; i < IMFEAT_MAX_KINDS; i++)
        if (strcmp(name, names[i]) == 0) {
            *k = (imfeat_kind)i;
            return 0;
        }
    return -1;
}

int imfeat_parse_kinds(imfeat_opts *o, const nn_value *list, const char *allowed, nn_err *err)
{
    if (list->n < 1)
        return nn_err_set(err, NN_EINPUT, "features: the list is empty");
    if (list->n > IMFEAT_MAX_KINDS)
        return nn_err_set(err, NN_EINPUT, "features: at most %d entries", IMFEAT_MAX_KINDS);
    o->n_kinds = 0;
    for (int i = 0; i < list->n; i++) {
        const char *name = list->strs[i];
        imfeat_kind k;
        if (kind_of(name, &k) != 0 || !strstr(allowed, name))
            return nn_err_set(err, NN_EINPUT, "features: unknown feature '%s' (use %s)", name,
                              allowed);
        for (int j = 0; j < o->n_kinds; j++)
            if (o->kinds[j] == k)
                return nn_err_set(err, NN_EINPUT, "features: '%s' is listed twice", name);
        o->kinds[o->n_kinds++] = k;
    }
    return NN_OK;
}
