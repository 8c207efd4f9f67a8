/* fake_zk: the zk.h surface with no server (see fake_zk.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_zk.h"
#include "xmalloc.h"

struct zk {
	zk_session_fn *session_cb;
	zk_watch_fn *watch_cb;
	void *arg;
	enum zk_state state;
	bool suspended, unsafe;
	int64_t session_id;
	struct zk_counters counters;
	struct fake_call *calls;	/* waiting for an answer, oldest first */
	unsigned long made[FZ_DELETE2 + 1];
	char describe[4096];
};

static struct zk *last;

static const char *const op_names[] = { "create", "delete", "get", "exists", "children", "set",
	"delete2" };

static void forget_calls(struct zk *zk);
static struct fake_call *record(struct zk *zk, enum fake_op op, const char *path,
    zk_done_fn *done, void *arg, uint64_t tag);
static void answer(struct fake_call *c, struct zk_result *r);
static void answer_ok(struct fake_call *c, struct zk_result r, int64_t czxid, int64_t owner,
    size_t len);

struct zk *
zk_new(struct event_base *base, zk_session_fn *session, zk_watch_fn *watch, void *arg)
{
	struct zk *zk = xcalloc(1, sizeof(*zk));

	(void)base;
	zk->session_cb = session;
	zk->watch_cb = watch;
	zk->arg = arg;
	zk->state = ZK_STATE_CONNECTING;
	last = zk;
	return zk;
}

void
zk_open(struct zk *zk, const struct zk_settings *s)
{
	(void)zk;
	(void)s;
}

void
zk_close(struct zk *zk)
{
	forget_calls(zk);
	zk->session_id = 0;
	zk->state = ZK_STATE_CONNECTING;
}

void
zk_free(struct zk *zk)
{
	if (zk == NULL)
		return;
	forget_calls(zk);
	if (last == zk)
		last = NULL;
	free(zk);
}

void
zk_set_grace(struct zk *zk, int64_t grace_ms)
{
	(void)zk;
	(void)grace_ms;
}

enum zk_state
zk_state(const struct zk *zk)
{
	return zk->suspended ? ZK_STATE_CONNECTING : zk->state;
}

const char *
zk_state_name(enum zk_state s)
{
	return s == ZK_STATE_CONNECTED ? "connected" : s == ZK_STATE_EXPIRED ? "expired" :
	    "connecting";
}

int64_t
zk_session_id(const struct zk *zk)
{
	return zk->session_id;
}

bool
zk_usable(const struct zk *zk)
{
	return zk->state == ZK_STATE_CONNECTED && !zk->suspended;
}

bool
zk_safe(const struct zk *zk)
{
	return zk_usable(zk) && !zk->unsafe;
}

bool
zk_entitled(const struct zk *zk)
{
	return zk->state == ZK_STATE_CONNECTED && !zk->unsafe;
}

bool
zk_client(const struct zk *zk, struct zk_client *c)
{
	if (zk->session_id == 0)
		return false;
	memset(c, 0, sizeof(*c));
	c->id = zk->session_id;
	c->timeout_ms = 10000;
	return true;
}

const struct zk_counters *
zk_counters(const struct zk *zk)
{
	return &zk->counters;
}

/* --- recorded calls --- */

