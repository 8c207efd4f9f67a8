/*
 * Unit tests for the switchover request (src/switchover.c): its text, the
 * leader's check and what each contender does about a request under way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switchover.h"
#include "znode.h"

#define G "0123456789abcdef"
#define MAGIC "zkelectd-switchover 1\n"

/* A line of contenders: the znode names and their parse, in election order. */
struct line {
	char names[8][64];
	struct znode_name z[8];
	size_t n;
};

static void make_line(struct line *l, const char *ids);
static struct switchover request(enum sw_state state, const char *to, const char *from,
    int64_t epoch);
static bool decodes(const char *text, size_t len, struct switchover *s);
static bool rejects(const char *text, size_t len);

/* Build L from the space-separated IDS, the first with the lowest sequence. */
static void
make_line(struct line *l, const char *ids)
{
	char copy[256], *id, *save = NULL;

	memset(l, 0, sizeof(*l));
	snprintf(copy, sizeof(copy), "%s", ids);
	for (id = strtok_r(copy, " ", &save); id != NULL; id = strtok_r(NULL, " ", &save)) {
		snprintf(l->names[l->n], sizeof(l->names[l->n]), "n_" G "_%s-%010zu", id,
		    l->n + 3);
		assert_true(znode_parse(l->names[l->n], &l->z[l->n]));
		l->n++;
	}
}

/* A request in STATE to TO, meant for FROM at EPOCH. */
static struct switchover
request(enum sw_state state, const char *to, const char *from, int64_t epoch)
{
	struct switchover s;

	memset(&s, 0, sizeof(s));
	s.state = state;
	snprintf(s.to, sizeof(s.to), "%s", to);
	snprintf(s.from, sizeof(s.from), "%s", from);
	s.epoch = epoch;
	s.wait_ms = SWITCHOVER_WAIT_DEFAULT_MS;
	snprintf(s.by, sizeof(s.by), "root@h[123]");
	return s;
}

/* Decode TEXT (LEN bytes; strlen when 0) into S, printing why it failed. */
static bool
decodes(const char *text, size_t len, struct switchover *s)
{
	char why[128];
	bool ok;

	memset(s, 0, sizeof(*s));	/* decode fills it; the analysers see it filled before */
	ok = switchover_decode(text, len != 0 ? len : strlen(text), s, why, sizeof(why));
	if (!ok)
		print_message("refused: %s\n", why);
	return ok;
}

/* True when TEXT (LEN bytes; strlen when 0) is refused, with a reason. */
static bool
rejects(const char *text, size_t len)
{
	struct switchover s;
	char why[128] = "";

	memset(&s, 0, sizeof(s));
	return !switchover_decode(text, len != 0 ? len : strlen(text), &s, why, sizeof(why)) &&
	    why[0] != '\0';
}

/* Every field survives encode and decode. */
static void
test_roundtrip(void **state)
{
	struct switchover a = request(SW_DONE, "db3", "db1", 4294967301LL), b;
	size_t len;
	char *buf;

	(void)state;
	a.wait_ms = 1500;
	a.force = true;
	a.new_epoch = 4294967400LL;
	snprintf(a.note, sizeof(a.note), "db3 leads (epoch 4294967400)");
	buf = switchover_encode(&a, &len);
	assert_int_equal(len, strlen(buf));
	assert_memory_equal(buf, MAGIC, strlen(MAGIC));
	assert_true(decodes(buf, len, &b));
	assert_int_equal(b.state, SW_DONE);
	assert_string_equal(b.to, "db3");
	assert_string_equal(b.from, "db1");
	assert_int_equal(b.epoch, 4294967301LL);
	assert_int_equal(b.wait_ms, 1500);
	assert_true(b.force);
	assert_int_equal(b.new_epoch, 4294967400LL);
	assert_string_equal(b.by, "root@h[123]");
	assert_string_equal(b.note, a.note);
	free(buf);

	/* every state by its name */
	for (int st = 0; st < SW_COUNT; st++) {
		a = request((enum sw_state)st, "db2", "db1", 7);
		buf = switchover_encode(&a, &len);
		assert_true(decodes(buf, len, &b));
		assert_int_equal(b.state, st);
		assert_false(b.force);
		free(buf);
	}
}

