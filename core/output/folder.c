/* folder.c: refusing, clearing and tidying run folders (see folder.h). */
#include "folder.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnlab/io.h"

/* What a run writes into its folder: these files, every *.png, and these
 * subfolders. */
static const char *const run_files[] = {"config.cfg", "metrics.csv", "summary.json", NULL};
static const char *const run_dirs[] = {"weights", "best_weights", "initial_weights", "checkpoint",
                                       "continue", NULL};

static int in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static int is_output(const char *name)
{
    return in_list(name, run_files) || in_list(name, run_dirs) || ends_with(name, ".png");
}

/* The pid of "<name>.tmp.<pid>", or 0. */
static long temp_pid(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    for (const char *next; t && (next = strstr(t + 1, ".tmp.")) != NULL;)
        t = next;
    if (!t || !t[5])
        return 0;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    return *end == '\0' && pid > 0 ? pid : 0;
}

static int alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int remove_tree(const char *path, char *bad, size_t n);

/* A dead process's temporary: a file, or a folder (checkpoint.tmp.<pid>). */
static int remove_stale_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    char path[8192];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        long pid = temp_pid(e->d_name);
        if (pid == 0 || pid == (long)getpid() || alive(pid))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char bad[8192];
        n += remove_tree(path, bad, sizeof bad) == 0;
    }
    closedir(d);
    return n;
}

int nn_run_folder_remove_stale(const char *dir)
{
    int n = remove_stale_in(dir);
    char sub[8192];
    for (int i = 0; run_dirs[i]; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, run_dirs[i]);
        n += remove_stale_in(sub);
    }
    return n;
}

/* Appends name to the list in what (at most 4 names, then "..."). */
static void name_found(char *what, size_t n, int *found, const char *name)
{
    size_t len = what ? strlen(what) : 0;
    if (what && *found < 4 && len < n)
        snprintf(what + len, n - len, "%s%s", *found ? ", " : "", name);
    else if (what && *found == 4 && len < n)
        snprintf(what + len, n - len, ", ...");
    ++*found;
}

int nn_run_folder_holds_run(const char *dir, char *what, size_t n)
{
    if (what && n)
        what[0] = '\0';
    int found = 0;
    char path[8192];
    struct stat st;
    for (int k = 0; k < 2; k++) /* the files and folders in a fixed order, then figures */
        for (const char *const *l = k ? run_dirs : run_files; *l; l++) {
            snprintf(path, sizeof path, "%s/%s", dir, *l);
            if (lstat(path, &st) == 0)
                name_found(what, n, &found, *l);
        }
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        if (ends_with(e->d_name, ".png"))
            name_found(what, n, &found, e->d_name);
    if (d)
        closedir(d);
    return found > 0;
}

/* rm -r path (a run's own subfolder); 0 or -1 with path of the failure in bad. */
static int remove_tree(const char *path, char *bad, size_t n)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(bad, n, "%s", path), -1);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return snprintf(bad, n, "%s", path), -1;
        char sub[8192];
        int rc = 0;
        for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rc = remove_tree(sub, bad, n);
        }
        closedir(d);
        if (rc == 0 && rmdir(path) != 0)
            return snprintf(bad, n, "%s", path), -1;
        return rc;
    }
    if (unlink(path) != 0)
        return snprintf(bad, n, "%s", path), -1;
    return 0;
}

int nn_run_folder_clear(const char *dir, nn_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? NN_OK : nn_err_set(err, NN_EIO, "%s: %s", dir, strerror(errno));
    char path[8192], bad[8192] = "";
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (!is_output(e->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = remove_tree(path, bad, sizeof bad);
    }
    closedir(d);
    if (rc)
        return nn_err_set(err, NN_EIO, "%s: cannot remove the old output: %s", bad, strerror(errno));
    return NN_OK;
}

int nn_run_folder_prepare(const char *dir, nn_folder_mode mode, nn_err *err)
{
    int rc = nn_mkdirs(dir, err);
    if (rc)
        return rc;
    nn_run_folder_remove_stale(dir);
    char what[512];
    if (mode == NN_FOLDER_RESUME || !nn_run_folder_holds_run(dir, what, sizeof what))
        return NN_OK;
    if (mode == NN_FOLDER_FORCE)
        return nn_run_folder_clear(dir, err);
    return nn_err_set(err, NN_EINPUT,
                      "%s: holds a run already (%s); give --force to replace it or --resume to "
                      "continue it, or choose another folder with -o",
                      dir, what);
}
