/* export.c: `nnlab export FILE -o DIR`: writes the data plugin's arrays
 * (X_train.npy, y_train.npy, X_val.npy, ...) for inspection in NumPy. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "experiment.h"
#include "data.h"
#include "nnlab/io.h"
#include "report.h"
#include "run.h"
#include "util.h"

static int export_split(const nn_data *d, const nn_split *s, const char *dir, const char *name,
                        nn_err *err)
{
    if (s->m == 0)
        return NN_OK;
    char file[64];
    size_t shape[2] = {s->m, (size_t)d->d};
    snprintf(file, sizeof file, "X_%s.npy", name);
    int rc = nn_npy_write_real(nn_path_join(dir, file), s->X, 2, shape, err);
    snprintf(file, sizeof file, "y_%s.npy", name);
    if (rc == NN_OK)
        rc = nn_npy_write(nn_path_join(dir, file), "<i4", s->y, sizeof(int32_t), 1, shape, err);
    if (rc == NN_OK)
        printf("%s: %zu x %d\n", name, s->m, d->d);
    return rc;
}

int nn_cmd_export(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (nn_opt_plugin_path(argc, argv, &i, &path))
            continue;
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            file = NULL, i = argc;
    }
    if (!file || !out) {
        fprintf(stderr, "usage: nnlab export FILE -o DIR [--plugin-path DIR]\n");
        return 2;
    }
    if (nn_check_plugin_path("export", path))
        return 2;
    nn_registry reg;
    nn_registry_init(&reg, path);
    nn_experiment x;
    nn_data d;
    nn_err err;
    int rc = nn_experiment_load(&x, file, NULL, 0, &reg, &err);
    if (rc == NN_OK && (rc = nn_load_data(&x, &d, 0, &err)) == NN_OK) {
        rc = nn_mkdirs(out, &err);
        if (rc == NN_OK)
            rc = export_split(&d, &d.train, out, "train", &err);
        if (rc == NN_OK)
            rc = export_split(&d, &d.val, out, "val", &err);
        if (rc == NN_OK)
            rc = export_split(&d, &d.test, out, "test", &err);
        nn_data_free(&d);
    }
    if (rc)
        fprintf(stderr, "nnlab: %s\n", err.msg);
    nn_experiment_free(&x);
    nn_registry_free(&reg);
    return nn_exit_status(rc);
}
