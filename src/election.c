/* election: the leader-election recipe on ZooKeeper, with the rules of docs/election.md. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "election.h"
#include "log.h"
#include "timer.h"
#include "xmalloc.h"
#include "znode.h"

#define RETRY_MS 1000		/* back-off after an unexpected error */

enum estate {
	E_OUT,		/* no znode */
	E_CREATING,	/* a create is in flight (or its reply was lost) */
	E_QUEUED,	/* our znode is in the queue */
	E_LEAVING,	/* deleting our znode */
};

struct election {
	struct zk *zk;
	struct election_callbacks cb;
	void *arg;
	struct event *ev_retry;

	char *path, *id, *data;
	int priority;
	char *announce_path;
	bool observer;
	char guid[ZNODE_GUID_LEN + 1];
	char *prefix;		/* n_GUID_ID- */

	bool want;		/* the role layer wants us in the queue */
	enum estate st;
	uint64_t attempt;	/* tags every call of one join; bumped to forget them */
	bool create_uncertain;	/* a create ended in connection loss: rule 1 */
	char *own;		/* full path of our znode */
	int64_t own_czxid;
	char *pred;		/* full path of the predecessor we watch */
	char **listed;		/* the names of the last listing that found our znode */
	int nlisted;
	bool leader;		/* elected and not lost since */
	bool listed_first;	/* the listing just answered puts us first (rule 5 decides) */
	int64_t known_epoch;	/* the leader last reported upward (-1: none) */
	/*
	 * What we know of the announcement is current: an answer we acted on armed
	 * a watch on it (get: a data watch; exists: one for its creation) and that
	 * watch has not fired since. Announcement reads carry no join attempt and
	 * their answers are never dropped within a session, so this flag can only
	 * be set by the answer of the request that armed the watch (rule 21).
	 */
	bool announce_current;
	struct announce heard;	/* the announcement being checked before it is believed */
	int32_t announce_version;	/* leader: the version of a suspect announcement */
	int64_t suspect_epoch;		/* leader: its epoch, greater than ours */
	char *parent_todo;	/* ensure_parent: the path still to create */
	int64_t resume_id;	/* the saved session we resume (0: none) */
	char *resume_znode;	/* its znode, adopted once that session answers */
	int recover_pending;	/* ownership checks in flight after a lost create */

	void (*leave_done)(void *arg);
	void *leave_arg;
	char *leave_also;	/* deleted with our znode in one transaction (election_leave_with) */
	int32_t leave_also_version;
	zk_watch_fn *other_watch;	/* watch events on paths not ours (control.c) */
	void *other_arg;

	/* znodes of ours to delete, retried until gone (rule 12): one that is the
	 * lowest would otherwise block the whole election for as long as we live */
	struct stray {
		char *path;
		struct stray *next;
	} *strays;
};

static void on_session(void *arg, enum zk_event ev);
static void on_watch(void *arg, int type, const char *path);
static void on_retry(evutil_socket_t fd, short what, void *arg);
static void retry_later(struct election *e);
static void create_node(struct election *e);
static void create_done(void *arg, const struct zk_result *r);
static void abandoned_done(void *arg, const struct zk_result *r);
static void delete_stray(struct election *e, const char *path);
static void retry_strays(struct election *e);
static void forget_strays(struct election *e);
static void ensure_parent(struct election *e);
static void parent_done(void *arg, const struct zk_result *r);
static void list(struct election *e);
static void list_done(void *arg, const struct zk_result *r);
static void recover(struct election *e);
static void recover_done(void *arg, const struct zk_result *r);
static void recover_owner_done(void *arg, const struct zk_result *r);
static void ownership_done(void *arg, const struct zk_result *r);
static void pred_done(void *arg, const struct zk_result *r);
static void delete_strays(struct election *e, const struct znode_name *names, size_t n,
    const char *own_name);
static void announce(struct election *e);
static void announce_get_done(void *arg, const struct zk_result *r);
static void announce_write_done(void *arg, const struct zk_result *r);
static void announce_read(struct election *e);
static void announce_read_done(void *arg, const struct zk_result *r);
static void announce_exists_done(void *arg, const struct zk_result *r);
static void announce_report(struct election *e, const char *value, size_t len);
static void announce_check_done(void *arg, const struct zk_result *r);
static void announce_suspect_done(void *arg, const struct zk_result *r);
static void announce_write(struct election *e, int32_t version);
static bool announce_is_ours(const struct election *e, const char *value, size_t len);
static char *announce_mine(const struct election *e, size_t *len);
static bool following(const struct election *e);
static void node_lost(struct election *e, enum election_loss why);
static void leave_delete(struct election *e);
static void leave_done(void *arg, const struct zk_result *r);
static void leave_both_done(void *arg, const struct zk_result *r);
static void leave_also_done(void *arg, const struct zk_result *r);
static void finish_leave(struct election *e);
static char *child_path(const struct election *e, const char *name);
static const char *base_name(const char *path);
static void forget_own(struct election *e);
static void keep_listing(struct election *e, char *const *children, int n);
static void drop_own(struct election *e);
static bool resume_adopt(struct election *e);

