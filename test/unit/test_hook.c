/* Unit tests for hook: real children on a real event base, outcomes checked. */
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
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <event2/event.h>

#include "hook.h"
#include "log.h"
#include "xmalloc.h"

#define DEADLINE_MS	20000	/* no single run may take longer than this */

/* What one hook_run reported. */
struct outcome {
	bool done;
	int calls;
	struct hook_result res;
	struct timespec at;	/* when DONE ran */
};

static struct event_base *base;
static char tmpdir[64];
static int saved_stderr = -1;
static char capture_path[128];

static void done_cb(void *, const struct hook_result *);
static void tick_cb(evutil_socket_t, short, void *);
static bool loop_until(bool (*)(void *), void *, int);
static bool outcome_done(void *);
static bool pid_gone(void *);
static void capture_start(void);
static char *capture_end(void);
static char *output_of(const char *, const char *, pid_t);
static pid_t hook_pid_in(const char *, const char *);
static char *run_captured(const char *, char *const [], char *const [], int64_t,
    struct outcome *);
static int64_t ms_between(const struct timespec *, const struct timespec *);

/* DONE callback: record the result and how many times we were called. */
static void
done_cb(void *arg, const struct hook_result *res)
{
	struct outcome *o = arg;

	o->done = true;
	o->calls++;
	o->res = *res;
	clock_gettime(CLOCK_MONOTONIC, &o->at);
}

/* A periodic wake-up so loop_until re-checks its condition. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Run the loop until COND(ARG) holds; false if MS milliseconds passed first. */
static bool
loop_until(bool (*cond)(void *), void *arg, int ms)
{
	struct timeval tv = { 0, 20 * 1000 };
	struct timespec start, now;
	struct event *tick;
	bool ok = false;

	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (cond(arg)) {
			ok = true;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ms_between(&start, &now) > ms)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(tick);
	return ok;
}

/* Condition: the run reported. */
static bool
outcome_done(void *arg)
{
	return ((struct outcome *)arg)->done;
}

/* Condition: the process no longer exists (not even as a zombie). */
static bool
pid_gone(void *arg)
{
	return kill(*(pid_t *)arg, 0) == -1 && errno == ESRCH;
}

