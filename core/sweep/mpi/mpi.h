/* mpi.h: the sweep engine's messages over MPI (built with NN_WITH_MPI). */
#ifndef NN_SW_MPI_H
#define NN_SW_MPI_H

#include "sweep.h"

/* When this process was started by mpirun (Open MPI, or a PMI launcher):
 * initialises MPI and returns the transport; NULL otherwise. */
const nn_sw_transport *nn_sw_mpi_start(void);
/* Finalizes MPI when nn_sw_mpi_start started it. */
void nn_sw_mpi_end(void);

#endif
