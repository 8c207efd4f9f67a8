/*
 * zkquery: zkelectctl's direct questions to ZooKeeper.
 *
 * A session of its own: connect (never read-only), authenticate when
 * configured, then either list the election path and read each contender in
 * election order (`leader`, `list`), read the leader history (`history`,
 * zkhistory.c), or follow the announcement for as long as asked (`watch`,
 * each new leader's line held until its history record names the cause);
 * close. Every wait is bounded by the session timeout. A command of several
 * steps (`switchover`, `pause`, `resume`) gets the session itself, with the
 * same listing and the same belief in the announcement.
 *
 * The calls are the library's synchronous ones, made from the caller's thread.
 * The library's threads only record what they saw under a lock and wake the
 * caller (a condition variable; for the watch also an eventfd it polls).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#include "clock.h"
#include "config.h"
#include "history.h"
#include "log.h"
#include "xmalloc.h"
#include "znode.h"
#include "zkhistory.h"
#include "zkquery.h"
#include "zkrc.h"

/* watch: how soon to look again after a read failed on a connection loss (ms) */
#define WATCH_RETRY_MS 200
/* zkquery_session_again: after a connection loss, call again at the next event or this soon (ms) */
#define SESSION_RETRY_MS 200

/* What the library's threads tell the caller, under a lock. */
struct zkq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;		/* the last session state seen (0: none yet) */
	bool auth_done;
	int auth_rc;
	unsigned events;	/* every watcher call counts one (zkquery_session_wait) */
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	const struct config *cfg;
	/* the watch only */
	int wake_fd;		/* an eventfd written on every event; -1 for one query */
	bool changed;		/* a znode watch fired since the caller last looked */
	int64_t contact_ms;	/* when the server was last heard from (boot_ms) */
};

/* A session handed to a command of several steps (zkquery.h). */
struct zkquery_session {
	struct zkq q;
	zhandle_t *zh;
	char *announce_path;
	unsigned seen;		/* q.events when zkquery_session_wait last returned */
	int64_t contact_ms;	/* the server last answered (monotonic): zkquery_session_again */
};

/* How a read that failed is said and mapped (zkq_result, or zkw_fail for the watch). */
typedef int zkq_fail_fn(const struct zkq *q, int rc, const char *what, const char *path);

/*
 * One `watch`: its session, and what it has reported. The decisions (what to
 * print, when "no leader" is due) are taken on the caller's thread only.
 */
struct zkw {
	struct zkq q;
	zhandle_t *zh;
	char *announce_path;
	zkquery_watch_fn *fn;
	void *arg;
	int64_t timeout_ms;	/* the negotiated session timeout */
	int64_t last_ping_ms;
	bool connected;		/* connected when the loop last looked */
	bool dirty;		/* something may have changed: look again */
	int64_t retry_ms;	/* a look failed on a connection loss: not before this */
	bool stopped;		/* FN returned false */
	/* what was reported last */
	bool reported;		/* the first line is out */
	char *shown_id;		/* NULL: "no leader" */
	int64_t shown_epoch;
	/* the shown leader's znode is gone, no successor believed yet */
	int64_t gone_ms;	/* when that was seen (boot_ms); 0: not the case */
	int64_t gone_wall_ms;
	/*
	 * A new leader's line, held until its history record gives the cause
	 * (or until held_until): the leader as announced, when it was seen.
	 */
	bool held;
	struct announce held_a;
	int64_t held_time_ms;
	int64_t held_until;	/* boot_ms: out without a cause from then on */
	bool cause_due;		/* look for the record (again): at the start, on a watch */
	int64_t cause_retry_ms;	/* that look failed on a connection loss: not before this */
};

static void zkq_init(struct zkq *q, const struct config *cfg);
static void zkq_destroy(struct zkq *q);
static void zkq_log(const char *message);
static void zkq_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);
static void zkq_auth_done(int rc, const void *data);
static bool zkq_wait(struct zkq *q, bool (*done)(const struct zkq *));
static bool connected_or_failed(const struct zkq *q);
static bool auth_finished(const struct zkq *q);
static int zkq_open(struct zkq *q, zhandle_t **out);
static int zkq_authenticate(struct zkq *q, zhandle_t *zh);
static int zkq_result(const struct zkq *q, int rc, const char *what, const char *path);
static int zkq_get(zhandle_t *zh, const char *path, int watch, char **buf, int *len,
    struct Stat *st);
static int read_contender(struct zkq *q, zhandle_t *zh, const char *name,
    struct contender *c);
static int read_all(struct zkq *q, zhandle_t *zh, struct contender **out, size_t *n);
static int believe(struct zkq *q, zhandle_t *zh, const char *announce_path, int watch,
    zkq_fail_fn *fail, struct announce *a);