/* Create the election and open its ZooKeeper session (events follow through CB). */
struct election *
election_new(struct event_base *base, const struct election_settings *s,
    const struct election_callbacks *cb, void *arg)
{
	struct election *e = xcalloc(1, sizeof(*e));

	e->zk = zk_new(base, on_session, on_watch, e);
	e->cb = *cb;
	e->arg = arg;
	e->ev_retry = evtimer_new(base, on_retry, e);
	e->path = xstrdup(s->path);
	e->id = xstrdup(s->id);
	e->data = xstrdup(s->data);
	e->priority = s->priority;
	e->observer = s->observer;
	e->announce_path = child_path(e, ZNODE_ANNOUNCE);
	if (s->zk.resume_id != 0 && s->resume_guid != NULL &&
	    strlen(s->resume_guid) == ZNODE_GUID_LEN) {
		/* the znodes of the saved session carry its prefix: keep it (rule 1) */
		memcpy(e->guid, s->resume_guid, ZNODE_GUID_LEN + 1);
		e->resume_id = s->zk.resume_id;
		e->resume_znode = s->resume_znode ? xstrdup(s->resume_znode) : NULL;
	} else
		znode_new_guid(e->guid);
	e->prefix = znode_prefix(e->guid, e->id);
	e->known_epoch = -1;
	e->st = E_OUT;
	zk_open(e->zk, &s->zk);
	return e;
}

void
election_free(struct election *e)
{
	if (e == NULL)
		return;
	zk_free(e->zk);
	event_free(e->ev_retry);
	free(e->path);
	free(e->id);
	free(e->data);
	free(e->announce_path);
	free(e->prefix);
	free(e->leave_also);
	free(e->own);
	free(e->pred);
	keep_listing(e, NULL, 0);
	free(e->parent_todo);
	free(e->resume_znode);
	announce_free(&e->heard);
	forget_strays(e);
	free(e);
}

/* PATH/NAME of the election, malloc'd. */
static char *
child_path(const struct election *e, const char *name)
{
	return znode_child_path(e->path, name);
}

/* The last component of PATH. */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* --- joining --- */

/* Take part in the election once the session is usable. */
void
election_join(struct election *e)
{
	e->want = true;
	if (!zk_usable(e->zk) || e->st != E_OUT)
		return;
	if (e->observer) {
		e->st = E_QUEUED;	/* observers hold no znode: they only watch */
		e->attempt++;
		e->cb.joined(e->arg);
		announce_read(e);
		return;
	}
	create_node(e);
}

/* Create our ephemeral-sequential znode, named with our GUID prefix (rule 1). */
static void
create_node(struct election *e)
{
	char *p = child_path(e, e->prefix);
	size_t len;
	char *buf = contender_encode(e->priority, e->data, &len);

	e->st = E_CREATING;
	e->attempt++;
	zk_create(e->zk, p, buf, len, ZOO_EPHEMERAL_SEQUENTIAL, create_done, e, e->attempt);
	free(buf);
	free(p);
}

/* Our create answered. */
static void
create_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->tag != e->attempt || !e->want) {
		/* we left while it was in flight: delete it at once (rule 12) */
		if (r->rc == ZOK) {
			log_info("election: deleting %s, created after we left", r->created);
			delete_stray(e, r->created);
		} else if (zk_rc_is_transient(r->rc))
			e->create_uncertain = true;
		return;
	}
	if (r->rc == ZOK) {
		e->own = xstrdup(r->created);
		e->own_czxid = r->stat ? r->stat->czxid : 0;
		e->st = E_QUEUED;
		log_info("election: joined as %s", e->own);
		e->cb.joined(e->arg);
		list(e);
	} else if (r->rc == ZNONODE) {
		/* the election path is missing: create it from the top (rule 13); a chain
		 * left unfinished by an older session or attempt is forgotten (rule 21) */
		free(e->parent_todo);
		e->parent_todo = NULL;
		ensure_parent(e);
	} else if (zk_rc_is_transient(r->rc)) {
		/* it may have been created: recognise it by our prefix later (rule 1) */
		e->create_uncertain = true;
		log_info("election: create of our znode unanswered (%s); will check on reconnect",
		    zerror(r->rc));
	} else {
		log_errorx("election: cannot create our znode under %s: %s%s", e->path,
		    zerror(r->rc), r->rc == ZNOAUTH ?
		    " (the election path's ACL refuses us: check [zookeeper] auth)" : "");
		e->st = E_OUT;
		retry_later(e);
	}
}

