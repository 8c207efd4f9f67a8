/* hook: run one child command without ever blocking the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <grp.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "escape.h"
#include "hook.h"
#include "log.h"
#include "timer.h"
#include "xmalloc.h"

#define HOOK_LINE_MAX	1024	/* longer output lines are logged in pieces */
#define HOOK_KILL_MS	5000	/* SIGTERM to SIGKILL */
#define HOOK_LINGER_MS	1000	/* how long to wait for EOF after reaping */

/*
 * One of a run's two output pipes. Standard output is logged at info level,
 * standard error at warning: a hook says what goes wrong on stderr, and a
 * monitor watching zkelectd's warnings sees it.
 */
struct hook_stream {
	struct hook *h;
	int fd;			/* read end of the pipe; -1 once closed */
	struct event *ev_read;
	int level;		/* LOG_INFO or LOG_WARNING */
	size_t len;
	char line[HOOK_LINE_MAX];
};

struct hook {
	char *name;
	pid_t pid;		/* also the process group; -1 if never started */
	struct hook_stream out[2];	/* stdout, stderr */
	struct event *ev_timeout;	/* the run's timeout, or the spawn-failure report */
	struct event *ev_kill;	/* SIGKILL after SIGTERM */
	struct event *ev_linger;	/* give up on EOF after reaping */
	struct timespec start;
	int64_t elapsed_ms;	/* set when reaped */
	int64_t timeout_ms;
	bool reaped;
	bool eof;		/* both pipes reached EOF (or were given up) */
	bool spawn_failed;
	bool timed_out;
	bool stopped;
	bool term_sent;		/* SIGTERM went to the group; SIGKILL may follow */
	bool quiet;		/* a successful run is logged at debug level only */
	int wstatus;
	hook_done_fn *done;
	void *arg;
	struct hook *next;
};

struct spawn;
static int hook_vfork(struct hook *, struct spawn *);
static void hook_child(const struct spawn *) __attribute__((noreturn));

static struct event_base *hook_base;
static struct event *hook_sigchld;
static struct hook *hook_live;	/* runs not yet finished */

static int64_t hook_ms_since(const struct timespec *);
static int hook_spawn(struct hook *, char *const [], char *const [], const struct run_as *,
    int, int);

static void hook_start(struct hook *, char *const [], char *const [], const struct run_as *);
static void hook_unlink(struct hook *);
static void hook_finish(struct hook *);
static void hook_result(struct hook *, struct hook_result *);
static void hook_terminate(struct hook *, const char *);
static void hook_signal_group(struct hook *, int);
static void hook_log_line(struct hook_stream *);
static void hook_take(struct hook_stream *, const char *, size_t);
static void hook_close_stream(struct hook_stream *);
static void hook_close_output(struct hook *);
static void hook_reaped(struct hook *, int);
static void hook_read_cb(evutil_socket_t, short, void *);
static void hook_sigchld_cb(evutil_socket_t, short, void *);
static void hook_timeout_cb(evutil_socket_t, short, void *);
static void hook_kill_cb(evutil_socket_t, short, void *);
static void hook_linger_cb(evutil_socket_t, short, void *);
static void hook_failed_cb(evutil_socket_t, short, void *);
static void hook_free(struct hook *);

/*
 * Watch SIGCHLD on BASE. evsignal_new makes libevent catch the signal and run
 * our callback from the loop, not from the signal handler, so the callback may
 * reap, log, free and start the next hook like any other event.
 */
void
hook_init(struct event_base *base)
{
	hook_base = base;
	hook_sigchld = evsignal_new(base, SIGCHLD, hook_sigchld_cb, NULL);
	if (hook_sigchld == NULL || evsignal_add(hook_sigchld, NULL) == -1)
		fatalx("cannot watch SIGCHLD");
}

