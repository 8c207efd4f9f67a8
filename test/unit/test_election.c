/*
 * Unit tests of election.c against fake_zk: each test drives the recipe step
 * by step, answering the calls it makes the way a server would, and asserts
 * the calls it makes and what it reports to the role layer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "election.h"
#include "fake_zk.h"
#include "log.h"
#include "xmalloc.h"
#include "znode.h"

#define PATH "/e"
#define ANNOUNCE PATH "/" ZNODE_ANNOUNCE
#define SESSION 0x1001
#define G2 "2222222222222222"
#define G3 "3333333333333333"

/* One election under test and what it reported. */
struct t {
	struct event_base *base;
	struct election *e;
	struct zk *zk;
	char prefix[200];	/* PATH/n_GUID_ID- of our znodes */
	char own[256];		/* our znode now */
	char log[2048];		/* what the election reported, "; "-separated */
};

/* --- what the election reports --- */

static void
note(struct t *t, const char *fmt, ...)
{
	size_t off = strlen(t->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->log + off, sizeof(t->log) - off, fmt, ap);
	va_end(ap);
	off = strlen(t->log);
	snprintf(t->log + off, sizeof(t->log) - off, "; ");
}

static const char *
loss_name(enum election_loss why)
{
	return why == LOSS_CONNECTION ? "connection" : why == LOSS_EXPIRED ? "expired" :
	    "deleted";
}

static void
cb_elected(void *arg, const struct leader_info *self)
{
	note(arg, "elected %" PRId64, self->epoch);
}

static void
cb_unelected(void *arg, enum election_loss why)
{
	note(arg, "unelected %s", loss_name(why));
}

static void
cb_out(void *arg, enum election_loss why)
{
	note(arg, "out %s", loss_name(why));
}

static void
cb_joined(void *arg)
{
	note(arg, "joined");
}

static void
cb_leader(void *arg, const struct leader_info *li)
{
	note(arg, "leader %s %" PRId64, li->id, li->epoch);
}

static void
cb_session(void *arg, enum zk_event ev)
{
	(void)arg;
	(void)ev;
}

static void
cb_behind(void *arg)
{
	(void)arg;
}

static const struct election_callbacks callbacks = {
	cb_elected, cb_unelected, cb_out, cb_joined, cb_leader, cb_session, cb_behind,
};

/* --- set-up --- */

static struct t *
new_election(const char *path, const char *id, bool observer)
{
	struct t *t = xcalloc(1, sizeof(*t));
	struct election_settings s;

	memset(&s, 0, sizeof(s));
	s.zk.hosts = "127.0.0.1:1";
	s.zk.session_timeout_ms = 3000;
	s.path = path;
	s.id = id;
	s.data = id;
	s.observer = observer;
	t->base = event_base_new();
	t->e = election_new(t->base, &s, &callbacks, t);
	t->zk = fake_zk_last();
	return t;
}

static int
setup_follower(void **state)
{
	*state = new_election(PATH, "n1", false);
	return 0;
}

static int
setup_observer(void **state)
{
	*state = new_election(PATH, "obs", true);
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	election_free(t->e);
	event_base_free(t->base);
	free(t);
	return 0;
}

/* --- driving the fake --- */

/* Take the waiting call OP on PATH (a prefix), or fail naming what does wait. */
static struct fake_call *
expect(struct t *t, enum fake_op op, const char *path)
{
	struct fake_call *c = fake_zk_take(t->zk, op, path);

	if (c == NULL)
		fail_msg("expected a call on %s; waiting: %s", path, fake_zk_describe(t->zk));
	return c;
}

/* Nothing more waits for an answer. */
static void
expect_idle(struct t *t)
{
	if (fake_zk_pending(t->zk) != 0)
		fail_msg("unexpected calls: %s", fake_zk_describe(t->zk));
}

/* The child name of another contender: guid G, id ID, sequence SEQ. */
static const char *
other(char *buf, size_t len, const char *g, const char *id, int seq)
{
	snprintf(buf, len, "n_%s_%s-%010d", g, id, seq);
	return buf;
}