/* Delete PATH, a znode of ours we do not keep; remembered until it is gone. */
static void
delete_stray(struct election *e, const char *path)
{
	struct stray *st;

	for (st = e->strays; st != NULL && strcmp(st->path, path) != 0; st = st->next)
		;
	if (st == NULL) {
		st = xcalloc(1, sizeof(*st));
		st->path = xstrdup(path);
		st->next = e->strays;
		e->strays = st;
	}
	zk_delete(e->zk, path, -1, abandoned_done, e, 0);
}

/* A stray's delete answered: forget it once gone; otherwise it is sent again later. */
static void
abandoned_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;
	struct stray **pp, *st;

	if (r->rc != ZOK && r->rc != ZNONODE) {
		if (!zk_rc_is_transient(r->rc)) {
			log_warnx("election: cannot delete %s: %s; retrying", r->path, zerror(r->rc));
			retry_later(e);
		}
		return;
	}
	for (pp = &e->strays; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->path, r->path) == 0) {
			st = *pp;
			*pp = st->next;
			free(st->path);
			free(st);
			break;
		}
	}
}

/* Send the delete of every stray again (after a reconnect or a back-off). */
static void
retry_strays(struct election *e)
{
	for (struct stray *st = e->strays; st != NULL; st = st->next)
		zk_delete(e->zk, st->path, -1, abandoned_done, e, 0);
}

/* A new session: the strays of the old one went with it (they were ephemeral). */
static void
forget_strays(struct election *e)
{
	struct stray *st;

	while ((st = e->strays) != NULL) {
		e->strays = st->next;
		free(st->path);
		free(st);
	}
}

/* Create the election path, component by component, persistent (rule 13). */
static void
ensure_parent(struct election *e)
{
	const char *next;
	size_t done = e->parent_todo ? strlen(e->parent_todo) : 0;

	next = strchr(e->path + done + 1, '/');
	free(e->parent_todo);
	e->parent_todo = next ? xstrndup(e->path, (size_t)(next - e->path)) : xstrdup(e->path);
	zk_create(e->zk, e->parent_todo, "", 0, ZOO_PERSISTENT, parent_done, e, e->attempt);
}

/* One component of the election path created (or already there). */
static void
parent_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->tag != e->attempt)
		return;
	if (r->rc != ZOK && r->rc != ZNODEEXISTS) {
		log_errorx("election: cannot create %s: %s", e->parent_todo, zerror(r->rc));
		free(e->parent_todo);
		e->parent_todo = NULL;
		e->st = E_OUT;
		if (!zk_rc_is_transient(r->rc))
			retry_later(e);
		return;
	}
	if (r->rc == ZOK)
		log_info("election: created %s", e->parent_todo);
	if (strcmp(e->parent_todo, e->path) != 0) {
		ensure_parent(e);
		return;
	}
	free(e->parent_todo);
	e->parent_todo = NULL;
	if (e->observer) {
		e->st = E_OUT;
		election_join(e);
	} else
		create_node(e);
}

/* --- the queue --- */

/*
 * List the children (no watch: we watch only our predecessor) and, in the
 * same breath, check our own znode with a watch on it. One session's requests
 * are answered in order, so the check is as fresh as a check sent after the
 * listing (rule 5) and saves a round trip when the listing makes us leader.
 * The watch tells us at once when an operator deletes our znode.
 */
static void
list(struct election *e)
{
	log_debug("election: listing %s", e->path);
	zk_children(e->zk, e->path, false, list_done, e, e->attempt);
	zk_exists(e->zk, e->own, true, ownership_done, e, e->attempt);
}

/* The listing: lead if lowest (after the ownership check), else watch the predecessor. */
static void
list_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;
	struct znode_name *names;
	size_t n, i;
	const char *own_name;

	e->listed_first = false;	/* until this listing says so */
	if (r->tag != e->attempt || e->st != E_QUEUED || e->own == NULL)
		return;
	if (r->rc == ZNONODE) {
		node_lost(e, LOSS_DELETED);	/* the whole election path went */
		return;
	}
	if (r->rc != ZOK) {
		if (!zk_rc_is_transient(r->rc)) {
			log_errorx("election: cannot list %s: %s", e->path, zerror(r->rc));
			retry_later(e);
		}
		return;	/* a transient error: the reconnect lists again */
	}
	names = xcalloc((size_t)r->nchildren + 1, sizeof(*names));
	n = znode_sort(r->children, (size_t)r->nchildren, names);
	own_name = base_name(e->own);
	delete_strays(e, names, n, own_name);
	for (i = 0; i < n && strcmp(names[i].name, own_name) != 0; i++)
		;
	if (i == n) {
		free(names);
		node_lost(e, LOSS_DELETED);
		return;
	}
	free(e->pred);
	e->pred = NULL;
	keep_listing(e, r->children, r->nchildren);
	if (i == 0) {
		/* lowest: the check sent with the listing decides (rule 5) */
		e->listed_first = true;
	} else {
		e->pred = child_path(e, names[i - 1].name);
		log_debug("election: position %zu, watching %s", i + 1, e->pred);
		/* get arms its watch only when the node exists (rule 3) */
		zk_get(e->zk, e->pred, true, pred_done, e, e->attempt);
		if (!e->announce_current)
			announce_read(e);
	}
	free(names);
	if (i > 0)
		e->cb.behind(e->arg);	/* last: the role layer may act on it at once */
}

