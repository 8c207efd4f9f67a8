/* zk: the ZooKeeper session, its safety clock, and the thread bridge to the loop. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "timer.h"
#include "xmalloc.h"
#include "zk.h"

#define STALL_MS 250	/* a timer this late means we were paused: say so */

enum op_kind { OP_CREATE, OP_DELETE, OP_GET, OP_EXISTS, OP_CHILDREN, OP_SET, OP_PING, OP_MULTI };
/* Our probe (a sync) goes out every timeout / PROBE_DIV; see dispatch() for why. */
#define PROBE_DIV 6

/* One asynchronous call in flight; freed on the loop when its completion is drained. */
struct zk_op {
	struct zk *zk;
	uint64_t gen;
	enum op_kind kind;
	zk_done_fn *done;
	void *arg;
	uint64_t tag;
	char *path;
	int64_t sent_ms;	/* boot-time clock when the call was made */
	struct multi *multi;	/* OP_MULTI: what the library fills in as it answers */
};

/* A transaction of two deletes (zk_delete2): the library writes its results here. */
struct multi {
	zoo_op_t ops[2];
	zoo_op_result_t results[2];
	char *also;
};

/* Per-handle context given to the library: the only thing its threads touch. */
struct handle_ctx {
	struct zk *zk;
	uint64_t gen;
};

/* One thing the library's threads told us, copied. */
struct qentry {
	bool is_watch;
	uint64_t gen;
	int64_t at_ms;		/* boot-time clock when it arrived */
	/* watch */
	int type, state;
	char *path;
	/* completion */
	struct zk_op *op;
	int rc;
	bool has_stat;
	struct Stat stat;
	char *value;
	int value_len;
	char **children;
	int nchildren;
	struct qentry *next;
};

struct zk {
	struct event_base *base;
	zk_session_fn *session_cb;
	zk_watch_fn *watch_cb;
	void *arg;

	/* settings (owned copies) */
	char *hosts, *auth_scheme, *auth_cred;
	int64_t timeout_ms, grace_ms;
	int64_t resume_id;		/* the next handle resumes this session (0: none) */
	char resume_passwd[ZK_PASSWD_LEN];

	zhandle_t *zh;
	struct handle_ctx *hctx;
	uint64_t gen;
	enum zk_state state;
	bool ever_connected;	/* this handle had a session */
	bool suspended;		/* the client reported the connection lost */
	bool unsafe;		/* ZK_EV_UNSAFE was reported for this loss */
	int64_t session_id;
	int64_t last_contact_ms;
	int64_t suspended_at_ms;
	int64_t last_ping_ms;
	int64_t timer_due_ms;	/* when the safety clock's timer should fire */
	int open_failures;
	struct zk_counters counters;

	/* the bridge */
	pthread_mutex_t qlock;
	struct qentry *qhead, *qtail;
	int efd;
	struct event *ev_queue;
	struct event *ev_timer;		/* next deadline of the safety clock */
	struct event *ev_reopen;	/* back-off before retrying zookeeper_init */
};

static void enqueue(struct zk *zk, struct qentry *e);
static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);
static void library_log(const char *message);
static void on_queue(evutil_socket_t fd, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);
static void log_stall(const struct zk *zk, int64_t late_ms);
static void on_reopen(evutil_socket_t fd, short what, void *arg);
static void dispatch(struct zk *zk, struct qentry *e);
static const char *watch_type_name(int type);
static void session_event(struct zk *zk, int64_t at_ms, int ev_state);
static void contact(struct zk *zk, int64_t at_ms);
static void probe(struct zk *zk, int64_t now);
static bool check_clock(struct zk *zk);
static void arm_timer(struct zk *zk);
static void expire(struct zk *zk, const char *why);
static void open_handle(struct zk *zk);
static void close_handle(struct zk *zk);
static void qentry_free(struct qentry *e);
static struct zk_op *op_new(struct zk *zk, enum op_kind kind, const char *path, zk_done_fn *done,
    void *arg, uint64_t tag);
static void op_free(struct zk_op *op);
static void op_failed(struct zk *zk, struct zk_op *op, int rc);
static void submit(struct zk *zk, struct zk_op *op, int rc);
static struct qentry *done_entry(const void *data, int rc);
static void void_done(int rc, const void *data);
static void sync_done(int rc, const char *value, const void *data);
static bool through_leader(enum op_kind kind);
static void stat_done(int rc, const struct Stat *stat, const void *data);
static void data_done(int rc, const char *value, int len, const struct Stat *stat,
    const void *data);
