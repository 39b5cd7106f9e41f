/* mpi.c: nn_sw_transport over MPI point-to-point messages (strings with a
 * tag). Rank 0 polls without blocking (MPI_Iprobe), so that it can watch its
 * own trial processes too; the others block for rank 0's answers. Kept out
 * of libnnlab.so: only the nnlab command links MPI. */
#include "mpi.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static int started;
static nn_sw_transport tr;

static int take(MPI_Status *st, int *src, int *tag, char **msg)
{
    int n = 0;
    MPI_Get_count(st, MPI_CHAR, &n);
    char *m = malloc((size_t)n + 1);
    if (!m)
        return -1;
    if (MPI_Recv(m, n, MPI_CHAR, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        free(m);
        return -1;
    }
    m[n] = '\0';
    if (src)
        *src = st->MPI_SOURCE;
    *tag = st->MPI_TAG;
    *msg = m;
    return 1;
}

static int poll_any(int *src, int *tag, char **msg)
{
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS)
        return -1;
    return flag ? take(&st, src, tag, msg) : 0;
}

static int recv_from(int src, int *tag, char **msg)
{
    MPI_Status st;
    if (MPI_Probe(src, MPI_ANY_TAG, MPI_COMM_WORLD, &st) != MPI_SUCCESS)
        return -1;
    return take(&st, NULL, tag, msg);
}

static int send_to(int dst, int tag, const char *msg)
{
    return MPI_Send(msg, (int)strlen(msg), MPI_CHAR, dst, tag, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

static void abort_all(int status)
{
    MPI_Abort(MPI_COMM_WORLD, status);
}

static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("PMI_SIZE");
}

const nn_sw_transport *nn_sw_mpi_start(void)
{
    if (!launched_by_mpirun())
        return NULL;
    if (!started && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return NULL;
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &tr.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &tr.size);
    MPI_Comm local;
    tr.local_size = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
        MPI_Comm_size(local, &tr.local_size);
        MPI_Comm_free(&local);
    }
    tr.poll = poll_any;
    tr.recv = recv_from;
    tr.send = send_to;
    tr.abort = abort_all;
    return tr.size > 1 ? &tr : NULL;
}

void nn_sw_mpi_end(void)
{
    if (started)
        MPI_Finalize();
    started = 0;
}
