/*
 * zkswitch: `zkelectctl switchover`, the asking side of a switchover
 * (switchover.h has the request and its states; the daemons do the rest).
 *
 * Over a session of its own (zkquery.h) it checks everything it can before
 * writing anything (a leader, the target in line and not leading, the
 * leader's epoch, no other request under way), writes the request
 * PATH/switchover, follows it with a data watch until it ends or the wait
 * runs out, and at the deadline cancels it (compare-and-set) unless the
 * leader has begun its demote. It prints each step it sees on stdout, one
 * line each, flushed; why it failed goes to stderr.
 *
 * --force (Patroni's "failover"): for a cluster where no leader has promoted,
 * e.g. while paused after the primary's host was lost. The request names no
 * leader (from "", epoch 0); the contenders ahead of the target step back,
 * the elected one too unless it has promoted (then it refuses), and the target
 * promotes (reason forced) past the pause and the breadcrumb. Here we refuse
 * only what ZooKeeper tells us: a breadcrumb naming the live leader with its
 * epoch while the cluster is not paused (that leader has promoted).
 */
#ifndef ZKELECT_ZKSWITCH_H
#define ZKELECT_ZKSWITCH_H

#include <stdbool.h>
#include <stdint.h>

struct config;

struct zkswitch_args {
	const char *to;		/* the target's id; NULL: the next in line */
	int64_t wait_ms;	/* how long to wait for the outcome (our own clock) */
	int64_t epoch;		/* the leader's epoch it is meant for; -1: the current one */
	bool force;		/* --force: no leader has promoted (TO is then required) */
};

/* The outcome: zkelectctl's exit status. */
enum {
	ZKSWITCH_DONE = 0,	/* the target leads: the request is marked done */
	ZKSWITCH_NOT_DONE = 1,	/* refused (here or by the leader), cancelled, failed, deleted */
	ZKSWITCH_UNKNOWN = 2,	/* not over: the leader demotes and the target has not
				   promoted yet at the deadline; or ZooKeeper cannot be
				   reached, refused a call, or the session was lost */
};

/* Ask for a switchover as ARGS says, under CFG's election path, and wait for its end. */
int zkswitch_run(const struct config *cfg, const struct zkswitch_args *args);

#endif