/* A newline in a field cannot forge a line: encode cleans it as decode would. */
static void
test_encode_cleans(void **state)
{
	struct switchover a = request(SW_REQUESTED, "db2", "db1", 7), b;
	size_t len;
	char *buf;

	(void)state;
	snprintf(a.by, sizeof(a.by), "root@h\nstate=done");
	snprintf(a.note, sizeof(a.note), "x\nto=db9\r");
	buf = switchover_encode(&a, &len);
	assert_true(decodes(buf, len, &b));
	assert_int_equal(b.state, SW_REQUESTED);
	assert_string_equal(b.to, "db2");
	assert_string_equal(b.by, "root@h state=done");
	assert_string_equal(b.note, "x to=db9 ");
	free(buf);
}

/* Anything that is not a whole request of ours is refused. */
static void
test_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"zkelectd-switchover 1",		/* the magic cut short */
		"zkelectd-switchover 2\nstate=requested\nto=db2\n",
		"zkelectd-leader 1 5 n_x db1\n",
		"state=requested\nto=db2\n",		/* no magic at all */
		MAGIC "to=db2\n",			/* no state */
		MAGIC "state=requested\n",		/* no target */
		MAGIC "state=requested\nto=\n",
		MAGIC "state=requested\nto=db 2\n",	/* not an id */
		MAGIC "state=requested\nto=db/2\n",
		MAGIC "state=paused\nto=db2\n",		/* an unknown state */
		MAGIC "state=REQUESTED\nto=db2\n",
		MAGIC "state=requested\nto=db2\nepoch=-1\n",
		MAGIC "state=requested\nto=db2\nepoch=abc\n",
		MAGIC "state=requested\nto=db2\nepoch=12x\n",
		MAGIC "state=requested\nto=db2\nepoch=\n",
		MAGIC "state=requested\nto=db2\nepoch= 5\n",
		MAGIC "state=requested\nto=db2\nepoch=+5\n",
		MAGIC "state=requested\nto=db2\nepoch=99999999999999999999\n",	/* overflow */
		MAGIC "state=requested\nto=db2\nwait_ms=1.5\n",
		MAGIC "state=requested\nto=db2\nnew_epoch=0x10\n",
		MAGIC "state=requested\nto=db2\nforce=2\n",
		MAGIC "state=requested\nto=db2\nepoch=1234567890123456789012345678901234\n",
	};
	struct switchover s;
	char why[128];

	(void)state;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i][0] != '\0' && !rejects(bad[i], 0))
			fail_msg("accepted: \"%s\"", bad[i]);
	}
	assert_false(switchover_decode("", 0, &s, why, sizeof(why)));
	assert_false(switchover_decode(NULL, 0, &s, why, sizeof(why)));
}

/* A number cut by a NUL byte is junk, not the number before it. */
static void
test_decode_rejects_nul(void **state)
{
	static const char state_nul[] = MAGIC "state=done\0x\nto=db2\n";
	static const char epoch_nul[] = MAGIC "state=requested\nto=db2\nepoch=5\0009\n";

	(void)state;
	assert_true(rejects(state_nul, sizeof(state_nul) - 1));
	assert_true(rejects(epoch_nul, sizeof(epoch_nul) - 1));
}

/* A target too long to be an id is refused, not cut to another node's id. */
static void
test_decode_rejects_long_id(void **state)
{
	char text[512], id[ZNODE_ID_MAX + 2];
	struct switchover s;

	(void)state;
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';		/* 129 bytes */
	snprintf(text, sizeof(text), MAGIC "state=requested\nto=%s\n", id);
	assert_true(rejects(text, 0));
	snprintf(text, sizeof(text), MAGIC "state=requested\nto=db2\nfrom=%s\n", id);
	assert_true(rejects(text, 0));
	id[ZNODE_ID_MAX] = '\0';		/* 128: the longest id */
	snprintf(text, sizeof(text), MAGIC "state=requested\nto=%s\n", id);
	assert_true(decodes(text, 0, &s));
	assert_string_equal(s.to, id);
}

