/* gemm.h: the core's side of BLAS: its thread count (nn_gemm itself is
 * declared in nnlab/plugin.h for plugins). */
#ifndef NN_GEMM_H
#define NN_GEMM_H

/* Sets the BLAS thread count (n >= 1). With one thread the library's worker
 * pool is stopped as well: OpenBLAS otherwise keeps its idle workers polling
 * with sched_yield for a while after start-up and after every parallel call,
 * taking CPU time from other processes. A later call with more threads
 * restarts the pool. Returns the count in force. */
int nn_blas_set_threads(int n);

#endif
