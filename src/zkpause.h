/*
 * zkpause: `zkelectctl pause` and `zkelectctl resume`, the asking side of the
 * cluster-wide maintenance pause (pause.h has the record and rule 24's story;
 * the daemons do the rest: each times a pause itself, from when it read it,
 * capped at its own pause_max).
 *
 * Over a session of its own (zkquery.h), `pause` writes PATH/pause: it
 * creates it, or replaces the one there (a renewal: a new version, which each
 * node times afresh, never ending the pause earlier than the version it saw
 * before); `resume` deletes it. Each reads it first and writes with a
 * compare-and-set on the version it read, so that what it says it replaced
 * or removed is what was there; a race lost reads again. It prints what it
 * did on stdout, one line each; why it failed goes to stderr.
 *
 * The reads of the pause and the breadcrumb serve `switchover --force` too.
 */
#ifndef ZKELECT_ZKPAUSE_H
#define ZKELECT_ZKPAUSE_H

#include <stdint.h>

struct config;
struct pause_record;
struct primary_record;
struct zkquery_session;

struct zkpause_args {
	int64_t for_ms;		/* how long (the caller checked it against pause_max) */
	const char *reason;
};

/* The outcome: zkelectctl's exit status. */
enum {
	ZKPAUSE_DONE = 0,	/* paused (or renewed); resumed, or there was no pause */
	ZKPAUSE_NOT_DONE = 1,	/* refused: there is no election path to pause; or the
				   pause kept changing under us */
	ZKPAUSE_UNKNOWN = 2,	/* ZooKeeper cannot be reached, refused a call, or the
				   session was lost before the outcome was known */
};

/* Pause the election under CFG's path for ARGS->for_ms, or renew the pause there. */
int zkpause_pause(const struct config *cfg, const struct zkpause_args *args);
/* End the pause under CFG's path: delete PATH/pause ("not paused" when there is none). */
int zkpause_resume(const struct config *cfg);

/*
 * Over S (a connection loss ridden out as zkquery_session_again does), under
 * CFG's path: the pause into P, or the breadcrumb (PATH/primary) into P: 1;
 * 0 when there is none, or none zkelectd can read (the daemons ignore it
 * too); ZKQUERY_UNREACHABLE or ZKQUERY_ERROR (said on stderr).
 */
int zkpause_get(struct zkquery_session *s, const struct config *cfg, struct pause_record *p);
int zkpause_primary(struct zkquery_session *s, const struct config *cfg,
    struct primary_record *p);

#endif
