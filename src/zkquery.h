/*
 * zkquery: zkelectctl's direct questions to ZooKeeper (no daemon needed): the
 * contenders once (`leader`, `list`), or the leader as it changes (`watch`).
 */
#ifndef ZKELECT_ZKQUERY_H
#define ZKELECT_ZKQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

struct contender {
	int position;		/* 1 = leader */
	char *id;
	int64_t epoch;		/* czxid */
	char *znode;		/* full path */
	char *data;
	size_t data_len;
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
	 * WATCH_CAUSE: why the leader changed. Always NULL for now: the daemon
	 * publishes no cause yet. The leader-change history (issue 12) is where
	 * it will come from, together with when the change happened (time_ms is
	 * when this watch saw it).
	 */
	const char *cause;
};

/* Called once per change, in order; false stops the watch (the output failed). */
typedef bool zkquery_watch_fn(void *arg, const struct zkquery_change *c);

/*
 * Follow the leader the way followers do (rule 20) over one session of our
 * own: the announcement under cfg->path, believed only while the znode it
 * names is alive with the announced epoch as its czxid. FN is called with the
 * leader found first (or nobody), then once for each change; a leader whose
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

#endif
