/*
 * file.h -- reading a whole input file, bounded.
 */
#ifndef DL_UTIL_FILE_H
#define DL_UTIL_FILE_H

#include <stddef.h>

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

#endif /* DL_UTIL_FILE_H */