static struct fake_call *
record(struct zk *zk, enum fake_op op, const char *path, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	struct fake_call *c = xcalloc(1, sizeof(*c)), **pp;

	c->op = op;
	c->path = xstrdup(path);
	c->done = done;
	c->arg = arg;
	c->tag = tag;
	zk->made[op]++;
	zk->counters.requests++;
	for (pp = &zk->calls; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c;
	return c;
}

void
fake_call_free(struct fake_call *c)
{
	free(c->path);
	free(c->data);
	free(c);
}

static void
forget_calls(struct zk *zk)
{
	struct fake_call *c;

	while ((c = zk->calls) != NULL) {
		zk->calls = c->next;
		fake_call_free(c);
	}
}

void
zk_create(struct zk *zk, const char *path, const void *data, size_t len, int mode,
    zk_done_fn *done, void *arg, uint64_t tag)
{
	struct fake_call *c = record(zk, FZ_CREATE, path, done, arg, tag);

	c->mode = mode;
	c->data = xmalloc(len + 1);
	memcpy(c->data, data, len);
	c->data[len] = '\0';
	c->len = len;
}

void
zk_delete(struct zk *zk, const char *path, int version, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	record(zk, FZ_DELETE, path, done, arg, tag)->version = version;
}

/* Recorded with PATH (ours) as its path and ALSO as its data, ALSO_VERSION as its version. */
void
zk_delete2(struct zk *zk, const char *path, int version, const char *also, int also_version,
    zk_done_fn *done, void *arg, uint64_t tag)
{
	struct fake_call *c = record(zk, FZ_DELETE2, path, done, arg, tag);

	(void)version;
	c->version = also_version;
	c->data = strdup(also);
	c->len = strlen(also);
}

void
zk_get(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg, uint64_t tag)
{
	record(zk, FZ_GET, path, done, arg, tag)->watch = watch;
}

void
zk_exists(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	record(zk, FZ_EXISTS, path, done, arg, tag)->watch = watch;
}

void
zk_children(struct zk *zk, const char *path, bool watch, zk_done_fn *done, void *arg,
    uint64_t tag)
{
	record(zk, FZ_CHILDREN, path, done, arg, tag)->watch = watch;
}

void
zk_set(struct zk *zk, const char *path, const void *data, size_t len, int version,
    zk_done_fn *done, void *arg, uint64_t tag)
{
	struct fake_call *c = record(zk, FZ_SET, path, done, arg, tag);

	c->version = version;
	c->data = xmalloc(len + 1);
	memcpy(c->data, data, len);
	c->data[len] = '\0';
	c->len = len;
}

/* --- what the test drives --- */

struct zk *
fake_zk_last(void)
{
	return last;
}

void
fake_zk_connect(struct zk *zk, int64_t session)
{
	forget_calls(zk);
	zk->session_id = session;
	zk->state = ZK_STATE_CONNECTED;
	zk->suspended = zk->unsafe = false;
	zk->session_cb(zk->arg, ZK_EV_CONNECTED);
}

void
fake_zk_event(struct zk *zk, enum zk_event ev)
{
	switch (ev) {
	case ZK_EV_SUSPENDED:
		zk->suspended = true;
		break;
	case ZK_EV_UNSAFE:
		zk->unsafe = true;
		break;
	case ZK_EV_RECONNECTED:
		zk->suspended = zk->unsafe = false;
		break;
	case ZK_EV_EXPIRED:
		forget_calls(zk);
		zk->state = ZK_STATE_EXPIRED;
		zk->suspended = zk->unsafe = false;
		zk->counters.expirations++;
		break;
	default:
		break;
	}
	zk->session_cb(zk->arg, ev);
	if (ev == ZK_EV_EXPIRED)
		zk->session_id = 0;
}

void
fake_zk_watch(struct zk *zk, int type, const char *path)
{
	zk->watch_cb(zk->arg, type, path);
}

size_t
fake_zk_pending(const struct zk *zk)
{
	size_t n = 0;

	for (const struct fake_call *c = zk->calls; c != NULL; c = c->next)
		n++;
	return n;
}

const char *
fake_zk_describe(const struct zk *zk)
{
	struct zk *w = (struct zk *)(uintptr_t)zk;
	size_t off = 0;

	w->describe[0] = '\0';
	for (const struct fake_call *c = zk->calls; c != NULL; c = c->next) {
		int n = snprintf(w->describe + off, sizeof(w->describe) - off, "%s%s %s%s",
		    off ? "; " : "", op_names[c->op], c->path, c->watch ? " (watch)" : "");

		if (n < 0 || (size_t)n >= sizeof(w->describe) - off)
			break;
		off += (size_t)n;
	}
	return w->describe[0] ? w->describe : "(none)";
}

struct fake_call *
fake_zk_take(struct zk *zk, enum fake_op op, const char *path)
{
	struct fake_call **pp, *c;

	for (pp = &zk->calls; (c = *pp) != NULL; pp = &c->next) {
		if (c->op == op && strncmp(c->path, path, strlen(path)) == 0) {
			*pp = c->next;
			c->next = NULL;
			return c;
		}
	}
	return NULL;
}

unsigned long
fake_zk_count(const struct zk *zk, enum fake_op op)
{
	return zk->made[op];
}

/* --- answers --- */

static void
answer(struct fake_call *c, struct zk_result *r)
{
	r->tag = c->tag;
	r->path = c->path;
	c->done(c->arg, r);
	fake_call_free(c);
}

void
fake_reply(struct fake_call *c, int rc)
{
	struct zk_result r;

	memset(&r, 0, sizeof(r));
	r.rc = rc;
	answer(c, &r);
}

/* Answer C with ZOK and a Stat of CZXID, OWNER and LEN data bytes, the rest of R as given. */
static void
answer_ok(struct fake_call *c, struct zk_result r, int64_t czxid, int64_t owner, size_t len)
{
	struct Stat st;

	memset(&st, 0, sizeof(st));
	st.czxid = czxid;
	st.ephemeralOwner = owner;
	st.dataLength = (int32_t)len;
	r.rc = ZOK;
	r.stat = &st;
	answer(c, &r);
}

void
fake_reply_stat(struct fake_call *c, int64_t czxid, int64_t owner)
{
	struct zk_result r;

	memset(&r, 0, sizeof(r));
	answer_ok(c, r, czxid, owner, 0);
}

void
fake_reply_data(struct fake_call *c, const char *data, size_t len, int64_t czxid)
{
	struct zk_result r;

	memset(&r, 0, sizeof(r));
	r.value = data;
	r.value_len = (int)len;
	answer_ok(c, r, czxid, 0, len);
}

void
fake_reply_children(struct fake_call *c, const char *const *names, int n)
{
	struct zk_result r;

	memset(&r, 0, sizeof(r));
	r.rc = ZOK;
	r.children = (char *const *)(uintptr_t)names;
	r.nchildren = n;
	answer(c, &r);
}

void
fake_reply_created(struct fake_call *c, const char *created, int64_t czxid, int64_t owner)
{
	struct zk_result r;

	memset(&r, 0, sizeof(r));
	r.created = created;
	answer_ok(c, r, czxid, owner, 0);
}