/* Milliseconds from A to B. */
static int64_t
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* Send our log (stderr) to a file until capture_end. */
static void
capture_start(void)
{
	int fd;

	snprintf(capture_path, sizeof(capture_path), "%s/log", tmpdir);
	fd = open(capture_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd != -1);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restore stderr and return what was logged meanwhile (malloc'd). */
static char *
capture_end(void)
{
	char *text;
	size_t len = 0, cap = 4096;
	ssize_t n;
	int fd;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fd = open(capture_path, O_RDONLY | O_CLOEXEC);
	assert_true(fd != -1);
	text = xmalloc(cap);
	while ((n = read(fd, text + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			text = xrealloc(text, cap *= 2);
	}
	close(fd);
	text[len] = '\0';
	fputs(text, stderr);	/* keep it visible in the test output */
	return text;
}

/* The output lines the log attributes to hook NAME[PID], each ending in \n. */
static char *
output_of(const char *log, const char *name, pid_t pid)
{
	char *prefix, *out, *eol;
	const char *p;
	size_t len = 0, n;

	prefix = xasprintf("hook %s[%ld]: ", name, (long)pid);
	out = xcalloc(1, strlen(log) + 1);
	for (p = log; (p = strstr(p, prefix)) != NULL; p = eol + 1) {
		p += strlen(prefix);
		eol = strchr(p, '\n');
		assert_non_null(eol);
		n = (size_t)(eol - p) + 1;
		memcpy(out + len, p, n);
		len += n;
	}
	free(prefix);
	return out;
}

/* The pid the log shows for hook NAME (the first "hook NAME[pid]"). */
static pid_t
hook_pid_in(const char *log, const char *name)
{
	char *prefix;
	const char *p;

	prefix = xasprintf("hook %s[", name);
	p = strstr(log, prefix);
	assert_non_null(p);
	p += strlen(prefix);
	free(prefix);
	return (pid_t)strtol(p, NULL, 10);
}

/* Start a run, wait for DONE with our log captured; returns the log. */
static char *
run_captured(const char *name, char *const argv[], char *const envp[],
    int64_t timeout_ms, struct outcome *o)
{
	char *log;
	bool ok;

	memset(o, 0, sizeof(*o));
	capture_start();
	hook_run(name, argv, envp, timeout_ms, NULL, done_cb, o);
	ok = loop_until(outcome_done, o, DEADLINE_MS);
	log = capture_end();
	if (!ok)
		fail_msg("hook %s did not finish within %d ms", name, DEADLINE_MS);
	assert_int_equal(o->calls, 1);
	return log;
}

/* Exit 0 is a success with status "exit 0". */
static void
test_exit_zero(void **state)
{
	char *argv[] = { "/bin/true", NULL }, *envp[] = { NULL };
	struct outcome o;

	(void)state;
	free(run_captured("t0", argv, envp, 5000, &o));
	assert_true(o.res.ok);
	assert_string_equal(o.res.status, "exit 0");
	assert_true(WIFEXITED(o.res.wstatus) && WEXITSTATUS(o.res.wstatus) == 0);
	assert_false(o.res.timed_out);
	assert_false(o.res.stopped);
}

/* Exit 3 is a failure with status "exit 3". */
static void
test_exit_three(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "exit 3", NULL }, *envp[] = { NULL };
	struct outcome o;

	(void)state;
	free(run_captured("t3", argv, envp, 5000, &o));
	assert_false(o.res.ok);
	assert_string_equal(o.res.status, "exit 3");
	assert_int_equal(WEXITSTATUS(o.res.wstatus), 3);
}

/* Stdout lines are logged; long lines split; control bytes escaped. */
static void
test_output_logged(void **state)
{
	char *argv[] = { "/bin/sh", "-c",
	    "echo hello; echo world; printf 'a\\001b\\\\c\\n';"
	    " i=0; while [ $i -lt 1030 ]; do printf x; i=$((i+1)); done; echo;"
	    " printf partial", NULL };
	char *envp[] = { NULL };
	struct outcome o;
	char *log, *out, *expect, x1024[1025];

	(void)state;
	memset(x1024, 'x', 1024);
	x1024[1024] = '\0';
	log = run_captured("out", argv, envp, 5000, &o);
	assert_true(o.res.ok);
	assert_non_null(strstr(log, "hook out["));
	assert_non_null(strstr(log, "] exit 0 after "));
	out = output_of(log, "out", hook_pid_in(log, "out"));
	expect = xasprintf("hello\nworld\na\\x01b\\\\c\n%s\nxxxxxx\npartial\n", x1024);
	assert_string_equal(out, expect);
	free(expect);
	free(out);
	free(log);
}

/* Stdout lines are logged at info level, stderr lines at warning, each stream in order. */
static void
test_stderr_at_warning(void **state)
{
	char *argv[] = { "/bin/sh", "-c",
	    "echo out1; echo err1 >&2; echo out2; printf 'err2' >&2", NULL };
	static const struct { const char *level, *text; } want[] = {
		{ "info", "out1" }, { "warning", "err1" }, { "info", "out2" },
		{ "warning", "err2" },
	};
	char *envp[] = { NULL };
	struct outcome o;
	char *log, *line;
	pid_t pid;

	(void)state;
	log = run_captured("s", argv, envp, 5000, &o);
	assert_true(o.res.ok);
	pid = hook_pid_in(log, "s");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		line = xasprintf("%s: hook s[%ld]: %s\n", want[i].level, (long)pid, want[i].text);
		if (strstr(log, line) == NULL)
			fail_msg("no \"%s\" in the log: %s", line, log);
		free(line);
	}
	line = xasprintf("hook s[%ld]: out1", (long)pid);
	assert_true(strstr(log, line) < strstr(log, "out2"));
	free(line);
	free(log);
}

/* The environment is exactly what was given. */
static void
test_environment_exact(void **state)
{
	char *argv[] = { "/usr/bin/env", NULL };
	char *envp[] = { "ZKELECT_EVENT=promote", "ZKELECT_LEADER_DATA=a b'c$(x)",
	    "PATH=/usr/bin:/bin", NULL };
	struct outcome o;
	char *log, *out;
	pid_t pid;

	(void)state;
	setenv("ZKTEST_SHOULD_NOT_LEAK", "1", 1);
	log = run_captured("env", argv, envp, 5000, &o);
	assert_true(o.res.ok);
	pid = hook_pid_in(log, "env");
	out = output_of(log, "env", pid);
	assert_string_equal(out, "ZKELECT_EVENT=promote\n"
	    "ZKELECT_LEADER_DATA=a b'c$(x)\nPATH=/usr/bin:/bin\n");
	free(out);
	free(log);
	unsetenv("ZKTEST_SHOULD_NOT_LEAK");
}

/* The child has 0, 1, 2 only, stdin is /dev/null, and it leads its own group. */
static void
test_descriptors_and_group(void **state)
{
	char *argv[] = { "/bin/sh", "-c",
	    "ls /proc/$$/fd; readlink /proc/$$/fd/0;"
	    " cut -d' ' -f5 /proc/$$/stat; echo $$", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct outcome o;
	char *log, *out, *expect;
	pid_t pid;
	int leak;

	(void)state;
	leak = open("/dev/null", O_RDONLY);	/* deliberately not O_CLOEXEC */
	assert_true(leak != -1);
	assert_int_equal(dup2(leak, 100), 100);
	log = run_captured("fds", argv, envp, 5000, &o);
	close(leak);
	close(100);
	assert_true(o.res.ok);
	pid = hook_pid_in(log, "fds");
	out = output_of(log, "fds", pid);
	expect = xasprintf("0\n1\n2\n/dev/null\n%ld\n%ld\n", (long)pid, (long)pid);
	assert_string_equal(out, expect);
	free(expect);
	free(out);
	free(log);
}

/* SIGPIPE is default and the mask empty in the child although the parent differs. */
static void
test_signals_default(void **state)
{
	char *argv[] = { "/bin/grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL };
	char *envp[] = { NULL };
	struct outcome o;
	char *log, *out, *p;
	unsigned long long ign, blk;
	sigset_t set, old;
	pid_t pid;

	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	log = run_captured("sig", argv, envp, 5000, &o);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_true(o.res.ok);
	pid = hook_pid_in(log, "sig");
	out = output_of(log, "sig", pid);
	p = strstr(out, "SigBlk:");
	assert_non_null(p);
	blk = strtoull(p + 9, NULL, 16);	/* past "SigBlk:\\t" */
	p = strstr(out, "SigIgn:");
	assert_non_null(p);
	ign = strtoull(p + 9, NULL, 16);
	assert_int_equal(blk, 0);
	assert_int_equal(ign & (1ULL << (SIGPIPE - 1)), 0);
	/*
	 * Nothing ignored, except that glibc's posix_spawn leaves its two
	 * internal signals (kernel 32 and 33, below SIGRTMIN) at SIG_IGN.
	 */
	for (int sig = 1; sig <= SIGRTMAX; sig++)
		if (sig < 32 || sig >= SIGRTMIN)
			if (ign & (1ULL << (sig - 1)))
				fail_msg("signal %d is ignored in the child", sig);
	free(out);
	free(log);
}

/* A timeout kills the shell and the grandchild it left in the background. */
static void
test_timeout_kills_group(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 1000 & echo $!; wait", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct outcome o;
	char *log, *p;
	pid_t grandchild;

	(void)state;
	log = run_captured("slow", argv, envp, 300, &o);
	assert_false(o.res.ok);
	assert_true(o.res.timed_out);
	assert_string_equal(o.res.status, "timeout");
	assert_true(WIFSIGNALED(o.res.wstatus));
	assert_int_equal(WTERMSIG(o.res.wstatus), SIGTERM);
	assert_non_null(strstr(log, "timed out after 300 ms"));
	p = output_of(log, "slow", hook_pid_in(log, "slow"));
	grandchild = (pid_t)strtol(p, NULL, 10);
	assert_true(grandchild > 0);
	free(p);
	free(log);
	/* We are the subreaper, so the loop reaps it: gone means gone. */
	if (!loop_until(pid_gone, &grandchild, 5000)) {
		kill(grandchild, SIGKILL);
		fail_msg("background sleep %ld survived the timeout", (long)grandchild);
	}
}

/* A hook that ignores SIGTERM is SIGKILLed 5 s later. */
static void
test_timeout_then_sigkill(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "trap '' TERM; sleep 1000", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct outcome o;
	char *log;

	(void)state;
	log = run_captured("stubborn", argv, envp, 200, &o);
	assert_true(o.res.timed_out);
	assert_string_equal(o.res.status, "timeout");
	assert_true(WIFSIGNALED(o.res.wstatus));
	assert_int_equal(WTERMSIG(o.res.wstatus), SIGKILL);
	assert_non_null(strstr(log, "sending SIGKILL"));
	free(log);
}

/* hook_kill ends the run at once with SIGKILL; it counts as stopped. */
static void
test_kill(void **state)
{
	char *argv[] = { "/bin/sleep", "1000", NULL }, *envp[] = { NULL };
	struct outcome o;
	struct hook *h;

	(void)state;
	memset(&o, 0, sizeof(o));
	h = hook_run("k", argv, envp, 60000, NULL, done_cb, &o);
	assert_true(hook_pid(h) > 0);
	assert_string_equal(hook_name(h), "k");
	hook_kill(h);
	if (!loop_until(outcome_done, &o, DEADLINE_MS))
		fail_msg("killed hook did not finish");
	assert_false(o.res.ok);
	assert_true(o.res.stopped);
	assert_false(o.res.timed_out);
	assert_string_equal(o.res.status, "stopped");
	assert_int_equal(WTERMSIG(o.res.wstatus), SIGKILL);
}

/* hook_stop ends the run with SIGTERM; it counts as stopped. */
static void
test_stop(void **state)
{
	char *argv[] = { "/bin/sleep", "1000", NULL }, *envp[] = { NULL };
	struct outcome o;
	struct hook *h;

	(void)state;
	memset(&o, 0, sizeof(o));
	h = hook_run("s", argv, envp, 60000, NULL, done_cb, &o);
	hook_stop(h);
	if (!loop_until(outcome_done, &o, DEADLINE_MS))
		fail_msg("stopped hook did not finish");
	assert_false(o.res.ok);
	assert_true(o.res.stopped);
	assert_string_equal(o.res.status, "stopped");
	assert_int_equal(WTERMSIG(o.res.wstatus), SIGTERM);
}

/* A command that cannot start still reports, from the loop, never from hook_run. */
static void
test_spawn_failure(void **state)
{
	char *argv[] = { "/nonexistent/hook", NULL }, *envp[] = { NULL };
	struct outcome o;
	struct hook *h;

	(void)state;
	memset(&o, 0, sizeof(o));
	h = hook_run("missing", argv, envp, 5000, NULL, done_cb, &o);
	assert_non_null(h);
	assert_false(o.done);
	if (!loop_until(outcome_done, &o, DEADLINE_MS))
		fail_msg("spawn failure was never reported");
	assert_int_equal(o.calls, 1);
	assert_false(o.res.ok);
	assert_int_equal(o.res.wstatus, -1);
	assert_string_equal(o.res.status, "spawn failed");
}

/*
 * A background process holding stdout delays the end by about 1 s, not
 * forever; a timeout falling into that second does not turn the run into a
 * failure (the hook itself exited in time).
 */
static void
test_background_holds_output(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 1000 & echo $!", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct timespec start;
	struct outcome o;
	char *log, *p;
	pid_t bg;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &start);
	log = run_captured("bg", argv, envp, 300, &o);
	p = output_of(log, "bg", hook_pid_in(log, "bg"));
	bg = (pid_t)strtol(p, NULL, 10);
	free(p);
	assert_true(bg > 0);
	kill(bg, SIGKILL);	/* ours to clean up, whatever the outcome */
	assert_true(o.res.ok);
	assert_string_equal(o.res.status, "exit 0");
	/* The 1 s linger timer ran (libevent may fire it a few ms early). */
	assert_non_null(strstr(log, "output is still open"));
	assert_true(ms_between(&start, &o.at) >= 900);
	free(log);
	if (!loop_until(pid_gone, &bg, 5000))
		fail_msg("could not clean up background sleep %ld", (long)bg);
}

/* Two runs at once are told apart by pid. */
static void
test_concurrent_runs(void **state)
{
	char *a[] = { "/bin/sh", "-c", "sleep 0.3; exit 1", NULL };
	char *b[] = { "/bin/sh", "-c", "exit 2", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct outcome oa, ob;

	(void)state;
	memset(&oa, 0, sizeof(oa));
	memset(&ob, 0, sizeof(ob));
	hook_run("a", a, envp, 5000, NULL, done_cb, &oa);
	hook_run("b", b, envp, 5000, NULL, done_cb, &ob);
	if (!loop_until(outcome_done, &oa, DEADLINE_MS) ||
	    !loop_until(outcome_done, &ob, DEADLINE_MS))
		fail_msg("concurrent hooks did not both finish");
	assert_string_equal(oa.res.status, "exit 1");
	assert_string_equal(ob.res.status, "exit 2");
	assert_int_equal(oa.calls, 1);
	assert_int_equal(ob.calls, 1);
}

/* One event base, SIGPIPE ignored as in the daemon, and we reap orphans. */
static int
setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	log_init("test_hook", LOG_INFO);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_hook.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	base = event_base_new();
	if (base == NULL)
		return -1;
	hook_init(base);
	return 0;
}

/* Free the base and the temporary directory. */
static int
teardown(void **state)
{
	char path[128];

	(void)state;
	hook_shutdown();
	event_base_free(base);
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_zero),
		cmocka_unit_test(test_exit_three),
		cmocka_unit_test(test_output_logged),
		cmocka_unit_test(test_stderr_at_warning),
		cmocka_unit_test(test_environment_exact),
		cmocka_unit_test(test_descriptors_and_group),
		cmocka_unit_test(test_signals_default),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_timeout_then_sigkill),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_spawn_failure),
		cmocka_unit_test(test_background_holds_output),
		cmocka_unit_test(test_concurrent_runs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
