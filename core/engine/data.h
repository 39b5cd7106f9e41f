/* data.h: datasets owned by the core (filled by data plugins). */
#ifndef NN_DATA_H
#define NN_DATA_H

#include "nnlab/plugin.h"

void nn_data_free(nn_data *data);

#endif
