/* fake_election: the election.h surface with no ZooKeeper (see fake_election.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_election.h"
#include "xmalloc.h"

struct election {
	struct election_callbacks cb;
	void *arg;
	char *id, *data, *path;
	char znode[256];
	void (*leave_done)(void *arg);
	void *leave_arg;
	struct zk_counters counters;
};

struct fake_election_log fe;
static struct election *cur;

struct election *
election_new(struct event_base *base, const struct election_settings *s,
    const struct election_callbacks *cb, void *arg)
{
	struct election *e = xcalloc(1, sizeof(*e));

	(void)base;
	e->cb = *cb;
	e->arg = arg;
	e->id = xstrdup(s->id);
	e->data = xstrdup(s->data);
	e->path = xstrdup(s->path);
	cur = e;
	fe.created++;
	fe.resume_id = s->zk.resume_id;
	return e;
}

void
election_free(struct election *e)
{
	if (e == NULL)
		return;
	if (cur == e)
		cur = NULL;
	fe.freed++;
	free(e->id);
	free(e->data);
	free(e->path);
	free(e);
}

void
election_join(struct election *e)
{
	(void)e;
	fe.joins++;
}

void
election_leave(struct election *e, void (*done)(void *arg), void *arg)
{
	election_leave_with(e, NULL, -1, done, arg);
}

void
election_leave_with(struct election *e, const char *also, int32_t also_version,
    void (*done)(void *arg), void *arg)
{
	snprintf(fe.leave_also, sizeof(fe.leave_also), "%s", also != NULL ? also : "");
	fe.leave_also_version = also_version;
	fe.leaves++;
	fe.leaving = true;
	e->leave_done = done;
	e->leave_arg = arg;
	e->znode[0] = '\0';
}

void
election_close(struct election *e)
{
	(void)e;
	fe.closes++;
}

void
election_set_grace(struct election *e, int64_t grace_ms)
{
	(void)e;
	(void)grace_ms;
}

const char *
election_znode(const struct election *e)
{
	return e->znode[0] ? e->znode : NULL;
}

int64_t
election_session_id(const struct election *e)
{
	(void)e;
	return 0x1001;
}

const char *
election_zk_state(const struct election *e)
{
	(void)e;
	return "connected";
}

const struct zk_counters *
election_zk_counters(const struct election *e)
{
	return &e->counters;
}

bool
election_client(const struct election *e, struct zk_client *c)
{
	(void)e;
	memset(c, 0, sizeof(*c));
	c->id = 0x1001;
	c->timeout_ms = 10000;
	return true;
}

const char *
election_guid(const struct election *e)
{
	(void)e;
	return "0123456789abcdef0123456789abcdef";
}

char *const *
election_listing(const struct election *e, int *n)
{
	(void)e;
	*n = 0;
	return NULL;
}

const char *
election_predecessor(const struct election *e)
{
	(void)e;
	return fe.pred[0] ? fe.pred : NULL;
}

bool
election_entitled(const struct election *e)
{
	(void)e;
	return fe.entitled;
}

/* --- what the test reports --- */

void
fe_elected(int64_t epoch)
{
	struct leader_info self;

	snprintf(cur->znode, sizeof(cur->znode), "%s/n_0000000000000001_%s-%010lld", cur->path,
	    cur->id, (long long)epoch);
	self.id = cur->id;
	self.data = cur->data;
	self.epoch = epoch;
	self.znode = cur->znode;
	cur->cb.elected(cur->arg, &self);
}

void
fe_unelected(enum election_loss why)
{
	cur->cb.unelected(cur->arg, why);
}

void
fe_out(enum election_loss why)
{
	cur->znode[0] = '\0';
	cur->cb.out(cur->arg, why);
}

void
fe_joined(void)
{
	if (cur->znode[0] == '\0')
		snprintf(cur->znode, sizeof(cur->znode), "%s/n_0000000000000001_%s-0000000009",
		    cur->path, cur->id);
	cur->cb.joined(cur->arg);
}

void
fe_behind(void)
{
	cur->cb.behind(cur->arg);
}

void
fe_leader(const char *id, int64_t epoch)
{
	struct leader_info li;
	char znode[256];

	snprintf(znode, sizeof(znode), "%s/n_0000000000000002_%s-0000000001", cur->path, id);
	li.id = id;
	li.data = id;
	li.epoch = epoch;
	li.znode = znode;
	cur->cb.leader(cur->arg, &li);
}

void
fe_session(enum zk_event ev)
{
	cur->cb.session(cur->arg, ev);
}

void
fe_left(void)
{
	void (*done)(void *) = cur->leave_done;

	fe.leaving = false;
	cur->leave_done = NULL;
	done(cur->leave_arg);
}

void
fe_reset(void)
{
	memset(&fe, 0, sizeof(fe));
}

struct zk *
election_zk(struct election *e)
{
	(void)e;
	return NULL;
}

void
election_forward_watches(struct election *e, zk_watch_fn *fn, void *arg)
{
	(void)e;
	(void)fn;
	(void)arg;
}
