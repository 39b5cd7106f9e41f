/* enospc.c: a failure-injection library for tests only (LD_PRELOAD), never
 * installed. It makes writes to the files whose path matches a pattern fail
 * as on a full disk, so a test can check that nnlab names the file, exits 2
 * and leaves the complete files it wrote before intact.
 *
 *   NN_ENOSPC_MATCH  fnmatch(3) pattern for the path as opened, e.g.
 *                    "* /metrics.csv.tmp.*" (without the blank); required
 *   NN_ENOSPC_OP     write (default): writes past NN_ENOSPC_AFTER bytes of a
 *                    file fail with ENOSPC (the bytes before are written, as
 *                    the kernel does); fsync: fsync/fdatasync of the file
 *                    fail with ENOSPC; rename: renaming it fails with ENOSPC
 *   NN_ENOSPC_AFTER  bytes of each matching file written before failing (0)
 *   NN_ENOSPC_SKIP   matching files opened before failures begin (0), so the
 *                    first versions of a file that is rewritten are whole
 *
 * stdio writes do not pass through write(2) symbols that can be replaced, so
 * a matching fopen() returns a fopencookie(3) stream on the real file whose
 * write function counts; fileno() of it gives the real descriptor. Files
 * opened with open(2) are counted in write(2). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FD 1024

typedef struct tracked {
    int on;          /* the descriptor belongs to a matching file */
    long long bytes; /* written so far */
    FILE *stream;    /* the cookie stream over it, or NULL */
} tracked;

static tracked fds[MAX_FD];
static long opened;  /* matching files opened so far */
static long renamed; /* matching files renamed so far */

enum { OP_WRITE, OP_FSYNC, OP_RENAME };

static int op(void)
{
    const char *s = getenv("NN_ENOSPC_OP");
    return !s || strcmp(s, "write") == 0 ? OP_WRITE : strcmp(s, "fsync") == 0 ? OP_FSYNC : OP_RENAME;
}

static long long env_num(const char *name)
{
    const char *s = getenv(name);
    return s ? atoll(s) : 0;
}

static int matches(const char *path)
{
    const char *pat = getenv("NN_ENOSPC_MATCH");
    return pat && path && fnmatch(pat, path, 0) == 0;
}

/* A matching file was opened on fd: counted when failures have begun. */
static void track(int fd, const char *path)
{
    if (fd < 0 || fd >= MAX_FD || !matches(path))
        return;
    int live = opened++ >= env_num("NN_ENOSPC_SKIP");
    fds[fd] = (tracked){live, 0, NULL};
}

/* How many of n bytes fd may still take; 0 with errno ENOSPC when none. */
static size_t allowed(int fd, size_t n)
{
    if (fd < 0 || fd >= MAX_FD || !fds[fd].on || op() != OP_WRITE)
        return n;
    long long room = env_num("NN_ENOSPC_AFTER") - fds[fd].bytes;
    if (room <= 0) {
        errno = ENOSPC;
        return 0;
    }
    return (size_t)room < n ? (size_t)room : n;
}

static ssize_t (*real_write_fn(void))(int, const void *, size_t)
{
    static ssize_t (*w)(int, const void *, size_t);
    if (!w)
        w = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    return w;
}

static ssize_t counted_write(int fd, const void *buf, size_t n)
{
    size_t k = n ? allowed(fd, n) : 0;
    if (n && k == 0)
        return -1;
    ssize_t w = real_write_fn()(fd, buf, k);
    if (w > 0 && fd >= 0 && fd < MAX_FD)
        fds[fd].bytes += w;
    return w;
}

ssize_t write(int fd, const void *buf, size_t n) { return counted_write(fd, buf, n); }

/* ---- stdio ------------------------------------------------------------------------ */

static ssize_t ck_read(void *c, char *buf, size_t n) { return read((int)(long)c, buf, n); }
/* All of buf, or -1 with errno, as stdio's own descriptor streams write
 * (a short write is retried, the next one fails with ENOSPC). */
static ssize_t ck_write(void *c, const char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = counted_write((int)(long)c, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}
static int ck_seek(void *c, off64_t *pos, int whence)
{
    off64_t r = lseek((int)(long)c, *pos, whence);
    if (r < 0)
        return -1;
    *pos = r;
    return 0;
}
static int ck_close(void *c)
{
    int fd = (int)(long)c;
    if (fd >= 0 && fd < MAX_FD)
        fds[fd] = (tracked){0, 0, NULL};
    return close(fd);
}

static FILE *open_stream(const char *path, const char *mode, const char *sym)
{
    FILE *(*real)(const char *, const char *) = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, sym);
    int writes = strpbrk(mode, "wa+") != NULL;
    if (!writes || !matches(path))
        return real(path, mode);
    int flags = (strchr(mode, '+') ? O_RDWR : O_WRONLY) | O_CREAT | O_CLOEXEC;
    flags |= mode[0] == 'a' ? O_APPEND : mode[0] == 'w' ? O_TRUNC : 0;
    int fd = open(path, flags, 0666); /* tracked by open() below */
    if (fd < 0)
        return NULL;
    if (fd >= MAX_FD)
        return fdopen(fd, mode);
    cookie_io_functions_t io = {ck_read, ck_write, ck_seek, ck_close};
    FILE *f = fopencookie((void *)(long)fd, mode, io);
    if (!f) {
        close(fd);
        return NULL;
    }
    fds[fd].stream = f;
    return f;
}

FILE *fopen(const char *path, const char *mode) { return open_stream(path, mode, "fopen"); }
FILE *fopen64(const char *path, const char *mode) { return open_stream(path, mode, "fopen64"); }

int fileno(FILE *f)
{
    for (int fd = 0; fd < MAX_FD; fd++)
        if (fds[fd].stream == f && f)
            return fd;
    static int (*real)(FILE *);
    if (!real)
        real = (int (*)(FILE *))dlsym(RTLD_NEXT, "fileno");
    return real(f);
}

/* ---- descriptors, fsync, rename ------------------------------------------------------- */

static int open_with(const char *sym, const char *path, int flags, va_list ap)
{
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
    int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, sym);
    int fd = real(path, flags, mode);
    if ((flags & O_ACCMODE) != O_RDONLY)
        track(fd, path);
    return fd;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int fd = open_with("open", path, flags, ap);
    va_end(ap);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int fd = open_with("open64", path, flags, ap);
    va_end(ap);
    return fd;
}

static int sync_fails(int fd)
{
    if (fd >= 0 && fd < MAX_FD && fds[fd].on && op() == OP_FSYNC) {
        errno = ENOSPC;
        return 1;
    }
    return 0;
}

int fsync(int fd)
{
    if (sync_fails(fd))
        return -1;
    return ((int (*)(int))dlsym(RTLD_NEXT, "fsync"))(fd);
}

int fdatasync(int fd)
{
    if (sync_fails(fd))
        return -1;
    return ((int (*)(int))dlsym(RTLD_NEXT, "fdatasync"))(fd);
}

int rename(const char *from, const char *to)
{
    if (op() == OP_RENAME && matches(from) && renamed++ >= env_num("NN_ENOSPC_SKIP")) {
        errno = ENOSPC;
        return -1;
    }
    return ((int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename"))(from, to);
}
