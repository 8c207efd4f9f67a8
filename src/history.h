/*
 * history: the leader history kept in ZooKeeper, and the exit note a leader
 * leaves when it steps down (pure functions; docs/operations.md).
 *
 *   PATH/exit          written by a leader as its demote starts (so before it
 *                      deletes its znode, in the same session): who, which
 *                      epoch, why. The next leader reads it to name the cause
 *                      of the change; its mtime marks when nobody led any more.
 *   PATH/history/h-N   one record per promote (persistent sequential), written
 *                      by the new leader once its promote has ended; the
 *                      oldest beyond [election] history_keep are deleted.
 *
 * Times: the record's own znode ctime and the exit note's mtime are both the
 * ZooKeeper server's clock, so how long the cluster had no leader is
 * computed from them, never from two hosts' clocks (rule 24). For a leader that crashed or lost ZooKeeper there is no
 * exit note, and the leaderless time is unknown (at least the session timeout).
 */
#ifndef ZKELECT_HISTORY_H
#define ZKELECT_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znode.h"

#define HISTORY_ZNODE "history"
#define HISTORY_PREFIX "h-"
#define EXIT_ZNODE "exit"
#define HISTORY_TEXT_MAX 128

/* What PATH/exit says. */
struct exit_note {
	char id[ZNODE_ID_MAX + 1];
	int64_t epoch;
	char reason[32];	/* the demote's reason: resigned, shutdown, switchover, ... */
	int64_t demote_ms;	/* time before the note's write to count too (0: none) */
};

/* One record of PATH/history. */
struct history_record {
	char leader[ZNODE_ID_MAX + 1];
	int64_t epoch;
	char previous[ZNODE_ID_MAX + 1];	/* "": none known */
	int64_t previous_epoch;		/* -1: none known */
	char cause[32];			/* see history_cause */
	char by[HISTORY_TEXT_MAX];	/* switchover, forced: who asked */
	int64_t exit_mtime_ms;		/* the exit note's mtime (server clock); 0: none */
	int64_t demote_ms;		/* the previous leader's demote; -1: none */
	bool promote_ok;
	/* filled by the reader from the record's znode, never written */
	int64_t ctime_ms;		/* when it was written (server clock) */
	int64_t seq;			/* its sequence number */
};

char *exit_encode(const struct exit_note *x, size_t *len);
bool exit_decode(const char *buf, size_t len, struct exit_note *x);
char *history_encode(const struct history_record *h, size_t *len);
bool history_decode(const char *buf, size_t len, struct history_record *h);

/*
 * The cause of a change to a new leader, from how it was elected (the
 * promote's reason: elected, switchover, forced, pause-ended) and
 * the exit note X (NULL: none) if it names the previous leader with its
 * epoch: "graceful handover" (shutdown), "resign", "health", "promote
 * failed", "switchover", or, with no note, "session expired" (a crash, or a
 * lost connection); "elected" when no leader was known before.
 */
const char *history_cause(const char *promote_reason, const struct exit_note *x,
    const char *previous, int64_t previous_epoch);

/* How long the cluster had no leader (ms), or -1 when unknown (no exit note). */
int64_t history_leaderless_ms(const struct history_record *h);

#endif