static int read_announcement(struct zkq *q, zhandle_t *zh, const char *announce_path,
    int watch, zkq_fail_fn *fail, char **buf, int *len);
static void zkq_contact(struct zkq *q, int64_t at_ms);
static void zkw_ping_done(int rc, const struct Stat *stat, const void *data);
static void zkw_init(struct zkw *w, const struct config *cfg, zkquery_watch_fn *fn,
    void *arg);
static void zkw_destroy(struct zkw *w);
static int zkw_run(struct zkw *w, int stop_fd);
static int zkw_step(struct zkw *w);
static int zkw_session(struct zkw *w, int64_t now);
static int zkw_wait_ms(struct zkw *w);
static int zkw_look(struct zkw *w);
static int zkw_contenders(struct zkw *w, size_t *n);
static int zkw_fail(const struct zkq *q, int rc, const char *what, const char *path);
static void zkw_report(struct zkw *w, const struct announce *a, int64_t time_ms);
static void zkw_cause(struct zkw *w);
static void zkw_release(struct zkw *w, const char *cause);

/* Set up Q for one query with CFG, its deadline one session timeout away. */
static void
zkq_init(struct zkq *q, const struct config *cfg)
{
	pthread_condattr_t attr;

	memset(q, 0, sizeof(*q));
	q->cfg = cfg;
	q->wake_fd = -1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &attr);
	pthread_condattr_destroy(&attr);
	clock_gettime(CLOCK_MONOTONIC, &q->deadline);
	q->deadline.tv_sec += cfg->session_timeout_ms / 1000;
	q->deadline.tv_nsec += (cfg->session_timeout_ms % 1000) * 1000000;
	if (q->deadline.tv_nsec >= 1000000000) {
		q->deadline.tv_sec++;
		q->deadline.tv_nsec -= 1000000000;
	}
}

/* Release Q's lock and condition (after the handle is closed). */
static void
zkq_destroy(struct zkq *q)
{
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
}

/* The client library's own log lines: shown only with -v. */
static void
zkq_log(const char *message)
{
	if (log_getlevel() >= LOG_DEBUG)
		log_debug("zookeeper: %s", message);
}

/*
 * Events (on the library's thread): record the session state, or that a znode
 * watch fired (the server spoke: contact), and wake the caller.
 */
static void
zkq_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zkq *q = ctx;
	uint64_t one = 1;

	(void)zh;
	(void)path;
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->events++;
	if (type == ZOO_SESSION_EVENT) {
		q->state = state;
		if (state == ZOO_CONNECTED_STATE)
			q->contact_ms = clock_ms(CLOCK_BOOTTIME);
	} else {
		q->changed = true;
		q->contact_ms = clock_ms(CLOCK_BOOTTIME);
	}
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	if (q->wake_fd >= 0)
		(void)!write(q->wake_fd, &one, sizeof(one));
}

