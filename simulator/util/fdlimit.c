/*
 * fdlimit.c -- the process's descriptor budget (fdlimit.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>

#include "simulator/util/fdlimit.h"

static pthread_once_t fdlimit_once = PTHREAD_ONCE_INIT;
static unsigned fdlimit_soft = 1024;

static void
fdlimit_init(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	want = rl.rlim_max;
	if (want == RLIM_INFINITY || want > FDLIMIT_MAX)
		want = FDLIMIT_MAX;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		/* Failure keeps the old soft limit, read again below. */
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FDLIMIT_MAX)
		fdlimit_soft = FDLIMIT_MAX;
	else
		fdlimit_soft = (unsigned)rl.rlim_cur;
}

unsigned
fdlimit_nofile(void)
{
	pthread_once(&fdlimit_once, fdlimit_init);
	return fdlimit_soft;
}

unsigned
fdlimit_bound(unsigned want, unsigned share)
{
	unsigned n = fdlimit_nofile(), cap;

	if (share == 0)
		share = 1;
	cap = n > FDLIMIT_RESERVE ? (n - FDLIMIT_RESERVE) / share : 1;
	if (cap == 0)
		cap = 1;
	return want < cap ? want : cap;
}

bool
fdlimit_exhausted(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}
