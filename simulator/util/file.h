/*
 * file.h -- reading a whole input file, bounded.
 */
#ifndef DL_UTIL_FILE_H
#define DL_UTIL_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "simulator/util/diag.h"

/*
 * Read the regular file at path into *out (from xmalloc, NUL-terminated;
 * the caller frees) and its length into *len.  A file larger than max
 * bytes is refused.  Returns 0; DL_ENOENT (no such file), DL_EIO (not a
 * regular file, a read error) or DL_EINVAL (larger than max: "file too
 * large (N bytes, at most MAX)"), each with a diagnostic at path.
 */
int dl_read_file(const char *path, size_t max, char **out, size_t *len,
    struct dl_diags *diags);

/*
 * Open the regular file at path for reading and return its descriptor
 * (close-on-exec, blocking) in *fd.  The file is opened with O_NONBLOCK
 * and checked with fstat() before anything reads it, so a FIFO, a
 * socket or a device is refused at once instead of blocking the caller
 * forever; symbolic links are followed (users link scenario trees).
 * Returns 0; DL_ENOENT or DL_EIO with a diagnostic at path ("not a
 * regular file (a FIFO)").  *fd is untouched on failure.
 */
int dl_open_input(const char *path, int *fd, struct dl_diags *diags);

/*
 * dl_open_input() wrapped in a stdio stream (mode "r", close-on-exec).
 * Returns 0 with *fp set (the caller fcloses), or what dl_open_input()
 * returns.
 */
int dl_fopen_input(const char *path, FILE **fp, struct dl_diags *diags);

#endif /* DL_UTIL_FILE_H */
