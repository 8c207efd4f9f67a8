/*
 * Unit tests for the leader history (src/history.c): the record's and the
 * exit note's text, what is refused, the cause of each kind of change, and
 * how long the cluster had no leader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"

#define MAGIC "zkelectd-history 1\n"
#define EXIT_MAGIC "zkelectd-exit 1\n"

static struct history_record sample(void);
static struct exit_note note(const char *id, int64_t epoch, const char *reason);
static bool decodes(const char *text, struct history_record *h);

/* A record as a new leader writes it after a switchover. */
static struct history_record
sample(void)
{
	struct history_record h;

	memset(&h, 0, sizeof(h));
	snprintf(h.leader, sizeof(h.leader), "db3");
	h.epoch = 4294967301LL;
	snprintf(h.previous, sizeof(h.previous), "db1");
	h.previous_epoch = 4294967296LL;
	snprintf(h.cause, sizeof(h.cause), "switchover");
	snprintf(h.by, sizeof(h.by), "root@h1[4242]");
	h.exit_mtime_ms = 1764915847123LL;
	h.demote_ms = 250;
	h.promote_ok = true;
	return h;
}

/* An exit note of ID at EPOCH, stepping down for REASON. */
static struct exit_note
note(const char *id, int64_t epoch, const char *reason)
{
	struct exit_note x;

	memset(&x, 0, sizeof(x));
	snprintf(x.id, sizeof(x.id), "%s", id);
	x.epoch = epoch;
	snprintf(x.reason, sizeof(x.reason), "%s", reason);
	x.demote_ms = 40;
	return x;
}

/* Decode the NUL-terminated TEXT into H. */
static bool
decodes(const char *text, struct history_record *h)
{
	return history_decode(text, strlen(text), h);
}

/* Encode, then decode: every field comes back (ctime and seq are the reader's). */
static void
test_roundtrip(void **state)
{
	struct history_record h = sample(), out;
	size_t len;
	char *buf;

	(void)state;
	buf = history_encode(&h, &len);
	assert_int_equal(len, strlen(buf));
	assert_true(history_decode(buf, len, &out));
	free(buf);
	assert_string_equal(out.leader, "db3");
	assert_int_equal(out.epoch, 4294967301LL);
	assert_string_equal(out.previous, "db1");
	assert_int_equal(out.previous_epoch, 4294967296LL);
	assert_string_equal(out.cause, "switchover");
	assert_string_equal(out.by, "root@h1[4242]");
	assert_int_equal(out.exit_mtime_ms, 1764915847123LL);
	assert_int_equal(out.demote_ms, 250);
	assert_true(out.promote_ok);
	assert_int_equal(out.ctime_ms, 0);
	assert_int_equal(out.seq, 0);
}

/* The first leader: no previous one (-1 both ways), no note, a failed promote. */
static void
test_roundtrip_first(void **state)
{
	struct history_record h, out;
	size_t len;
	char *buf;

	(void)state;
	memset(&h, 0, sizeof(h));
	snprintf(h.leader, sizeof(h.leader), "a");
	h.epoch = 5;
	h.previous_epoch = -1;
	snprintf(h.cause, sizeof(h.cause), "elected");
	h.demote_ms = -1;
	h.promote_ok = false;
	buf = history_encode(&h, &len);
	assert_non_null(strstr(buf, "previous_epoch=-1\n"));
	assert_non_null(strstr(buf, "promote=failed\n"));
	assert_true(history_decode(buf, len, &out));
	free(buf);
	assert_string_equal(out.previous, "");
	assert_int_equal(out.previous_epoch, -1);
	assert_int_equal(out.demote_ms, -1);
	assert_int_equal(out.exit_mtime_ms, 0);
	assert_false(out.promote_ok);
	assert_int_equal(history_leaderless_ms(&out), -1);
}

/* Who asked is cleaned as it is written: a newline cannot forge a line. */
static void
test_encode_cleans(void **state)
{
	struct history_record h = sample(), out;
	size_t len;
	char *buf;

	(void)state;
	snprintf(h.by, sizeof(h.by), "eve\npromote=failed");
	buf = history_encode(&h, &len);
	assert_true(history_decode(buf, len, &out));
	free(buf);
	assert_string_equal(out.by, "eve promote=failed");
	assert_true(out.promote_ok);
}

/* Text that is no record of ours, or a malformed one, is refused. */
static void
test_decode_junk(void **state)
{
	static const char *const junk[] = {
		"",
		"zkelectd-history",
		"zkelectd-history 2\nleader=a\nepoch=1\n",
		"zkelectd-switchover 1\nleader=a\nepoch=1\n",
		MAGIC,					/* no leader */
		MAGIC "epoch=1\npromote=ok\n",		/* no leader */
		MAGIC "leader=a\nepoch=x\n",
		MAGIC "leader=a\nepoch=-5\n",
		MAGIC "leader=a\nepoch=99999999999999999999999\n",
		MAGIC "leader=a\nprevious_epoch=-2\n",
		MAGIC "leader=a\ndemote_ms=-7\n",
		MAGIC "leader=a\nexit_mtime_ms=-1\n",
		MAGIC "leader=a\nepoch=\n",
	};
	struct history_record h;
	char longid[200];

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (decodes(junk[i], &h))
			fail_msg("decoded: %s", junk[i]);
	}
	assert_false(history_decode(NULL, 0, &h));
	/* an id too long to keep whole could name another node */
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	{
		char text[512];

		snprintf(text, sizeof(text), MAGIC "leader=%s\nepoch=1\n", longid);
		assert_false(decodes(text, &h));
		snprintf(text, sizeof(text), MAGIC "leader=a\nprevious=%s\n", longid);
		assert_false(decodes(text, &h));
	}
}