/* Answer our create with sequence SEQ; then answer the listing with CHILDREN. */
static void
created(struct t *t, int seq, int64_t czxid)
{
	struct fake_call *c = expect(t, FZ_CREATE, PATH "/n_");

	snprintf(t->prefix, sizeof(t->prefix), "%s", c->path);
	snprintf(t->own, sizeof(t->own), "%s%010d", t->prefix, seq);
	assert_int_equal(c->mode, ZOO_EPHEMERAL_SEQUENTIAL);
	fake_reply_created(c, t->own, czxid, SESSION);
}

/* Answer the listing (our znode among NAMES) and the ownership check sent with it. */
static void
listed(struct t *t, const char *const *names, int n, int64_t czxid)
{
	struct fake_call *c;

	fake_reply_children(expect(t, FZ_CHILDREN, PATH), names, n);
	c = expect(t, FZ_EXISTS, t->own);
	assert_true(c->watch);
	fake_reply_stat(c, czxid, SESSION);
}

/* Answer a get of the announcement with LEADER's announcement at EPOCH. */
static void
announced(struct fake_call *c, const char *znode, const char *id, int64_t epoch)
{
	struct announce a = { epoch, (char *)(uintptr_t)znode, (char *)(uintptr_t)id,
		(char *)(uintptr_t)id };
	size_t len;
	char *buf = announce_encode(&a, &len);

	fake_reply_data(c, buf, len, 7);
	free(buf);
}

/*
 * Answer a get of the announcement with LEADER's announcement at EPOCH, then
 * the check that the named znode is alive with that czxid: it is believed.
 */
static void
believed(struct t *t, struct fake_call *c, const char *znode, const char *id, int64_t epoch)
{
	char path[256];

	announced(c, znode, id, epoch);
	snprintf(path, sizeof(path), PATH "/%s", znode);
	c = expect(t, FZ_EXISTS, path);
	assert_false(c->watch);
	fake_reply_stat(c, epoch, 0x2002);
}

/*
 * Join behind N2 (sequence 0, its name into N2, 64 bytes): created with sequence
 * SEQ, listed, the predecessor watch set; the announcement's read is left waiting.
 */
static void
queue_behind_n2(struct t *t, int seq, char *n2)
{
	const char *names[2];
	struct fake_call *c;

	election_join(t->e);
	created(t, seq, 100 + seq);
	names[0] = other(n2, 64, G2, "n2", 0);
	names[1] = strrchr(t->own, '/') + 1;
	listed(t, names, 2, 100 + seq);
	c = expect(t, FZ_GET, PATH "/n_" G2);
	assert_true(c->watch);
	fake_reply_data(c, "", 0, 50);
}

/* Join as a follower behind N2 (sequence 0), the announcement read (N2 at EPOCH). */
static void
follow_n2(struct t *t, int seq, int64_t epoch)
{
	char n2[64];
	struct fake_call *c;

	queue_behind_n2(t, seq, n2);
	c = expect(t, FZ_GET, ANNOUNCE);
	assert_true(c->watch);
	believed(t, c, n2, "n2", epoch);
	expect_idle(t);
}

/* --- the tests --- */

/*
 * The interleaving of issue "a follower can miss the new leader": the whole
 * path is deleted. The announcement's deletion is seen first (a read of it is
 * sent), then our znode's; we join again on a new path and must read the
 * announcement again, although the first read's answer came after the rejoin
 * began (it used to be dropped as stale and leave a "watched" flag behind).
 */
static void
test_path_deleted_announcement_read_again(void **state)
{
	struct t *t = *state;
	struct fake_call *c;
	char n3[64];
	const char *names[2];

	fake_zk_connect(t->zk, SESSION);
	follow_n2(t, 1, 50);
	assert_string_equal(t->log, "joined; leader n2 50; ");
	t->log[0] = '\0';

	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, ANNOUNCE);
	c = expect(t, FZ_GET, ANNOUNCE);	/* sent before the rejoin */
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, t->own);
	assert_string_equal(t->log, "out deleted; ");
	t->log[0] = '\0';
	election_join(t->e);			/* the role layer joins again */
	fake_reply(c, ZNONODE);			/* answered in order: before the create */
	c = expect(t, FZ_EXISTS, ANNOUNCE);	/* a watch for its creation */
	fake_reply(expect(t, FZ_CREATE, PATH "/n_"), ZNONODE);
	fake_reply(c, ZNONODE);
	fake_reply(expect(t, FZ_CREATE, PATH), ZOK);	/* the path again */
	created(t, 1, 300);
	names[0] = other(n3, sizeof(n3), G3, "n3", 0);
	names[1] = strrchr(t->own, '/') + 1;
	listed(t, names, 2, 300);
	fake_reply_data(expect(t, FZ_GET, PATH "/n_" G3), "", 0, 200);
	/* n3 announced meanwhile: the creation watch fires, or the join reads it */
	c = expect(t, FZ_GET, ANNOUNCE);
	believed(t, c, n3, "n3", 200);
	assert_string_equal(t->log, "joined; leader n3 200; ");
	fake_zk_watch(t->zk, ZOO_CREATED_EVENT, ANNOUNCE);	/* the creation watch, late */
	announced(expect(t, FZ_GET, ANNOUNCE), n3, "n3", 200);
	assert_string_equal(t->log, "joined; leader n3 200; ");	/* reported once */
	expect_idle(t);
}