/* Keep a copy of the N names CHILDREN (none: forget the last). */
static void
keep_listing(struct election *e, char *const *children, int n)
{
	for (int i = 0; i < e->nlisted; i++)
		free(e->listed[i]);
	free(e->listed);
	e->listed = NULL;
	e->nlisted = n;
	if (n == 0)
		return;
	e->listed = xcalloc((size_t)n, sizeof(*e->listed));
	for (int i = 0; i < n; i++)
		e->listed[i] = xstrdup(children[i]);
}

char *const *
election_listing(const struct election *e, int *n)
{
	*n = e->nlisted;
	return e->listed;
}

const char *
election_predecessor(const struct election *e)
{
	return e->st == E_QUEUED ? e->pred : NULL;
}

/*
 * Nodes with our prefix other than our znode come from an older session of
 * this process (our own clock gave it up before the server did): delete them
 * rather than wait for the server to expire them (rule 1).
 */
static void
delete_strays(struct election *e, const struct znode_name *names, size_t n,
    const char *own_name)
{
	char *p;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i].name, own_name) == 0 ||
		    znode_claim(names[i].name, e->prefix, 0, 0, false, true) != CLAIM_DELETE)
			continue;
		p = child_path(e, names[i].name);
		log_info("election: deleting %s, left from an older session of ours", p);
		delete_stray(e, p);
		free(p);
	}
}

/* The predecessor watch is set, or the predecessor is already gone. */
static void
pred_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->tag != e->attempt || e->st != E_QUEUED)
		return;
	if (r->rc == ZNONODE)
		list(e);	/* gone before the watch: list again, never assume (rules 3, 4) */
	else if (r->rc != ZOK && !zk_rc_is_transient(r->rc))
		retry_later(e);
}

/*
 * The check sent with a listing, answered right after it: our znode must exist
 * and be our session's; if the listing put us first, that is leadership (rule 5).
 */
static void
ownership_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;
	struct leader_info self;
	bool first = e->listed_first;

	e->listed_first = false;	/* one listing, one decision */
	if (r->tag != e->attempt || e->st != E_QUEUED || e->own == NULL)
		return;
	if (r->rc == ZNONODE) {
		node_lost(e, LOSS_DELETED);
		return;
	}
	if (r->rc != ZOK)
		return;	/* transient: the reconnect lists again */
	if (r->stat->ephemeralOwner != zk_session_id(e->zk)) {
		log_errorx("election: %s belongs to session 0x%" PRIx64 ", not ours: not leading",
		    e->own, r->stat->ephemeralOwner);
		node_lost(e, LOSS_DELETED);
		return;
	}
	e->own_czxid = r->stat->czxid;
	if (e->leader || !first)
		return;
	if (!zk_safe(e->zk)) {
		/* an answer from before a loss we have not recovered from: the
		 * reconnect lists and checks again (rule 8) */
		log_info("election: lowest, but the session is not safe now: not leading yet");
		return;
	}
	e->leader = true;
	e->known_epoch = e->own_czxid;
	log_notice("election: elected: %s is the lowest and ours (epoch %" PRId64 ")", e->own,
	    e->own_czxid);
	self.id = e->id;
	self.data = e->data;
	self.epoch = e->own_czxid;
	self.znode = e->own;
	e->cb.elected(e->arg, &self);
	announce(e);
}

/* --- the announcement (rule 20) --- */

/*
 * Leader: publish id, data and epoch, never over a greater epoch. The read
 * keeps a data watch, so an announcement deleted or overwritten while we lead
 * is written again (followers that join meanwhile would learn nothing).
 */
static void
announce(struct election *e)
{
	zk_get(e->zk, e->announce_path, true, announce_get_done, e, e->attempt);
}

