/* fuzz_experiment.c: libFuzzer harness of the experiment reader
 * (nn_experiment_load, core/host/experiment.c) and the checks a run makes
 * before it trains.
 *
 * The input is an experiment file; its first lines of the form "#-s KEY=VALUE"
 * (comments to libconfig) are also given as -s overrides, at most 4. A refusal
 * must carry a message. An accepted experiment must survive its own
 * config.cfg: written, read back and written again, the two texts agree (a
 * value is used exactly as written, or refused). When the data are planar
 * and small, the data are generated, the model built and initialised, the
 * regularizer hooks attached and the trainer set up; with a tiny budget
 * (epochs x examples x parameters) it also trains. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "fuzz.h"
#include "run.h"
#include "train.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nn_registry reg;

/* Keeps every plugin loaded for the whole run: the reader's dlopen and
 * dlclose then only count references, and the instrumented code of each
 * plugin is mapped once. */
static void hold(void *ud, nn_kind kind, const char *name, const char *path)
{
    if (!dlopen(path, RTLD_NOW | RTLD_LOCAL))
        fprintf(stderr, "fuzz_experiment: %s: %s\n", path, dlerror());
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("NNLAB_PLUGIN_PATH", "", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    nn_registry_init(&reg, NULL);
    nn_registry_scan(&reg, 0, hold, NULL);
    return 0;
}

#define MAX_OVERRIDES 4

/* The "#-s KEY=VALUE" lines at the top of text (modified in place). */
static int overrides(char *text, const char **ov)
{
    int n = 0;
    char *p = text;
    while (n < MAX_OVERRIDES && strncmp(p, "#-s ", 4) == 0) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        size_t len = (size_t)(nl - p - 4);
        char *copy = malloc(len + 1);
        memcpy(copy, p + 4, len);
        copy[len] = '\0';
        ov[n++] = copy;
        p = nl + 1;
    }
    return n;
}

/* The text of a written config.cfg without its first line (which names the
 * file it was resolved from). */
static char *resolved_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        abort();
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    return strdup(nl ? nl + 1 : buf);
}

/* config.cfg written, reread and written again: the same text. */
static void round_trip(const nn_experiment *x)
{
    nn_err err = {{0}};
    const char *a = fuzz_write(1, "config.cfg", "", 0), *b = fuzz_write(2, "config2.cfg", "", 0);
    if (nn_experiment_write(x, a, &err) != NN_OK)
        abort();
    nn_experiment y;
    if (nn_experiment_load(&y, a, NULL, 0, &reg, &err) != NN_OK) {
        fprintf(stderr, "config.cfg refused on rereading: %s\n", err.msg);
        abort();
    }
    if (nn_experiment_write(&y, b, &err) != NN_OK)
        abort();
    nn_experiment_free(&y);
    char *ta = resolved_text(a), *tb = resolved_text(b);
    if (strcmp(ta, tb) != 0) {
        fprintf(stderr, "config.cfg changed on rereading:\n%s\n----\n%s\n", ta, tb);
        abort();
    }
    free(ta);
    free(tb);
}

/* Parameters of the model the experiment asks for on d features. */
static double model_params(const nn_experiment *x, int d, int classes)
{
    const nn_int_list *h = &x->opts.model.hidden;
    double n = 0, in = d;
    for (int i = 0; i < h->n; i++) {
        n += (in + 1) * (double)h->v[i];
        in = (double)h->v[i];
    }
    return n + (in + 1) * classes;
}

/* What nn_run does before training, on small planar data. */
static void validate(nn_experiment *x)
{
    if (strcmp(x->data.plugin.desc->name, "planar") != 0)
        return;
    long points = nn_section_get(&x->data, "n_train")->i + nn_section_get(&x->data, "n_val")->i
                  + nn_section_get(&x->data, "n_test")->i;
    if (points > 2000)
        return;
    nn_err err = {{0}};
    nn_data data;
    if (nn_load_data(x, &data, 1, &err) != NN_OK)
        return;
    double params = model_params(x, data.d, data.n_classes);
    long epochs = x->opts.train.epochs;
    if (params < 1e5) {
        nn_model m;
        memset(&m, 0, sizeof m);
        long bs = x->opts.train.batch_size;
        long cap = bs == 0 || (size_t)bs > data.train.m ? (long)data.train.m : bs;
        int rc = nn_build_model(x, &data, cap < 256 ? 256 : cap, &m, &err);
        if (rc == NN_OK)
            rc = nn_attach_hooks(x, &m, &err);
        nn_trainer t;
        if (rc == NN_OK && nn_trainer_init(&t, x, &data, &m, &err) == NN_OK) {
            if ((double)epochs * (double)data.train.m * params < 2e5)
                nn_train(&t, NULL, &err);
            nn_trainer_free(&t);
        }
        nn_model_free(&m);
    }
    nn_data_free(&data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *ov[MAX_OVERRIDES];
    int n_ov = overrides(text, ov);
    const char *path = fuzz_write(0, "exp.cfg", data, size);
    if (!path)
        abort();
    nn_experiment x;
    nn_err err = {{0}};
    int rc = nn_experiment_load(&x, path, ov, n_ov, &reg, &err);
    if (rc != NN_OK && !err.msg[0])
        abort();
    if (rc == NN_OK) {
        round_trip(&x);
        validate(&x);
    }
    if (x.file[0])
        nn_experiment_free(&x);
    for (int i = 0; i < n_ov; i++)
        free((void *)ov[i]);
    free(text);
    return 0;
}
