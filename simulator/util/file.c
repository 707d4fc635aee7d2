/*
 * file.c -- reading a whole input file, bounded (file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simulator/util/file.h"
#include "simulator/util/xmem.h"

int
dl_read_file(const char *path, size_t max, char **out, size_t *len,
    struct dl_diags *diags)
{
	struct stat st;
	size_t got = 0;
	ssize_t r = 0;
	char *buf;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? DL_ENOENT : DL_EIO;
		dl_error(diags, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		dl_error(diags, path, 0, 0, "not a regular file");
		return DL_EIO;
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		dl_error(diags, path, 0, 0, "file too large (%lld bytes, at "
		    "most %zu)", (long long)st.st_size, max);
		return DL_EINVAL;
	}
	/* One byte more than the size, to notice a file that grew. */
	buf = xmalloc((size_t)st.st_size + 2);
	while (got < (size_t)st.st_size + 1) {
		r = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		dl_error(diags, path, 0, 0, "cannot read: %s",
		    strerror(errno));
		return DL_EIO;
	}
	if (got > max) {
		free(buf);
		dl_error(diags, path, 0, 0, "file too large (it grew while "
		    "read; at most %zu bytes)", max);
		return DL_EINVAL;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}