/* Keys of a later version, and lines that are no key at all, are ignored. */
static void
test_decode_ignores_unknown(void **state)
{
	char text[1024], longval[200];
	struct switchover s;

	(void)state;
	memset(longval, 'v', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	snprintf(text, sizeof(text), MAGIC "priority=9\nstate=moving\nno equals sign here\n\n"
	    "a_key_longer_than_fifteen=1\ncolour=%s\nto=db2\nfrom=db1\nepoch=42\nreason=x=y\n"
	    "note=db1 accepted", longval);	/* no newline at the end: fine */
	assert_true(decodes(text, 0, &s));
	assert_int_equal(s.state, SW_MOVING);
	assert_string_equal(s.to, "db2");
	assert_string_equal(s.from, "db1");
	assert_int_equal(s.epoch, 42);
	assert_int_equal(s.wait_ms, 0);
	assert_int_equal(s.new_epoch, 0);
	assert_string_equal(s.note, "db1 accepted");
	assert_string_equal(s.by, "");
}

/* Control characters in the strings become spaces; long strings are cut. */
static void
test_decode_cleans(void **state)
{
	static const char text[] = MAGIC "state=refused\nto=db2\nby=root\r@h\x01[1]\n"
	    "note=a\tb\x1b[31mc\x7f\0d\n";
	char longer[1024], note[400];
	struct switchover s;

	(void)state;
	assert_true(decodes(text, sizeof(text) - 1, &s));
	assert_string_equal(s.by, "root @h [1]");
	assert_string_equal(s.note, "a b [31mc  d");
	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	snprintf(longer, sizeof(longer), MAGIC "state=refused\nto=db2\nnote=%s\n", note);
	assert_true(decodes(longer, 0, &s));
	assert_int_equal(strlen(s.note), SWITCHOVER_NOTE_MAX - 1);
}

/* switchover_set: the state and a formatted note, cleaned. */
static void
test_set(void **state)
{
	struct switchover s = request(SW_MOVING, "db2", "db1", 7);

	(void)state;
	switchover_set(&s, SW_CANCELLED, "deadline (%s) passed\nwhile %d ahead", "1m", 2);
	assert_int_equal(s.state, SW_CANCELLED);
	assert_string_equal(s.note, "deadline (1m) passed while 2 ahead");
}

/* The names, and which states are final. */
static void
test_states(void **state)
{
	(void)state;
	assert_string_equal(switchover_state_name(SW_REQUESTED), "requested");
	assert_string_equal(switchover_state_name(SW_MOVING), "moving");
	assert_string_equal(switchover_state_name(SW_DEMOTING), "demoting");
	assert_string_equal(switchover_state_name(SW_DONE), "done");
	assert_string_equal(switchover_state_name(SW_REFUSED), "refused");
	assert_string_equal(switchover_state_name(SW_CANCELLED), "cancelled");
	assert_string_equal(switchover_state_name(SW_FAILED), "failed");
	assert_string_equal(switchover_state_name(SW_COUNT), "?");
	assert_false(switchover_final(SW_REQUESTED));
	assert_false(switchover_final(SW_MOVING));
	assert_false(switchover_final(SW_DEMOTING));
	assert_true(switchover_final(SW_DONE));
	assert_true(switchover_final(SW_REFUSED));
	assert_true(switchover_final(SW_CANCELLED));
	assert_true(switchover_final(SW_FAILED));
}

/* Positions count from 0, the leader; -1 for an id not in line. */
static void
test_position(void **state)
{
	struct line l;

	(void)state;
	make_line(&l, "db1 db2 db3");
	assert_int_equal(switchover_position(l.z, l.n, "db1"), 0);
	assert_int_equal(switchover_position(l.z, l.n, "db3"), 2);
	assert_int_equal(switchover_position(l.z, l.n, "db9"), -1);
	assert_int_equal(switchover_position(l.z, 0, "db1"), -1);
}

/* The leader's check: meant for it at its epoch, a live target other than itself. */
static void
test_check(void **state)
{
	struct switchover s;
	struct line l;
	char why[SWITCHOVER_NOTE_MAX];

	(void)state;
	make_line(&l, "db1 db2 db3");

	/* ok: db3, two behind the leader */
	s = request(SW_REQUESTED, "db3", "db1", 5);
	why[0] = '\0';
	assert_true(switchover_check(&s, "db1", 5, l.z, l.n, why, sizeof(why)));
	assert_string_equal(why, "");

	/* meant for another leader */
	s = request(SW_REQUESTED, "db3", "db0", 5);
	assert_false(switchover_check(&s, "db1", 5, l.z, l.n, why, sizeof(why)));
	assert_non_null(strstr(why, "meant for db0"));
	assert_non_null(strstr(why, "db1 leads"));

	/* meant for this leader, but an older epoch of it */
	s = request(SW_REQUESTED, "db3", "db1", 4);
	assert_false(switchover_check(&s, "db1", 5, l.z, l.n, why, sizeof(why)));
	assert_non_null(strstr(why, "epoch 4"));
	assert_non_null(strstr(why, "epoch 5"));

	/* the target leads already */
	s = request(SW_REQUESTED, "db1", "db1", 5);
	assert_false(switchover_check(&s, "db1", 5, l.z, l.n, why, sizeof(why)));
	assert_non_null(strstr(why, "db1 already leads"));

	/* the target is not in line */
	s = request(SW_REQUESTED, "db9", "db1", 5);
	assert_false(switchover_check(&s, "db1", 5, l.z, l.n, why, sizeof(why)));
	assert_non_null(strstr(why, "db9 is not in line"));
}

/* What the leader does about a MOVING request: wait, demote or cancel. */
static void
test_step_leader(void **state)
{
	struct switchover s = request(SW_MOVING, "db3", "db1", 5);
	struct line l;

	(void)state;
	make_line(&l, "db1 db2 db3");
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[0]), SW_STEP_WAIT);
	make_line(&l, "db1 db3 db2");
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[0]), SW_STEP_DEMOTE);
	make_line(&l, "db1 db2");
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[0]), SW_STEP_CANCEL);
	make_line(&l, "db1");
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[0]), SW_STEP_CANCEL);
}

