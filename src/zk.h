/*
 * zk: one ZooKeeper session at a time, and the bridge from the client library's
 * threads to the event loop.
 *
 * libzookeeper_mt calls watchers and completions on its own completion thread.
 * Here they only copy what they were told into a mutex-protected queue and write
 * an eventfd; the loop drains the queue and every decision is taken there
 * (rule 10 of docs/election.md). Every asynchronous call carries the session generation;
 * completions and watch events from an older handle are dropped (rule 9).
 *
 * The session's safety clock is ours (rules 6, 7, 16): "last contact" is the
 * monotonic (boot-time) moment the server last answered. A leader is told it is
 * no longer safe (ZK_EV_UNSAFE) 2/3 of the session timeout + disconnect_grace
 * after the last contact (its deadline). A lost connection or a pause does not
 * end leadership by itself: until the deadline the same session may answer
 * again, and the loss is ridden out if it does (rule 6). With no contact for a
 * whole session timeout the session is given up locally (ZK_EV_EXPIRED) and a
 * new one opened. The clock is checked before anything else whenever the loop
 * wakes.
 */
#ifndef ZKELECT_ZK_H
#define ZKELECT_ZK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zookeeper/zookeeper.h>

#include "zkrc.h"

struct event_base;
struct zk;

enum zk_event {
	ZK_EV_CONNECTED,	/* a new session is usable (the first, or after an expiry) */
	ZK_EV_RECONNECTED,	/* the same session answers again after a loss */
	ZK_EV_SUSPENDED,	/* connection lost; the session may survive */
	ZK_EV_UNSAFE,		/* leadership is no longer safe: demote now */
	ZK_EV_EXPIRED,		/* the session is gone; a new one is being opened */
	ZK_EV_AUTH_FAILED,	/* ZooKeeper rejected our credentials */
};

enum zk_state { ZK_STATE_CONNECTING, ZK_STATE_CONNECTED, ZK_STATE_EXPIRED };

struct zk_settings {
	const char *hosts;
	int64_t session_timeout_ms;
	int64_t disconnect_grace_ms;
	const char *auth_scheme;	/* NULL: none */
	const char *auth_cred;
	/* resume this session (rule 22): its id (0: open a new one) and password */
	int64_t resume_id;
	const char *resume_passwd;	/* ZK_PASSWD_LEN bytes */
};

#define ZK_PASSWD_LEN 16	/* clientid_t's passwd */

/* What it takes to resume the current session from another process. */
struct zk_client {
	int64_t id;
	char passwd[ZK_PASSWD_LEN];
	int64_t timeout_ms;	/* negotiated */
};

/* What an asynchronous call returned; pointers valid during the callback only. */
struct zk_result {
	int rc;				/* ZOK, ZNONODE, ... */
	uint64_t tag;			/* as given to the call */
	const char *path;		/* the path the call was made on */
	const struct Stat *stat;	/* exists/get/create/children: when rc == ZOK */
	const char *value;		/* get */
	int value_len;
	char *const *children;		/* children */
	int nchildren;
	const char *created;		/* create: the path created */
};

typedef void zk_done_fn(void *arg, const struct zk_result *r);
typedef void zk_session_fn(void *arg, enum zk_event ev);
typedef void zk_watch_fn(void *arg, int type, const char *path);

struct zk *zk_new(struct event_base *base, zk_session_fn *session, zk_watch_fn *watch, void *arg);
/* Open a session with S (copied); events follow through the callbacks. */
void zk_open(struct zk *zk, const struct zk_settings *s);
/* Close the session (the server deletes our ephemeral nodes); no callback after this. */
void zk_close(struct zk *zk);
void zk_free(struct zk *zk);
/* Apply a new disconnect_grace at once. */
void zk_set_grace(struct zk *zk, int64_t grace_ms);

enum zk_state zk_state(const struct zk *zk);
const char *zk_state_name(enum zk_state s);
/* The current session id (0 when there is none). */
int64_t zk_session_id(const struct zk *zk);
/* True while the session is usable for requests. */
bool zk_usable(const struct zk *zk);
/* True while it is safe to become leader: usable, and within the deadline. */
bool zk_safe(const struct zk *zk);
/*
 * True while a leader may go on leading: the session answered within its
 * deadline and no UNSAFE was reported since (a lost connection included: the
 * same session may still answer in time). What a watchdog kick proves (rule 23).
 */
bool zk_entitled(const struct zk *zk);
/* The session to hand over (false when there is none yet). */
bool zk_client(const struct zk *zk, struct zk_client *c);
/* Counters for the status endpoint and the benchmark. */
struct zk_counters {
	unsigned long requests, expirations, connection_losses;
};
const struct zk_counters *zk_counters(const struct zk *zk);

/*
 * Asynchronous calls. DONE always runs later on the loop (also when the call
 * could not even be sent: then rc says why), unless the session has changed
 * meanwhile, in which case it never runs. WATCH sets a watch that is reported
 * through the zk_watch_fn (get arms only when the node exists: rule 3).
 */
void zk_create(struct zk *zk, const char *path, const void *data, size_t len, int mode,
    zk_done_fn *done, void *arg, uint64_t tag);
void zk_delete(struct zk *zk, const char *path, int version, zk_done_fn *done, void *arg,
    uint64_t tag);
/*
 * Delete PATH (at VERSION), then ALSO (at ALSO_VERSION), in one transaction:
 * both, or neither (then rc is the first failing delete's error). Watchers
 * are told in the order of the deletes, PATH's first. DONE gets PATH as the
 * result's path.
 */
void zk_delete2(struct zk *zk, const char *path, int version, const char *also,
    int also_version, zk_done_fn *done, void *arg, uint64_t tag);
void zk_get(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg,
    uint64_t tag);
void zk_exists(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg,
    uint64_t tag);
void zk_children(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg,
    uint64_t tag);
void zk_set(struct zk *zk, const char *path, const void *data, size_t len, int version,
    zk_done_fn *done, void *arg, uint64_t tag);

#endif
