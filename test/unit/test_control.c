/*
 * Unit tests of control.c against fake_zk: when the breadcrumb counts as known
 * (docs/fencing.md). Every watch that fires on it makes it unknown until a read
 * sent after the event is answered; the answer of a read sent before is dropped,
 * as is every answer of an old session.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <zookeeper/zookeeper.h>

#include "breadcrumb.h"
#include "control.h"
#include "fake_zk.h"

#define PATH "/e"
#define PRIMARY PATH "/" PRIMARY_ZNODE

/* One control under test, on its own fake session. */
struct t {
	struct zk *zk;
	struct control *c;
	int primary_reports;
};

static void
on_switchover(void *arg, const struct switchover *req, int32_t version,
    const struct znode_name *line, size_t n)
{
	(void)arg;
	(void)req;
	(void)version;
	(void)line;
	(void)n;
}

static void
on_written(void *arg, const struct switchover *req, bool ok)
{
	(void)arg;
	(void)req;
	(void)ok;
}

static void
on_pause(void *arg, const struct pause_record *rec, int64_t mzxid)
{
	(void)arg;
	(void)rec;
	(void)mzxid;
}

static void
on_primary(void *arg)
{
	((struct t *)arg)->primary_reports++;
}

static void
on_primary_written(void *arg, bool ok)
{
	(void)arg;
	(void)ok;
}

static void
on_exit_read(void *arg)
{
	(void)arg;
}

static void
on_line(void *arg, const struct line_entry *line, size_t n)
{
	(void)arg;
	(void)line;
	(void)n;
}

static void
on_amended(void *arg, bool found)
{
	(void)arg;
	(void)found;
}

static const struct control_callbacks callbacks = {
	on_switchover, on_written, on_pause, on_primary, on_primary_written, on_exit_read,
	on_line, on_amended,
};

/* The session's events go to the control, as the election forwards them. */
static void
forward_session(void *arg, enum zk_event ev)
{
	control_session(((struct t *)arg)->c, ev);
}

static void
forward_watch(void *arg, int type, const char *path)
{
	control_on_watch(((struct t *)arg)->c, type, path);
}

/* The reads a new session sends, answered: nothing is there. */
static void
answer_startup_reads(struct t *t)
{
	struct fake_call *call;

	while ((call = fake_zk_take(t->zk, FZ_GET, PATH "/")) != NULL)
		fake_reply(call, ZNONODE);
	while ((call = fake_zk_take(t->zk, FZ_EXISTS, PATH "/")) != NULL)
		fake_reply(call, ZNONODE);
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	t->zk = zk_new(NULL, forward_session, forward_watch, t);
	t->c = control_new(t->zk, PATH, &callbacks, t);
	fake_zk_connect(t->zk, 0x1001);
	answer_startup_reads(t);
	t->primary_reports = 0;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	control_free(t->c);
	zk_free(t->zk);
	free(t);
	return 0;
}

/* What control_primary says now: 'u'nknown, 'n'one or 's'ome. */
static char
primary_now(const struct t *t)
{
	struct primary_record rec;

	switch (control_primary(t->c, &rec)) {
	case CONTROL_UNKNOWN:
		return 'u';
	case CONTROL_NONE:
		return 'n';
	default:
		return 's';
	}
}

/* Answer the breadcrumb's get with a breadcrumb naming ID. */
static void
reply_breadcrumb(struct fake_call *call, const char *id)
{
	struct primary_record rec;
	size_t len;
	char *buf;

	memset(&rec, 0, sizeof(rec));
	strcpy(rec.id, id);
	rec.epoch = 7;
	buf = primary_encode(&rec, &len);
	fake_reply_data(call, buf, len, 100);
	free(buf);
}

/* A watch that fires: unknown, and read again. */
static void
test_event_reads_again(void **state)
{
	struct t *t = *state;
	struct fake_call *call;

	assert_int_equal(primary_now(t), 'n');
	fake_zk_watch(t->zk, ZOO_CREATED_EVENT, PRIMARY);
	assert_int_equal(primary_now(t), 'u');
	call = fake_zk_take(t->zk, FZ_GET, PRIMARY);
	assert_non_null(call);
	reply_breadcrumb(call, "db1");
	assert_int_equal(primary_now(t), 's');
	assert_int_equal(t->primary_reports, 1);
}

/*
 * A read on its way when the watch fires is not trusted: its answer is
 * dropped, and only the read sent after the event makes the breadcrumb known.
 */
static void
test_read_before_event_dropped(void **state)
{
	struct t *t = *state;
	struct fake_call *before, *call;

	fake_zk_watch(t->zk, ZOO_CREATED_EVENT, PRIMARY);
	before = fake_zk_take(t->zk, FZ_GET, PRIMARY);
	fake_zk_watch(t->zk, ZOO_DELETED_EVENT, PRIMARY);
	reply_breadcrumb(before, "db1");
	assert_int_equal(primary_now(t), 'u');
	assert_int_equal(t->primary_reports, 0);
	fake_reply(fake_zk_take(t->zk, FZ_GET, PRIMARY), ZNONODE);
	assert_int_equal(primary_now(t), 'n');
	assert_int_equal(t->primary_reports, 1);
	/* no data watch from a get that found nothing: exists arms one for its creation */
	call = fake_zk_take(t->zk, FZ_EXISTS, PRIMARY);
	assert_non_null(call);
	fake_call_free(call);
}

/* A new session forgets what the old one read, and reads every node again. */
static void
test_new_session_reads_again(void **state)
{
	struct t *t = *state;
	unsigned long gets;

	fake_zk_watch(t->zk, ZOO_CREATED_EVENT, PRIMARY);
	reply_breadcrumb(fake_zk_take(t->zk, FZ_GET, PRIMARY), "db1");
	assert_int_equal(primary_now(t), 's');
	gets = fake_zk_count(t->zk, FZ_GET);
	fake_zk_connect(t->zk, 0x1002);
	assert_int_equal(primary_now(t), 'u');
	assert_int_equal(fake_zk_count(t->zk, FZ_GET), gets + 3);	/* every node again */
	reply_breadcrumb(fake_zk_take(t->zk, FZ_GET, PRIMARY), "db2");
	assert_int_equal(primary_now(t), 's');
}

/* The same session back after a loss: read again, but what was read still holds. */
static void
test_reconnect_reads_again(void **state)
{
	struct t *t = *state;
	unsigned long gets = fake_zk_count(t->zk, FZ_GET);

	fake_zk_event(t->zk, ZK_EV_SUSPENDED);
	fake_zk_event(t->zk, ZK_EV_RECONNECTED);
	assert_int_equal(primary_now(t), 'n');
	assert_int_equal(fake_zk_count(t->zk, FZ_GET), gets + 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_event_reads_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_before_event_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_session_reads_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_reads_again, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
