/*
 * switchover: the operator's request to hand leadership to a named node, as it
 * is stored in ZooKeeper (PATH/switchover), and the pure decisions about it
 * (no ZooKeeper calls, no clock): docs/operations.md tells the whole story.
 *
 * One request at a time. zkelectctl creates it (REQUESTED); the leader it was
 * meant for checks it and accepts it (MOVING) or refuses it; the contenders
 * ahead of the target step back in line; once the target is next, the leader
 * marks it DEMOTING (compare-and-set on the znode's version: from here on it
 * can no longer be cancelled), demotes and leaves; the target promotes and
 * marks it DONE. Anyone may cancel it before DEMOTING (zkelectctl at its
 * deadline, the leader when the target leaves the line or its own deadline
 * passes). A request in a final state is a record only: the next request
 * replaces it.
 */
#ifndef ZKELECT_SWITCHOVER_H
#define ZKELECT_SWITCHOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znode.h"

/* The child of the election path that holds the request. */
#define SWITCHOVER_ZNODE "switchover"
/* zkelectctl switchover's default --wait, and the longest a daemon keeps one alive. */
#define SWITCHOVER_WAIT_DEFAULT_MS	60000
#define SWITCHOVER_WAIT_MAX_MS		3600000
#define SWITCHOVER_BY_MAX	128
#define SWITCHOVER_NOTE_MAX	256

enum sw_state {
	SW_REQUESTED,	/* written by zkelectctl, not yet taken up */
	SW_MOVING,	/* accepted by the leader: contenders ahead of the target step back */
	SW_DEMOTING,	/* the leader demotes and leaves: no way back */
	SW_DONE,	/* the target promoted (new_epoch) */
	SW_REFUSED,	/* checked and refused before anything changed (note says why) */
	SW_CANCELLED,	/* given up before the demote: nothing changed but the order */
	SW_FAILED,	/* after the demote, the target did not lead (note says who does) */
	SW_COUNT
};

struct switchover {
	enum sw_state state;
	char to[ZNODE_ID_MAX + 1];	/* the target */
	char from[ZNODE_ID_MAX + 1];	/* the leader it was meant for */
	int64_t epoch;			/* that leader's epoch */
	int64_t wait_ms;		/* how long the asker waits (each daemon times it itself) */
	bool force;			/* --force: there is no promoted leader */
	int64_t new_epoch;		/* DONE: the target's epoch; else 0 */
	char by[SWITCHOVER_BY_MAX];	/* who asked: user@host[pid] */
	char note[SWITCHOVER_NOTE_MAX];	/* refused/cancelled/failed: why; else the step */
};

/* "requested", "moving", ... */
const char *switchover_state_name(enum sw_state s);
/* True for DONE, REFUSED, CANCELLED and FAILED: the request is a record only. */
bool switchover_final(enum sw_state s);

/*
 * The znode's text: "zkelectd-switchover 1\n" then "key=value\n" lines. Strings
 * are cut at their field's size and any control character becomes a space.
 * Encode returns a malloc'd buffer and its length in *LEN; decode returns
 * false (and fills WHY) when BUF is no request of ours.
 */
char *switchover_encode(const struct switchover *s, size_t *len);
bool switchover_decode(const char *buf, size_t len, struct switchover *s, char *why,
    size_t whylen);
/* Set S's state and note (printf-style). */
void switchover_set(struct switchover *s, enum sw_state state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The position (0 = leader) of ID among the N contenders of LINE (election order), or -1. */
int switchover_position(const struct znode_name *line, size_t n, const char *id);

/*
 * The leader's check of a REQUESTED request: it must be meant for this leader
 * (LEADER_ID with epoch EPOCH) and name a live contender other than the
 * leader itself. False with the reason in WHY (for the note) when refused.
 */
bool switchover_check(const struct switchover *s, const char *leader_id, int64_t epoch,
    const struct znode_name *line, size_t n, char *why, size_t whylen);

/*
 * What a contender does about a MOVING request, from LINE (N contenders in
 * election order, where OWN is its own znode name):
 */
enum sw_step {
	SW_STEP_NONE,		/* nothing (behind the target, or the target itself) */
	SW_STEP_BACK,		/* a follower ahead of the target: re-queue at the back */
	SW_STEP_WAIT,		/* the leader: contenders are still ahead of the target */
	SW_STEP_DEMOTE,		/* the leader: the target is next: mark DEMOTING, demote, leave */
	SW_STEP_CANCEL,		/* the leader: the target is no longer in line */
};
enum sw_step switchover_step(const struct switchover *s, const struct znode_name *line,
    size_t n, const char *own);

#endif