/* Stop watching SIGCHLD; a run still going is killed (it must not outlive us). */
void
hook_shutdown(void)
{
	struct hook *h;

	while ((h = hook_live) != NULL) {
		log_warnx("hook %s[%ld] still running at shutdown; killing it",
		    h->name, (long)h->pid);
		hook_signal_group(h, SIGKILL);
		hook_unlink(h);
		hook_free(h);
	}
	if (hook_sigchld != NULL)
		event_free(hook_sigchld);
	hook_sigchld = NULL;
	hook_base = NULL;
}

/* Start a run of ARGV; DONE is always called later, from the loop. */
struct hook *
hook_run(const char *name, char *const argv[], char *const envp[],
    int64_t timeout_ms, const struct run_as *as, hook_done_fn *done, void *arg)
{
	struct hook *h;

	h = xcalloc(1, sizeof(*h));
	h->name = xstrdup(name);
	h->pid = -1;
	for (int i = 0; i < 2; i++) {
		h->out[i].h = h;
		h->out[i].fd = -1;
		h->out[i].level = i == 0 ? LOG_INFO : LOG_WARNING;
	}
	h->timeout_ms = timeout_ms;
	h->done = done;
	h->arg = arg;
	h->next = hook_live;
	hook_live = h;
	clock_gettime(CLOCK_MONOTONIC, &h->start);
	hook_start(h, argv, envp, as);
	return h;
}

/* Spawn the child and arm its events; on failure report it from a zero timer. */
static void
hook_start(struct hook *h, char *const argv[], char *const envp[], const struct run_as *as)
{
	int o[2] = { -1, -1 }, e[2] = { -1, -1 }, error = 0;

	if (pipe2(o, O_CLOEXEC) == -1 || pipe2(e, O_CLOEXEC) == -1)
		error = errno;
	else
		error = hook_spawn(h, argv, envp, as, o[1], e[1]);
	for (int i = 0; i < 2; i++) {
		if (o[i] != -1 && (i == 1 || error != 0))
			close(o[i]);
		if (e[i] != -1 && (i == 1 || error != 0))
			close(e[i]);
	}
	if (error != 0) {
		log_warnx("hook %s: cannot start %s: %s", h->name, argv[0], strerror(error));
		h->spawn_failed = true;
		h->ev_timeout = evtimer_new(hook_base, hook_failed_cb, h);
		timer_after(h->ev_timeout, 0);
		return;
	}
	h->out[0].fd = o[0];
	h->out[1].fd = e[0];
	for (int i = 0; i < 2; i++) {
		struct hook_stream *st = &h->out[i];

		if (fcntl(st->fd, F_SETFL, fcntl(st->fd, F_GETFL) | O_NONBLOCK) == -1)
			log_warn("hook %s: fcntl", h->name);
		st->ev_read = event_new(hook_base, st->fd, EV_READ | EV_PERSIST, hook_read_cb, st);
		event_add(st->ev_read, NULL);
	}
	h->ev_timeout = evtimer_new(hook_base, hook_timeout_cb, h);
	h->ev_kill = evtimer_new(hook_base, hook_kill_cb, h);
	h->ev_linger = evtimer_new(hook_base, hook_linger_cb, h);
	if (h->timeout_ms > 0)
		timer_after(h->ev_timeout, h->timeout_ms);
	log_debug("hook %s[%ld] started: %s", h->name, (long)h->pid, argv[0]);
}

/*
 * What the child of vfork() needs, prepared by the parent: the child shares
 * our memory until it execs, so it only reads this and makes system calls.
 */
struct spawn {
	char *const *argv, *const *envp;
	const struct run_as *as;
	int out, err, devnull;
	pid_t parent;
	volatile int error;	/* set by the child when it cannot exec */
};

/*
 * Start ARGV in a new process group with default signal dispositions, an empty
 * mask, /dev/null as stdin, OUT as stdout, ERR as stderr, nothing else open, a
 * parent-death signal and AS's identity. vfork() rather than posix_spawn(),
 * which cannot set the parent-death signal or switch users; it is as cheap.
 * Returns 0 or an errno value.
 */
