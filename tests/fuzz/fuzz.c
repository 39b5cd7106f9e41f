/* fuzz.c: input parts, the temporary folder and parameter blocks for the
 * fuzz harnesses (see fuzz.h). */
#include "fuzz.h"

#include <dirent.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, int max)
{
    const size_t sep = strlen(FUZZ_SEP);
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; k < max - 1 && i + sep <= size; i++)
        if (memcmp(data + i, FUZZ_SEP, sep) == 0) {
            parts[k++] = (fuzz_part){data + start, i - start};
            start = i + sep;
            i = start - 1;
        }
    parts[k++] = (fuzz_part){data + start, size - start};
    return k;
}

static char dir_path[4096];

static void remove_dir(void)
{
    DIR *d = opendir(dir_path);
    if (!d)
        return;
    char path[8192];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir_path, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir_path);
}

const char *fuzz_dir(void)
{
    if (dir_path[0])
        return dir_path;
    const char *t = getenv("TMPDIR");
    snprintf(dir_path, sizeof dir_path, "%s/nnlab-fuzz-XXXXXX", t && t[0] ? t : "/tmp");
    if (!mkdtemp(dir_path)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(remove_dir);
    return dir_path;
}

const char *fuzz_write(int slot, const char *name, const void *p, size_t n)
{
    static char paths[8][4200];
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(paths[slot], "wb");
    if (!f)
        return NULL;
    int ok = fwrite(p, 1, n, f) == n;
    ok &= fclose(f) == 0;
    return ok ? paths[slot] : NULL;
}

int fuzz_params_read(fuzz_params *b, const nn_plugin *p, const void *body, size_t n, nn_err *err)
{
    char *text = malloc(n + 1);
    if (!text)
        abort();
    memcpy(text, body, n);
    text[n] = '\0';
    memset(&b->x, 0, sizeof b->x);
    b->s = NULL;
    if (memchr(body, '\0', n)) {
        free(text);
        nn_err_set(err, NN_EINPUT, "fuzz: a NUL byte in the body");
        return -1;
    }
    int rc = nn_experiment_read_block(&b->x, p, "fuzz", text, err);
    free(text);
    if (rc != NN_OK) {
        fuzz_params_free(b);
        return -1;
    }
    b->s = nn_experiment_block(&b->x, p->kind);
    return 0;
}

void fuzz_params_free(fuzz_params *b)
{
    nn_experiment_free(&b->x);
    b->s = NULL;
}