static void strings_done(int rc, const struct String_vector *sv, const struct Stat *stat,
    const void *data);
static void create_done(int rc, const char *value, const struct Stat *stat, const void *data);
static const struct ACL_vector *create_acl(const struct zk *zk);

/* Create the session manager; nothing is opened yet. */
struct zk *
zk_new(struct event_base *base, zk_session_fn *session, zk_watch_fn *watch, void *arg)
{
	struct zk *zk = xcalloc(1, sizeof(*zk));

	zk->base = base;
	zk->session_cb = session;
	zk->watch_cb = watch;
	zk->arg = arg;
	zk->state = ZK_STATE_CONNECTING;
	pthread_mutex_init(&zk->qlock, NULL);
	if ((zk->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	zk->ev_queue = event_new(base, zk->efd, EV_READ | EV_PERSIST, on_queue, zk);
	zk->ev_timer = evtimer_new(base, on_timer, zk);
	zk->ev_reopen = evtimer_new(base, on_reopen, zk);
	event_add(zk->ev_queue, NULL);
	zoo_set_debug_level(log_getlevel() >= LOG_DEBUG ? ZOO_LOG_LEVEL_INFO : ZOO_LOG_LEVEL_WARN);
	return zk;
}

/* Open a session with the given settings. */
void
zk_open(struct zk *zk, const struct zk_settings *s)
{
	free(zk->hosts);
	free(zk->auth_scheme);
	free(zk->auth_cred);
	zk->hosts = xstrdup(s->hosts);
	zk->auth_scheme = s->auth_scheme ? xstrdup(s->auth_scheme) : NULL;
	zk->auth_cred = s->auth_cred ? xstrdup(s->auth_cred) : NULL;
	zk->timeout_ms = s->session_timeout_ms;
	zk->grace_ms = s->disconnect_grace_ms;
	zk->resume_id = s->resume_id;
	if (s->resume_id != 0)
		memcpy(zk->resume_passwd, s->resume_passwd, ZK_PASSWD_LEN);
	zk->open_failures = 0;
	open_handle(zk);
}

/* Start a new handle (a new session generation). */
static void
open_handle(struct zk *zk)
{
	struct handle_ctx *hc = xcalloc(1, sizeof(*hc));
	clientid_t cid;

	zk->gen++;
	hc->zk = zk;
	hc->gen = zk->gen;
	if (zk->state != ZK_STATE_EXPIRED)
		zk->state = ZK_STATE_CONNECTING;	/* "expired" stays until the new session */
	zk->ever_connected = false;
	zk->suspended = false;
	zk->unsafe = false;
	zk->session_id = 0;
	zk->last_contact_ms = 0;
	/* a saved session is offered until the server has answered for it (rule 22) */
	cid.client_id = zk->resume_id;
	memcpy(cid.passwd, zk->resume_passwd, ZK_PASSWD_LEN);
	/* flags 0: never ZOO_READONLY (rule 18) */
	zk->zh = zookeeper_init2(zk->hosts, watcher, (int)zk->timeout_ms,
	    zk->resume_id != 0 ? &cid : NULL, hc, 0, library_log);
	if (zk->zh == NULL) {
		int64_t delay = 1000LL << (zk->open_failures < 5 ? zk->open_failures : 5);

		log_warn("zookeeper_init(%s) failed; retrying in %" PRId64 " s", zk->hosts,
		    delay / 1000);
		free(hc);
		zk->open_failures++;
		timer_after(zk->ev_reopen, delay);
		return;
	}
	zk->hctx = hc;
	zk->open_failures = 0;
	/*
	 * By default the client resolves the host list again each time its I/O
	 * thread wakes: 30 resolutions a second at rest, each a netlink query and
	 * a dozen more system calls, and one on the path of every handover. Host
	 * names are resolved at start and again after each connection loss, which
	 * is when a moved server matters.
	 */
	if (zoo_set_servers_resolution_delay(zk->zh, -1) != ZOK)
		log_warnx("zookeeper: cannot turn off routine host name resolution");
	if (zk->auth_scheme != NULL &&
	    zoo_add_auth(zk->zh, zk->auth_scheme, zk->auth_cred, (int)strlen(zk->auth_cred),
	    NULL, NULL) != ZOK)
		log_warnx("zookeeper: could not queue authentication");
	if (zk->resume_id != 0)
		log_info("zookeeper: connecting to %s to resume session 0x%" PRIx64, zk->hosts,
		    zk->resume_id);
	else
		log_info("zookeeper: connecting to %s (session timeout %" PRId64 " ms requested)",
		    zk->hosts, zk->timeout_ms);
}

/* Retry zookeeper_init after a back-off. */
static void
on_reopen(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	open_handle(arg);
}

/* Close the current handle; its threads are joined, so nothing of it runs after. */
static void
close_handle(struct zk *zk)
{
	if (zk->zh != NULL) {
		zookeeper_close(zk->zh);	/* never from a callback: we are on the loop */
		zk->zh = NULL;
	}
	free(zk->hctx);
	zk->hctx = NULL;
	zk->gen++;	/* anything still queued from that handle is now stale */
	evtimer_del(zk->ev_timer);
	zk->timer_due_ms = 0;
}

/* Close the session now. */
void
zk_close(struct zk *zk)
{
	evtimer_del(zk->ev_reopen);
	close_handle(zk);
	zk->state = ZK_STATE_CONNECTING;
	zk->session_id = 0;
}

/* Free everything (closing the session first). */
void
zk_free(struct zk *zk)
{
	struct qentry *e, *next;

	if (zk == NULL)
		return;
	zk_close(zk);
	for (e = zk->qhead; e != NULL; e = next) {
		next = e->next;
		op_free(e->op);
		qentry_free(e);
	}
	event_free(zk->ev_queue);
	event_free(zk->ev_timer);
	event_free(zk->ev_reopen);
	close(zk->efd);
	pthread_mutex_destroy(&zk->qlock);
	free(zk->hosts);
	free(zk->auth_scheme);
	free(zk->auth_cred);
	free(zk);
}

void
zk_set_grace(struct zk *zk, int64_t grace_ms)
{
	zk->grace_ms = grace_ms;
	arm_timer(zk);
}

enum zk_state
zk_state(const struct zk *zk)
{
	if (zk->state == ZK_STATE_CONNECTED && zk->suspended)
		return ZK_STATE_CONNECTING;
	return zk->state;
}

const char *
zk_state_name(enum zk_state s)
{
	switch (s) {
	case ZK_STATE_CONNECTED:
		return "connected";
	case ZK_STATE_EXPIRED:
		return "expired";
	default:
		return "connecting";
	}
}

int64_t
zk_session_id(const struct zk *zk)
{
	return zk->session_id;
}

bool
zk_usable(const struct zk *zk)
{
	return zk->zh != NULL && zk->state == ZK_STATE_CONNECTED && !zk->suspended;
}

bool
zk_safe(const struct zk *zk)
{
	return zk_usable(zk) && zk_entitled(zk);
}

bool
zk_entitled(const struct zk *zk)
{
	return zk->zh != NULL && zk->ever_connected && !zk->unsafe &&
	    clock_ms(CLOCK_BOOTTIME) - zk->last_contact_ms < zk->timeout_ms * 2 / 3 + zk->grace_ms;
}

bool
zk_client(const struct zk *zk, struct zk_client *c)
{
	const clientid_t *cid;

	if (zk->zh == NULL || !zk->ever_connected || zk->session_id == 0)
		return false;
	cid = zoo_client_id(zk->zh);
	c->id = zk->session_id;
	memcpy(c->passwd, cid->passwd, ZK_PASSWD_LEN);
	c->timeout_ms = zk->timeout_ms;
	return true;
}

const struct zk_counters *
zk_counters(const struct zk *zk)
{
	return &zk->counters;
}

/* --- the library's threads: copy, enqueue, wake the loop; nothing else --- */

/* Append E to the queue and wake the loop. Runs on any thread. */
static void
enqueue(struct zk *zk, struct qentry *e)
{
	uint64_t one = 1;

	e->at_ms = clock_ms(CLOCK_BOOTTIME);
	pthread_mutex_lock(&zk->qlock);
	if (zk->qtail != NULL)
		zk->qtail->next = e;
	else
		zk->qhead = e;
	zk->qtail = e;
	pthread_mutex_unlock(&zk->qlock);
	(void)!write(zk->efd, &one, sizeof(one));
}

/* The default watcher: session events and the watches we set with watch=1. */
static void
watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct handle_ctx *hc = ctx;
	struct qentry *e = xcalloc(1, sizeof(*e));

	(void)zh;
	e->is_watch = true;
	e->gen = hc->gen;
	e->type = type;
	e->state = state;
	e->path = xstrdup(path ? path : "");
	enqueue(hc->zk, e);
}

/* The library's own log lines, into ours. */
static void
library_log(const char *message)
{
	if (strstr(message, "ZOO_ERROR") != NULL || strstr(message, "ZOO_WARN") != NULL)
		log_info("zookeeper: %s", message);
	else
		log_debug("zookeeper: %s", message);
}

/* A queue entry for the completion of the call whose op is DATA. */
static struct qentry *
done_entry(const void *data, int rc)
{
	struct qentry *e = xcalloc(1, sizeof(*e));

	e->op = (struct zk_op *)(uintptr_t)data;
	e->gen = e->op->gen;
	e->rc = rc;
	return e;
}

/* Completion of delete and set-less calls. */
static void
void_done(int rc, const void *data)
{
	struct qentry *e = done_entry(data, rc);

	enqueue(e->op->zk, e);
}

/* Completion of sync (our probe): the path it names is of no use. */
static void
sync_done(int rc, const char *value, const void *data)
{
	(void)value;
	void_done(rc, data);
}

/* Completion of exists and set. */
static void
stat_done(int rc, const struct Stat *stat, const void *data)
{
	struct qentry *e = done_entry(data, rc);

	if (rc == ZOK && stat != NULL) {
		e->has_stat = true;
		e->stat = *stat;
	}
	enqueue(e->op->zk, e);
}

/* Completion of get. */
static void
data_done(int rc, const char *value, int len, const struct Stat *stat, const void *data)
{
	struct qentry *e = done_entry(data, rc);

	if (rc == ZOK) {
		if (stat != NULL) {
			e->has_stat = true;
			e->stat = *stat;
		}
		if (value != NULL && len > 0) {
			e->value = xmalloc((size_t)len + 1);
			memcpy(e->value, value, (size_t)len);
			e->value[len] = '\0';
			e->value_len = len;
		}
	}
	enqueue(e->op->zk, e);
}

/* Completion of get_children2. */
static void
strings_done(int rc, const struct String_vector *sv, const struct Stat *stat, const void *data)
{
	struct qentry *e = done_entry(data, rc);

	if (rc == ZOK && sv != NULL) {
		e->nchildren = sv->count;
		e->children = xcalloc((size_t)sv->count + 1, sizeof(char *));
		for (int i = 0; i < sv->count; i++)
			e->children[i] = xstrdup(sv->data[i]);
	}
	if (rc == ZOK && stat != NULL) {
		e->has_stat = true;
		e->stat = *stat;
	}
	enqueue(e->op->zk, e);
}

/* Completion of create2. */
static void
create_done(int rc, const char *value, const struct Stat *stat, const void *data)
{
	struct qentry *e = done_entry(data, rc);

	if (rc == ZOK) {
		e->value = xstrdup(value ? value : "");
		if (stat != NULL) {
			e->has_stat = true;
			e->stat = *stat;
		}
	}
	enqueue(e->op->zk, e);
}

/* --- the loop side --- */

/* Drain the queue: first the safety clock (rule 16), then each entry in order. */
static void
on_queue(evutil_socket_t fd, short what, void *arg)
{
	struct zk *zk = arg;
	struct qentry *e, *next;
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));
	check_clock(zk);
	pthread_mutex_lock(&zk->qlock);
	e = zk->qhead;
	zk->qhead = zk->qtail = NULL;
	pthread_mutex_unlock(&zk->qlock);
	for (; e != NULL; e = next) {
		next = e->next;
		dispatch(zk, e);
		op_free(e->op);
		qentry_free(e);
	}
	arm_timer(zk);
}

