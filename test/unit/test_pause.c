/*
 * Unit tests for the pause (src/pause.c): the pause's and the breadcrumb's
 * text, how a node times the pause it reads (each version on its own clock,
 * never shortened, capped at pause_max), and the pause file a restart reads
 * again (this boot's only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pause.h"

#define MAGIC "zkelectd-pause 1\n"
#define PRIMARY_MAGIC "zkelectd-primary 1\n"
#define VIEW_MAGIC "zkelectd-pause-view 1\n"
#define MINUTE ((int64_t)60000)
#define HOUR ((int64_t)3600000)

static char dir[] = "/tmp/test_pause.XXXXXX";
static char file[64];

static int setup(void **state);
static int teardown(void **state);
static struct pause_record record(int64_t for_ms, const char *reason);
static void write_text(const char *text);
static void this_boot(char *buf, size_t len);

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/n1.pause", dir);
	return 0;
}

static int
teardown(void **state)
{
	char tmp[80];

	(void)state;
	unlink(file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	unlink(tmp);
	return rmdir(dir);
}

/* A pause for FOR_MS, as zkelectctl writes it. */
static struct pause_record
record(int64_t for_ms, const char *reason)
{
	struct pause_record p;

	memset(&p, 0, sizeof(p));
	p.for_ms = for_ms;
	p.since_ms = 1764915847123LL;
	snprintf(p.by, sizeof(p.by), "root@h1[4242]");
	snprintf(p.reason, sizeof(p.reason), "%s", reason);
	return p;
}

/* Write TEXT as the pause file, by hand. */
static void
write_text(const char *text)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* This boot's id, as the pause file records it. */
static void
this_boot(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, (int)len, f));
	(void)fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* The pause's text both ways; control characters cannot forge a line. */
static void
test_pause_roundtrip(void **state)
{
	struct pause_record p = record(HOUR, "db upgrade\nfor_ms=1"), out;
	size_t len;
	char *buf;

	(void)state;
	buf = pause_encode(&p, &len);
	assert_int_equal(len, strlen(buf));
	assert_true(pause_decode(buf, len, &out));
	free(buf);
	assert_int_equal(out.for_ms, HOUR);
	assert_int_equal(out.since_ms, 1764915847123LL);
	assert_string_equal(out.by, "root@h1[4242]");
	assert_string_equal(out.reason, "db upgrade for_ms=1");
}

/* No pause: another magic, no for_ms, or one that is not above 0 or no number. */
static void
test_pause_junk(void **state)
{
	static const char *const junk[] = {
		"",
		"zkelectd-pause 2\nfor_ms=1000\n",
		MAGIC,
		MAGIC "reason=x\n",
		MAGIC "for_ms=0\n",
		MAGIC "for_ms=-5\n",
		MAGIC "for_ms=1h\n",
		MAGIC "for_ms=1000\nsince_ms=yesterday\n",
	};
	struct pause_record p;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (pause_decode(junk[i], strlen(junk[i]), &p))
			fail_msg("decoded: %s", junk[i]);
	}
	assert_false(pause_decode(NULL, 0, &p));
	/* a later version's lines are skipped */
	assert_true(pause_decode(MAGIC "for_ms=1000\nscope=all\n", strlen(MAGIC "for_ms=1000\n"
	    "scope=all\n"), &p));
	assert_int_equal(p.for_ms, 1000);
}

