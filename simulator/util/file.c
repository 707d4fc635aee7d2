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

/* What a file that is not a regular one is, for the message. */
static const char *
file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a plain file";
}

int
dl_open_input(const char *path, int *out, struct dl_diags *diags)
{
	struct stat st;
	int fd, fl;

	/*
	 * O_NONBLOCK: opening a FIFO for reading blocks until a writer
	 * comes, so a plain open() would hang before fstat() could refuse
	 * it.  O_NOCTTY: a terminal named as input must not become ours.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int rc = errno == ENOENT ? DL_ENOENT : DL_EIO;

		dl_error(diags, path, 0, 0, "cannot open: %s", strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		dl_error(diags, path, 0, 0, "cannot stat: %s", strerror(errno));
		close(fd);
		return DL_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		dl_error(diags, path, 0, 0, "not a regular file (%s)",
		    file_kind(st.st_mode));
		return DL_EIO;
	}
	/* Back to blocking reads; for a regular file this changes nothing
	 * today, but a reader must not have to handle EAGAIN. */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		dl_error(diags, path, 0, 0, "cannot open: %s", strerror(errno));
		close(fd);
		return DL_EIO;
	}
	*out = fd;
	return 0;
}

int
dl_fopen_input(const char *path, FILE **out, struct dl_diags *diags)
{
	FILE *fp;
	int fd, rc;

	if ((rc = dl_open_input(path, &fd, diags)) != 0)
		return rc;
	if ((fp = fdopen(fd, "r")) == NULL) {
		dl_error(diags, path, 0, 0, "cannot open: %s", strerror(errno));
		close(fd);
		return DL_EIO;
	}
	*out = fp;
	return 0;
}

int
dl_read_file(const char *path, size_t max, char **out, size_t *len,
    struct dl_diags *diags)
{
	struct stat st;
	size_t got = 0;
	ssize_t r = 0;
	char *buf;
	int fd, rc;

	if ((rc = dl_open_input(path, &fd, diags)) != 0)
		return rc;
	if (fstat(fd, &st) != 0) {
		close(fd);
		dl_error(diags, path, 0, 0, "cannot stat: %s", strerror(errno));
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