/* Act on one entry from the current generation; drop stale ones. */
static void
dispatch(struct zk *zk, struct qentry *e)
{
	struct zk_result r;

	if (e->gen != zk->gen || zk->zh == NULL) {
		log_debug("zookeeper: dropped a stale %s from an old session",
		    e->is_watch ? "event" : "completion");
		return;
	}
	if (e->is_watch) {
		if (e->type == ZOO_SESSION_EVENT) {
			session_event(zk, e->at_ms, e->state);
			return;
		}
		/* a watch event is no contact: only our own requests keep the session alive */
		log_debug("zookeeper: watch event %s on %s", watch_type_name(e->type), e->path);
		zk->watch_cb(zk->arg, e->type, e->path);
		return;
	}
	/*
	 * Only an answer that went through the ensemble's leader is contact (rule
	 * 6): a write's or our probe's (a sync), ZOK or an API error (rc <=
	 * ZAPIERROR); system errors (-1..-99: connection loss, timeouts, ...) are
	 * the client's own. A read is answered by whichever member we talk to,
	 * and a follower cut from the leader goes on answering reads for up to
	 * syncLimit x tickTime while the leader, which expires sessions, hears
	 * nothing of ours. Even through the leader, a follower tells it that our
	 * session is alive only with its next ping: if the link breaks first,
	 * the leader last heard of our previous request, at most one probe
	 * interval earlier (we send one every PROBE_DIV-th of the timeout). So
	 * the answer proves the session's clock restarted no earlier than the
	 * call minus that interval.
	 */
	if (through_leader(e->op->kind) && (e->rc == ZOK || (e->rc <= ZAPIERROR &&
	    !zk_rc_is_transient(e->rc) && e->rc != ZNOTHING)))
		contact(zk, e->op->sent_ms - zk->timeout_ms / PROBE_DIV);
	else if (e->rc == ZCONNECTIONLOSS || e->rc == ZOPERATIONTIMEOUT)
		zk->counters.connection_losses++;
	if (e->op->kind == OP_PING)
		return;
	memset(&r, 0, sizeof(r));
	r.rc = e->rc;
	r.tag = e->op->tag;
	r.path = e->op->path;
	r.stat = e->has_stat ? &e->stat : NULL;
	r.value = e->value;
	r.value_len = e->value_len;
	r.children = e->children;
	r.nchildren = e->nchildren;
	r.created = e->op->kind == OP_CREATE ? e->value : NULL;
	e->op->done(e->op->arg, &r);
}

