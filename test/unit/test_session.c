/* Unit tests of the session file (src/session.c): what is kept, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "session.h"

static char dir[] = "/tmp/test_session.XXXXXX";
static char file[64];

static int setup(void **);
static int teardown(void **);
static void sample(struct saved_session *s);
static void write_text(const char *text);
static void expect_unusable(const char *why_part);

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/n1.session", dir);
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

/* A session as the daemon would save it (strings not owned). */
static void
sample(struct saved_session *s)
{
	memset(s, 0, sizeof(*s));
	s->client.id = 0x1234abcdLL;
	for (int i = 0; i < ZK_PASSWD_LEN; i++)
		s->client.passwd[i] = (char)(i * 17);
	s->client.timeout_ms = 6000;
	s->path = (char *)(uintptr_t)"/zkelectd/test";
	s->id = (char *)(uintptr_t)"n1";
	s->hosts = (char *)(uintptr_t)"127.0.0.1:2181";
	s->guid = (char *)(uintptr_t)"0123456789abcdef0123456789abcdef";
	s->znode = (char *)(uintptr_t)"/zkelectd/test/n_x-0000000001";
	s->leader_epoch = -1;
}

static void
write_text(const char *text)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	chmod(file, 0600);
}

static void
expect_unusable(const char *why_part)
{
	struct saved_session out;
	char why[256] = "";

	assert_int_equal(session_load(file, "/zkelectd/test", "n1", "127.0.0.1:2181", &out, why,
	    sizeof(why)), SESSION_UNUSABLE);
	if (strstr(why, why_part) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", why, why_part);
}

/* Saved and read back: everything, the password byte for byte; mode 0600. */
static void
test_round_trip(void **state)
{
	struct saved_session s, out;
	struct stat st;
	char err[256], why[256];

	(void)state;
	sample(&s);
	s.handover = true;
	s.promoted = true;
	s.leader_epoch = 77;
	s.follow_ok = true;
	umask(022);
	assert_int_equal(session_save(file, &s, err, sizeof(err)), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(session_load(file, "/zkelectd/test", "n1", "127.0.0.1:2181", &out, why,
	    sizeof(why)), SESSION_USABLE);
	assert_int_equal(out.client.id, s.client.id);
	assert_memory_equal(out.client.passwd, s.client.passwd, ZK_PASSWD_LEN);
	assert_int_equal(out.client.timeout_ms, 6000);
	assert_string_equal(out.guid, s.guid);
	assert_string_equal(out.znode, s.znode);
	assert_true(out.handover && out.promoted && out.follow_ok);
	assert_int_equal(out.leader_epoch, 77);
	session_clear(&out);
}

/* No znode yet: saved as empty, read back as NULL. */
static void
test_no_znode(void **state)
{
	struct saved_session s, out;
	char err[256], why[256];

	(void)state;
	sample(&s);
	s.znode = NULL;
	assert_int_equal(session_save(file, &s, err, sizeof(err)), 0);
	assert_int_equal(session_load(file, "/zkelectd/test", "n1", "127.0.0.1:2181", &out, why,
	    sizeof(why)), SESSION_USABLE);
	assert_null(out.znode);
	session_clear(&out);
}

/* Refused: another election, a readable mode, corrupt text; none at all is NONE. */
static void
test_refused(void **state)
{
	struct saved_session s, out;
	char err[256], why[256];

	(void)state;
	assert_int_equal(session_remove(file), 0);
	assert_int_equal(session_load(file, "/p", "n1", "h:1", &out, why, sizeof(why)),
	    SESSION_NONE);
	sample(&s);
	assert_int_equal(session_save(file, &s, err, sizeof(err)), 0);
	assert_int_equal(session_load(file, "/zkelectd/other", "n1", "127.0.0.1:2181", &out, why,
	    sizeof(why)), SESSION_UNUSABLE);
	assert_non_null(strstr(why, "written for another election"));
	assert_int_equal(session_load(file, "/zkelectd/test", "n2", "127.0.0.1:2181", &out, why,
	    sizeof(why)), SESSION_UNUSABLE);
	chmod(file, 0640);
	expect_unusable("mode 0640");
	write_text("version=1\nsession=0x12\n");
	expect_unusable("keys missing");
	write_text("version=2\n");
	expect_unusable("corrupt (at \"version\")");
	write_text("bogus line\n");
	expect_unusable("corrupt");
	write_text("");
	expect_unusable("corrupt (size 0)");
	assert_int_equal(session_remove(file), 0);
	assert_int_equal(session_remove(file), 0);
}

/* The password appears only as hex in the file, and nowhere a reader is told. */
static void
test_password_not_in_reasons(void **state)
{
	struct saved_session s, out;
	char err[256], why[256];

	(void)state;
	sample(&s);
	assert_int_equal(session_save(file, &s, err, sizeof(err)), 0);
	assert_int_equal(session_load(file, "/other", "n1", "127.0.0.1:2181", &out, why,
	    sizeof(why)), SESSION_UNUSABLE);
	assert_null(strstr(why, "00112233"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_znode),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_password_not_in_reasons),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