/* The completion of zoo_add_auth (on the library's thread). */
static void
zkq_auth_done(int rc, const void *data)
{
	struct zkq *q = (struct zkq *)(uintptr_t)data;

	pthread_mutex_lock(&q->lock);
	q->auth_done = true;
	q->auth_rc = rc;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/* Wait until DONE(q) holds or the deadline passes; true when it holds. */
static bool
zkq_wait(struct zkq *q, bool (*done)(const struct zkq *))
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	while (!(ok = done(q)))
		if (pthread_cond_timedwait(&q->cond, &q->lock, &q->deadline) == ETIMEDOUT) {
			ok = done(q);
			break;
		}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/* Connected, or in a state that will never connect (called with the lock held). */
static bool
connected_or_failed(const struct zkq *q)
{
	return q->state == ZOO_CONNECTED_STATE || q->state == ZOO_AUTH_FAILED_STATE ||
	    q->state == ZOO_EXPIRED_SESSION_STATE;
}

/* The auth request completed, or the session failed (called with the lock held). */
static bool
auth_finished(const struct zkq *q)
{
	return q->auth_done || q->state == ZOO_AUTH_FAILED_STATE ||
	    q->state == ZOO_EXPIRED_SESSION_STATE;
}

/* Open a session with the configured hosts and wait until it is usable. */
static int
zkq_open(struct zkq *q, zhandle_t **out)
{
	const struct config *cfg = q->cfg;
	char buf[32];
	zhandle_t *zh;
	int state;

	zoo_set_debug_level(log_getlevel() >= LOG_DEBUG ?
	    ZOO_LOG_LEVEL_DEBUG : ZOO_LOG_LEVEL_ERROR);
	/* flags 0: never ZOO_READONLY (rule 18) */
	zh = zookeeper_init2(cfg->hosts, zkq_watcher, (int)cfg->session_timeout_ms,
	    NULL, q, 0, zkq_log);
	if (zh == NULL) {
		log_warn("cannot connect to ZooKeeper at %s", cfg->hosts);
		return ZKQUERY_UNREACHABLE;
	}
	*out = zh;
	if (!zkq_wait(q, connected_or_failed)) {
		log_warnx("ZooKeeper at %s not reachable within %s", cfg->hosts,
		    config_format_duration(cfg->session_timeout_ms, buf, sizeof(buf)));
		return ZKQUERY_UNREACHABLE;
	}
	pthread_mutex_lock(&q->lock);
	state = q->state;
	pthread_mutex_unlock(&q->lock);
	if (state != ZOO_CONNECTED_STATE) {
		log_warnx("ZooKeeper at %s: %s", cfg->hosts, state == ZOO_AUTH_FAILED_STATE ?
		    "authentication failed" : "session expired at once");
		return ZKQUERY_ERROR;
	}
	return zkq_authenticate(q, zh);
}

/* Add the configured digest credentials and wait for the server's answer. */
static int
zkq_authenticate(struct zkq *q, zhandle_t *zh)
{
	const struct config *cfg = q->cfg;
	int rc;

	if (cfg->auth_scheme == NULL)
		return ZKQUERY_OK;
	rc = zoo_add_auth(zh, cfg->auth_scheme, cfg->auth_cred,
	    (int)strlen(cfg->auth_cred), zkq_auth_done, q);
	if (rc != ZOK)
		return zkq_result(q, rc, "add credentials", NULL);
	if (!zkq_wait(q, auth_finished)) {
		log_warnx("ZooKeeper at %s did not answer the credentials in time", cfg->hosts);
		return ZKQUERY_UNREACHABLE;
	}
	pthread_mutex_lock(&q->lock);
	rc = q->auth_done ? q->auth_rc : ZAUTHFAILED;
	pthread_mutex_unlock(&q->lock);
	if (rc == ZAUTHFAILED) {
		log_warnx("ZooKeeper at %s rejected the credentials in [zookeeper] auth",
		    cfg->hosts);
		return ZKQUERY_ERROR;
	}
	return zkq_result(q, rc, "add credentials", NULL);
}

/* Map a ZooKeeper result to ours, saying what failed on stderr. */
static int
zkq_result(const struct zkq *q, int rc, const char *what, const char *path)
{
	if (rc == ZOK)
		return ZKQUERY_OK;
	log_warnx("ZooKeeper at %s: %s%s%s: %s", q->cfg->hosts, what,
	    path != NULL ? " " : "", path != NULL ? path : "", zerror(rc));
	if (zk_rc_is_transient(rc))
		return ZKQUERY_UNREACHABLE;
	return ZKQUERY_ERROR;
}

/*
 * Read PATH whole into *BUF (malloc'd, NUL-terminated; its length in *LEN) and
 * its stat into ST, arming a data watch when WATCH (only if it exists). A
 * ZooKeeper result; *BUF is set only on ZOK.
 */
static int
zkq_get(zhandle_t *zh, const char *path, int watch, char **buf, int *len, struct Stat *st)
{
	char *b = NULL;
	int size = 1024, n, rc;

	for (;;) {
		b = xrealloc(b, (size_t)size + 1);
		n = size;
		rc = zoo_get(zh, path, watch, b, &n, st);
		if (rc != ZOK || st->dataLength <= size)
			break;
		size = st->dataLength;	/* bigger than the buffer: read it again */
	}
	if (rc != ZOK) {
		free(b);
		return rc;
	}
	if (n < 0)
		n = 0;	/* no data at all */
	b[n] = '\0';
	*buf = b;
	*len = n;
	return ZOK;
}

/*
 * Read contender NAME's data and czxid into C (position, id left to the caller).
 * ZKQUERY_OK, 1 when the node vanished since the listing, or an error.
 */
static int
read_contender(struct zkq *q, zhandle_t *zh, const char *name, struct contender *c)
{
	char *path = znode_child_path(q->cfg->path, name), *buf;
	struct Stat st;
	int len, rc;
	size_t off;

	rc = zkq_get(zh, path, 0, &buf, &len, &st);
	if (rc != ZOK) {
		rc = rc == ZNONODE ? 1 : zkq_result(q, rc, "read", path);
		free(path);
		return rc;
	}
	c->znode = path;
	c->epoch = st.czxid;
	c->priority = contender_decode(buf, (size_t)len, &off);
	c->data_len = (size_t)len - off;
	c->data = xmemdup(buf + off, c->data_len + 1);	/* the data only, NUL-terminated */
	free(buf);
	return ZKQUERY_OK;
}

/* List the election path and read every contender in election order. */
static int
read_all(struct zkq *q, zhandle_t *zh, struct contender **out, size_t *n)
{
	struct String_vector kids = { 0, NULL };
	struct znode_name *names;
	struct contender *list;
	size_t count, k = 0;
	int rc;

	rc = zoo_get_children(zh, q->cfg->path, 0, &kids);
	if (rc == ZNONODE)
		return ZKQUERY_OK;	/* no election path yet: nobody contends */
	if (rc != ZOK)
		return zkq_result(q, rc, "list", q->cfg->path);
	names = xcalloc((size_t)kids.count + 1, sizeof(*names));
	count = znode_sort(kids.data, (size_t)kids.count, names);
	list = xcalloc(count + 1, sizeof(*list));
	for (size_t i = 0; i < count; i++) {
		rc = read_contender(q, zh, names[i].name, &list[k]);
		if (rc == 1)
			continue;	/* vanished since the listing: rule 19 */
		if (rc != ZKQUERY_OK)
			break;
		list[k].position = (int)k + 1;
		list[k].id = xstrdup(names[i].id);
		k++;
	}
	free(names);
	deallocate_String_vector(&kids);
	if (rc < 0) {
		zkquery_free(list, k);
		return rc;
	}
	*out = list;
	*n = k;
	return ZKQUERY_OK;
}

/* The contenders under cfg->path in election order, with data and epoch. */
int
zkquery_list(const struct config *cfg, struct contender **out, size_t *n)
{
	struct zkq q;
	zhandle_t *zh = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	zkq_init(&q, cfg);
	rc = zkq_open(&q, &zh);
	if (rc == ZKQUERY_OK)
		rc = read_all(&q, zh, out, n);
	if (zh != NULL)
		zookeeper_close(zh);
	zkq_destroy(&q);
	return rc;
}

/* The newest NEWEST records of the history (0: all), oldest first, over a session of our own. */
int
zkquery_history(const struct config *cfg, size_t newest, struct history_record **out,
    size_t *n)
{
	struct zkq q;
	zhandle_t *zh = NULL;
	char *path;
	int rc;

	*out = NULL;
	*n = 0;
	zkq_init(&q, cfg);
	rc = zkq_open(&q, &zh);
	if (rc == ZKQUERY_OK) {
		path = znode_child_path(cfg->path, HISTORY_ZNODE);
		rc = zkq_result(&q, zkhistory_newest(zh, cfg->path, newest, out, n), "read", path);
		free(path);
	}
	if (zh != NULL)
		zookeeper_close(zh);
	zkq_destroy(&q);
	return rc;
}

/* Free a list returned by zkquery_list. */
void
zkquery_free(struct contender *c, size_t n)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].id);
		free(c[i].znode);
		free(c[i].data);
	}
	free(c);
}