/* True for the requests the ensemble's leader answers: writes and sync. */
static bool
through_leader(enum op_kind kind)
{
	return kind == OP_CREATE || kind == OP_DELETE || kind == OP_SET || kind == OP_PING ||
	    kind == OP_MULTI;
}

/* A znode watch event's type, for the log. */
static const char *
watch_type_name(int type)
{
	if (type == ZOO_CREATED_EVENT)
		return "created";
	if (type == ZOO_DELETED_EVENT)
		return "deleted";
	if (type == ZOO_CHANGED_EVENT)
		return "changed";
	if (type == ZOO_CHILD_EVENT)
		return "child";
	if (type == ZOO_NOTWATCHING_EVENT)
		return "not-watching";
	return "unknown";
}

/* The server heard from us at AT_MS or later: the session's clock restarted then. */
static void
contact(struct zk *zk, int64_t at_ms)
{
	if (at_ms > zk->last_contact_ms)
		zk->last_contact_ms = at_ms;
	if (zk->unsafe && !zk->suspended && zk->zh != NULL &&
	    zoo_state(zk->zh) == ZOO_CONNECTED_STATE) {
		/* we had given up on silence alone; the same session answers again */
		zk->unsafe = false;
		log_notice("zookeeper: session 0x%" PRIx64 " answers again", zk->session_id);
		zk->session_cb(zk->arg, ZK_EV_RECONNECTED);
	}
}

