/*
 * zkquery: zkelectctl's direct, synchronous questions to ZooKeeper.
 *
 * A short-lived session of its own: connect (never read-only), authenticate when
 * configured, list the election path, read each contender in election order,
 * close. Every wait is bounded by the session timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zookeeper/zookeeper.h>

#include "config.h"
#include "log.h"
#include "xmalloc.h"
#include "znode.h"
#include "zkquery.h"
#include "zkrc.h"

/* What the library's threads tell the caller, under a lock. */
struct zkq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;		/* the last session state seen (0: none yet) */
	bool auth_done;
	int auth_rc;
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	const struct config *cfg;
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
static int read_contender(struct zkq *q, zhandle_t *zh, const char *name,
    struct contender *c);
static int read_all(struct zkq *q, zhandle_t *zh, struct contender **out, size_t *n);

/* Set up Q for one query with CFG, its deadline one session timeout away. */
static void
zkq_init(struct zkq *q, const struct config *cfg)
{
	pthread_condattr_t attr;

	memset(q, 0, sizeof(*q));
	q->cfg = cfg;
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

/* Session events (on the library's thread): record the state and wake the caller. */
static void
zkq_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zkq *q = ctx;

	(void)zh;
	(void)path;
	if (type != ZOO_SESSION_EVENT || q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->state = state;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
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
 * Read contender NAME's data and czxid into C (position, id left to the caller).
 * ZKQUERY_OK, 1 when the node vanished since the listing, or an error.
 */
static int
read_contender(struct zkq *q, zhandle_t *zh, const char *name, struct contender *c)
{
	char *path = znode_child_path(q->cfg->path, name), *buf = NULL;
	int size = 1024, len, rc;
	struct Stat st;

	for (;;) {
		buf = xrealloc(buf, (size_t)size + 1);
		len = size;
		rc = zoo_get(zh, path, 0, buf, &len, &st);
		if (rc != ZOK || st.dataLength <= size)
			break;
		size = st.dataLength;	/* bigger than the buffer: read it again */
	}
	if (rc != ZOK) {
		free(buf);
		rc = rc == ZNONODE ? 1 : zkq_result(q, rc, "read", path);
		free(path);
		return rc;
	}
	if (len < 0)
		len = 0;	/* no data at all */
	buf[len] = '\0';
	c->znode = path;
	c->epoch = st.czxid;
	c->data = buf;
	c->data_len = (size_t)len;
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
