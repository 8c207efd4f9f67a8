/* Unit tests for state: shell-safe quoting, atomic state file, PID file locking. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"
#include "xmalloc.h"

static char tmpdir[64];

static char *path_in(const char *);
static char *slurp(const char *);
static char *sh_value(const char *, const char *, const char *);
static void state_sample(struct state *);
static pid_t lock_holder(const char *, int *);
static void release(pid_t, int, bool);
static void write_loop_reader(const char *, int);

/* NAME inside the test's temporary directory (malloc'd). */
static char *
path_in(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* The content of PATH (malloc'd), or NULL. */
static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f, *m;
	int c;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	m = open_memstream(&buf, &len);
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/*
 * What SHELL prints for "$VAR" after sourcing FILE: the operator's way of
 * reading the state file. Output bytes are kept exactly (no $(...) trimming).
 */
static char *
sh_value(const char *shell, const char *file, const char *var)
{
	char *script, *out = NULL;
	size_t len = 0;
	int fds[2], st;
	FILE *r, *m;
	pid_t pid;
	int c;

	script = xasprintf(". \"$1\" && printf %%s \"$%s\"", var);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(shell, shell, "-c", script, "sh", file, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	r = fdopen(fds[0], "r");
	m = open_memstream(&out, &len);
	while ((c = getc(r)) != EOF)
		putc(c, m);
	fclose(m);
	fclose(r);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(script);
	return out;
}

/* A typical leader's state. */
static void
state_sample(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->role = "leader";
	st->id = "db1";
	st->leader_id = "db1";
	st->leader_data = "host=10.0.0.5 port=5432";
	st->epoch = 4294967302LL;
	st->znode = "/zkelectd/orders/n_0000000007";
	st->session_id = 0x100000a1b2c3d4eLL;
	st->zk_state = "connected";
	st->health = "ok";
	st->pid = 4242;
	st->since = 1700000000;
	st->updated = 1700000123;
	st->transitions = 3;
	st->last_hook = "promote";
	st->last_hook_status = "exit 0";
	st->watchdog = STATE_WD_ARMED;
	st->watchdog_timeout_ms = 3000;
	st->watchdog_last_kick_ms = 1700000123456LL;
	st->image_started_ms = 1699999990123LL;
	st->upgrade = "upgraded in place";
}

/* Every key, in the contract's order, quoted. */
static void
test_write_format(void **state)
{
	struct state st;
	char *path, *text;

	(void)state;
	state_sample(&st);
	path = path_in("format.state");
	assert_int_equal(state_write(path, &st), 0);
	text = slurp(path);
	assert_non_null(text);
	assert_string_equal(text,
	    "ROLE='leader'\n"
	    "ID='db1'\n"
	    "LEADER_ID='db1'\n"
	    "LEADER_DATA='host=10.0.0.5 port=5432'\n"
	    "EPOCH='4294967302'\n"
	    "ZNODE='/zkelectd/orders/n_0000000007'\n"
	    "SESSION_ID='0x100000a1b2c3d4e'\n"
	    "ZK_STATE='connected'\n"
	    "HEALTH='ok'\n"
	    "PID='4242'\n"
	    "SINCE='1700000000'\n"
	    "UPDATED='1700000123'\n"
	    "TRANSITIONS='3'\n"
	    "LAST_HOOK='promote'\n"
	    "LAST_HOOK_STATUS='exit 0'\n"
	    "WATCHDOG='armed'\n"
	    "WATCHDOG_TIMEOUT_MS='3000'\n"
	    "WATCHDOG_LAST_KICK_MS='1700000123456'\n"
	    "IMAGE_STARTED_MS='1699999990123'\n"
	    "UPGRADE='upgraded in place'\n"
	    "PAUSED='no'\n"
	    "PAUSE_REASON=''\n"
	    "PAUSE_BY=''\n"
	    "PAUSE_ENDS_MS=''\n"
	    "PAUSE_HELD=''\n"
	    "SWITCHOVER=''\n"
	    "FENCE=''\n");
	free(text);
	free(path);
}

/* No epoch, no session, NULL strings: all written as ''. */
static void
test_write_empty_values(void **state)
{
	struct state st;
	struct state_kv *kv;
	char *path;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.role = "starting";
	st.epoch = -1;
	path = path_in("empty.state");
	assert_int_equal(state_write(path, &st), 0);
	kv = state_read(path);
	assert_non_null(kv);
	assert_string_equal(state_get(kv, "ROLE"), "starting");
	assert_string_equal(state_get(kv, "EPOCH"), "");
	assert_string_equal(state_get(kv, "SESSION_ID"), "");
	assert_string_equal(state_get(kv, "LEADER_ID"), "");
	assert_string_equal(state_get(kv, "LAST_HOOK_STATUS"), "");
	assert_string_equal(state_get(kv, "TRANSITIONS"), "0");
	assert_string_equal(state_get(kv, "WATCHDOG"), "off");
	assert_string_equal(state_get(kv, "WATCHDOG_TIMEOUT_MS"), "");
	assert_string_equal(state_get(kv, "WATCHDOG_LAST_KICK_MS"), "");
	assert_string_equal(state_get(kv, "IMAGE_STARTED_MS"), "");
	assert_string_equal(state_get(kv, "UPGRADE"), "");
	assert_null(state_get(kv, "NO_SUCH_KEY"));
	state_kv_free(kv);
	free(path);
}

/*
 * WATCHDOG and its timeout for each state: the timeout only when not off;
 * the problem after "unavailable: ", quoted like any value.
 */
static void
test_write_watchdog(void **state)
{
	static const struct {
		enum state_watchdog wd;
		const char *problem, *text, *timeout;
	} cases[] = {
		{ STATE_WD_OFF, NULL, "off", "" },
		{ STATE_WD_ARMED, NULL, "armed", "3000" },
		{ STATE_WD_DISARMED, "", "disarmed", "3000" },
		{ STATE_WD_UNAVAILABLE, "watchdog /dev/watchdog: cannot open: it's busy",
		    "unavailable: watchdog /dev/watchdog: cannot open: it's busy", "3000" },
		{ STATE_WD_UNAVAILABLE, NULL, "unavailable: no reason known", "3000" },
	};
	struct state_kv *kv;
	struct state st;
	char *path, buf[64], *out;

	(void)state;
	path = path_in("watchdog.state");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		state_sample(&st);
		st.watchdog = cases[i].wd;
		st.watchdog_problem = cases[i].problem;
		st.watchdog_last_kick_ms = 0;
		st.upgrade = "failed: cannot execute /usr/sbin/zkelectd: Permission denied";
		assert_int_equal(state_write(path, &st), 0);
		kv = state_read(path);
		assert_non_null(kv);
		assert_string_equal(state_get(kv, "WATCHDOG"), cases[i].text);
		assert_string_equal(state_get(kv, "WATCHDOG_TIMEOUT_MS"), cases[i].timeout);
		assert_string_equal(state_get(kv, "WATCHDOG_LAST_KICK_MS"), "");
		assert_string_equal(state_get(kv, "IMAGE_STARTED_MS"), "1699999990123");
		assert_string_equal(state_get(kv, "UPGRADE"), st.upgrade);
		state_kv_free(kv);
		if (access("/bin/sh", X_OK) == 0) {
			out = sh_value("/bin/sh", path, "WATCHDOG");
			assert_string_equal(out, cases[i].text);
			free(out);
		}
	}
	/* cut to fit the caller's buffer, never past it */
	st.watchdog = STATE_WD_UNAVAILABLE;
	st.watchdog_problem = "a reason far longer than the sixty-four bytes of this buffer, "
	    "and then some more";
	assert_int_equal(strlen(state_format_watchdog(&st, buf, sizeof(buf))), sizeof(buf) - 1);
	assert_int_equal(strncmp(buf, "unavailable: a reason far", 25), 0);
	unlink(path);
	free(path);
}

/* Nasty values survive sh and bash sourcing byte for byte and run nothing. */
static void
test_quote_roundtrip_sh(void **state)
{
	const char *shells[] = { "/bin/sh", "/bin/bash" };
	char *pwned, *values[16], *path, *out;
	struct state_kv *kv;
	struct state st;
	size_t n = 0;

	(void)state;
	pwned = path_in("pwned");
	values[n++] = xasprintf("$(touch %s)", pwned);
	values[n++] = xasprintf("`touch %s`", pwned);
	values[n++] = xasprintf("'; touch %s; '", pwned);
	values[n++] = xasprintf("\"$(touch %s)\"", pwned);
	values[n++] = xstrdup("it's a 'quoted' \"word\"");
	values[n++] = xstrdup("'\\''");
	values[n++] = xstrdup("line one\nline two\n\n");
	values[n++] = xstrdup("back\\slash \\\\ \\n \\' end\\");
	values[n++] = xstrdup("h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93");
	values[n++] = xstrdup("-n -e --leading-dash");
	values[n++] = xstrdup("$HOME ${PATH} $1 * ? [a] ~ ; | & < > ( ) { } ! #");
	values[n++] = xstrdup("tab\there\rcr \x01\x7f \xff");
	values[n++] = xstrdup("");
	values[n++] = xstrdup("''''");
	path = path_in("nasty.state");
	for (size_t i = 0; i < n; i++) {
		state_sample(&st);
		st.leader_data = values[i];
		st.id = values[i];
		assert_int_equal(state_write(path, &st), 0);
		for (size_t s = 0; s < sizeof(shells) / sizeof(shells[0]); s++) {
			if (access(shells[s], X_OK) != 0)
				continue;
			out = sh_value(shells[s], path, "LEADER_DATA");
			assert_string_equal(out, values[i]);
			free(out);
			out = sh_value(shells[s], path, "ID");
			assert_string_equal(out, values[i]);
			free(out);
		}
		kv = state_read(path);
		assert_non_null(kv);
		assert_string_equal(state_get(kv, "LEADER_DATA"), values[i]);
		assert_string_equal(state_get(kv, "ROLE"), "leader");
		state_kv_free(kv);
		free(values[i]);
	}
	if (access(pwned, F_OK) == 0)
		fail_msg("sourcing the state file ran a command (%s exists)", pwned);
	free(path);
	free(pwned);
}

/* state_quote's exact output. */
static void
test_quote_exact(void **state)
{
	char *q;

	(void)state;
	q = state_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	free(q);
	q = state_quote("");
	assert_string_equal(q, "''");
	free(q);
	q = state_quote(NULL);
	assert_string_equal(q, "''");
	free(q);
}

/* The session id as the contract prints it. */
static void
test_format_session(void **state)
{
	char buf[24];

	(void)state;
	assert_string_equal(state_format_session(0x100000a1b2c3d4eLL, buf, sizeof(buf)),
	    "0x100000a1b2c3d4e");
	assert_string_equal(state_format_session(INT64_MIN, buf, sizeof(buf)),
	    "0x8000000000000000");
}

/* Replacing leaves no temporary file and the new content in place. */
static void
test_atomic_replace(void **state)
{
	struct state st;
	struct state_kv *kv;
	char *path, *tmp;

	(void)state;
	path = path_in("atomic.state");
	tmp = xasprintf("%s.tmp", path);
	state_sample(&st);
	assert_int_equal(state_write(path, &st), 0);
	st.role = "follower";
	st.transitions = 4;
	assert_int_equal(state_write(path, &st), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	kv = state_read(path);
	assert_non_null(kv);
	assert_string_equal(state_get(kv, "ROLE"), "follower");
	assert_string_equal(state_get(kv, "TRANSITIONS"), "4");
	state_kv_free(kv);
	free(tmp);
	free(path);
}

/* Child side of test_atomic_concurrent: read PATH until told to stop; exit 1 on a bad read. */
static void
write_loop_reader(const char *path, int stopfd)
{
	struct state_kv *kv;
	const char *role;
	char c;

	fcntl(stopfd, F_SETFL, O_NONBLOCK);
	while (read(stopfd, &c, 1) != 0) {
		if ((kv = state_read(path)) == NULL)
			_exit(2);
		role = state_get(kv, "ROLE");
		if (role == NULL || state_get(kv, "LAST_HOOK_STATUS") == NULL ||
		    (strcmp(role, "leader") != 0 && strcmp(role, "follower") != 0))
			_exit(1);
		state_kv_free(kv);
	}
	_exit(0);
}

/* A reader never sees the file missing or partial while we keep replacing it. */
static void
test_atomic_concurrent(void **state)
{
	struct state st;
	char *path;
	int fds[2], status;
	pid_t pid;

	(void)state;
	path = path_in("race.state");
	state_sample(&st);
	assert_int_equal(state_write(path, &st), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(fds[1]);
		write_loop_reader(path, fds[0]);
	}
	close(fds[0]);
	for (int i = 0; i < 2000; i++) {
		st.role = i % 2 ? "leader" : "follower";
		assert_int_equal(state_write(path, &st), 0);
	}
	close(fds[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("a reader saw a missing or partial state file (status %d)", status);
	free(path);
}

/* Writing into a missing directory fails with errno and leaves nothing. */
static void
test_write_failure(void **state)
{
	struct state st;
	char *path;

	(void)state;
	state_sample(&st);
	path = path_in("no/such/dir.state");
	errno = 0;
	assert_int_equal(state_write(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	free(path);
}

/* Unreadable or malformed files are refused with errno. */
static void
test_read_errors(void **state)
{
	const char *bad[] = { "ROLE='unterminated\n", "ROLE=$(x)\n", "=x\n",
	    "ROLE\n", "ROLE=a b\n" };
	char *path;
	FILE *f;

	(void)state;
	path = path_in("bad.state");
	errno = 0;
	assert_null(state_read(path));
	assert_int_equal(errno, ENOENT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		errno = 0;
		if (state_read(path) != NULL)
			fail_msg("accepted malformed state file: %s", bad[i]);
		assert_int_equal(errno, EINVAL);
	}
	unlink(path);
	free(path);
}

/* Hand-written files in sh's other spellings are read too. */
static void
test_read_lenient(void **state)
{
	struct state_kv *kv;
	char *path;
	FILE *f;

	(void)state;
	path = path_in("hand.state");
	f = fopen(path, "w");
	fputs("# written by hand\n\nROLE=leader\nID=db1'x y'\\'z\nDATA='a\nb'\n", f);
	fclose(f);
	kv = state_read(path);
	assert_non_null(kv);
	assert_string_equal(state_get(kv, "ROLE"), "leader");
	assert_string_equal(state_get(kv, "ID"), "db1x y'z");
	assert_string_equal(state_get(kv, "DATA"), "a\nb");
	state_kv_free(kv);
	unlink(path);
	free(path);
}

/*
 * Fork a child that takes the PID file at PATH and holds it until released;
 * *CTL is the pipe end that releases it.
 */
static pid_t
lock_holder(const char *path, int *ctl)
{
	int up[2], down[2];
	char err[256], c;
	pid_t pid;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct pidfile *pf;

		close(up[0]);
		close(down[1]);
		pf = pidfile_open(path, err, sizeof(err));
		c = pf != NULL ? 'y' : 'n';
		(void)!write(up[1], &c, 1);
		(void)!read(down[0], &c, 1);
		if (c == 'c')
			pidfile_close(pf);
		_exit(0);	/* else: die holding it, leaving a stale file */
	}
	close(up[1]);
	close(down[0]);
	assert_int_equal(read(up[0], &c, 1), 1);
	close(up[0]);
	assert_int_equal(c, 'y');
	*ctl = down[1];
	return pid;
}

/* Let the holder go, cleanly (pidfile_close) or by just exiting. */
static void
release(pid_t pid, int ctl, bool clean)
{
	char c = clean ? 'c' : 'x';
	int st;

	assert_int_equal(write(ctl, &c, 1), 1);
	close(ctl);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

/* Our own PID file: our pid inside; a second open, even by us, is refused. */
static void
test_pidfile_ours(void **state)
{
	struct pidfile *pf;
	char err[256], *path, *text, *expect;
	bool running;

	(void)state;
	path = path_in("own.pid");
	pf = pidfile_open(path, err, sizeof(err));
	assert_non_null(pf);
	text = slurp(path);
	expect = xasprintf("%ld\n", (long)getpid());
	assert_string_equal(text, expect);
	free(text);
	assert_null(pidfile_open(path, err, sizeof(err)));
	free(expect);
	expect = xasprintf("another zkelectd (pid %ld) holds %s; stop it first",
	    (long)getpid(), path);
	assert_string_equal(err, expect);
	assert_int_equal(pidfile_peek(path, &running), getpid());
	assert_true(running);
	pidfile_close(pf);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pidfile_peek(path, &running), 0);
	assert_false(running);
	free(expect);
	free(path);
}

/* Another process holds it: refused, naming that process; peek sees it running. */
static void
test_pidfile_other(void **state)
{
	char err[256], *path, *expect;
	bool running;
	pid_t pid;
	int ctl;

	(void)state;
	path = path_in("other.pid");
	pid = lock_holder(path, &ctl);
	assert_null(pidfile_open(path, err, sizeof(err)));
	expect = xasprintf("another zkelectd (pid %ld) holds %s; stop it first",
	    (long)pid, path);
	assert_string_equal(err, expect);
	assert_int_equal(pidfile_peek(path, &running), pid);
	assert_true(running);
	release(pid, ctl, true);
	assert_int_equal(pidfile_peek(path, &running), 0);
	assert_false(running);
	free(expect);
	free(path);
}

/* A file left by a dead process is not running and is simply taken over. */
static void
test_pidfile_stale(void **state)
{
	struct pidfile *pf;
	char err[256], *path, *text, *expect;
	bool running;
	pid_t pid;
	int ctl;

	(void)state;
	path = path_in("stale.pid");
	pid = lock_holder(path, &ctl);
	release(pid, ctl, false);
	assert_int_equal(pidfile_peek(path, &running), pid);
	assert_false(running);
	pf = pidfile_open(path, err, sizeof(err));
	assert_non_null(pf);
	text = slurp(path);
	expect = xasprintf("%ld\n", (long)getpid());
	assert_string_equal(text, expect);
	pidfile_close(pf);
	free(text);
	free(expect);
	free(path);
}

/* Garbage in a stale file is replaced; a missing directory is a clear error. */
static void
test_pidfile_garbage_and_errors(void **state)
{
	struct pidfile *pf;
	char err[256], *path, *text, *expect;
	bool running;
	FILE *f;

	(void)state;
	path = path_in("garbage.pid");
	f = fopen(path, "w");
	fputs("not a pid at all, and rather longer than the PID it will become\n", f);
	fclose(f);
	assert_int_equal(pidfile_peek(path, &running), 0);
	assert_false(running);
	pf = pidfile_open(path, err, sizeof(err));
	assert_non_null(pf);
	text = slurp(path);
	expect = xasprintf("%ld\n", (long)getpid());
	assert_string_equal(text, expect);
	pidfile_close(pf);
	free(text);
	free(expect);
	free(path);

	path = path_in("missing/dir.pid");
	assert_null(pidfile_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open PID file"));
	assert_non_null(strstr(err, path));
	assert_int_equal(pidfile_peek(path, &running), 0);
	assert_false(running);
	free(path);
}

/* A private temporary directory. */
static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_state.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* Remove the temporary directory and what the tests left in it. */
static int
teardown(void **state)
{
	const char *names[] = { "format.state", "empty.state", "nasty.state",
	    "atomic.state", "race.state" };
	char *p;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = path_in(names[i]);
		unlink(p);
		free(p);
	}
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_format),
		cmocka_unit_test(test_write_empty_values),
		cmocka_unit_test(test_write_watchdog),
		cmocka_unit_test(test_quote_exact),
		cmocka_unit_test(test_quote_roundtrip_sh),
		cmocka_unit_test(test_format_session),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_atomic_concurrent),
		cmocka_unit_test(test_write_failure),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_read_lenient),
		cmocka_unit_test(test_pidfile_ours),
		cmocka_unit_test(test_pidfile_other),
		cmocka_unit_test(test_pidfile_stale),
		cmocka_unit_test(test_pidfile_garbage_and_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