/*
 * A session event (queued at AT_MS): re-read the handle's state on the loop and
 * act on it. Only a new or restored connection counts as contact, stamped when
 * the event came: an event that changes nothing must not refresh the clock (a
 * connection that has gone silent still says connected until the client's own
 * timeout).
 */
static void
session_event(struct zk *zk, int64_t at_ms, int ev_state)
{
	const clientid_t *cid;
	int state = zoo_state(zk->zh);	/* the event may be old: trust the handle now */

	/*
	 * ...but not to undo the event itself: the client can queue a lost
	 * connection's event before its handle stops saying connected, and taking
	 * that for a reconnection would ignore the real one that follows (the
	 * leader lists on a dead connection and never again). A connection that
	 * is back again by now sends its own connected event next.
	 */
	if (state == ZOO_CONNECTED_STATE && ev_state != ZOO_CONNECTED_STATE)
		state = ZOO_CONNECTING_STATE;
	if (state == ZOO_CONNECTED_STATE) {
		cid = zoo_client_id(zk->zh);
		if (zk->ever_connected && cid->client_id == zk->session_id) {
			if (!zk->suspended && !zk->unsafe)
				return;
			/*
			 * No contact (rule 6): the member that took us back may be
			 * one about to find it lost its quorum (the NETNS chaos run
			 * saw one say "still valid" while the majority expired the
			 * session). Our probe, sent now, asks the ensemble's leader;
			 * its answer is the contact, and ends an UNSAFE (contact()).
			 */
			zk->timeout_ms = zoo_recv_timeout(zk->zh);
			zk->suspended = false;
			zk->state = ZK_STATE_CONNECTED;
			log_notice("zookeeper: reconnected, session 0x%" PRIx64 " still valid%s",
			    zk->session_id, zk->unsafe ? "; asking the ensemble's leader" : "");
			probe(zk, clock_ms(CLOCK_BOOTTIME));
			if (!zk->unsafe)
				zk->session_cb(zk->arg, ZK_EV_RECONNECTED);
			return;
		}
		zk->last_contact_ms = at_ms;	/* a new session: its clock starts now */
		zk->timeout_ms = zoo_recv_timeout(zk->zh);
		zk->ever_connected = true;
		zk->suspended = zk->unsafe = false;
		zk->session_id = cid->client_id;
		zk->state = ZK_STATE_CONNECTED;
		log_notice("zookeeper: %s session 0x%" PRIx64 ", timeout %" PRId64
		    " ms (negotiated)", zk->session_id == zk->resume_id ? "resumed" : "connected,",
		    zk->session_id, zk->timeout_ms);
		zk->resume_id = 0;	/* answered: a later handle starts afresh */
		if (zk->grace_ms * 3 >= zk->timeout_ms)
			log_warnx("zookeeper: the server granted a session timeout of %" PRId64
			    " ms: disconnect_grace (%" PRId64 " ms) is no longer below a third "
			    "of it, so a lost leader may demote too late", zk->timeout_ms,
			    zk->grace_ms);
		zk->session_cb(zk->arg, ZK_EV_CONNECTED);
	} else if (state == ZOO_EXPIRED_SESSION_STATE) {
		zk->resume_id = 0;
		expire(zk, "the server expired the session");
	} else if (state == ZOO_AUTH_FAILED_STATE) {
		log_errorx("zookeeper: authentication failed: the server rejected our credentials");
		zk->session_cb(zk->arg, ZK_EV_AUTH_FAILED);
	} else if (zk->ever_connected && !zk->suspended) {
		zk->suspended = true;
		zk->suspended_at_ms = clock_ms(CLOCK_BOOTTIME);
		zk->counters.connection_losses++;
		log_warnx("zookeeper: connection lost (session 0x%" PRIx64 " may survive "
		    "%" PRId64 " ms; a leader leads on for %" PRId64 " ms unless it answers)",
		    zk->session_id,
		    zk->timeout_ms - (zk->suspended_at_ms - zk->last_contact_ms),
		    zk->timeout_ms * 2 / 3 + zk->grace_ms -
		    (zk->suspended_at_ms - zk->last_contact_ms));
		zk->session_cb(zk->arg, ZK_EV_SUSPENDED);
	}
}