/*
 * The same, but the path was back and n3 had announced before the old read was
 * answered: that answer reaches us while our create is in flight, when we are
 * in no queue to follow in; the join must read the announcement again.
 */
static void
test_path_deleted_read_answered_while_joining(void **state)
{
	struct t *t = *state;
	struct fake_call *old;
	char n3[64];
	const char *names[2];

	fake_zk_connect(t->zk, SESSION);
	follow_n2(t, 1, 50);
	t->log[0] = '\0';
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, ANNOUNCE);
	old = expect(t, FZ_GET, ANNOUNCE);
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, t->own);
	election_join(t->e);
	other(n3, sizeof(n3), G3, "n3", 0);
	announced(old, n3, "n3", 200);
	assert_string_equal(t->log, "out deleted; ");	/* not followed from outside the queue */
	created(t, 1, 300);
	names[0] = n3;
	names[1] = strrchr(t->own, '/') + 1;
	listed(t, names, 2, 300);
	fake_reply_data(expect(t, FZ_GET, PATH "/n_" G3), "", 0, 200);
	believed(t, expect(t, FZ_GET, ANNOUNCE), n3, "n3", 200);
	assert_string_equal(t->log, "out deleted; joined; leader n3 200; ");
	expect_idle(t);
}

/* A follower's announcement read lost to a connection loss is sent again on reconnect. */
static void
test_announcement_read_lost_follower(void **state)
{
	struct t *t = *state;
	char n2[64];
	const char *names[2];

	fake_zk_connect(t->zk, SESSION);
	queue_behind_n2(t, 1, n2);
	names[0] = n2;
	names[1] = strrchr(t->own, '/') + 1;
	fake_zk_event(t->zk, ZK_EV_SUSPENDED);
	fake_reply(expect(t, FZ_GET, ANNOUNCE), ZCONNECTIONLOSS);
	fake_zk_event(t->zk, ZK_EV_RECONNECTED);
	listed(t, names, 2, 101);
	fake_reply_data(expect(t, FZ_GET, PATH "/n_" G2), "", 0, 50);
	believed(t, expect(t, FZ_GET, ANNOUNCE), n2, "n2", 50);
	assert_string_equal(t->log, "joined; leader n2 50; ");
	expect_idle(t);
}

/* An observer's exists on a missing announcement lost to a connection loss: read again. */
static void
test_announcement_exists_lost_observer(void **state)
{
	struct t *t = *state;
	char n2[64];

	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	other(n2, sizeof(n2), G2, "n2", 0);
	fake_reply(expect(t, FZ_GET, ANNOUNCE), ZNONODE);
	fake_zk_event(t->zk, ZK_EV_SUSPENDED);
	fake_reply(expect(t, FZ_EXISTS, ANNOUNCE), ZCONNECTIONLOSS);
	fake_zk_event(t->zk, ZK_EV_RECONNECTED);
	believed(t, expect(t, FZ_GET, ANNOUNCE), n2, "n2", 50);
	assert_string_equal(t->log, "joined; leader n2 50; ");
	expect_idle(t);
}

/* An observer with a watch armed does not read again on a reconnect (herd-free). */
static void
test_observer_reconnect_no_reread(void **state)
{
	struct t *t = *state;
	char n2[64];

	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	other(n2, sizeof(n2), G2, "n2", 0);
	believed(t, expect(t, FZ_GET, ANNOUNCE), n2, "n2", 50);
	fake_zk_event(t->zk, ZK_EV_SUSPENDED);
	fake_zk_event(t->zk, ZK_EV_RECONNECTED);
	expect_idle(t);
	assert_int_equal(fake_zk_count(t->zk, FZ_GET), 1);
}