/* Leader: the current announcement read; write ours with a version check. */
static void
announce_get_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;
	struct announce cur;
	char *full;

	if (r->tag != e->attempt || !e->leader)
		return;
	if (r->rc == ZNONODE) {
		announce_write(e, -1);
	} else if (r->rc == ZOK) {
		if (announce_decode(r->value, (size_t)r->value_len, &cur) &&
		    cur.epoch > e->own_czxid) {
			/*
			 * A greater epoch than ours while we lead. A live contender
			 * cannot hold one: it was created after our znode, so it was
			 * never the lowest. Check before replacing (rule 20).
			 */
			e->announce_version = r->stat->version;
			e->suspect_epoch = cur.epoch;
			full = child_path(e, cur.znode);
			zk_exists(e->zk, full, false, announce_suspect_done, e, e->attempt);
			free(full);
		} else if (!announce_is_ours(e, r->value, (size_t)r->value_len)) {
			announce_write(e, r->stat->version);
		}
		announce_free(&cur);
	}
}

/* Leader: our announcement, encoded (malloc'd; its length in *LEN). */
static char *
announce_mine(const struct election *e, size_t *len)
{
	struct announce mine = { e->own_czxid, NULL, e->id, e->data };

	mine.znode = (char *)(uintptr_t)base_name(e->own);
	return announce_encode(&mine, len);
}

/* True when VALUE (LEN bytes) is exactly our announcement. */
static bool
announce_is_ours(const struct election *e, const char *value, size_t len)
{
	size_t mlen;
	char *buf = announce_mine(e, &mlen);
	bool same = len == mlen && memcmp(value, buf, len) == 0;

	free(buf);
	return same;
}

/* Leader: write our announcement: create it (VERSION -1) or replace VERSION. */
static void
announce_write(struct election *e, int32_t version)
{
	size_t len;
	char *buf = announce_mine(e, &len);

	if (version < 0)
		zk_create(e->zk, e->announce_path, buf, len, ZOO_PERSISTENT, announce_write_done, e,
		    e->attempt);
	else
		zk_set(e->zk, e->announce_path, buf, len, version, announce_write_done, e,
		    e->attempt);
	free(buf);
}

/*
 * Leader: the znode a greater-epoch announcement names was looked up. Alive
 * with that very czxid: another leader really announced, leave it. Otherwise
 * it is forged or from another incarnation of the path: replace it, with the
 * version we read, so a write that came meanwhile wins.
 */
static void
announce_suspect_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->tag != e->attempt || !e->leader)
		return;
	if (r->rc == ZOK && r->stat->czxid == e->suspect_epoch) {
		log_warnx("election: a newer leader (epoch %" PRId64 ") has announced; "
		    "not overwriting it", e->suspect_epoch);
	} else if (r->rc == ZOK || r->rc == ZNONODE) {
		log_warnx("election: the announcement claims epoch %" PRId64 " for %s, which is "
		    "no live contender: replacing it with ours", e->suspect_epoch, r->path);
		announce_write(e, e->announce_version);
	}
}

/* Leader: the write raced with another: read and try again. */
static void
announce_write_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->tag != e->attempt || !e->leader)
		return;
	if (r->rc == ZBADVERSION || r->rc == ZNODEEXISTS)
		announce(e);
	else if (r->rc == ZOK && r->created != NULL)	/* created: watch it from now on */
		zk_exists(e->zk, e->announce_path, true, announce_exists_done, e, 0);
	else if (r->rc != ZOK && !zk_rc_is_transient(r->rc))
		log_warnx("election: cannot announce in %s: %s", e->announce_path, zerror(r->rc));
}

/* Follower/observer: read the announcement and keep a data watch on it. */
static void
announce_read(struct election *e)
{
	zk_get(e->zk, e->announce_path, true, announce_read_done, e, 0);
}

/* A follower or an observer in the queue: the one that acts on the announcement. */
static bool
following(const struct election *e)
{
	return !e->leader && e->st == E_QUEUED;
}

/*
 * Follower/observer: the announcement read answered. Whatever the answer, it
 * says whether a watch is armed now; only a queued non-leader acts on it, and
 * an answer nobody acted on leaves the flag clear, so the next join reads again.
 */
static void
announce_read_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->rc == ZNONODE) {
		/* no announcement: get armed no watch; exists arms one for its creation */
		zk_exists(e->zk, e->announce_path, true, announce_exists_done, e, 0);
		return;
	}
	e->announce_current = r->rc == ZOK && following(e);
	if (r->rc != ZOK) {
		if (!zk_rc_is_transient(r->rc))
			log_warnx("election: cannot read %s: %s", e->announce_path, zerror(r->rc));
		return;	/* transient: the reconnect reads again (current is false) */
	}
	if (e->announce_current)
		announce_report(e, r->value, (size_t)r->value_len);
}