/* The session is gone: tell the layer above, then open a new one. */
static void
expire(struct zk *zk, const char *why)
{
	log_warnx("zookeeper: session 0x%" PRIx64 " lost: %s", zk->session_id, why);
	zk->counters.expirations++;
	close_handle(zk);
	zk->state = ZK_STATE_EXPIRED;
	zk->session_cb(zk->arg, ZK_EV_EXPIRED);
	zk->session_id = 0;
	open_handle(zk);
}

/*
 * The safety clock. Returns false when the session was given up. Checked
 * before anything else when the loop wakes, so a process that was paused acts
 * on the time that passed before it acts on anything it finds queued.
 */
static bool
check_clock(struct zk *zk)
{
	int64_t now = clock_ms(CLOCK_BOOTTIME), t = zk->timeout_ms, since;

	if (zk->zh == NULL || !zk->ever_connected)
		return true;
	if (zk->timer_due_ms != 0 && now - zk->timer_due_ms > STALL_MS) {
		/* whichever wakes first (timer or queue), a wake this late was a pause */
		log_stall(zk, now - zk->timer_due_ms);
		zk->timer_due_ms = 0;
	}
	if (!zk->suspended && zoo_state(zk->zh) != ZOO_CONNECTED_STATE) {
		/* the client does not always report a lost connection: look ourselves */
		zk->suspended = true;
		zk->suspended_at_ms = now;
		zk->counters.connection_losses++;
		log_warnx("zookeeper: connection lost (seen by polling the client's state)");
		zk->session_cb(zk->arg, ZK_EV_SUSPENDED);
	} else if (zk->suspended && zoo_state(zk->zh) == ZOO_CONNECTED_STATE) {
		session_event(zk, now, ZOO_CONNECTED_STATE);	/* back, unannounced: same path */
		if (zk->zh == NULL)
			return false;
	}
	since = now - zk->last_contact_ms;
	if (since >= t) {
		expire(zk, "no contact with the server for a whole session timeout");
		return false;
	}
	/* a loss or a pause alone does not: the session may answer in time (rule 6) */
	if (!zk->unsafe && since >= t * 2 / 3 + zk->grace_ms) {
		zk->unsafe = true;
		log_warnx("zookeeper: no contact for %" PRId64 " ms: leadership is no longer safe",
		    since);
		zk->session_cb(zk->arg, ZK_EV_UNSAFE);
	}
	if (zk_usable(zk) && now - zk->last_ping_ms >= t / PROBE_DIV)
		probe(zk, now);
	return true;
}

