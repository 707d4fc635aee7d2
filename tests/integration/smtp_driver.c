/*
 * smtp_driver.c -- run danelab's SMTP server for one scenario, for the
 * SMTP integration tests and the benchmark (tests/bench/smtp_bench.py).
 *
 *   smtp_driver [-a ADDR] [-p PORT] [-e EVENTS] [-m MAILDIR] [-i IDLE_MS]
 *               [-d DATA_MS] [-s SESSION_MS] [-n MAX_SESSIONS] [-P PHASE]
 *               [-x N] [--fsync] SCENARIO
 *   smtp_driver --help
 *
 * Every MX host is served on ADDR (default 127.0.0.1), host i on PORT + i
 * (PORT 0: ports the kernel picks).  -i, -d, -s, -n set the server's
 * time bounds and session limit (smtp_server.h); --fsync makes every
 * stored message reach stable storage before its 250 (with -m; for the
 * benchmark's with/without-fsync pairing).  -x N opens N more descriptors
 * once the server is up (tests: the rest of a process using descriptors,
 * so that accept runs out before the session limit).  Prints "ready PORT"
 * (the first host's port) on stdout once listening, then serves until
 * SIGTERM or SIGINT.  Exit 0, 1 if the server failed, 2 for bad usage or
 * input.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "danelab_config.h"
#include "simulator/events/events.h"
#include "simulator/scenario/scenario.h"
#include "simulator/smtp/smtp_server.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

static struct smtp_server *srv;

static int
usage(FILE *fp, int rc)
{
	fprintf(fp,
	    "usage: smtp_driver [-a addr] [-p port] "
	    "[-e events] [-m maildir] [-i idle_ms] [-d data_ms] "
	    "[-s session_ms] [-n max] [-P phase] [-x n] [--fsync] "
	    "scenario\n");
	return rc;
}

static void
on_signal(int sig)
{
	if (srv != NULL)
		smtp_server_stop(srv);
}

int
main(int argc, char **argv)
{
	struct smtp_server_opts o;
	struct world_opts wo;
	struct dl_diags d;
	struct scenario *sc = NULL;
	struct world *w = NULL;
	struct evlog *log = NULL;
	struct sigaction sa;
	const char *fx = getenv("DANELAB_FIXTURES");
	const char *events = NULL;
	static const struct option lo[] = {
	    {"fsync", no_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, rc, phase = -1, extra = 0, i;

	memset(&o, 0, sizeof(o));
	o.single_addr = "127.0.0.1";
	while ((ch = getopt_long(argc, argv, "a:p:e:m:i:d:s:n:P:x:", lo,
		    NULL)) != -1) {
		switch (ch) {
		case 'a':
			o.single_addr = optarg;
			break;
		case 'p':
			o.port = (uint16_t)atoi(optarg);
			break;
		case 'e':
			events = optarg;
			break;
		case 'm':
			o.maildir = optarg;
			break;
		case 'i':
			o.idle_ms = (unsigned)atoi(optarg);
			break;
		case 'd':
			o.data_ms = (unsigned)atoi(optarg);
			break;
		case 's':
			o.session_ms = (unsigned)atoi(optarg);
			break;
		case 'n':
			o.max_sessions = (unsigned)atoi(optarg);
			break;
		case 'x':
			extra = atoi(optarg);
			break;
		case 'F':
			o.fsync = true;
			break;
		case 'P':
			phase = atoi(optarg);
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc - 1)
		return usage(stderr, 2);
	if (fx == NULL)
		fx = DANELAB_FIXTURES_DIR;
	dl_diags_init(&d);
	memset(&wo, 0, sizeof(wo));
	wo.fixtures_dir = fx;
	wo.phase = phase;
	if (scenario_load(argv[optind], fx, &sc, &d) != 0 ||
	    world_build(sc, &wo, &w, &d) != 0) {
		dl_diags_print(&d, stderr);
		return 2;
	}
	if (events != NULL && evlog_open(events, 0, &log) != 0) {
		perror(events);
		return 2;
	}
	o.log = log;
	if ((rc = smtp_server_new(w, &o, &srv, &d)) != 0) {
		dl_diags_print(&d, stderr);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < extra; i++)
		if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
			break;
	printf("ready %u\n", smtp_server_port(srv));
	fflush(stdout);
	rc = smtp_server_run(srv);
	smtp_server_free(srv);
	evlog_free(log);
	world_free(w);
	scenario_free(sc);
	dl_diags_clear(&d);
	return rc == 0 ? 0 : 1;
}