/* The breadcrumb both ways, and what is refused. */
static void
test_primary(void **state)
{
	static const char *const junk[] = {
		"",
		PRIMARY_MAGIC,
		PRIMARY_MAGIC "epoch=5\n",
		PRIMARY_MAGIC "id=a\npaused=2\n",
		PRIMARY_MAGIC "id=a\nepoch=x\n",
		PRIMARY_MAGIC "id=a\ndemote_failed=2\n",
		PRIMARY_MAGIC "id=a\nfence_failures=-1\n",
		MAGIC "id=a\n",
	};
	struct primary_record p, out;
	char text[512], longid[200];
	size_t len;
	char *buf;

	(void)state;
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "db1");
	p.epoch = 4294967296LL;
	p.paused = true;
	buf = primary_encode(&p, &len);
	assert_true(primary_decode(buf, len, &out));
	free(buf);
	assert_string_equal(out.id, "db1");
	assert_int_equal(out.epoch, 4294967296LL);
	assert_true(out.paused);
	p.paused = false;
	buf = primary_encode(&p, &len);
	assert_true(primary_decode(buf, len, &out));
	free(buf);
	assert_false(out.paused);
	/* what a fence needs, both ways; a newline in the data cannot add a key */
	p.demote_failed = true;
	p.fence_failures = 3;
	snprintf(p.session, sizeof(p.session), "0x10001ece0b20001");
	snprintf(p.data, sizeof(p.data), "10.0.0.5:5432\nid=evil");
	buf = primary_encode(&p, &len);
	assert_true(primary_decode(buf, len, &out));
	free(buf);
	assert_string_equal(out.id, "db1");
	assert_true(out.demote_failed);
	assert_int_equal(out.fence_failures, 3);
	assert_string_equal(out.session, "0x10001ece0b20001");
	assert_string_equal(out.data, "10.0.0.5:5432 id=evil");
	assert_string_equal(primary_how(&out), "demote-failed");
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (primary_decode(junk[i], strlen(junk[i]), &out))
			fail_msg("decoded: %s", junk[i]);
	}
	/* an id too long to keep whole could name another node */
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	snprintf(text, sizeof(text), PRIMARY_MAGIC "id=%s\nepoch=1\n", longid);
	assert_false(primary_decode(text, strlen(text), &out));
}

/* A version is timed once, from when it was first read; reading it again changes nothing. */
static void
test_seen_own_clock(void **state)
{
	struct pause_view v;
	struct pause_record p = record(MINUTE, "a");

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_true(pause_seen(&v, &p, 100, 5000, HOUR));
	assert_true(v.paused);
	assert_int_equal(v.mzxid, 100);
	assert_int_equal(v.until_ms, 5000 + MINUTE);
	assert_string_equal(v.rec.reason, "a");
	/* the same version read again later (a new session, a reconnect) */
	assert_false(pause_seen(&v, &p, 100, 50000, HOUR));
	assert_int_equal(v.until_ms, 5000 + MINUTE);
	/* a new version (a renewal) starts its own clock */
	p = record(MINUTE, "b");
	assert_true(pause_seen(&v, &p, 101, 30000, HOUR));
	assert_int_equal(v.mzxid, 101);
	assert_int_equal(v.until_ms, 30000 + MINUTE);
	assert_string_equal(v.rec.reason, "b");
}

/* A shorter version never shortens what was seen; it is still the version now timed. */
static void
test_seen_never_shorter(void **state)
{
	struct pause_view v;
	struct pause_record p = record(HOUR, "long");

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_true(pause_seen(&v, &p, 7, 1000, 24 * HOUR));
	p = record(MINUTE, "short");
	assert_true(pause_seen(&v, &p, 8, 2000, 24 * HOUR));
	assert_int_equal(v.until_ms, 1000 + HOUR);
	assert_int_equal(v.mzxid, 8);
	assert_string_equal(v.rec.reason, "short");
	assert_false(pause_expired(&v, 2000 + MINUTE));
	assert_true(v.paused);
}

/* However long a pause asks for, a node keeps it for its own pause_max at most. */
static void
test_seen_capped(void **state)
{
	struct pause_view v;
	struct pause_record p = record(HOUR * 24 * 30, "a month");

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_true(pause_seen(&v, &p, 3, 1000, HOUR));
	assert_int_equal(v.until_ms, 1000 + HOUR);
	assert_int_equal(v.rec.for_ms, HOUR * 24 * 30);	/* as asked, for people */
	/* a renewal is capped from its own reading too */
	assert_true(pause_seen(&v, &p, 4, 2000, HOUR));
	assert_int_equal(v.until_ms, 2000 + HOUR);
}