/* Our own probe, a sync: the ensemble's leader answers it (rule 6). */
static void
probe(struct zk *zk, int64_t now)
{
	struct zk_op *op = op_new(zk, OP_PING, "/", NULL, NULL, 0);

	zk->last_ping_ms = now;
	if (zoo_async(zk->zh, "/", sync_done, op) != ZOK)
		op_free(op);
}

/* Arm the timer for the next moment the safety clock must be looked at. */
static void
arm_timer(struct zk *zk)
{
	int64_t now = clock_ms(CLOCK_BOOTTIME), t = zk->timeout_ms, next;

	if (zk->zh == NULL || !zk->ever_connected) {
		evtimer_del(zk->ev_timer);
		zk->timer_due_ms = 0;
		return;
	}
	next = zk->last_contact_ms + t;
	if (!zk->unsafe && zk->last_contact_ms + t * 2 / 3 + zk->grace_ms < next)
		next = zk->last_contact_ms + t * 2 / 3 + zk->grace_ms;
	if (zk_usable(zk) && zk->last_ping_ms + t / PROBE_DIV < next)
		next = zk->last_ping_ms + t / PROBE_DIV;
	if (next < now)
		next = now;
	zk->timer_due_ms = next;
	timer_after(zk->ev_timer, next - now);
}

/*
 * Say how late the loop woke and where that leaves the deadline: still ahead,
 * the server is asked (our probe, or the reconnect's listing) and an answer in
 * time keeps the leader; passed, the clock ends leadership now (rule 16).
 */
static void
log_stall(const struct zk *zk, int64_t late_ms)
{
	int64_t since = clock_ms(CLOCK_BOOTTIME) - zk->last_contact_ms;
	int64_t left = zk->timeout_ms * 2 / 3 + zk->grace_ms - since;

	if (!zk->ever_connected) {
		log_warnx("zookeeper: the event loop woke %" PRId64 " ms late (this process was "
		    "paused or starved of CPU)", late_ms);
		return;
	}
	log_warnx("zookeeper: the event loop woke %" PRId64 " ms late (this process was paused "
	    "or starved of CPU); last answer %" PRId64 " ms ago, deadline %s %" PRId64 " ms%s",
	    late_ms, since, left > 0 ? "in" : "passed", left > 0 ? left : -left,
	    left > 0 ? ": asking the server" : "");
}

/* The safety clock's timer. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct zk *zk = arg;

	(void)fd;
	(void)what;
	check_clock(zk);
	arm_timer(zk);
}

static void
qentry_free(struct qentry *e)
{
	free(e->path);
	free(e->value);
	if (e->children != NULL) {
		for (int i = 0; i < e->nchildren; i++)
			free(e->children[i]);
		free(e->children);
	}
	free(e);
}

/* --- asynchronous calls --- */

