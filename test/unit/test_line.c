/*
 * Unit tests of line.c against fake_zk: the priorities read once are known by
 * znode name, so a node elected from a listing whose contenders it read ahead
 * decides with no round trip; names it does not know are read, and only those.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_zk.h"
#include "line.h"
#include "znode.h"

#define PATH "/e"
#define A "n_000000000000000a_a-0000000001"
#define B "n_000000000000000b_b-0000000002"
#define C "n_000000000000000c_c-0000000003"

/* One line under test and its last report. */
struct t {
	struct zk *zk;
	struct line *l;
	int reports;
	char said[256];		/* "id:priority " for each contender of the last report */
};

static void
on_line(void *arg, const struct line_entry *line, size_t n)
{
	struct t *t = arg;
	size_t off = 0;

	t->reports++;
	t->said[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(t->said + off, sizeof(t->said) - off, "%s:%d ", line[i].id,
		    line[i].priority);
}

static void
ignore_session(void *arg, enum zk_event ev)
{
	(void)arg;
	(void)ev;
}

static void
ignore_watch(void *arg, int type, const char *path)
{
	(void)arg;
	(void)type;
	(void)path;
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	t->zk = zk_new(NULL, ignore_session, ignore_watch, NULL);
	fake_zk_connect(t->zk, 0x1001);
	t->l = line_new(t->zk, PATH, on_line, t);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	line_free(t->l);
	zk_free(t->zk);
	free(t);
	return 0;
}

/* Answer the waiting get of contender NAME with PRIORITY. */
static void
answer_get(struct t *t, const char *name, int priority)
{
	char path[128];
	size_t len;
	char *buf = contender_encode(priority, "", &len);
	struct fake_call *c;

	snprintf(path, sizeof(path), PATH "/%s", name);
	c = fake_zk_take(t->zk, FZ_GET, path);
	assert_non_null(c);
	fake_reply_data(c, buf, len, 1);
	free(buf);
}

/* Answer the waiting listing with NAMES (N). */
static void
answer_children(struct t *t, const char *const *names, int n)
{
	struct fake_call *c = fake_zk_take(t->zk, FZ_CHILDREN, PATH);

	assert_non_null(c);
	fake_reply_children(c, names, n);
}

/* A listing given: the names not known are read, then reported in order. */
static void
test_listed_reads_what_is_unknown(void **state)
{
	struct t *t = *state;
	char *names[] = { B, A, "primary" };

	line_read_listed(t->l, names, 3);
	assert_int_equal(fake_zk_count(t->zk, FZ_CHILDREN), 0);	/* no second listing */
	assert_int_equal(fake_zk_pending(t->zk), 2);
	answer_get(t, A, 100);
	assert_int_equal(t->reports, 0);
	answer_get(t, B, 200);
	assert_int_equal(t->reports, 1);
	assert_string_equal(t->said, "a:100 b:200 ");

	/* read once, known: the same line again costs nothing and is reported at once */
	line_read_listed(t->l, names, 3);
	assert_int_equal(fake_zk_pending(t->zk), 0);
	assert_int_equal(t->reports, 2);
	assert_string_equal(t->said, "a:100 b:200 ");
}

/* Next in line: the line read ahead, so the listing that elects decides at once. */
static void
test_prefetch_makes_the_election_free(void **state)
{
	struct t *t = *state;
	const char *now[] = { A, B, C };
	const char *later[] = { B, C };
	char *elected[] = { B, C };

	line_prefetch(t->l, true);
	answer_children(t, now, 3);
	answer_get(t, A, 100);
	answer_get(t, B, 100);
	answer_get(t, C, 200);
	assert_int_equal(fake_zk_pending(t->zk), 0);

	/* A leaves; the line changes: listed again, nothing new to read */
	line_on_change(t->l);
	answer_children(t, later, 2);
	assert_int_equal(fake_zk_pending(t->zk), 0);

	line_prefetch(t->l, false);
	line_read_listed(t->l, elected, 2);
	assert_int_equal(fake_zk_pending(t->zk), 0);
	assert_int_equal(t->reports, 1);
	assert_string_equal(t->said, "b:100 c:200 ");
}

/* A newcomer behind is read when the line changes, and only it. */
static void
test_prefetch_reads_newcomers_only(void **state)
{
	struct t *t = *state;
	const char *first[] = { A, B };
	const char *then[] = { A, B, C };

	line_prefetch(t->l, true);
	answer_children(t, first, 2);
	answer_get(t, A, 100);
	answer_get(t, B, 100);
	line_on_change(t->l);
	answer_children(t, then, 3);
	assert_int_equal(fake_zk_pending(t->zk), 1);
	answer_get(t, C, 50);
	assert_int_equal(fake_zk_count(t->zk, FZ_GET), 3);
}

/* After line_forget (a new znode of ours: maybe a new path), names are read again. */
static void
test_forget_reads_again(void **state)
{
	struct t *t = *state;
	char *names[] = { A };

	line_read_listed(t->l, names, 1);
	answer_get(t, A, 100);
	line_forget(t->l);
	line_read_listed(t->l, names, 1);
	assert_int_equal(fake_zk_pending(t->zk), 1);
	answer_get(t, A, 7);
	assert_string_equal(t->said, "a:7 ");
}

/* A read ahead answered after line_forget is not kept: it may be of the old path. */
static void
test_forget_drops_reads_in_flight(void **state)
{
	struct t *t = *state;
	const char *now[] = { A };
	char *names[] = { A };

	line_prefetch(t->l, true);
	answer_children(t, now, 1);
	line_forget(t->l);	/* lists again, since it prefetches */
	answer_get(t, A, 100);	/* the old read */
	answer_children(t, now, 1);
	answer_get(t, A, 5);	/* the new one */
	line_prefetch(t->l, false);
	line_read_listed(t->l, names, 1);
	assert_int_equal(fake_zk_pending(t->zk), 0);
	assert_string_equal(t->said, "a:5 ");
}

/* Stopped: a read under way reports nothing. */
static void
test_stop_drops_the_report(void **state)
{
	struct t *t = *state;
	char *names[] = { A };

	line_read_listed(t->l, names, 1);
	line_stop(t->l);
	answer_get(t, A, 100);
	assert_int_equal(t->reports, 0);
	line_read_listed(t->l, names, 1);	/* but what it read is known */
	assert_int_equal(t->reports, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listed_reads_what_is_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefetch_makes_the_election_free, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prefetch_reads_newcomers_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_reads_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_drops_reads_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drops_the_report, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
