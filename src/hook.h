/*
 * hook: run one child command without ever blocking the event loop.
 *
 * The child gets its own process group, /dev/null as stdin, a pipe as stdout and
 * stderr (each line is logged under the hook's name), no descriptor above stderr,
 * default signal dispositions, an empty signal mask and exactly the environment
 * given. A timeout sends SIGTERM to the whole group, then SIGKILL 5 s later.
 * A run is finished when the child was reaped and its output reached EOF (or
 * 1 s after reaping, if a background process keeps the pipe open).
 */
#ifndef ZKELECT_HOOK_H
#define ZKELECT_HOOK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct hook;

/* Whom a run is started as (hook_run's AS; NULL: as the daemon itself). */
struct run_as {
	uid_t uid;
	gid_t gid;
	int ngroups;		/* supplementary groups */
	gid_t *groups;
};

struct hook_result {
	bool ok;		/* exited with status 0, not timed out, not stopped */
	int wstatus;		/* raw wait status; -1 when it could not be started */
	bool timed_out;
	bool stopped;		/* hook_stop() or hook_kill() ended it */
	int64_t duration_ms;
	char status[48];	/* "exit 0", "exit 3", "signal 9", "timeout", "stopped", "spawn failed" */
};

/* A command split on whitespace, run with execve: argv[0] is an absolute path. */
struct command {
	char **argv;		/* NULL-terminated; NULL when not configured */
	int argc;
	int line;		/* where it was configured, for messages */
};

/* Split S on whitespace into a NULL-terminated argv (free with command_free). */
void command_split(const char *s, struct command *cmd);
void command_free(struct command *cmd);
/* CMD's words, then LAST: a NULL-terminated argv for hook_run (free with strv_free). */
char **command_argv(const struct command *cmd, const char *last);
/* Deep copy of a command. */
void command_copy(struct command *dst, const struct command *src);
/* True when the two commands have the same words. */
bool command_equal(const struct command *a, const struct command *b);
/* A problem command_check found, one sentence. */
typedef void command_report_fn(void *arg, const char *msg);
/*
 * Can CMD run, and can nobody but root (or AS, the hooks' user named AS_NAME)
 * change it? As root: it must belong to root (or AS) and be writable by nobody
 * else, and no directory on its way may let others replace it. Each problem
 * goes to REP(ARG, message).
 */
void command_check(const struct command *cmd, const struct run_as *as, const char *as_name,
    command_report_fn *rep, void *arg);

typedef void hook_done_fn(void *arg, const struct hook_result *res);

/* Install the SIGCHLD handling on BASE; call once before hook_run. */
void hook_init(struct event_base *base);
void hook_shutdown(void);

/*
 * Start ARGV (argv[0] absolute) with ENVP, as AS (NULL: as we are). The child
 * also gets a parent-death signal (SIGKILL when the daemon dies).
 * DONE is called once, from the loop,
 * when the run is finished; the hook is freed after DONE returns. If the child
 * cannot be started, DONE is still called (from the loop, soon) with wstatus -1.
 * NAME labels log lines ("promote").
 */
struct hook *hook_run(const char *name, char *const argv[], char *const envp[],
    int64_t timeout_ms, const struct run_as *as, hook_done_fn *done, void *arg);

/* End the run as on timeout (SIGTERM to the group, SIGKILL 5 s later); counts as failed. */
void hook_stop(struct hook *h);
/* SIGKILL the group at once (logged); counts as failed. */
void hook_kill(struct hook *h);
/* Log a successful end at debug level only (for periodic checks). */
void hook_quiet(struct hook *h);
/* The caller goes away: the run continues (or is killed), DONE is not called. */
void hook_detach(struct hook *h);
pid_t hook_pid(const struct hook *h);
const char *hook_name(const struct hook *h);

#endif