static struct zk_op *
op_new(struct zk *zk, enum op_kind kind, const char *path, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	struct zk_op *op = xcalloc(1, sizeof(*op));

	op->path = xstrdup(path);
	op->zk = zk;
	op->gen = zk->gen;
	op->kind = kind;
	op->done = done;
	op->arg = arg;
	op->tag = tag;
	op->sent_ms = clock_ms(CLOCK_BOOTTIME);
	zk->counters.requests++;
	return op;
}

static void
op_free(struct zk_op *op)
{
	if (op != NULL) {
		free(op->path);
		if (op->multi != NULL)
			free(op->multi->also);
		free(op->multi);
	}
	free(op);
}

/* A call that could not be sent: report RC through the queue, never synchronously. */
static void
op_failed(struct zk *zk, struct zk_op *op, int rc)
{
	struct qentry *e = xcalloc(1, sizeof(*e));

	e->op = op;
	e->gen = op->gen;
	e->rc = rc;
	enqueue(zk, e);
}

/* The ACL for nodes we create: creator-all + world-read with auth, else open. */
static const struct ACL_vector *
create_acl(const struct zk *zk)
{
	return zk_create_acl(zk->auth_scheme != NULL);
}

/* Hand OP to the library (RC is what the call returned); a refusal is reported later. */
static void
submit(struct zk *zk, struct zk_op *op, int rc)
{
	if (rc != ZOK)
		op_failed(zk, op, rc);
}

void
zk_create(struct zk *zk, const char *path, const void *data, size_t len, int mode,
    zk_done_fn *done, void *arg, uint64_t tag)
{
	struct zk_op *op = op_new(zk, OP_CREATE, path, done, arg, tag);

	submit(zk, op, zk->zh == NULL ? ZINVALIDSTATE : zoo_acreate2(zk->zh, path, data,
	    (int)len, create_acl(zk), mode, create_done, op));
}

void
zk_delete(struct zk *zk, const char *path, int version, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	struct zk_op *op = op_new(zk, OP_DELETE, path, done, arg, tag);

	submit(zk, op, zk->zh == NULL ? ZINVALIDSTATE :
	    zoo_adelete(zk->zh, path, version, void_done, op));
}

void
zk_delete2(struct zk *zk, const char *path, int version, const char *also, int also_version,
    zk_done_fn *done, void *arg, uint64_t tag)
{
	struct zk_op *op = op_new(zk, OP_MULTI, path, done, arg, tag);
	struct multi *m = op->multi = xcalloc(1, sizeof(*op->multi));

	m->also = xstrdup(also);
	zoo_delete_op_init(&m->ops[0], op->path, version);
	zoo_delete_op_init(&m->ops[1], m->also, also_version);
	submit(zk, op, zk->zh == NULL ? ZINVALIDSTATE :
	    zoo_amulti(zk->zh, 2, m->ops, m->results, void_done, op));
}

void
zk_get(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg, uint64_t tag)
{
	struct zk_op *op = op_new(zk, OP_GET, path, done, arg, tag);

	submit(zk, op, zk->zh == NULL ? ZINVALIDSTATE :
	    zoo_aget(zk->zh, path, watch, data_done, op));
}

void
zk_exists(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	struct zk_op *op = op_new(zk, OP_EXISTS, path, done, arg, tag);

	submit(zk, op, zk->zh == NULL ? ZINVALIDSTATE :
	    zoo_aexists(zk->zh, path, watch, stat_done, op));
}

void
zk_children(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	struct zk_op *op = op_new(zk, OP_CHILDREN, path, done, arg, tag);

	submit(zk, op, zk->zh == NULL ? ZINVALIDSTATE :
	    zoo_aget_children2(zk->zh, path, watch, strings_done, op));
}

void
zk_set(struct zk *zk, const char *path, const void *data, size_t len, int version,
    zk_done_fn *done, void *arg, uint64_t tag)
{
	struct zk_op *op = op_new(zk, OP_SET, path, done, arg, tag);

	submit(zk, op, zk->zh == NULL ? ZINVALIDSTATE :
	    zoo_aset(zk->zh, path, data, (int)len, version, stat_done, op));
}
