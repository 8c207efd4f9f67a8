/* control: the operator's requests beside the election (control.h). */
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "log.h"
#include "switchover.h"
#include "xmalloc.h"
#include "znode.h"

struct control {
	struct zk *zk;
	struct control_callbacks cb;
	void *arg;
	char *path;		/* the election path */
	char *switchover_path;
	uint64_t reads;		/* tags each read; an answer to an older read is dropped */
	bool watch_line;
	bool have;		/* REQ is the request as last read */
	struct switchover req;
	int32_t version;
	struct switchover pending;	/* the write in flight */
};

static void read_request(struct control *c);
static void get_done(void *arg, const struct zk_result *r);
static void exists_done(void *arg, const struct zk_result *r);
static void line_done(void *arg, const struct zk_result *r);
static void set_done(void *arg, const struct zk_result *r);
static void report(struct control *c, const struct znode_name *line, size_t n);

struct control *
control_new(struct zk *zk, const char *path, const struct control_callbacks *cb, void *arg)
{
	struct control *c = xcalloc(1, sizeof(*c));

	c->zk = zk;
	c->cb = *cb;
	c->arg = arg;
	c->path = xstrdup(path);
	c->switchover_path = znode_child_path(path, SWITCHOVER_ZNODE);
	return c;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->switchover_path);
	free(c);
}

void
control_session(struct control *c, enum zk_event ev)
{
	if (ev == ZK_EV_CONNECTED || ev == ZK_EV_RECONNECTED)
		read_request(c);
}

void
control_refresh(struct control *c)
{
	read_request(c);
}

void
control_watch_line(struct control *c, bool on)
{
	c->watch_line = on;
}

const struct switchover *
control_switchover(const struct control *c)
{
	return c->have ? &c->req : NULL;
}

int32_t
control_version(const struct control *c)
{
	return c->version;
}

/* Read the request with a data watch (rule 3: get arms one only if it exists). */
static void
read_request(struct control *c)
{
	zk_get(c->zk, c->switchover_path, true, get_done, c, ++c->reads);
}

void
control_on_watch(void *arg, int type, const char *path)
{
	struct control *c = arg;

	(void)type;
	if (strcmp(path, c->switchover_path) == 0)
		read_request(c);	/* created, changed or deleted: the watch is spent */
	else if (strcmp(path, c->path) == 0 && c->watch_line && c->have &&
	    !switchover_final(c->req.state))
		zk_children(c->zk, c->path, true, line_done, c, c->reads);
}

/* The request read. */
static void
get_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	char why[128];

	if (r->tag != c->reads)
		return;
	if (r->rc == ZNONODE) {
		/* no request: get armed no watch; exists arms one for its creation */
		c->have = false;
		zk_exists(c->zk, c->switchover_path, true, exists_done, c, c->reads);
		report(c, NULL, 0);
		return;
	}
	if (r->rc != ZOK) {
		if (!zk_rc_is_transient(r->rc))
			log_warnx("control: cannot read %s: %s", c->switchover_path, zerror(r->rc));
		return;	/* transient: the reconnect reads again */
	}
	c->have = switchover_decode(r->value, (size_t)r->value_len, &c->req, why, sizeof(why));
	c->version = r->stat->version;
	if (!c->have) {
		log_warnx("control: %s: %s; ignored", c->switchover_path, why);
		report(c, NULL, 0);
		return;
	}
	if (switchover_final(c->req.state))
		report(c, NULL, 0);
	else	/* under way: what to do depends on the line */
		zk_children(c->zk, c->path, c->watch_line, line_done, c, c->reads);
}

/* The exists sent when there was no request answered; it armed a watch. */
static void
exists_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;

	if (r->tag == c->reads && r->rc == ZOK)
		read_request(c);	/* created meanwhile */
}

/* The line of contenders, for a request under way. */
static void
line_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;
	struct znode_name *names;
	size_t n;

	if (r->tag != c->reads || !c->have || r->rc != ZOK)
		return;	/* older, or transient: the reconnect reads again */
	names = xcalloc((size_t)r->nchildren + 1, sizeof(*names));
	n = znode_sort(r->children, (size_t)r->nchildren, names);
	report(c, names, n);
	free(names);
}

/* Tell the role layer what was read. */
static void
report(struct control *c, const struct znode_name *line, size_t n)
{
	c->cb.switchover(c->arg, c->have ? &c->req : NULL, c->version, line, n);
}

void
control_switchover_write(struct control *c, const struct switchover *req, int32_t version)
{
	size_t len;
	char *buf = switchover_encode(req, &len);

	c->pending = *req;
	zk_set(c->zk, c->switchover_path, buf, len, version, set_done, c, 0);
	free(buf);
}

/* A write answered: done, or it lost a race (the watch reads the winner). */
static void
set_done(void *arg, const struct zk_result *r)
{
	struct control *c = arg;

	if (r->rc != ZOK && r->rc != ZBADVERSION && r->rc != ZNONODE)
		log_warnx("control: cannot write %s: %s", c->switchover_path, zerror(r->rc));
	if (r->rc == ZOK) {
		c->req = c->pending;
		c->have = true;
		c->version = r->stat != NULL ? r->stat->version : c->version + 1;
	}
	c->cb.written(c->arg, &c->pending, r->rc == ZOK);
}
