/* data.c: core-owned storage for datasets that data plugins fill. */
#include "data.h"

#include <stdlib.h>
#include <string.h>

int nn_split_alloc(nn_data *data, nn_split *split, size_t m, int with_images)
{
    free(split->X);
    free(split->y);
    free(split->images);
    memset(split, 0, sizeof *split);
    if (data->d <= 0)
        return NN_EINTERNAL;
    split->X = calloc(m ? m * (size_t)data->d : 1, sizeof(nn_real));
    split->y = calloc(m ? m : 1, sizeof(int32_t));
    if (with_images) {
        size_t px = (size_t)data->height * data->width * data->channels;
        split->images = calloc((m * px) != 0 ? m * px : 1, 1);
        if (!split->images || px == 0)
            goto fail;
    }
    if (!split->X || !split->y)
        goto fail;
    split->m = m;
    return NN_OK;
fail:
    free(split->X);
    free(split->y);
    free(split->images);
    memset(split, 0, sizeof *split);
    return NN_ENOMEM;
}

int nn_data_set_class_name(nn_data *data, int k, const char *name)
{
    if (k < 0 || k >= NN_MAX_CLASSES)
        return NN_EINTERNAL;
    free(data->class_names[k]);
    data->class_names[k] = strdup(name);
    return data->class_names[k] ? NN_OK : NN_ENOMEM;
}

static void split_free(nn_split *s)
{
    free(s->X);
    free(s->y);
    free(s->images);
    memset(s, 0, sizeof *s);
}

void nn_data_free(nn_data *data)
{
    split_free(&data->train);
    split_free(&data->val);
    split_free(&data->test);
    for (int k = 0; k < NN_MAX_CLASSES; k++)
        free(data->class_names[k]);
    memset(data, 0, sizeof *data);
}