/* --- watch --- */

/* The server answered at AT_MS (boot_ms): the session was alive then. */
static void
zkq_contact(struct zkq *q, int64_t at_ms)
{
	pthread_mutex_lock(&q->lock);
	if (at_ms > q->contact_ms)
		q->contact_ms = at_ms;
	pthread_mutex_unlock(&q->lock);
}

/* Our probe answered (on the library's thread): contact, when the server did. */
static void
zkw_ping_done(int rc, const struct Stat *stat, const void *data)
{
	(void)stat;
	if (rc == ZOK)
		zkq_contact((struct zkq *)(uintptr_t)data, clock_ms(CLOCK_BOOTTIME));
}

/* Follow the leader over a session of our own until STOP_FD is readable. */
int
zkquery_watch(const struct config *cfg, int stop_fd, zkquery_watch_fn *fn, void *arg)
{
	struct zkw w;
	int rc;

	zkw_init(&w, cfg, fn, arg);
	rc = zkq_open(&w.q, &w.zh);
	if (rc == ZKQUERY_OK) {
		w.timeout_ms = zoo_recv_timeout(w.zh);	/* negotiated */
		zkq_contact(&w.q, clock_ms(CLOCK_BOOTTIME));
		w.connected = true;
		rc = zkw_run(&w, stop_fd);
		if (!w.stopped)
			zkw_release(&w, NULL);	/* a line still held goes out, without its cause */
	}
	if (w.zh != NULL)
		zookeeper_close(w.zh);
	zkw_destroy(&w);
	return rc;
}