/*
 * Follower/observer: an announcement naming a leader we do not know yet is
 * believed only once its znode is seen alive with the announced epoch as its
 * czxid (a forged or stale one is not: rule 20); the check goes out now.
 */
static void
announce_report(struct election *e, const char *value, size_t len)
{
	struct announce a;
	char *full;

	if (!announce_decode(value, len, &a))
		return;
	if (a.epoch == e->known_epoch) {
		announce_free(&a);
		return;
	}
	announce_free(&e->heard);
	e->heard = a;
	full = child_path(e, a.znode);
	zk_exists(e->zk, full, false, announce_check_done, e, 0);
	free(full);
}

/* Follower/observer: the announced leader's znode looked up; report it if alive. */
static void
announce_check_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;
	struct leader_info li;
	char *full;
	bool mine;

	if (e->heard.znode == NULL)
		return;
	full = child_path(e, e->heard.znode);
	mine = strcmp(full, r->path) == 0;	/* else an older check: a newer one follows */
	if (!mine || !following(e) || e->heard.epoch == e->known_epoch) {
		if (mine && !following(e))
			e->announce_current = false;	/* the next join reads again */
		free(full);
		return;
	}
	if (r->rc != ZOK || r->stat->czxid != e->heard.epoch) {
		if (r->rc == ZOK || r->rc == ZNONODE)
			log_warnx("election: the announcement names %s (epoch %" PRId64 "), which "
			    "is no live contender: not followed", e->heard.id, e->heard.epoch);
		else
			e->announce_current = false;	/* transient: the reconnect reads again */
		free(full);
		return;
	}
	e->known_epoch = e->heard.epoch;
	li.id = e->heard.id;
	li.data = e->heard.data;
	li.epoch = e->heard.epoch;
	li.znode = full;
	log_info("election: leader is %s (epoch %" PRId64 ")", e->heard.id, e->heard.epoch);
	e->cb.leader(e->arg, &li);
	free(full);
}

/*
 * The exists sent when the announcement was missing (or, for a leader, just
 * created) answered; either way it armed a watch. If it is there now, read it.
 */
static void
announce_exists_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (e->leader) {
		if (r->rc == ZNONODE)
			announce(e);	/* ours went as soon as it was written: again */
	} else if (r->rc == ZOK && following(e)) {
		announce_read(e);
	} else
		e->announce_current = r->rc == ZNONODE && following(e);
}

/* --- losing and leaving --- */

/* Our znode is gone: report, and stay out until the role layer joins again. */
static void
node_lost(struct election *e, enum election_loss why)
{
	bool was_leader = e->leader;

	if (e->st == E_LEAVING) {
		finish_leave(e);	/* we were deleting it anyway */
		return;
	}
	log_warnx("election: our znode %s is gone (%s)", e->own ? e->own : "(none)",
	    why == LOSS_EXPIRED ? "session expired" : "deleted");
	forget_own(e);
	e->want = false;
	if (was_leader)
		e->cb.unelected(e->arg, why);
	e->cb.out(e->arg, why);
}

/* Forget our znode and every call of this join. */
static void
forget_own(struct election *e)
{
	drop_own(e);
	e->leader = false;
	e->attempt++;
	evtimer_del(e->ev_retry);
}

/* We hold no znode (any more) and watch no predecessor. */
static void
drop_own(struct election *e)
{
	free(e->own);
	e->own = NULL;
	free(e->pred);
	e->pred = NULL;
	keep_listing(e, NULL, 0);
	e->st = E_OUT;
	e->announce_current = false;	/* the next join reads the announcement afresh */
}

/* Leave the queue: delete our znode, retried until it is gone (rules 11, 12). */
void
election_leave(struct election *e, void (*done)(void *arg), void *arg)
{
	election_leave_with(e, NULL, -1, done, arg);
}

void
election_leave_with(struct election *e, const char *also, int32_t also_version,
    void (*done)(void *arg), void *arg)
{
	free(e->leave_also);
	e->leave_also = also != NULL ? xstrdup(also) : NULL;
	e->leave_also_version = also_version;
	e->want = false;
	e->leader = false;
	e->leave_done = done;
	e->leave_arg = arg;
	e->attempt++;	/* a create still in flight is deleted when it completes */
	evtimer_del(e->ev_retry);
	if (e->own == NULL || e->observer) {
		finish_leave(e);
		return;
	}
	e->st = E_LEAVING;
	leave_delete(e);
}

/* Send the delete of our znode (with the other znode asked for, in one transaction). */
static void
leave_delete(struct election *e)
{
	if (e->leave_also != NULL)
		zk_delete2(e->zk, e->own, -1, e->leave_also, e->leave_also_version,
		    leave_both_done, e, e->attempt);
	else
		zk_delete(e->zk, e->own, -1, leave_done, e, e->attempt);
}

