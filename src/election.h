/*
 * election: the ZooKeeper recipe (ephemeral-sequential znodes, the lowest leads,
 * each contender watches only its predecessor) with the rules of docs/election.md,
 * which the comments here cite by number.
 *
 * It decides nothing about hooks: it reports to the role layer through callbacks
 * and is driven by it (join, leave). After it has lost its znode (deleted,
 * session expired) it stays out until the role layer calls election_join again,
 * so a demote hook always finishes before this node queues again (rule 11).
 */
#ifndef ZKELECT_ELECTION_H
#define ZKELECT_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "zk.h"

struct event_base;
struct election;

struct leader_info {
	const char *id;
	const char *data;
	int64_t epoch;		/* czxid of the leader's znode: the fencing token */
	const char *znode;	/* full path */
};

enum election_loss {
	LOSS_CONNECTION,	/* no longer safe to lead; the znode may still be ours */
	LOSS_EXPIRED,		/* the session (and so the znode) is gone */
	LOSS_DELETED,		/* the znode (or the whole election path) was deleted */
};

struct election_callbacks {
	/* our znode is the lowest and ours (rule 5): lead */
	void (*elected)(void *arg, const struct leader_info *self);
	/* leadership lost */
	void (*unelected)(void *arg, enum election_loss why);
	/* our znode is gone and we are out of the queue until election_join */
	void (*out)(void *arg, enum election_loss why);
	/* our znode is in the queue */
	void (*joined)(void *arg);
	/* another node leads (learned from its announcement: rule 20) */
	void (*leader)(void *arg, const struct leader_info *leader);
	/* the session changed state (for the state file), or was refused (AUTH_FAILED) */
	void (*session)(void *arg, enum zk_event ev);
	/* a listing put our znode behind another contender's (after each such listing) */
	void (*behind)(void *arg);
};

struct election_settings {
	struct zk_settings zk;	/* zk.resume_id: resume that session (rule 22) */
	const char *path;
	const char *id;
	const char *data;
	int priority;		/* published in our znode's data */
	bool observer;
	/* with zk.resume_id: the GUID of our znode prefix, and our znode (NULL: none) */
	const char *resume_guid;
	const char *resume_znode;
};

struct election *election_new(struct event_base *base, const struct election_settings *s,
    const struct election_callbacks *cb, void *arg);
void election_free(struct election *e);

/* Take part (candidates: create a znode; observers: watch the leader) once connected. */
void election_join(struct election *e);
/* Leave: delete our znode (retried until done), then call DONE(ARG); never joins again itself. */
void election_leave(struct election *e, void (*done)(void *arg), void *arg);
/*
 * The same, deleting ALSO (at ALSO_VERSION) in the same transaction as our
 * znode, so that whoever sees our znode gone sees ALSO gone (the breadcrumb
 * of a demote that ended well). If the transaction is refused (ALSO changed
 * or went meanwhile), ALSO's delete is sent on its own, with its version
 * check, and then ours.
 */
void election_leave_with(struct election *e, const char *also, int32_t also_version,
    void (*done)(void *arg), void *arg);
/* Close the session (after leaving). */
void election_close(struct election *e);
/* Apply a new disconnect_grace at once. */
void election_set_grace(struct election *e, int64_t grace_ms);

/*
 * What resuming needs: the session (false when there is none yet) and the GUID
 * of our znode prefix (rule 1: znodes with it are ours).
 */
bool election_client(const struct election *e, struct zk_client *c);
const char *election_guid(const struct election *e);
/* True while a leader may go on leading (zk_entitled): what a watchdog kick proves. */
bool election_entitled(const struct election *e);

/*
 * The session, shared with the operator's requests beside the election
 * (control.c), and where the watch events it sets go: every watch event on a
 * path the election does not own is passed to FN(ARG).
 */
struct zk *election_zk(struct election *e);
void election_forward_watches(struct election *e, zk_watch_fn *fn, void *arg);

/*
 * The names (not paths) of the last listing that found our znode: once
 * elected, the listing that elected us (the role layer reads the line's
 * priorities from it, rather than list again). N gets how many.
 */
char *const *election_listing(const struct election *e, int *n);
/* The predecessor whose znode we watch (full path), or NULL: first, or not queued. */
const char *election_predecessor(const struct election *e);

/* For the state file and hooks. */
const char *election_znode(const struct election *e);	/* full path, or NULL */
int64_t election_session_id(const struct election *e);
const char *election_zk_state(const struct election *e);
const struct zk_counters *election_zk_counters(const struct election *e);

#endif