/* Lines of a later version are skipped; what is missing gets its "none". */
static void
test_decode_later(void **state)
{
	struct history_record h;

	(void)state;
	assert_true(decodes(MAGIC "leader=b\nepoch=9\nflavour=new\nno equals sign here\n"
	    "promote=maybe\n", &h));
	assert_string_equal(h.leader, "b");
	assert_int_equal(h.epoch, 9);
	assert_int_equal(h.previous_epoch, -1);
	assert_int_equal(h.demote_ms, -1);
	assert_false(h.promote_ok);	/* only "ok" is ok */
	assert_string_equal(h.cause, "");
}

/* The exit note: its text both ways, and what is refused. */
static void
test_exit_note(void **state)
{
	struct exit_note x = note("db1", 77, "resigned"), out;
	size_t len;
	char *buf;

	(void)state;
	buf = exit_encode(&x, &len);
	assert_true(exit_decode(buf, len, &out));
	free(buf);
	assert_string_equal(out.id, "db1");
	assert_int_equal(out.epoch, 77);
	assert_string_equal(out.reason, "resigned");
	assert_int_equal(out.demote_ms, 40);
	assert_false(exit_decode(EXIT_MAGIC "epoch=1\n", strlen(EXIT_MAGIC "epoch=1\n"), &out));
	assert_false(exit_decode(EXIT_MAGIC "id=a\nepoch=z\n", strlen(EXIT_MAGIC "id=a\nepoch=z\n"),
	    &out));
	assert_false(exit_decode(MAGIC "id=a\n", strlen(MAGIC "id=a\n"), &out));
}

/* The cause of each kind of change. */
static void
test_cause(void **state)
{
	static const struct {
		const char *reason, *cause;
	} notes[] = {
		{ "shutdown", "graceful handover" },
		{ "resigned", "resign" },
		{ "health-failed", "health" },
		{ "promote-failed", "promote failed" },
		{ "switchover", "switchover" },
		{ "something-new", "session expired" },
	};
	struct exit_note x;

	(void)state;
	/* nobody led before, as far as the new leader knew */
	assert_string_equal(history_cause("elected", NULL, "", -1), "elected");
	assert_string_equal(history_cause("elected", NULL, NULL, -1), "elected");
	x = note("a", 5, "shutdown");
	assert_string_equal(history_cause("elected", &x, "", -1), "elected");
	/* the previous leader left a note: its reason names the cause */
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		x = note("a", 5, notes[i].reason);
		assert_string_equal(history_cause("elected", &x, "a", 5), notes[i].cause);
	}
	/* no note, or one that is not the previous leader's: it crashed or lost ZooKeeper */
	assert_string_equal(history_cause("elected", NULL, "a", 5), "session expired");
	x = note("b", 5, "resigned");
	assert_string_equal(history_cause("elected", &x, "a", 5), "session expired");
	x = note("a", 4, "resigned");	/* an older term of the same node */
	assert_string_equal(history_cause("elected", &x, "a", 5), "session expired");
	/* how it was promoted says it all, whatever the note */
	x = note("a", 5, "resigned");
	assert_string_equal(history_cause("switchover", &x, "a", 5), "switchover");
	assert_string_equal(history_cause("forced", NULL, "a", 5), "forced");
	assert_string_equal(history_cause("pause-ended", NULL, "a", 5), "pause-ended");
	assert_string_equal(history_cause("resumed", NULL, "", -1), "resumed");
}

/* How long nobody led: from the server's times and the demote's own duration. */
static void
test_leaderless(void **state)
{
	struct history_record h = sample();

	(void)state;
	h.exit_mtime_ms = 1000000;
	h.ctime_ms = 1000120;
	h.demote_ms = 250;
	assert_int_equal(history_leaderless_ms(&h), 370);
	h.demote_ms = 0;
	assert_int_equal(history_leaderless_ms(&h), 120);
	h.ctime_ms = h.exit_mtime_ms;
	assert_int_equal(history_leaderless_ms(&h), 0);
	/* unknown: no exit note, no demote time, or a record older than the note */
	h = sample();
	h.ctime_ms = 2000000;
	h.exit_mtime_ms = 0;
	assert_int_equal(history_leaderless_ms(&h), -1);
	h.exit_mtime_ms = 1999000;
	h.demote_ms = -1;
	assert_int_equal(history_leaderless_ms(&h), -1);
	h.demote_ms = 10;
	h.ctime_ms = 1998999;
	assert_int_equal(history_leaderless_ms(&h), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_first),
		cmocka_unit_test(test_encode_cleans),
		cmocka_unit_test(test_decode_junk),
		cmocka_unit_test(test_decode_later),
		cmocka_unit_test(test_exit_note),
		cmocka_unit_test(test_cause),
		cmocka_unit_test(test_leaderless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