/* Set up W for CFG, reporting to FN(ARG); nothing is opened yet. */
static void
zkw_init(struct zkw *w, const struct config *cfg, zkquery_watch_fn *fn, void *arg)
{
	memset(w, 0, sizeof(*w));
	zkq_init(&w->q, cfg);
	if ((w->q.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	w->announce_path = znode_child_path(cfg->path, ZNODE_ANNOUNCE);
	w->fn = fn;
	w->arg = arg;
	w->dirty = true;	/* the first look */
	w->shown_epoch = -1;
}

/* Release W (after its handle is closed: no thread of the library is left). */
static void
zkw_destroy(struct zkw *w)
{
	(void)close(w->q.wake_fd);
	free(w->announce_path);
	free(w->shown_id);
	if (w->held)
		announce_free(&w->held_a);
	zkq_destroy(&w->q);
}

/* The loop: a step, then sleep until an event, STOP_FD or the next deadline. */
static int
zkw_run(struct zkw *w, int stop_fd)
{
	struct pollfd fds[2];
	uint64_t n;
	int rc;

	for (;;) {
		if ((rc = zkw_step(w)) != ZKQUERY_OK || w->stopped)
			return rc;
		fds[0] = (struct pollfd){ .fd = w->q.wake_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		if (poll(fds, 2, zkw_wait_ms(w)) == -1 && errno != EINTR) {
			log_warn("poll");
			return ZKQUERY_ERROR;
		}
		if (fds[1].revents != 0)
			return ZKQUERY_OK;
		if (fds[0].revents != 0)
			(void)!read(w->q.wake_fd, &n, sizeof(n));
	}
}

/*
 * One turn: the session and its clock, a held line whose wait is over, our
 * probe, a look when one is due, and the cause of a held line.
 */
static int
zkw_step(struct zkw *w)
{
	int64_t now = clock_ms(CLOCK_BOOTTIME);
	int rc;

	if ((rc = zkw_session(w, now)) != ZKQUERY_OK)
		return rc;
	if (w->held && now >= w->held_until)
		zkw_release(w, NULL);	/* no record of its epoch came in time */
	if (!w->connected || w->stopped)
		return ZKQUERY_OK;
	if (now - w->last_ping_ms >= w->timeout_ms / 3) {
		/* our own probe, so that the last contact is never older than a third */
		w->last_ping_ms = now;
		(void)zoo_aexists(w->zh, "/", 0, zkw_ping_done, &w->q);
	}
	if ((w->dirty && now >= w->retry_ms) ||
	    (w->gone_ms != 0 && now - w->gone_ms >= w->timeout_ms)) {
		w->dirty = false;
		if ((rc = zkw_look(w)) == ZKQUERY_UNREACHABLE) {
			/* a connection loss: look again soon, or once connected again */
			w->dirty = true;
			w->retry_ms = clock_ms(CLOCK_BOOTTIME) + WATCH_RETRY_MS;
			rc = ZKQUERY_OK;
		}
		if (rc != ZKQUERY_OK)
			return rc;
	}
	if (w->held && w->cause_due && clock_ms(CLOCK_BOOTTIME) >= w->cause_retry_ms &&
	    !w->stopped)
		zkw_cause(w);
	return ZKQUERY_OK;
}

/*
 * The session at NOW. ZKQUERY_LOST when the server expired it, or when it had
 * no contact for a whole session timeout: the client never declares expiry
 * while disconnected, so our own clock does (as src/zk.c's, simpler). Else
 * note whether it is connected; a reconnect means a look: the library sets
 * our watches again, and whatever changed meanwhile is read afresh.
 */
static int
zkw_session(struct zkw *w, int64_t now)
{
	const struct config *cfg = w->q.cfg;
	int state = zoo_state(w->zh);
	int64_t contact;
	char buf[32];
	bool changed;

	pthread_mutex_lock(&w->q.lock);
	contact = w->q.contact_ms;
	changed = w->q.changed;
	w->q.changed = false;
	pthread_mutex_unlock(&w->q.lock);
	w->dirty |= changed;
	w->cause_due |= changed;	/* the announcement's watch, or the history's */
	if (state == ZOO_EXPIRED_SESSION_STATE) {
		log_warnx("ZooKeeper at %s expired the session: cannot watch on", cfg->hosts);
		return ZKQUERY_LOST;
	}
	if (state == ZOO_AUTH_FAILED_STATE) {
		log_warnx("ZooKeeper at %s: authentication failed", cfg->hosts);
		return ZKQUERY_ERROR;
	}
	if (now - contact >= w->timeout_ms) {
		log_warnx("no contact with ZooKeeper at %s for %s, a whole session timeout: "
		    "the session is lost, cannot watch on", cfg->hosts,
		    config_format_duration(now - contact, buf, sizeof(buf)));
		return ZKQUERY_LOST;
	}
	if (state != ZOO_CONNECTED_STATE) {
		if (w->connected)
			log_info("zookeeper: connection lost; watching on if the session survives");
		w->connected = false;
		return ZKQUERY_OK;
	}
	if (!w->connected) {
		log_info("zookeeper: connected again, the session survived");
		w->dirty = true;
		w->cause_due = true;
	}
	w->connected = true;
	return ZKQUERY_OK;
}

/*
 * How long the loop may sleep (ms): the clock's deadline, the end of a held
 * line's wait, the probe, a "no leader" due, a retry.
 */
static int
zkw_wait_ms(struct zkw *w)
{
	int64_t now = clock_ms(CLOCK_BOOTTIME), next, t = w->timeout_ms;

	pthread_mutex_lock(&w->q.lock);
	next = w->q.contact_ms + t;
	pthread_mutex_unlock(&w->q.lock);
	if (w->held && w->held_until < next)
		next = w->held_until;
	if (w->connected) {
		/* disconnected, nothing but the clock is due: the reconnect wakes us */
		if (w->last_ping_ms + t / 3 < next)
			next = w->last_ping_ms + t / 3;
		if (w->gone_ms != 0 && w->gone_ms + t < next)
			next = w->gone_ms + t;
		if (w->dirty && w->retry_ms < next)
			next = w->retry_ms;
		if (w->held && w->cause_due && w->cause_retry_ms < next)
			next = w->cause_retry_ms;
	}
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/*
 * Look at the announcement again and report what changed since the last line:
 * a new leader at once; nobody when the shown leader's znode is gone and no
 * successor is believed, at once when nobody else contends, else only once a
 * session timeout has passed without the successor's announcement (it would
 * follow within a few round trips: no line for the moment in between).
 */
static int
zkw_look(struct zkw *w)
{
	struct announce a;
	size_t n;
	int rc;

	if ((rc = believe(&w->q, w->zh, w->announce_path, 1, zkw_fail, &a)) < 0)
		return rc;
	zkq_contact(&w->q, clock_ms(CLOCK_BOOTTIME));
	if (rc == 1) {
		w->gone_ms = 0;
		if (w->shown_id == NULL || w->shown_epoch != a.epoch || strcmp(w->shown_id, a.id) != 0)
			zkw_report(w, &a, clock_ms(CLOCK_REALTIME));
		announce_free(&a);
		return ZKQUERY_OK;
	}
	if (!w->reported) {
		zkw_report(w, NULL, clock_ms(CLOCK_REALTIME));	/* the first line */
		return ZKQUERY_OK;
	}
	if (w->shown_id == NULL)
		return ZKQUERY_OK;	/* "no leader" is out already */
	if (w->gone_ms == 0) {
		w->gone_ms = clock_ms(CLOCK_BOOTTIME);
		w->gone_wall_ms = clock_ms(CLOCK_REALTIME);
	}
	if (clock_ms(CLOCK_BOOTTIME) - w->gone_ms < w->timeout_ms) {
		if ((rc = zkw_contenders(w, &n)) < 0)
			return rc;
		if (n > 0)
			return ZKQUERY_OK;	/* the successor announces soon */
	}
	zkw_report(w, NULL, w->gone_wall_ms);
	return ZKQUERY_OK;
}

/*
 * The leader the announcement names, believed only while its znode is alive
 * with the announced epoch as its czxid (rule 20, as announce_check_done in
 * src/election.c): 1 with A filled (announce_free it), 0 for nobody, or an
 * error (FAIL says and maps it). With WATCH, arms the watches that wake the
 * caller at the next change: a data watch on the announcement (an exists
 * watch while there is none) and one on the leader's znode, which fires when
 * it goes.
 */
static int
believe(struct zkq *q, zhandle_t *zh, const char *announce_path, int watch,
    zkq_fail_fn *fail, struct announce *a)
{
	struct Stat st;
	char *buf, *path, one[1];
	int len, rc;
	bool ok;

	if ((rc = read_announcement(q, zh, announce_path, watch, fail, &buf, &len)) != 1)
		return rc;
	ok = announce_decode(buf, (size_t)len, a);
	free(buf);
	if (!ok) {
		log_debug("zookeeper: %s is no announcement: no leader named", announce_path);
		return 0;
	}
	path = znode_child_path(q->cfg->path, a->znode);
	len = (int)sizeof(one);
	/* get, not exists: it arms a watch only when the znode is there (rule 3) */
	rc = zoo_get(zh, path, watch, one, &len, &st);
	if (rc == ZOK && st.czxid == a->epoch) {
		free(path);
		return 1;
	}
	announce_free(a);
	if (rc == ZOK || rc == ZNONODE) {
		log_debug("zookeeper: the announcement names %s, which is no live contender", path);
		rc = 0;
	} else
		rc = fail(q, rc, "read", path);
	free(path);
	return rc;
}

/*
 * Read the announcement (with a data watch when WATCH) into *BUF (malloc'd,
 * *LEN bytes): 1; 0 when there is none (with WATCH, an exists watch then
 * waits for its creation); or an error.
 */
static int
read_announcement(struct zkq *q, zhandle_t *zh, const char *announce_path, int watch,
    zkq_fail_fn *fail, char **buf, int *len)
{
	struct Stat st;
	int rc;

	for (;;) {
		rc = zkq_get(zh, announce_path, watch, buf, len, &st);
		if (rc == ZOK)
			return 1;
		if (rc != ZNONODE)
			return fail(q, rc, "read", announce_path);
		/* get armed no watch on a missing node: exists does, for its creation */
		rc = zoo_exists(zh, announce_path, watch, &st);
		if (rc == ZNONODE)
			return 0;
		if (rc != ZOK)
			return fail(q, rc, "look up", announce_path);
		/* created meanwhile: read it */
	}
}

/* How many contenders the election path holds now, in *N; or an error. */
static int
zkw_contenders(struct zkw *w, size_t *n)
{
	struct String_vector kids = { 0, NULL };
	struct znode_name *names;
	int rc;

	*n = 0;
	rc = zoo_get_children(w->zh, w->q.cfg->path, 0, &kids);
	if (rc == ZNONODE)
		return ZKQUERY_OK;	/* no election path: nobody contends */
	if (rc != ZOK)
		return zkw_fail(&w->q, rc, "list", w->q.cfg->path);
	names = xcalloc((size_t)kids.count + 1, sizeof(*names));
	*n = znode_sort(kids.data, (size_t)kids.count, names);
	free(names);
	deallocate_String_vector(&kids);
	return ZKQUERY_OK;
}

/*
 * A read that failed with RC: on a connection loss ZKQUERY_UNREACHABLE,
 * quietly (the loop looks again once connected); else said, ZKQUERY_ERROR.
 */
static int
zkw_fail(const struct zkq *q, int rc, const char *what, const char *path)
{
	if (zk_rc_is_transient(rc)) {
		log_debug("zookeeper: %s %s: %s; looking again once connected", what, path,
		    zerror(rc));
		return ZKQUERY_UNREACHABLE;
	}
	return zkq_result(q, rc, what, path);
}

/*
 * Report A (NULL: no leader), seen at TIME_MS, and remember it as shown. A
 * line still held for its cause goes out first (the lines keep their order);
 * a new leader's line is held until its history record is read (zkw_cause),
 * for at most a session timeout; "no leader" goes out at once.
 */
static void
zkw_report(struct zkw *w, const struct announce *a, int64_t time_ms)
{
	if (w->held) {
		if (w->connected)
			zkw_cause(w);	/* one last look: it may have come meanwhile */
		zkw_release(w, NULL);
	}
	free(w->shown_id);
	w->shown_id = a != NULL ? xstrdup(a->id) : NULL;
	w->shown_epoch = a != NULL ? a->epoch : -1;
	w->reported = true;
	w->gone_ms = 0;
	if (w->stopped)
		return;
	w->held = true;
	w->held_time_ms = time_ms;
	memset(&w->held_a, 0, sizeof(w->held_a));
	if (a == NULL || w->q.cfg->history_keep == 0) {
		/* nobody leads, or no history is kept here (nor, presumably, anywhere) */
		zkw_release(w, NULL);
		return;
	}
	w->held_a.epoch = a->epoch;
	w->held_a.id = xstrdup(a->id);
	w->held_a.znode = xstrdup(a->znode);
	w->held_a.data = xstrdup(a->data);
	w->held_until = clock_ms(CLOCK_BOOTTIME) + w->timeout_ms;
	w->cause_due = true;
	w->cause_retry_ms = 0;
}

/*
 * Look for the held leader's history record (the newest of its epoch), with a
 * watch on the history's children that wakes the loop when one is added:
 * found, the line goes out with its cause; not yet, it waits on; a failed
 * read is tried again soon (a connection loss) or gives up on the cause.
 */
static void
zkw_cause(struct zkw *w)
{
	struct history_record h;
	int rc;

	w->cause_due = false;
	rc = zkhistory_find(w->zh, w->q.cfg->path, w->held_a.epoch, 1, &h);
	if (rc == ZOK || rc == ZNONODE)
		zkq_contact(&w->q, clock_ms(CLOCK_BOOTTIME));
	if (rc == ZOK)
		zkw_release(w, h.cause[0] != '\0' ? h.cause : NULL);
	else if (zk_rc_is_transient(rc)) {
		w->cause_due = true;
		w->cause_retry_ms = clock_ms(CLOCK_BOOTTIME) + WATCH_RETRY_MS;
	} else if (rc != ZNONODE) {
		log_warnx("ZooKeeper at %s: read the history under %s: %s; no cause for %s",
		    w->q.cfg->hosts, w->q.cfg->path, zerror(rc), w->held_a.id);
		zkw_release(w, NULL);
	}
}

/* The held line goes out, with CAUSE (NULL: none). */
static void
zkw_release(struct zkw *w, const char *cause)
{
	struct zkquery_change c = { .time_ms = w->held_time_ms, .epoch = -1, .cause = cause };
	char *znode = NULL;

	if (!w->held)
		return;
	w->held = false;
	if (w->held_a.id != NULL) {
		znode = znode_child_path(w->q.cfg->path, w->held_a.znode);
		c.id = w->held_a.id;
		c.epoch = w->held_a.epoch;
		c.data = w->held_a.data;
		c.data_len = strlen(w->held_a.data);
		c.znode = znode;
	}
	if (!w->fn(w->arg, &c))
		w->stopped = true;
	free(znode);
	announce_free(&w->held_a);
	memset(&w->held_a, 0, sizeof(w->held_a));
}

/* --- a session for a command of several steps --- */

/* Open a session for CFG as zkquery_list does, for the caller to keep. */
int
zkquery_open(const struct config *cfg, struct zkquery_session **out)
{
	struct zkquery_session *s = xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	zkq_init(&s->q, cfg);
	s->announce_path = znode_child_path(cfg->path, ZNODE_ANNOUNCE);
	if ((rc = zkq_open(&s->q, &s->zh)) != ZKQUERY_OK) {
		zkquery_close(s);
		return rc;
	}
	pthread_mutex_lock(&s->q.lock);
	s->seen = s->q.events;	/* the opening's own events are no news */
	pthread_mutex_unlock(&s->q.lock);
	s->contact_ms = clock_ms(CLOCK_MONOTONIC);
	*out = s;
	return ZKQUERY_OK;
}

/* Close S's session and free it (NULL is fine). */
void
zkquery_close(struct zkquery_session *s)
{
	if (s == NULL)
		return;
	if (s->zh != NULL)
		zookeeper_close(s->zh);	/* no thread of the library is left after it */
	zkq_destroy(&s->q);
	free(s->announce_path);
	free(s);
}

/* S's handle, for the caller's synchronous calls. */
zhandle_t *
zkquery_handle(const struct zkquery_session *s)
{
	return s->zh;
}

/* The contenders in election order, over S. */
int
zkquery_session_list(struct zkquery_session *s, struct contender **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return read_all(&s->q, s->zh, out, n);
}

/* The leader as believed from the announcement, over S; no watch armed. */
int
zkquery_session_leader(struct zkquery_session *s, struct announce *a)
{
	return believe(&s->q, s->zh, s->announce_path, 0, zkq_result, a);
}

/* Sleep until an event newer than the last return, or until UNTIL_MS (monotonic). */
bool
zkquery_session_wait(struct zkquery_session *s, int64_t until_ms)
{
	struct zkq *q = &s->q;
	struct timespec ts;
	bool woken;

	if (until_ms < 0)
		until_ms = 0;
	ts.tv_sec = (time_t)(until_ms / 1000);
	ts.tv_nsec = (long)(until_ms % 1000) * 1000000L;
	pthread_mutex_lock(&q->lock);
	while (q->events == s->seen)
		if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) == ETIMEDOUT)
			break;
	woken = q->events != s->seen;
	s->seen = q->events;
	pthread_mutex_unlock(&q->lock);
	return woken;
}

/* After RC: true when the call should be made again (a connection loss the session may survive). */
bool
zkquery_session_again(struct zkquery_session *s, int rc)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC), timeout = zoo_recv_timeout(s->zh), until;

	if (!zk_rc_is_transient(rc)) {
		s->contact_ms = now;
		return false;
	}
	if (zoo_state(s->zh) == ZOO_EXPIRED_SESSION_STATE || now - s->contact_ms >= timeout)
		return false;
	until = now + SESSION_RETRY_MS;
	if (until > s->contact_ms + timeout)
		until = s->contact_ms + timeout;
	(void)zkquery_session_wait(s, until);
	return true;
}

/* A ZooKeeper result on S as ours, said on stderr when it is not ZOK. */
int
zkquery_session_result(const struct zkquery_session *s, int rc, const char *what,
    const char *path)
{
	return zkq_result(&s->q, rc, what, path);
}

/* --- what zkelectctl's writes have in common --- */

/* "user@host[pid]" into BUF: who asks. */
void
zkquery_who(char *buf, size_t len)
{
	char host[256], pwbuf[1024], user[33], pid[32];
	struct passwd pw, *p = NULL;
	int room;

	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &p) == 0 && p != NULL)
		snprintf(user, sizeof(user), "%s", p->pw_name);
	else
		snprintf(user, sizeof(user), "uid%lu", (unsigned long)geteuid());
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(pid, sizeof(pid), "[%ld]", (long)getpid());
	room = (int)len - (int)strlen(user) - (int)strlen(pid) - 2;
	snprintf(buf, len, "%s@%.*s%s", user, room > 0 ? room : 0, host, pid);
}

/* The ACL of a znode zkelectctl creates (zk_create_acl, as the daemon's). */
const struct ACL_vector *
zkquery_acl(const struct config *cfg)
{
	return zk_create_acl(cfg->auth_scheme != NULL);
}