/* A predecessor's deletion lists again, and reads no announcement while one is watched. */
static void
test_predecessor_gone_herd_free(void **state)
{
	struct t *t = *state;
	char n2[64], n3[64];
	const char *names[3];

	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	created(t, 2, 102);
	names[0] = other(n2, sizeof(n2), G2, "n2", 0);
	names[1] = other(n3, sizeof(n3), G3, "n3", 1);
	names[2] = strrchr(t->own, '/') + 1;
	listed(t, names, 3, 102);
	fake_reply_data(expect(t, FZ_GET, PATH "/n_" G3), "", 0, 60);
	believed(t, expect(t, FZ_GET, ANNOUNCE), n2, "n2", 50);
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, PATH "/n_" G3 "_n3-0000000001");
	names[1] = names[2];
	listed(t, names, 2, 102);
	fake_reply_data(expect(t, FZ_GET, PATH "/n_" G2), "", 0, 50);
	expect_idle(t);	/* no second read of the announcement */
	assert_int_equal(fake_zk_count(t->zk, FZ_GET), 3);
}

/* The predecessor vanishes between the listing and the watch: list again (rule 3). */
static void
test_predecessor_vanishes(void **state)
{
	struct t *t = *state;
	struct fake_call *c;
	char n2[64];
	const char *names[2];

	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	created(t, 1, 101);
	names[0] = other(n2, sizeof(n2), G2, "n2", 0);
	names[1] = strrchr(t->own, '/') + 1;
	listed(t, names, 2, 101);
	fake_reply(expect(t, FZ_GET, PATH "/n_" G2), ZNONODE);
	fake_reply(expect(t, FZ_GET, ANNOUNCE), ZNONODE);
	fake_reply(expect(t, FZ_EXISTS, ANNOUNCE), ZNONODE);
	listed(t, names + 1, 1, 101);
	assert_string_equal(t->log, "joined; elected 101; ");
	fake_reply(expect(t, FZ_GET, ANNOUNCE), ZNONODE);	/* the leader announces */
	c = expect(t, FZ_CREATE, ANNOUNCE);
	assert_int_equal(c->mode, ZOO_PERSISTENT);
	fake_call_free(c);
}

/* A leader whose announcement is deleted by hand writes it again. */
static void
test_leader_rewrites_deleted_announcement(void **state)
{
	struct t *t = *state;
	const char *names[1];
	struct fake_call *c;
	struct announce a;

	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	created(t, 0, 100);
	names[0] = strrchr(t->own, '/') + 1;
	listed(t, names, 1, 100);
	assert_string_equal(t->log, "joined; elected 100; ");
	c = expect(t, FZ_GET, ANNOUNCE);
	assert_true(c->watch);
	fake_reply(c, ZNONODE);
	c = expect(t, FZ_CREATE, ANNOUNCE);
	fake_reply_created(c, ANNOUNCE, 110, 0);
	fake_reply(expect(t, FZ_EXISTS, ANNOUNCE), ZOK);
	expect_idle(t);
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, ANNOUNCE);
	fake_reply(expect(t, FZ_GET, ANNOUNCE), ZNONODE);
	c = expect(t, FZ_CREATE, ANNOUNCE);
	assert_true(announce_decode(c->data, c->len, &a));
	assert_int_equal(a.epoch, 100);
	assert_string_equal(a.id, "n1");
	announce_free(&a);
	fake_reply(c, ZOK);
}

/*
 * A forged announcement (an epoch no live contender has, naming a znode that
 * does not exist) is not followed; the leader's correction is (R06).
 */
