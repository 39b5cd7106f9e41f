/* version.c: library versions and thread count, for summary.json and
 * nnlab --version. */
#include <cblas.h>
#include <stdio.h>

#include "report.h"

void nn_report_versions(FILE *f)
{
    fprintf(f, ",\n  \"versions\": {\"nnlab\": \"%s\", \"libconfig\": \"%s\", \"openblas\": \"%s\"}",
            NN_VERSION, nn_experiment_reader_version(), openblas_get_config());
    fprintf(f, ",\n  \"threads\": %d", openblas_get_num_threads());
}

void nn_print_version(FILE *f)
{
    fprintf(f, "nnlab %s\nplugin ABI %d; libconfig %s; %s\n", NN_VERSION, NN_ABI_VERSION,
            nn_experiment_reader_version(), openblas_get_config());
}