/* The followers: ahead of the target step back, the target and those behind it do nothing. */
static void
test_step_followers(void **state)
{
	struct switchover s = request(SW_MOVING, "db4", "db1", 5);
	struct line l;

	(void)state;
	make_line(&l, "db1 db2 db3 db4 db5");
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[1]), SW_STEP_BACK);
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[2]), SW_STEP_BACK);
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[3]), SW_STEP_NONE);	/* the target */
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[4]), SW_STEP_NONE);	/* behind */
	/* not in line at all (an observer, or a name of no contender) */
	assert_int_equal(switchover_step(&s, l.z, l.n, "n_" G "_db9-0000000099"),
	    SW_STEP_NONE);
	/* the target gone: a follower has nobody to step back for */
	make_line(&l, "db1 db2 db3");
	assert_int_equal(switchover_step(&s, l.z, l.n, l.names[1]), SW_STEP_NONE);
}

/* A request that is not MOVING asks nothing of anyone. */
static void
test_step_not_moving(void **state)
{
	static const enum sw_state others[] = {
		SW_REQUESTED, SW_DEMOTING, SW_DONE, SW_REFUSED, SW_CANCELLED, SW_FAILED,
	};
	struct switchover s;
	struct line l;

	(void)state;
	make_line(&l, "db1 db2 db3");
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		s = request(others[i], "db3", "db1", 5);
		for (size_t k = 0; k < l.n; k++)
			assert_int_equal(switchover_step(&s, l.z, l.n, l.names[k]), SW_STEP_NONE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode_cleans),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_decode_rejects_nul),
		cmocka_unit_test(test_decode_rejects_long_id),
		cmocka_unit_test(test_decode_ignores_unknown),
		cmocka_unit_test(test_decode_cleans),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_position),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_step_leader),
		cmocka_unit_test(test_step_followers),
		cmocka_unit_test(test_step_not_moving),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