static void
test_forged_announcement_not_followed(void **state)
{
	struct t *t = *state;
	char n2[64];
	struct fake_call *c;

	fake_zk_connect(t->zk, SESSION);
	queue_behind_n2(t, 1, n2);
	announced(expect(t, FZ_GET, ANNOUNCE), "n_" G3 "_ghost-0000009999", "ghost", 999999);
	c = expect(t, FZ_EXISTS, PATH "/n_" G3 "_ghost-0000009999");
	fake_reply(c, ZNONODE);
	assert_string_equal(t->log, "joined; ");	/* the ghost is not followed */
	fake_zk_watch(t->zk, ZOO_CHANGED_EVENT, ANNOUNCE);	/* the leader corrects it */
	believed(t, expect(t, FZ_GET, ANNOUNCE), n2, "n2", 50);
	assert_string_equal(t->log, "joined; leader n2 50; ");
	/* a live znode whose czxid is not the announced epoch is not believed either */
	fake_zk_watch(t->zk, ZOO_CHANGED_EVENT, ANNOUNCE);
	announced(expect(t, FZ_GET, ANNOUNCE), n2, "n2", 60);
	fake_reply_stat(expect(t, FZ_EXISTS, PATH "/n_" G2), 50, 0x2002);
	assert_string_equal(t->log, "joined; leader n2 50; ");
	expect_idle(t);
}

/* Elect ourselves alone (epoch 100) and take the leader's read of the announcement. */
static struct fake_call *
elected_alone(struct t *t)
{
	const char *names[1];

	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	created(t, 0, 100);
	names[0] = strrchr(t->own, '/') + 1;
	listed(t, names, 1, 100);
	assert_string_equal(t->log, "joined; elected 100; ");
	return expect(t, FZ_GET, ANNOUNCE);
}

/* A leader finding a greater epoch that no live contender holds replaces it (R06). */
static void
test_leader_replaces_forged_announcement(void **state)
{
	struct t *t = *state;
	struct fake_call *c = elected_alone(t);
	struct announce a;

	announced(c, "n_" G3 "_ghost-0000009999", "ghost", 999999);
	fake_reply(expect(t, FZ_EXISTS, PATH "/n_" G3 "_ghost-0000009999"), ZNONODE);
	c = expect(t, FZ_SET, ANNOUNCE);
	assert_int_equal(c->version, 0);	/* the version read: a newer write wins */
	assert_true(announce_decode(c->data, c->len, &a));
	assert_int_equal(a.epoch, 100);
	assert_string_equal(a.id, "n1");
	announce_free(&a);
	fake_reply(c, ZOK);
	expect_idle(t);
}

static void
leave_cb(void *arg)
{
	note(arg, "left");
}

/* Elected alone, the announcement's read forgotten: ready to leave. */
static void
leader_to_leave(struct t *t)
{
	fake_call_free(elected_alone(t));
	t->log[0] = '\0';
}

/* A leave with another znode (the breadcrumb) deletes both in one transaction. */
static void
test_leave_with_another_znode(void **state)
{
	struct t *t = *state;
	struct fake_call *c;

	leader_to_leave(t);
	election_leave_with(t->e, PATH "/primary", 3, leave_cb, t);
	c = expect(t, FZ_DELETE2, t->own);
	assert_string_equal(c->data, PATH "/primary");
	assert_int_equal(c->version, 3);
	fake_reply(c, ZOK);
	assert_string_equal(t->log, "left; ");
	expect_idle(t);
}

/* The transaction refused (the other znode changed): each on its own, ours as usual. */
static void
test_leave_with_refused(void **state)
{
	struct t *t = *state;
	struct fake_call *c;

	leader_to_leave(t);
	election_leave_with(t->e, PATH "/primary", 3, leave_cb, t);
	fake_reply(expect(t, FZ_DELETE2, t->own), ZBADVERSION);
	c = expect(t, FZ_DELETE, PATH "/primary");
	assert_int_equal(c->version, 3);	/* a newer breadcrumb stays */
	fake_reply(c, ZBADVERSION);
	assert_string_equal(t->log, "");
	fake_reply(expect(t, FZ_DELETE, t->own), ZOK);
	assert_string_equal(t->log, "left; ");
	expect_idle(t);
}

/* A greater epoch that a live contender does hold is left alone. */
static void
test_leader_keeps_live_greater_announcement(void **state)
{
	struct t *t = *state;
	struct fake_call *c = elected_alone(t);

	announced(c, "n_" G2 "_n2-0000000007", "n2", 500);
	fake_reply_stat(expect(t, FZ_EXISTS, PATH "/n_" G2 "_n2-0000000007"), 500, 0x2002);
	expect_idle(t);	/* no write */
}