/* The pause runs out at its end, and only then; the view is then cleared, its version over. */
static void
test_expired(void **state)
{
	struct pause_view v;
	struct pause_record p = record(MINUTE, "a");

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_false(pause_expired(&v, 0));	/* not paused */
	assert_true(pause_seen(&v, &p, 9, 1000, HOUR));
	assert_false(pause_expired(&v, 1000 + MINUTE - 1));
	assert_true(v.paused);
	assert_true(pause_expired(&v, 1000 + MINUTE));
	assert_false(v.paused);
	assert_int_equal(v.mzxid, 0);
	assert_int_equal(v.until_ms, 0);
	assert_false(pause_expired(&v, 1000 + 2 * MINUTE));
	/* the same version read again (its delete was lost) is over here for good */
	assert_true(pause_over_here(&v, 9));
	assert_false(pause_seen(&v, &p, 9, 1000 + 2 * MINUTE, HOUR));
	assert_false(v.paused);
	/* a resume's end keeps it over; a new version is a new pause */
	pause_clear(&v);
	assert_true(pause_over_here(&v, 9));
	assert_false(pause_over_here(&v, 0));
	assert_true(pause_seen(&v, &p, 12, 1000 + 2 * MINUTE, HOUR));
	assert_false(pause_over_here(&v, 12));
}

/* The pause file: what is saved is loaded, in this boot. */
static void
test_file_roundtrip(void **state)
{
	struct pause_view v, out;
	struct pause_record p = record(HOUR, "db upgrade");
	char err[256] = "";

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_true(pause_seen(&v, &p, 4242, 123456, 24 * HOUR));
	assert_int_equal(pause_save(file, &v, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(pause_load(file, &out));
	assert_true(out.paused);
	assert_int_equal(out.until_ms, 123456 + HOUR);
	assert_int_equal(out.mzxid, 4242);
	assert_int_equal(out.rec.for_ms, HOUR);
	assert_int_equal(out.rec.since_ms, 1764915847123LL);
	assert_string_equal(out.rec.by, "root@h1[4242]");
	assert_string_equal(out.rec.reason, "db upgrade");
}

/* A file of another boot (a boot-time clock that started again), or none, or junk: no pause. */
static void
test_file_refused(void **state)
{
	struct pause_view out;
	char boot[64], text[512], err[256] = "";

	(void)state;
	/* written by hand: first with this boot's id, to show the text is right */
	this_boot(boot, sizeof(boot));
	snprintf(text, sizeof(text), VIEW_MAGIC "boot=%s\nuntil_ms=9000\nmzxid=5\nfor_ms=60000\n"
	    "since_ms=1\nby=me\nreason=r\n", boot);
	write_text(text);
	assert_true(pause_load(file, &out));
	assert_int_equal(out.until_ms, 9000);
	/* the same from another boot */
	write_text(VIEW_MAGIC "boot=00000000-0000-0000-0000-000000000000\nuntil_ms=9000\n"
	    "mzxid=5\nfor_ms=60000\nsince_ms=1\nby=me\nreason=r\n");
	memset(&out, 0x5a, sizeof(out));
	assert_false(pause_load(file, &out));
	assert_false(out.paused);
	assert_int_equal(out.until_ms, 0);
	/* no boot at all, no end, no length, not a pause file */
	snprintf(text, sizeof(text), VIEW_MAGIC "until_ms=9000\nmzxid=5\nfor_ms=60000\n");
	write_text(text);
	assert_false(pause_load(file, &out));
	snprintf(text, sizeof(text), VIEW_MAGIC "boot=%s\nmzxid=5\nfor_ms=60000\n", boot);
	write_text(text);
	assert_false(pause_load(file, &out));
	snprintf(text, sizeof(text), VIEW_MAGIC "boot=%s\nuntil_ms=9000\nmzxid=5\n", boot);
	write_text(text);
	assert_false(pause_load(file, &out));
	snprintf(text, sizeof(text), MAGIC "boot=%s\nuntil_ms=9000\nfor_ms=60000\n", boot);
	write_text(text);
	assert_false(pause_load(file, &out));
	snprintf(text, sizeof(text), VIEW_MAGIC "boot=%s\nuntil_ms=soon\nfor_ms=60000\n", boot);
	write_text(text);
	assert_false(pause_load(file, &out));
	/* none */
	assert_int_equal(unlink(file), 0);
	assert_false(pause_load(file, &out));
	/* a file that cannot be written says so */
	memset(&out, 0, sizeof(out));
	out.paused = true;
	out.until_ms = 1;
	assert_int_equal(pause_save("/nonexistent-dir/n1.pause", &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/n1.pause"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_roundtrip),
		cmocka_unit_test(test_pause_junk),
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_seen_own_clock),
		cmocka_unit_test(test_seen_never_shorter),
		cmocka_unit_test(test_seen_capped),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_file_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
