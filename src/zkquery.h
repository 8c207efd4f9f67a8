/*
 * zkquery: zkelectctl's direct questions to ZooKeeper (no daemon needed): the
 * contenders once (`leader`, `list`), the leader as it changes and why
 * (`watch`), the leader history (`history`), or a session for a command of
 * several steps (`switchover`, src/zkswitch.c; `pause`, `resume`, src/zkpause.c).
 */
#ifndef ZKELECT_ZKQUERY_H
#define ZKELECT_ZKQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zookeeper/zookeeper.h>

struct config;
struct history_record;

struct contender {
	int position;		/* 1 = leader */
	char *id;
	int64_t epoch;		/* czxid */
	char *znode;		/* full path */
	char *data;		/* without the contender header (znode.h) */
	size_t data_len;
	int priority;		/* [election] priority, as published */
};

enum {
	ZKQUERY_OK = 0,
	ZKQUERY_UNREACHABLE = -1,	/* not connected within the session timeout */
	ZKQUERY_ERROR = -2,		/* any other error (message logged to stderr) */
	ZKQUERY_LOST = -3,		/* watch: the session is gone (message logged) */
};

/*
 * The contenders under cfg->path in election order, with their data and epoch
 * (a contender that vanishes between the listing and the read is skipped: rule
 * 19). A missing election path is an empty list.
 */
int zkquery_list(const struct config *cfg, struct contender **out, size_t *n);
void zkquery_free(struct contender *c, size_t n);

/* One leader change seen by zkquery_watch: who leads from now on, or nobody. */
struct zkquery_change {
	int64_t time_ms;	/* when the watch saw it: ms since the epoch (wall clock) */
	const char *id;		/* NULL: no leader */
	int64_t epoch;		/* the leader's czxid; -1 with no leader */
	const char *data;	/* the leader's data as announced; NULL with no leader */
	size_t data_len;
	const char *znode;	/* the leader's znode, full path; NULL with no leader */
	/*
	 * Why the leader changed: the cause in the new leader's record of the
	 * history (history.h, history_cause: "resign", "switchover", ...), the
	 * newest of its epoch. NULL with no leader, with [election] history_keep
	 * = 0 here, or when no record of that epoch came within a session timeout
	 * of the change (the record is written once the promote has ended).
	 */
	const char *cause;
};

/* Called once per change, in order; false stops the watch (the output failed). */
typedef bool zkquery_watch_fn(void *arg, const struct zkquery_change *c);

/*
 * Follow the leader the way followers do (rule 20) over one session of our
 * own: the announcement under cfg->path, believed only while the znode it
 * names is alive with the announced epoch as its czxid. FN is called with the
 * leader found first (or nobody), then once for each change; a new leader's
 * call waits (up to a session timeout, watching the history's children) for
 * its history record, which gives the cause; a leader whose
 * znode goes is reported gone ("no leader") at once when nobody else contends,
 * else when no successor has announced within one session timeout. Connection
 * losses are ridden out (the library sets the watches again, and the watch
 * looks again). Returns ZKQUERY_OK once STOP_FD is readable or FN returned
 * false; ZKQUERY_UNREACHABLE or ZKQUERY_ERROR when the session could not be
 * opened; ZKQUERY_LOST when it expired or had no contact with the server for a
 * whole session timeout (our own clock: the client never says so while
 * disconnected); ZKQUERY_ERROR when the server refused a read.
 */
int zkquery_watch(const struct config *cfg, int stop_fd, zkquery_watch_fn *fn, void *arg);

/*
 * The newest NEWEST records of the leader history under cfg->path (0: all),
 * oldest first, over a session of our own as zkquery_list's (zkhistory.h):
 * *OUT (free it) and *N; a missing history is none. ZKQUERY_OK, or
 * ZKQUERY_UNREACHABLE / ZKQUERY_ERROR, said as zkquery_list says them.
 */
int zkquery_history(const struct config *cfg, size_t newest, struct history_record **out,
    size_t *n);

/*
 * Who asks, as a request or a pause records it: "user@host[pid]" into BUF
 * (LEN bytes). A long host name is cut, never the pid, which tells one
 * zkelectctl's request from another's.
 */
void zkquery_who(char *buf, size_t len);
/*
 * The ACL of a znode zkelectctl creates under the election path: with auth,
 * creator-all + world-read (the daemons, which share the identity, may
 * change it; anyone may read it), else open: as the daemon's own nodes.
 */
const struct ACL_vector *zkquery_acl(const struct config *cfg);

/*
 * A session of our own for a command that takes several steps (zkswitch.c),
 * opened as zkquery_list's is (never read-only, authenticated when configured,
 * ZKQUERY_UNREACHABLE or ZKQUERY_ERROR with the same messages when it cannot
 * be). The caller makes the library's synchronous calls on its handle, from
 * its own thread; a watch it arms there (watch = 1) only wakes
 * zkquery_session_wait, as does any change of the session's state.
 */
struct zkquery_session;
struct announce;

int zkquery_open(const struct config *cfg, struct zkquery_session **out);
void zkquery_close(struct zkquery_session *s);
zhandle_t *zkquery_handle(const struct zkquery_session *s);
/* The contenders in election order, as zkquery_list, over S. */
int zkquery_session_list(struct zkquery_session *s, struct contender **out, size_t *n);
/*
 * The leader as zkquery_watch believes it (the announcement, while the znode
 * it names is alive with the announced epoch as its czxid): 1 with A filled
 * (announce_free it), 0 for nobody, or ZKQUERY_UNREACHABLE / ZKQUERY_ERROR
 * (said on stderr). No watch is left behind.
 */
int zkquery_session_leader(struct zkquery_session *s, struct announce *a);
/*
 * Sleep until a watch fires or the session's state changes after the last
 * return from here (or the opening), or until UNTIL_MS (clock_ms of
 * CLOCK_MONOTONIC): true when woken by an event.
 */
bool zkquery_session_wait(struct zkquery_session *s, int64_t until_ms);
/*
 * After RC from a call on S: note the server's answer, or, on a connection
 * loss the session may survive, wait for the next event (or a moment) and
 * return true: the caller calls again. False for any other result, and once
 * the session has expired or been silent for a whole session timeout.
 */
bool zkquery_session_again(struct zkquery_session *s, int rc);
/*
 * RC, a ZooKeeper result of a call on S for WHAT on PATH (may be NULL), as
 * ours: ZKQUERY_OK; ZKQUERY_UNREACHABLE when it may not have reached the
 * server; else ZKQUERY_ERROR. All but ZKQUERY_OK are said on stderr, as the
 * other commands say them.
 */
int zkquery_session_result(const struct zkquery_session *s, int rc, const char *what,
    const char *path);

#endif