/*
 * The transaction of both deletes answered. Done, or a transient error (the
 * reconnect sends it again): as for our znode alone. Refused (the other
 * znode changed or is gone, or ours is): each on its own, the other with its
 * version check (whatever it is now stays), then ours as usual.
 */
static void
leave_both_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->tag != e->attempt || e->st != E_LEAVING)
		return;
	if (r->rc == ZOK || zk_rc_is_transient(r->rc)) {
		if (r->rc == ZOK)
			log_debug("election: deleted %s with our znode", e->leave_also);
		leave_done(arg, r);
		return;
	}
	log_debug("election: %s and our znode not deleted together (%s): one by one",
	    e->leave_also, zerror(r->rc));
	zk_delete(e->zk, e->leave_also, e->leave_also_version, leave_also_done, e, 0);
	free(e->leave_also);
	e->leave_also = NULL;
	leave_delete(e);
}

/* The other znode's own delete answered: whatever the answer, nothing depends on it. */
static void
leave_also_done(void *arg, const struct zk_result *r)
{
	(void)arg;
	(void)r;
}

/* Our znode's delete answered. */
static void
leave_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;

	if (r->tag != e->attempt || e->st != E_LEAVING)
		return;
	if (r->rc == ZOK || r->rc == ZNONODE) {
		log_info("election: left (deleted %s)", e->own);
		finish_leave(e);
	} else if (!zk_rc_is_transient(r->rc)) {
		log_errorx("election: cannot delete %s: %s; retrying", e->own, zerror(r->rc));
		retry_later(e);
	}
	/* transient: retried on reconnect; an expiry removes it anyway */
}

/* The leave is complete: report it. */
static void
finish_leave(struct election *e)
{
	void (*done)(void *) = e->leave_done;

	drop_own(e);
	e->leave_done = NULL;
	free(e->leave_also);
	e->leave_also = NULL;
	if (done != NULL)
		done(e->leave_arg);
}

void
election_close(struct election *e)
{
	zk_close(e->zk);
}

void
election_set_grace(struct election *e, int64_t grace_ms)
{
	zk_set_grace(e->zk, grace_ms);
}

/* --- retries and recovery --- */

/* Try the current step again after a back-off. */
static void
retry_later(struct election *e)
{
	timer_after(e->ev_retry, RETRY_MS);
}

/* The back-off is over: redo whatever was in progress. */
static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct election *e = arg;

	(void)fd;
	(void)what;
	if (!zk_usable(e->zk))
		return;	/* the reconnect will resume */
	retry_strays(e);
	if (e->st == E_LEAVING)
		leave_delete(e);
	else if (e->st == E_QUEUED && !e->observer)
		list(e);
	else if (e->st == E_OUT && e->want)
		election_join(e);
}

/* After a lost create reply: find a znode with our prefix (rule 1). */
static void
recover(struct election *e)
{
	zk_children(e->zk, e->path, false, recover_done, e, e->attempt);
}

/* Recovery listing: check the owner of every znode with our prefix. */
static void
recover_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;
	int found = 0;

	if (r->tag != e->attempt)
		return;
	if (r->rc == ZNONODE || (r->rc == ZOK && r->nchildren == 0)) {
		e->create_uncertain = false;
		e->st = E_OUT;
		if (e->want)
			election_join(e);
		return;
	}
	if (r->rc != ZOK)
		return;
	for (int i = 0; i < r->nchildren; i++) {
		char *p;

		if (strncmp(r->children[i], e->prefix, strlen(e->prefix)) != 0)
			continue;
		p = child_path(e, r->children[i]);
		zk_exists(e->zk, p, false, recover_owner_done, e, e->attempt);
		free(p);
		found++;
	}
	e->create_uncertain = false;
	e->recover_pending = found;
	if (found == 0) {
		e->st = E_OUT;
		if (e->want)
			election_join(e);
	} else
		e->st = E_CREATING;
}

/* Recovery: adopt a znode of ours from this session; delete any other (rule 1). */
static void
recover_owner_done(void *arg, const struct zk_result *r)
{
	struct election *e = arg;
	const char *name = base_name(r->path);

	if (r->tag != e->attempt)
		return;
	e->recover_pending--;
	if (r->rc == ZOK) {
		switch (znode_claim(name, e->prefix, r->stat->ephemeralOwner, zk_session_id(e->zk),
		    e->want, e->own != NULL)) {
		case CLAIM_ADOPT:
			log_info("election: adopting %s, created before the connection was lost",
			    r->path);
			e->own = xstrdup(r->path);
			e->own_czxid = r->stat->czxid;
			e->st = E_QUEUED;
			e->cb.joined(e->arg);
			list(e);
			break;
		case CLAIM_DELETE:
			log_info("election: deleting %s (ours, but not to keep)", r->path);
			delete_stray(e, r->path);
			break;
		case CLAIM_IGNORE:
			break;
		}
	}
	if (e->recover_pending == 0 && e->own == NULL) {
		e->st = E_OUT;
		if (e->want)
			election_join(e);
	}
}

