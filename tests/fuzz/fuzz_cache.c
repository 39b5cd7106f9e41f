/* fuzz_cache.c: libFuzzer harness of the image feature cache reader
 * (imfeat_cache_load, plugins/lib/imfeat/imcache.c).
 *
 * The input is the cache file. The key and the split shapes the reader is
 * asked for come from the input's own header where it has one (so that
 * mutations reach the payload and the checksum), else fixed ones; shapes
 * are capped at 64 rows and 64 columns. A file the reader accepts must be
 * exactly what the writer writes for the values read (one byte changed is
 * never accepted: the checksum). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "fuzz.h"
#include "imfeat/imfeat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEAD 24 /* magic, order, real size, key length */

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The key and shapes the input's header names, when they are plausible. */
static void ask_for(const uint8_t *data, size_t size, char *key, size_t key_cap, uint64_t shape[4])
{
    snprintf(key, key_cap, "fuzz key");
    uint64_t len = size >= HEAD ? u64_at(data + 16) : 0;
    if (len > 0 && len < key_cap && HEAD + len + 32 <= size && !memchr(data + HEAD, '\0', len)) {
        memcpy(key, data + HEAD, len);
        key[len] = '\0';
        for (int i = 0; i < 4; i++)
            shape[i] = u64_at(data + HEAD + len + 8 * i);
    } else {
        shape[0] = 3, shape[1] = 1, shape[2] = 2, shape[3] = 4;
    }
    for (int i = 0; i < 4; i++)
        if (shape[i] > 64)
            shape[i] %= 65;
    if (shape[3] == 0)
        shape[3] = 1;
    if (shape[0] == 0)
        shape[0] = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(0, "a.cache", data, size);
    if (!path)
        abort();
    char key[512];
    uint64_t shape[4];
    ask_for(data, size, key, sizeof key, shape);
    nn_data d;
    memset(&d, 0, sizeof d);
    d.d = (int)shape[3];
    nn_split *s[3] = {&d.train, &d.val, &d.test};
    for (int i = 0; i < 3; i++)
        if (nn_split_alloc(&d, s[i], (size_t)shape[i], 0) != NN_OK)
            abort();
    char why[128];
    int rc = imfeat_cache_load(path, key, &d, why, sizeof why);
    if (rc == IMFEAT_CACHE_HIT) {
        /* written again from the values read, the file must be the same */
        const char *again = fuzz_write(1, "b.cache", "", 0);
        if (!again || imfeat_cache_store(again, key, &d) != 0)
            abort();
        FILE *f = fopen(again, "rb");
        uint8_t *buf = malloc(size + 1);
        size_t got = f && buf ? fread(buf, 1, size + 1, f) : 0;
        if (f)
            fclose(f);
        if (got != size || memcmp(buf, data, size) != 0)
            abort();
        free(buf);
    } else if (rc != IMFEAT_CACHE_MISS && rc != IMFEAT_CACHE_CORRUPT) {
        abort();
    }
    nn_data_free(&d);
    return 0;
}