/*
 * Stale completions: a listing and ownership check sent for a znode that is
 * then deleted are answered after the rejoin began; though they would make us
 * the lowest, they belong to the old join and change nothing (rule 9).
 */
static void
test_stale_listing_ignored(void **state)
{
	struct t *t = *state;
	struct fake_call *lst, *own;
	char old[256];
	const char *names[1];

	fake_zk_connect(t->zk, SESSION);
	follow_n2(t, 1, 50);
	t->log[0] = '\0';
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, PATH "/n_" G2 "_n2-0000000000");
	lst = expect(t, FZ_CHILDREN, PATH);
	own = expect(t, FZ_EXISTS, t->own);
	snprintf(old, sizeof(old), "%s", strrchr(t->own, '/') + 1);
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, t->own);
	election_join(t->e);
	names[0] = old;
	fake_reply_children(lst, names, 1);	/* would make the old znode the lowest */
	fake_reply_stat(own, 101, SESSION);
	assert_string_equal(t->log, "out deleted; ");	/* no election from a stale answer */
	created(t, 2, 102);
	assert_string_equal(t->log, "out deleted; joined; ");
}

/* A create whose answer is lost: the reconnect adopts the znode by its prefix (rule 1). */
static void
test_lost_create_adopted(void **state)
{
	struct t *t = *state;
	struct fake_call *c;
	char name[128];
	const char *names[1];

	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	c = expect(t, FZ_CREATE, PATH "/n_");
	snprintf(t->own, sizeof(t->own), "%s0000000004", c->path);
	fake_zk_event(t->zk, ZK_EV_SUSPENDED);
	fake_reply(c, ZCONNECTIONLOSS);
	expect_idle(t);	/* nothing created blindly */
	fake_zk_event(t->zk, ZK_EV_RECONNECTED);
	snprintf(name, sizeof(name), "%s", strrchr(t->own, '/') + 1);
	names[0] = name;
	fake_reply_children(expect(t, FZ_CHILDREN, PATH), names, 1);
	fake_reply_stat(expect(t, FZ_EXISTS, t->own), 104, SESSION);
	assert_string_equal(t->log, "joined; ");
	listed(t, names, 1, 104);
	assert_string_equal(t->log, "joined; elected 104; ");
}

/* A parent chain cut short by an expiry starts again from the top (rule 21). */
static void
test_parent_chain_restarts(void **state)
{
	struct t *t;
	struct fake_call *c;

	teardown(state);
	t = new_election("/a/b", "n1", false);
	*state = t;
	fake_zk_connect(t->zk, SESSION);
	election_join(t->e);
	fake_reply(expect(t, FZ_CREATE, "/a/b/n_"), ZNONODE);
	c = expect(t, FZ_CREATE, "/a");	/* in flight when the session expires */
	fake_call_free(c);
	fake_zk_event(t->zk, ZK_EV_EXPIRED);
	fake_zk_connect(t->zk, SESSION + 1);
	election_join(t->e);
	fake_reply(expect(t, FZ_CREATE, "/a/b/n_"), ZNONODE);
	c = expect(t, FZ_CREATE, "/a");
	assert_string_equal(c->path, "/a");
	fake_call_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_deleted_announcement_read_again,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_path_deleted_read_answered_while_joining,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_announcement_read_lost_follower,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_announcement_exists_lost_observer,
		    setup_observer, teardown),
		cmocka_unit_test_setup_teardown(test_observer_reconnect_no_reread,
		    setup_observer, teardown),
		cmocka_unit_test_setup_teardown(test_predecessor_gone_herd_free,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_predecessor_vanishes, setup_follower,
		    teardown),
		cmocka_unit_test_setup_teardown(test_leader_rewrites_deleted_announcement,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_forged_announcement_not_followed,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_leader_replaces_forged_announcement,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_leave_with_another_znode, setup_follower,
		    teardown),
		cmocka_unit_test_setup_teardown(test_leave_with_refused, setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_leader_keeps_live_greater_announcement,
		    setup_follower, teardown),
		cmocka_unit_test_setup_teardown(test_stale_listing_ignored, setup_follower,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lost_create_adopted, setup_follower,
		    teardown),
		cmocka_unit_test_setup_teardown(test_parent_chain_restarts, setup_follower,
		    teardown),
	};

	log_init("test_election", LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
