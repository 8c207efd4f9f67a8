/*
 * fake_zk: the zk.h surface with no server, no threads and no clock, for the
 * unit tests of election.c. Every asynchronous call is recorded; the test takes
 * the calls it expects, in the order a server would answer them, and answers
 * each one. Session and watch events are delivered when the test says so.
 * A new session forgets the calls of the old one: like zk.c, their answers
 * never reach the module.
 */
#ifndef ZKELECT_FAKE_ZK_H
#define ZKELECT_FAKE_ZK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zk.h"

/* FZ_DELETE2: zk_delete2, with the first znode as data and its version as version. */
enum fake_op { FZ_CREATE, FZ_DELETE, FZ_GET, FZ_EXISTS, FZ_CHILDREN, FZ_SET, FZ_DELETE2 };

struct fake_call {
	enum fake_op op;
	char *path;
	bool watch;		/* get, exists */
	int mode;		/* create */
	int version;		/* delete, set */
	char *data;		/* create, set */
	size_t len;
	zk_done_fn *done;
	void *arg;
	uint64_t tag;
	struct fake_call *next;
};

/* The fake the code under test created last. */
struct zk *fake_zk_last(void);

/* A new session SESSION is usable (ZK_EV_CONNECTED); calls of the old one are forgotten. */
void fake_zk_connect(struct zk *zk, int64_t session);
/* Deliver a session event; SUSPENDED/UNSAFE/RECONNECTED/EXPIRED also set what zk_usable
 * and zk_safe answer. EXPIRED forgets every call in flight. */
void fake_zk_event(struct zk *zk, enum zk_event ev);
/* Deliver a watch event (ZOO_DELETED_EVENT, ZOO_CREATED_EVENT, ZOO_CHANGED_EVENT) on PATH. */
void fake_zk_watch(struct zk *zk, int type, const char *path);

/* How many calls wait for an answer; a one-line list of them (for messages). */
size_t fake_zk_pending(const struct zk *zk);
const char *fake_zk_describe(const struct zk *zk);
/* The first waiting call of kind OP whose path starts with PATH (removed from the
 * list), or NULL. */
struct fake_call *fake_zk_take(struct zk *zk, enum fake_op op, const char *path);
/* Counts of the calls ever made, by kind (what a test asserts about traffic). */
unsigned long fake_zk_count(const struct zk *zk, enum fake_op op);

/* Forget a taken call without answering it (its session went away). */
void fake_call_free(struct fake_call *c);

/* Answers: each runs the call's callback once and frees the call. */
void fake_reply(struct fake_call *c, int rc);
void fake_reply_stat(struct fake_call *c, int64_t czxid, int64_t owner);
void fake_reply_data(struct fake_call *c, const char *data, size_t len, int64_t czxid);
void fake_reply_children(struct fake_call *c, const char *const *names, int n);
void fake_reply_created(struct fake_call *c, const char *created, int64_t czxid,
    int64_t owner);

#endif
