/*
 * timeline.h -- playing a scenario's timeline: the phases of a world take
 * effect at their offsets from the start of the run, in front of the
 * servers that are serving it.
 *
 * Three layers:
 *   - the schedule (tl_schedule.c): pure functions of the scenario, which
 *     phase starts when and which phase is in force at a given time;
 *   - the worlds (tl_worlds.c): one world per phase, all built at start
 *     with the same signing time "now" (so the keys' signatures agree
 *     across phases; a world takes some 20 ms to build, so building them
 *     ahead keeps the switch itself instantaneous);
 *   - the player (tl_player.c): a thread with a timerfd and an eventfd in
 *     its own poll loop, which at each phase's offset swaps that phase's
 *     world into the DNS server (dns_server_set_world) and the SMTP
 *     server (smtp_server_set_world, when there is one), then writes a
 *     "phase.start" event (EVENTS.md) and calls the caller's hook.
 *
 * Phases are cumulative (world_build does that): phase k's world is the
 * baseline with the changes of phases 0..k applied.
 *
 * Ownership: the worlds belong to the struct tl_worlds and live until
 * tl_worlds_free, which must come after every server that was given one
 * of them is freed.  A world is thus never freed while a server may still
 * use it; dns_server_set_world and smtp_server_set_world return only once
 * their loop has let go of the previous world anyway.
 */
#ifndef DL_TIMELINE_TIMELINE_H
#define DL_TIMELINE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "simulator/events/events.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

struct dns_server;
struct smtp_server;

/* ------------------------------------------------------------- schedule */

/* One phase change: phase index `phase` starts at `at_ms` into the run. */
struct tl_step {
	int phase;
	uint64_t at_ms;
};

/*
 * The steps of s's timeline into steps (room for s->n_phases entries),
 * ordered by time (phases with equal offsets in scenario order).  The
 * first phase is in force from the start, whatever its offset, so the
 * first step is always at 0.  Returns the number of steps (0 for a
 * scenario without timeline).
 */
size_t tl_schedule(const struct scenario *s, struct tl_step *steps);

/*
 * The phase in force at elapsed_ms into the run: the last step whose
 * offset is <= elapsed_ms.  -1 for a scenario without timeline.
 */
int tl_phase_at(const struct scenario *s, uint64_t elapsed_ms);

/* --------------------------------------------------------------- worlds */

struct tl_worlds {
	const struct scenario *scen; /* borrowed */
	struct world **w;	     /* per phase index, owned */
	size_t n;		     /* s->n_phases, or 1 (the baseline) */
	time_t now;		     /* the signing time of every world */
};

/*
 * Build the world of every phase of s, all signed relative to now (0:
 * time(NULL)), from fixtures_dir.  For a scenario without timeline, the
 * baseline alone (n = 1, phase -1).  Returns 0 and *out (owned,
 * tl_worlds_free), or world_build's negative code with its diagnostics
 * (nothing built then).
 */
int tl_worlds_build(const struct scenario *s, const char *fixtures_dir,
    time_t now, struct tl_worlds **out, struct dl_diags *diags);

/*
 * The world of phase index phase (-1 or 0 for the first), or NULL when
 * out of range.  Borrowed from tw.
 */
const struct world *tl_worlds_get(const struct tl_worlds *tw, int phase);

/* Free every world and tw; NULL is accepted.  After the servers. */
void tl_worlds_free(struct tl_worlds *tw);

/* --------------------------------------------------------------- player */

struct tl_player_opts {
	const struct tl_worlds *worlds; /* borrowed; must outlive player */
	struct dns_server *dns;		/* borrowed; NULL: none */
	struct smtp_server *smtp;	/* borrowed; NULL: none */
	struct evlog *log;		/* borrowed; NULL: no events */
	/* The run's start, CLOCK_MONOTONIC ns (evlog_now_ns); 0: now. */
	uint64_t t0_ns;
	/*
	 * Called in the player's thread after each phase started (the
	 * first included, at once): phase index (-1: no timeline), its
	 * scheduled offset and the actual one, in ms since t0, and 0 or
	 * the negative code of a swap a server refused (that server then
	 * keeps the previous world).  May print; must not block long.
	 */
	void (*on_phase)(void *arg, const struct world *w, int phase,
	    uint64_t at_ms, uint64_t actual_ms, int rc);
	void *arg;
};

struct tl_player;

/*
 * Start playing: the servers are taken to be serving the first phase's
 * world already (tl_worlds_get(worlds, 0)); a thread then swaps in each
 * later phase at its offset from t0 (a phase whose time has already
 * passed starts at once, in order).  The thread inherits the caller's
 * signal mask.  Returns 0 and *out (tl_player_stop), or DL_EIO with a
 * diagnostic (nothing started).  A scenario without timeline, or with
 * one phase, still gets a player (that writes the one phase.start).
 */
int tl_player_start(const struct tl_player_opts *o, struct tl_player **out,
    struct dl_diags *diags);

/*
 * The phase the player has put in force last (-1 before the first).
 * Thread-safe.
 */
int tl_player_phase(const struct tl_player *p);

/*
 * The moment (CLOCK_MONOTONIC ns) the player counts the offsets from:
 * the opts' t0_ns, or its own start when that was 0.  Thread-safe (set
 * before the thread starts).
 */
uint64_t tl_player_t0(const struct tl_player *p);

/*
 * Stop the thread (an eventfd wakes it; a swap in progress finishes
 * first), join it and free p.  NULL is accepted.  The worlds stay.
 */
void tl_player_stop(struct tl_player *p);

#endif /* DL_TIMELINE_TIMELINE_H */