static int
hook_spawn(struct hook *h, char *const argv[], char *const envp[], const struct run_as *as,
    int out, int err)
{
	static char *const noenv[] = { NULL };
	struct spawn sp = { argv, envp != NULL ? envp : noenv, as, out, err, -1, getpid(), 0 };

	if ((sp.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	return hook_vfork(h, &sp);
}

/* vfork and exec as SP says; only H and SP are used after vfork returns. */
static int
hook_vfork(struct hook *h, struct spawn *sp)
{
	sigset_t all, old;
	pid_t pid;
	int status;

	/* no handler of ours may run in the child before it resets them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pid = vfork();	/* the child must not write our memory: only sp->error */
	if (pid == 0)	/* only system calls there, then execve or _exit */
		hook_child(sp);	/* NOLINT(clang-analyzer-unix.Vfork) */
	h->pid = pid;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sp->devnull);
	if (h->pid == -1)
		return errno;
	if (sp->error != 0) {
		/* it never ran: reap it here, before the SIGCHLD handler sees it */
		while (waitpid(h->pid, &status, 0) == -1 && errno == EINTR)
			;
		h->pid = -1;
		return sp->error;
	}
	return 0;
}

/* In the child of vfork(): set up and exec; only system calls from here on. */
static void
hook_child(const struct spawn *csp)
{
	struct spawn *sp = (struct spawn *)(uintptr_t)csp;
	struct sigaction dfl;
	sigset_t none;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);	/* SIGPIPE too: we ignore it */
	if (setpgid(0, 0) == -1 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != sp->parent ||
	    dup2(sp->devnull, STDIN_FILENO) == -1 || dup2(sp->out, STDOUT_FILENO) == -1 ||
	    dup2(sp->err, STDERR_FILENO) == -1 ||
	    close_range(STDERR_FILENO + 1, ~0U, 0) == -1)
		goto fail;
	if (sp->as != NULL &&
	    (setgroups((size_t)sp->as->ngroups, sp->as->groups) == -1 ||
	    setresgid(sp->as->gid, sp->as->gid, sp->as->gid) == -1 ||
	    setresuid(sp->as->uid, sp->as->uid, sp->as->uid) == -1))
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(sp->argv[0], sp->argv, sp->envp);
fail:
	sp->error = errno != 0 ? errno : EINVAL;
	_exit(127);
}

/* End the run as on timeout: SIGTERM to the group now, SIGKILL 5 s later. */
void
hook_stop(struct hook *h)
{
	if (h->spawn_failed)
		return;
	h->stopped = true;
	hook_terminate(h, "stopped");
}

/* SIGKILL the whole group at once. */
void
hook_kill(struct hook *h)
{
	if (h->spawn_failed)
		return;
	log_warnx("hook %s[%ld] killed (SIGKILL to its process group)",
	    h->name, (long)h->pid);
	h->stopped = true;
	evtimer_del(h->ev_timeout);
	evtimer_del(h->ev_kill);
	hook_signal_group(h, SIGKILL);
}

/* Log this run's success at debug level only (a periodic check). */
void
hook_quiet(struct hook *h)
{
	h->quiet = true;
}

/* Forget the caller: the run goes on to its end, but DONE will not be called. */
void
hook_detach(struct hook *h)
{
	h->done = NULL;
}

/* The child's pid, which is also its process group (-1 if it never started). */
pid_t
hook_pid(const struct hook *h)
{
	return h->pid;
}

/* The label given to hook_run. */
const char *
hook_name(const struct hook *h)
{
	return h->name;
}

/* SIGTERM the group (once) and arm the SIGKILL that follows; WHY is for the log. */
static void
hook_terminate(struct hook *h, const char *why)
{
	evtimer_del(h->ev_timeout);
	if (h->term_sent)
		return;
	log_warnx("hook %s[%ld] %s; sending SIGTERM to its process group",
	    h->name, (long)h->pid, why);
	h->term_sent = true;
	hook_signal_group(h, SIGTERM);
	timer_after(h->ev_kill, HOOK_KILL_MS);
}