/* --- what the session tells us --- */

/* Session events: resume, re-check, or give up the znode. */
static void
on_session(void *arg, enum zk_event ev)
{
	struct election *e = arg;

	switch (ev) {
	case ZK_EV_CONNECTED:
		/* a new session: nothing of the old one is ours any more */
		e->st = E_OUT;
		e->create_uncertain = false;
		e->announce_current = false;
		forget_strays(e);
		if (resume_adopt(e))
			break;
		if (e->want)
			election_join(e);
		break;
	case ZK_EV_RECONNECTED:
		/* same session: watches come back by themselves; list and check again (rule 8) */
		retry_strays(e);
		if (e->create_uncertain)
			recover(e);
		else if (e->st == E_LEAVING)
			leave_delete(e);
		else if (e->st == E_QUEUED && !e->observer)
			list(e);
		else if (e->st == E_QUEUED && !e->announce_current)
			announce_read(e);	/* an observer whose read was lost */
		else if (e->st == E_OUT && e->want)
			election_join(e);
		break;
	case ZK_EV_UNSAFE:
		if (e->leader) {
			e->leader = false;
			e->cb.unelected(e->arg, LOSS_CONNECTION);
		}
		break;
	case ZK_EV_EXPIRED:
		if (e->st == E_LEAVING) {
			finish_leave(e);	/* the expiry removed it */
		} else if (e->own != NULL || e->st == E_CREATING) {
			node_lost(e, LOSS_EXPIRED);
		} else if (e->observer && e->st == E_QUEUED) {
			e->st = E_OUT;	/* observers re-watch on the new session */
		}
		e->create_uncertain = false;
		break;
	case ZK_EV_SUSPENDED:
	case ZK_EV_AUTH_FAILED:
		break;
	}
	e->cb.session(e->arg, ev);
}

/*
 * The session answered: if it is the saved one, our saved znode is ours again
 * (if it still exists: the listing and its ownership check decide, rule 22).
 * True when adopted. A new session (the saved one expired) forgets it.
 */
static bool
resume_adopt(struct election *e)
{
	bool resumed = e->resume_id != 0 && zk_session_id(e->zk) == e->resume_id;
	char *znode = e->resume_znode;

	e->resume_id = 0;
	e->resume_znode = NULL;
	if (!resumed || znode == NULL || e->observer) {
		free(znode);
		return false;
	}
	log_info("election: resumed session; taking our znode %s back", znode);
	e->want = true;
	e->own = znode;
	e->own_czxid = 0;
	e->st = E_QUEUED;
	e->attempt++;
	e->cb.joined(e->arg);
	list(e);
	return true;
}

/* Watch events, routed by path. */
static void
on_watch(void *arg, int type, const char *path)
{
	struct election *e = arg;

	if (e->own != NULL && strcmp(path, e->own) == 0) {
		if (type == ZOO_DELETED_EVENT && e->st != E_LEAVING)
			node_lost(e, LOSS_DELETED);
	} else if (e->pred != NULL && strcmp(path, e->pred) == 0) {
		if (e->st == E_QUEUED)
			list(e);	/* a predecessor's deletion is not leadership (rule 4) */
	} else if (strcmp(path, e->announce_path) == 0) {
		e->announce_current = false;	/* the watch fired: it is spent */
		if (e->leader)
			announce(e);	/* ours changed or went: write it again */
		else if (e->st == E_QUEUED)
			announce_read(e);
	} else if (e->other_watch != NULL) {
		e->other_watch(e->other_arg, type, path);
	}
}

/* --- accessors --- */

struct zk *
election_zk(struct election *e)
{
	return e->zk;
}

void
election_forward_watches(struct election *e, zk_watch_fn *fn, void *arg)
{
	e->other_watch = fn;
	e->other_arg = arg;
}

const char *
election_znode(const struct election *e)
{
	return e->own;
}

int64_t
election_session_id(const struct election *e)
{
	return zk_session_id(e->zk);
}

const char *
election_zk_state(const struct election *e)
{
	return zk_state_name(zk_state(e->zk));
}

bool
election_client(const struct election *e, struct zk_client *c)
{
	return zk_client(e->zk, c);
}

const char *
election_guid(const struct election *e)
{
	return e->guid;
}

bool
election_entitled(const struct election *e)
{
	return zk_entitled(e->zk);
}

const struct zk_counters *
election_zk_counters(const struct election *e)
{
	return zk_counters(e->zk);
}
