/* fuzz_npy.c: libFuzzer harness of the .npy reader (nn_npy_read, core/base/io.c).
 * The input is the file. An accepted array must hold shape-product values,
 * every one of them readable (AddressSanitizer checks the reads). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "nnlab/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(0, "a.npy", data, size);
    if (!path)
        abort();
    nn_npy a;
    nn_err err = {{0}};
    if (nn_npy_read(path, &a, &err) != NN_OK) {
        if (!err.msg[0] || a.data)
            abort(); /* a refusal says why and holds nothing */
        return 0;
    }
    size_t count = 1;
    for (int i = 0; i < a.ndim; i++)
        count *= a.shape[i];
    if (a.ndim < 0 || a.ndim > 2 || count != a.count || !a.data)
        abort();
    volatile double sum = 0;
    for (size_t i = 0; i < a.count; i++)
        sum += a.data[i]; /* reads every value (memory errors show) */
    (void)sum;
    nn_npy_free(&a);
    return 0;
}