/* Send SIG to the child's process group; a group already gone is fine. */
static void
hook_signal_group(struct hook *h, int sig)
{
	if (h->pid <= 0)
		return;
	if (kill(-h->pid, sig) == -1 && errno != ESRCH)
		log_warn("hook %s[%ld]: kill group", h->name, (long)h->pid);
}

/* The run's timeout expired. */
static void
hook_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook *h = arg;
	char why[64];

	(void)fd;
	(void)what;
	h->timed_out = true;
	snprintf(why, sizeof(why), "timed out after %lld ms", (long long)h->timeout_ms);
	hook_terminate(h, why);
}

/* SIGTERM was not enough within 5 s. */
static void
hook_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook *h = arg;

	(void)fd;
	(void)what;
	log_warnx("hook %s[%ld] still running %d ms after SIGTERM; sending SIGKILL",
	    h->name, (long)h->pid, HOOK_KILL_MS);
	hook_signal_group(h, SIGKILL);
}

/* The child exited but something (a background process) still holds its output. */
static void
hook_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook *h = arg;

	(void)fd;
	(void)what;
	log_warnx("hook %s[%ld] exited but its output is still open %d ms later "
	    "(a background process?); no longer reading it", h->name,
	    (long)h->pid, HOOK_LINGER_MS);
	hook_close_output(h);
	hook_finish(h);
}

/* Report a spawn failure, from the loop as promised. */
static void
hook_failed_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hook_finish(arg);
}

/*
 * Reap every child that exited: waitpid in a loop until nothing is left (one
 * SIGCHLD may stand for several children), then hand each pid to its run.
 */
static void
hook_sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook *h;
	pid_t pid;
	int st;

	(void)fd;
	(void)what;
	(void)arg;
	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid == 0 || (pid == -1 && errno == ECHILD))
			break;
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			log_warn("waitpid");
			break;
		}
		for (h = hook_live; h != NULL; h = h->next)
			if (h->pid == pid && !h->reaped)
				break;
		if (h != NULL)
			hook_reaped(h, st);
		else
			log_debug("reaped pid %ld, not a hook", (long)pid);
	}
}

/* The child is gone: finish now if its output is done too, else wait a little for EOF. */
static void
hook_reaped(struct hook *h, int st)
{
	h->reaped = true;
	h->wstatus = st;
	h->elapsed_ms = hook_ms_since(&h->start);
	evtimer_del(h->ev_timeout);	/* it ended in time, whatever still holds the pipe */
	if (h->eof)
		hook_finish(h);
	else
		timer_after(h->ev_linger, HOOK_LINGER_MS);
}

/* Read what the child wrote on one stream; log it line by line; note EOF. */
static void
hook_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook_stream *st = arg;
	struct hook *h = st->h;
	char buf[4096];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		hook_take(st, buf, (size_t)n);
		return;
	}
	if (n == -1)
		log_warn("hook %s[%ld]: read", h->name, (long)h->pid);
	hook_close_stream(st);
	h->eof = h->out[0].fd == -1 && h->out[1].fd == -1;
	if (h->eof && h->reaped)
		hook_finish(h);
}

/* Add output bytes to the stream's current line, logging each complete (or full) line. */
static void
hook_take(struct hook_stream *st, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			hook_log_line(st);
			continue;
		}
		st->line[st->len++] = p[i];
		if (st->len == sizeof(st->line))
			hook_log_line(st);
	}
}

/*
 * Log the pending line of ST, escaped as zkelectctl shows untrusted text
 * (control bytes and bytes outside valid UTF-8 as \xHH), then empty it.
 */
static void
hook_log_line(struct hook_stream *st)
{
	char *out = escape_text(st->line, st->len);

	st->len = 0;
	log_at(st->level, "hook %s[%ld]: %s", st->h->name, (long)st->h->pid, out);
	free(out);
}

