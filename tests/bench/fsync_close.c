/*
 * fsync_close.c -- LD_PRELOAD shim for tests/bench/smtp_bench.py: makes
 * Postfix's smtp-sink fsync each message it dumps before it answers the
 * final ".".
 *
 * smtp-sink -d writes each mail transaction to its own file and closes it
 * (vstream_fclose, that is close(2)) before it sends "250" for the ".";
 * it never calls fsync.  Wrapping close() so that a regular file open for
 * writing is fsync'ed first gives the "Postfix with fsync" side of the
 * proxy comparison without patching Postfix: one fsync per stored
 * message, before the reply, as danelab's smtp_driver --fsync.
 *
 * Built by smtp_bench.py: cc -O2 -shared -fPIC -o fsync_close.so
 * fsync_close.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int
close(int fd)
{
	static int (*real_close)(int);
	struct stat st;
	int fl;

	if (real_close == NULL)
		real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	/* Sockets, pipes and read-only files are closed as they are. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_ACCMODE) != O_RDONLY)
		(void)fsync(fd);
	return real_close(fd);
}
