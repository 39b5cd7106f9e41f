/* version.c: library versions and thread count, for summary.json. */
#include <cblas.h>
#include <libconfig.h>
#include <stdio.h>

#include "report.h"

void nn_report_versions(FILE *f)
{
    fprintf(f, ",\n  \"versions\": {\"nnlab\": \"%s\", \"libconfig\": \"%d.%d.%d\", \"openblas\": \"%s\"}",
            NN_VERSION, LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION,
            openblas_get_config());
    fprintf(f, ",\n  \"threads\": %d", openblas_get_num_threads());
}