/* Flush a last unterminated line of one stream and close our end of its pipe. */
static void
hook_close_stream(struct hook_stream *st)
{
	if (st->len > 0)
		hook_log_line(st);
	if (st->ev_read != NULL)
		event_free(st->ev_read);
	st->ev_read = NULL;
	if (st->fd != -1)
		close(st->fd);
	st->fd = -1;
}

/* Give up on both streams (flushing what is pending). */
static void
hook_close_output(struct hook *h)
{
	hook_close_stream(&h->out[0]);
	hook_close_stream(&h->out[1]);
	h->eof = true;
}

/* The run is over: log it, tell the caller, free it. */
static void
hook_finish(struct hook *h)
{
	struct hook_result res;

	hook_unlink(h);
	hook_result(h, &res);
	/*
	 * Nothing from a run we had to end may linger into the next hook's turn
	 * (a promote straggler must not outlive its demote). The group id is
	 * still ours: Linux does not hand out a pid while a group of that id
	 * has members, and a free one is reused only after the pid space cycled.
	 */
	if (h->term_sent && !h->spawn_failed && kill(-h->pid, SIGKILL) == 0)
		log_warnx("hook %s[%ld]: killed what was left of its process group",
		    h->name, (long)h->pid);
	if (h->spawn_failed)
		log_warnx("hook %s %s", h->name, res.status);
	else
		log_at(res.ok ? (h->quiet ? LOG_DEBUG : LOG_INFO) : LOG_WARNING,
		    "hook %s[%ld] %s after %lld ms",
		    h->name, (long)h->pid, res.status, (long long)res.duration_ms);
	if (h->done != NULL)
		h->done(h->arg, &res);
	hook_free(h);
}

/* Fill RES from what happened to the run. */
static void
hook_result(struct hook *h, struct hook_result *res)
{
	memset(res, 0, sizeof(*res));
	res->timed_out = h->timed_out;
	res->stopped = h->stopped;
	res->duration_ms = h->reaped ? h->elapsed_ms : hook_ms_since(&h->start);
	res->wstatus = h->spawn_failed ? -1 : h->wstatus;
	if (h->spawn_failed)
		snprintf(res->status, sizeof(res->status), "spawn failed");
	else if (h->timed_out)
		snprintf(res->status, sizeof(res->status), "timeout");
	else if (h->stopped)
		snprintf(res->status, sizeof(res->status), "stopped");
	else if (WIFEXITED(h->wstatus))
		snprintf(res->status, sizeof(res->status), "exit %d", WEXITSTATUS(h->wstatus));
	else if (WIFSIGNALED(h->wstatus))
		snprintf(res->status, sizeof(res->status), "signal %d", WTERMSIG(h->wstatus));
	else
		snprintf(res->status, sizeof(res->status), "wait status %d", h->wstatus);
	res->ok = !h->spawn_failed && !h->timed_out && !h->stopped &&
	    WIFEXITED(h->wstatus) && WEXITSTATUS(h->wstatus) == 0;
}

/* Take H off the list of live runs. */
static void
hook_unlink(struct hook *h)
{
	struct hook **pp;

	for (pp = &hook_live; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	h->next = NULL;
}

/* Release every resource of H. */
static void
hook_free(struct hook *h)
{
	for (int i = 0; i < 2; i++) {
		if (h->out[i].ev_read != NULL)
			event_free(h->out[i].ev_read);
		if (h->out[i].fd != -1)
			close(h->out[i].fd);
	}
	if (h->ev_timeout != NULL)
		event_free(h->ev_timeout);
	if (h->ev_kill != NULL)
		event_free(h->ev_kill);
	if (h->ev_linger != NULL)
		event_free(h->ev_linger);
	free(h->name);
	free(h);
}

/* Milliseconds elapsed on the monotonic clock since START. */
static int64_t
hook_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000;
}
