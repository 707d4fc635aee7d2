/*
 * fdlimit.h -- the descriptor budget of the process: what the servers
 * derive their connection limits from, and what an accept loop does when
 * descriptors run out.
 *
 * The DNS server, the lab resolver and the SMTP server run as threads of
 * one process and share its RLIMIT_NOFILE.  A connection limit above
 * what the process can open is never reached: accept(2) fails with
 * EMFILE first, the listener stays readable and a level-triggered loop
 * spins.  So each server bounds its limit by a share of the soft limit
 * (SMTP sessions 1/4, each holding up to two descriptors; DNS TCP 1/4;
 * the resolver's TCP 1/8), and on EMFILE / ENFILE stops polling its
 * listeners for FDLIMIT_PAUSE_MS instead of retrying at once.
 *
 * Owns nothing; the limit is read (and raised) once per process.
 */
#ifndef DL_UTIL_FDLIMIT_H
#define DL_UTIL_FDLIMIT_H

#include <stdbool.h>

/* Descriptors kept out of every share: event log, zone and key files,
 * eventfds, epoll, the resolver's upstream sockets, client pipes. */
#define FDLIMIT_RESERVE 64
/* Raise the soft limit at most this far (children inherit it). */
#define FDLIMIT_MAX 65536
/* How long a listener is left alone after EMFILE / ENFILE. */
#define FDLIMIT_PAUSE_MS 100

/*
 * The soft RLIMIT_NOFILE, raised once towards the hard limit (at most
 * FDLIMIT_MAX) the first time it is asked for.  Thread-safe.
 */
unsigned fdlimit_nofile(void);

/*
 * want, bounded by 1/share of the descriptors left after the reserve;
 * at least 1.  share 0 is taken as 1.
 */
unsigned fdlimit_bound(unsigned want, unsigned share);

/* Whether an accept(2) errno means "no descriptor (or memory) now":
 * retrying at once cannot succeed. */
bool fdlimit_exhausted(int err);

#endif /* DL_UTIL_FDLIMIT_H */
