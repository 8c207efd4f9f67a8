/*
 * zkelectctl: the operator's tool. Asks the local zkelectd (through its PID and
 * state files) or ZooKeeper itself (no daemon needed) who leads, follows the
 * leader as it changes, shows the leader history, asks the leader to hand over
 * (switchover, zkswitch.c), or pauses and resumes the cluster (zkpause.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "escape.h"
#include "history.h"
#include "log.h"
#include "pause.h"
#include "state.h"
#include "switchover.h"
#include "xmalloc.h"
#include "zkpause.h"
#include "zkquery.h"
#include "zkswitch.h"
#include "znode.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3	/* status: as LSB init scripts and systemctl say */
#define EXIT_CONFIG 78		/* EX_CONFIG, as zkelectd */
/*
 * upgrade: how long to wait by default (-w). The daemon execs only once no
 * hook runs, so a hook's whole timeout may pass first; and how often to look.
 */
#define UPGRADE_WAIT_S		90
#define UPGRADE_WAIT_MAX_S	86400
#define UPGRADE_POLL_MS		50
/* pause: the reason when --reason is not given. */
#define PAUSE_REASON_DEFAULT	"maintenance"

struct command_entry {
	const char *name;
	int (*fn)(const struct config *);
	bool json;		/* takes --json */
	/* its own options (ARGC, ARGV after the command): 0, or EXIT_USAGE (said) */
	int (*options)(int argc, char **argv);
};

/*
 * status --json: the state file's keys that the daemon's /status (src/status.c
 * json_status) writes as numbers; null when empty or not a number, and, for
 * those marked positive, when not above 0, as there. PAUSED ("yes", "no") is
 * a boolean there. Every other key is a string.
 */
struct number_key {
	const char *key;
	bool positive;
};

static void usage(FILE *fp);
static struct config *load_config(const char *file);
static pid_t daemon_pid(const struct config *cfg);
static char process_state(pid_t pid);
static bool process_stopped(pid_t pid);
static const char *or_none(const char *s);
static void print_escaped(FILE *fp, const char *s, size_t len);
static void print_ago(FILE *fp, int64_t since);
static void print_state(const struct state_kv *kv);
static void print_watchdog(const struct state_kv *kv);
static void print_pause(const struct state_kv *kv);
static void format_left(int64_t ms, char *buf, size_t len);
static void print_json_string(FILE *fp, const char *s, size_t len);
static void print_json_number(FILE *fp, const char *key, const char *value);
static void print_state_json(const struct state_kv *kv);
static void print_list_json(const struct contender *list, size_t n);
static void print_history_line(const struct history_record *h);
static void print_history_json(const struct history_record *h, size_t n);
static void format_time(int64_t ms, char *buf, size_t len);
static bool watch_line(void *arg, const struct zkquery_change *c);
static bool sigint_ignored(void);
static bool daemon_gone(const struct config *cfg, pid_t pid);
static int upgrade_outcome(const struct state_kv *kv, pid_t pid, const char *image,
    const char *before);
static int query(const struct config *cfg, struct contender **list, size_t *n);
static int cmd_status(const struct config *cfg);
static int cmd_is_leader(const struct config *cfg);
static int cmd_resign(const struct config *cfg);
static int cmd_upgrade(const struct config *cfg);
static int cmd_leader(const struct config *cfg);
static int cmd_list(const struct config *cfg);
static int cmd_watch(const struct config *cfg);
static int history_options(int argc, char **argv);
static int cmd_history(const struct config *cfg);
static int switchover_options(int argc, char **argv);
static int force_options(void);
static const char *option_value(int argc, char **argv, int *a, const char *name);
static int cmd_switchover(const struct config *cfg);
static int pause_options(int argc, char **argv);
static int cmd_pause(const struct config *cfg);
static int cmd_resume(const struct config *cfg);
static int flush_stdout(int rc);

/* -w: how long `upgrade` waits for the outcome, in seconds. */
static int wait_s = UPGRADE_WAIT_S;
/* --json after the command: JSON output instead of text. */
static bool json_out;
/* switchover's --to, --wait, --epoch and --force. */
static struct zkswitch_args switch_args = { NULL, SWITCHOVER_WAIT_DEFAULT_MS, -1, false };
/* history's -n: the newest records to show (0: all). */
static size_t history_n;
/* pause's --for (-1: the configuration's pause_default) and --reason. */
static struct zkpause_args pause_args = { -1, PAUSE_REASON_DEFAULT };

static const struct command_entry commands[] = {
	{ "status", cmd_status, true, NULL },
	{ "is-leader", cmd_is_leader, false, NULL },
	{ "resign", cmd_resign, false, NULL },
	{ "upgrade", cmd_upgrade, false, NULL },
	{ "leader", cmd_leader, false, NULL },
	{ "list", cmd_list, true, NULL },
	{ "watch", cmd_watch, true, NULL },
	{ "history", cmd_history, true, history_options },
	{ "switchover", cmd_switchover, false, switchover_options },
	{ "pause", cmd_pause, false, pause_options },
	{ "resume", cmd_resume, false, NULL },
};

static const struct number_key number_keys[] = {
	{ "EPOCH", false }, { "PID", false }, { "SINCE", false }, { "UPDATED", false },
	{ "TRANSITIONS", false }, { "WATCHDOG_TIMEOUT_MS", true },
	{ "WATCHDOG_LAST_KICK_MS", true }, { "IMAGE_STARTED_MS", true },
	{ "PAUSE_ENDS_MS", true },
};

/* Print the usage to FP. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: zkelectctl [-c FILE] [-w SECONDS] [-v] [-V] [-h] COMMAND [--json]\n"
	    "       zkelectctl [-c FILE] [-v] history [-n N] [--json]\n"
	    "       zkelectctl [-c FILE] [-v] switchover [--to ID] [--wait DURATION] "
	    "[--epoch EPOCH]\n"
	    "       zkelectctl [-c FILE] [-v] switchover --to ID --force [--wait DURATION]\n"
	    "       zkelectctl [-c FILE] [-v] pause [--reason TEXT] [--for DURATION]\n"
	    "  -c FILE    configuration file (default %s)\n"
	    "  -w SECONDS upgrade: how long to wait for the outcome (default %d)\n"
	    "  -v         show the ZooKeeper client's log\n"
	    "  -V         print the version\n"
	    "  --json     after status, list, watch or history: JSON output\n"
	    "commands:\n"
	    "  status     the local daemon's state (exit 0 running, 3 not running)\n"
	    "  is-leader  exit 0 when the local daemon runs and leads, else 1\n"
	    "  resign     ask the local daemon to hand leadership over (SIGUSR1)\n"
	    "  upgrade    have the local daemon run its new binary in place (SIGUSR2), and wait\n"
	    "  leader     the current leader, from ZooKeeper (exit 1 none, 2 unreachable)\n"
	    "  list       every contender in election order, from ZooKeeper\n"
	    "  watch      a line per leader change and its cause, from ZooKeeper, until\n"
	    "             interrupted\n"
	    "  history    the leader history, from ZooKeeper: the newest N records (default\n"
	    "             all), newest last\n"
	    "  switchover ask the leader, through ZooKeeper, to hand leadership to ID (default:\n"
	    "             the next in line) and wait up to DURATION (default %ds) for the outcome;\n"
	    "             --epoch: only if the leader's epoch is still EPOCH (exit 0 done,\n"
	    "             1 refused, cancelled or failed, 2 not over or ZooKeeper unreachable);\n"
	    "             --force: promote ID where no leader has promoted (you vouch that no\n"
	    "             other node's service is primary)\n"
	    "  pause      pause the whole cluster, through ZooKeeper, for DURATION (default\n"
	    "             [election] pause_default): no hook runs on its own; again: renew it\n"
	    "  resume     end the pause\n",
	    CONFIG_DEFAULT_FILE, UPGRADE_WAIT_S, SWITCHOVER_WAIT_DEFAULT_MS / 1000);
}

/* Load FILE as zkelectd does (commands not checked); on errors print them and exit 78. */
static struct config *
load_config(const char *file)
{
	struct config_error *errs = NULL, *e;
	struct config *cfg;

	cfg = config_load(file, 0, &errs);
	if (cfg != NULL)
		return cfg;
	for (e = errs; e != NULL; e = e->next)
		fprintf(stderr, "%s\n", e->text);
	config_errors_free(errs);
	exit(EXIT_CONFIG);
}

/* The PID of the running daemon (its PID file is locked), or 0. */
static pid_t
daemon_pid(const struct config *cfg)
{
	bool running = false;
	pid_t pid;

	pid = pidfile_peek(cfg->pid_file, &running);
	return running ? pid : 0;
}

/* The state letter of PID from /proc/PID/stat field 3 ('R', 'S', 'T', ...), 0 if none. */
static char
process_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	(void)fclose(fp);	/* read only: nothing to flush, nothing to report */
	buf[len] = '\0';
	/* "PID (COMM) S ...": COMM may hold blanks and parentheses */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2];
}

/* True when PID is stopped (SIGSTOP, a debugger): state T or t. */
static bool
process_stopped(pid_t pid)
{
	char st = process_state(pid);

	return st == 'T' || st == 't';
}

/* S, or "-" when it is unset or empty. */
static const char *
or_none(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* Print LEN bytes of S escaped for a terminal (escape_text: control bytes, non-UTF-8). */
static void
print_escaped(FILE *fp, const char *s, size_t len)
{
	char *e = escape_text(s, len);

	fputs(e, fp);
	free(e);
}

/* Print the Unix time SINCE as a local date and how long ago it was. */
static void
print_ago(FILE *fp, int64_t since)
{
	time_t t = (time_t)since;
	int64_t ago = (int64_t)time(NULL) - since;
	char date[64];
	struct tm tm;

	if (since <= 0 || localtime_r(&t, &tm) == NULL) {
		fputs("-", fp);
		return;
	}
	if (strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(date, sizeof(date), "@%" PRId64, since);
	if (ago < 0)
		ago = 0;
	fprintf(fp, "%s (%" PRId64 " s ago)", date, ago);
}

/* The readable lines of `status` for the state file's keys KV. */
static void
print_state(const struct state_kv *kv)
{
	const char *data = state_get(kv, "LEADER_DATA");
	const char *v;

	printf("  role:         %s since ", or_none(state_get(kv, "ROLE")));
	v = state_get(kv, "SINCE");
	print_ago(stdout, v != NULL ? strtoll(v, NULL, 10) : 0);
	printf("\n  id:           %s\n", or_none(state_get(kv, "ID")));
	printf("  leader:       %s", or_none(state_get(kv, "LEADER_ID")));
	if ((v = state_get(kv, "EPOCH")) != NULL && *v != '\0')
		printf(", epoch %s", v);
	if (data != NULL && *data != '\0') {
		fputs(", data ", stdout);
		print_escaped(stdout, data, strlen(data));
	}
	printf("\n  znode:        %s\n", or_none(state_get(kv, "ZNODE")));
	printf("  zookeeper:    %s, session %s\n", or_none(state_get(kv, "ZK_STATE")),
	    or_none(state_get(kv, "SESSION_ID")));
	printf("  health:       %s\n", or_none(state_get(kv, "HEALTH")));
	print_watchdog(kv);
	printf("  last hook:    %s", or_none(state_get(kv, "LAST_HOOK")));
	if ((v = state_get(kv, "LAST_HOOK_STATUS")) != NULL && *v != '\0')
		printf(" (%s)", v);
	printf("\n  transitions:  %s\n", or_none(state_get(kv, "TRANSITIONS")));
	if ((v = state_get(kv, "UPGRADE")) != NULL && *v != '\0') {
		fputs("  upgrade:      ", stdout);
		print_escaped(stdout, v, strlen(v));
		putchar('\n');
	}
	print_pause(kv);
	if ((v = state_get(kv, "SWITCHOVER")) != NULL && *v != '\0') {
		fputs("  switchover:   ", stdout);
		print_escaped(stdout, v, strlen(v));
		putchar('\n');
	}
	if ((v = state_get(kv, "FENCE")) != NULL && *v != '\0') {
		fputs("  fence:        ", stdout);
		print_escaped(stdout, v, strlen(v));
		putchar('\n');
	}
}

/*
 * The pause line of `status`, while this node sees the cluster paused: why,
 * who asked, when the pause ends here (this node's own clock) unless resumed,
 * and what the pause holds back ("would: follow db2").
 */
static void
print_pause(const struct state_kv *kv)
{
	const char *paused = state_get(kv, "PAUSED"), *reason = state_get(kv, "PAUSE_REASON");
	const char *by = state_get(kv, "PAUSE_BY"), *ends = state_get(kv, "PAUSE_ENDS_MS");
	const char *held = state_get(kv, "PAUSE_HELD");
	char left[64];

	if (paused == NULL || strcmp(paused, "yes") != 0)
		return;
	fputs("  paused:       ", stdout);
	print_escaped(stdout, or_none(reason), strlen(or_none(reason)));
	fputs(" (by ", stdout);
	print_escaped(stdout, or_none(by), strlen(or_none(by)));
	putchar(')');
	if (ends != NULL && *ends != '\0') {
		format_left(strtoll(ends, NULL, 10) - clock_ms(CLOCK_REALTIME), left, sizeof(left));
		printf(", ends here in %s", left);
	}
	if (held != NULL && *held != '\0') {
		fputs("; would: ", stdout);
		print_escaped(stdout, held, strlen(held));
	}
	putchar('\n');
}

/* MS from now, for people, in whole seconds rounded up: "42s", "5m 03s", "23h 59m". */
static void
format_left(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms > 0 ? (ms + 999) / 1000 : 0;

	if (s >= 3600)
		snprintf(buf, len, "%" PRId64 "h %02" PRId64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
}

/* The watchdog line of `status`: its state; when armed, its timeout and last kick. */
static void
print_watchdog(const struct state_kv *kv)
{
	const char *wd = state_get(kv, "WATCHDOG");
	const char *timeout = state_get(kv, "WATCHDOG_TIMEOUT_MS");
	const char *kick = state_get(kv, "WATCHDOG_LAST_KICK_MS");
	int64_t ago;

	fputs("  watchdog:     ", stdout);
	if (wd == NULL || *wd == '\0') {
		puts("-");	/* a daemon from before the watchdog */
		return;
	}
	print_escaped(stdout, wd, strlen(wd));
	if (strcmp(wd, "armed") == 0) {
		if (timeout != NULL && *timeout != '\0')
			printf(", timeout %s ms", timeout);
		if (kick == NULL || *kick == '\0')
			fputs(", never kicked", stdout);
		else {
			ago = clock_ms(CLOCK_REALTIME) - strtoll(kick, NULL, 10);
			printf(", last kick %.1f s ago", ago > 0 ? (double)ago / 1000 : 0.0);
		}
	}
	putchar('\n');
}

/*
 * `status`: the daemon's state in a few lines, or (--json) the state file's
 * keys as one JSON object; 0 when it runs, 3 when not. With --json, a state
 * file that cannot be read is said on stderr, and a running daemon exits 1.
 */
static int
cmd_status(const struct config *cfg)
{
	pid_t pid = daemon_pid(cfg);
	struct state_kv *kv;
	const char *spid;

	if (json_out) {
		if ((kv = state_read(cfg->state_file)) == NULL) {
			fprintf(stderr, "zkelectctl: cannot read the state file %s: %s\n",
			    cfg->state_file, strerror(errno));
			return pid > 0 ? 1 : EXIT_NOT_RUNNING;
		}
		print_state_json(kv);
		state_kv_free(kv);
		return pid > 0 ? 0 : EXIT_NOT_RUNNING;
	}
	if (pid > 0)
		printf("zkelectd is running (pid %ld)%s\n", (long)pid,
		    process_stopped(pid) ? ", but the process is stopped (SIGSTOP)" : "");
	else
		printf("zkelectd is not running\n");
	if ((kv = state_read(cfg->state_file)) == NULL) {
		printf("  state file:   %s: %s\n", cfg->state_file, strerror(errno));
		return pid > 0 ? 0 : EXIT_NOT_RUNNING;
	}
	if (pid > 0 && (spid = state_get(kv, "PID")) != NULL && strtol(spid, NULL, 10) != pid)
		printf("  (the state file is from pid %s, not this daemon)\n", spid);
	else if (pid <= 0)
		printf("  last state, from %s:\n", cfg->state_file);
	print_state(kv);
	state_kv_free(kv);
	return pid > 0 ? 0 : EXIT_NOT_RUNNING;
}

/* `is-leader`: 0 only when the daemon runs, is not stopped and its state says leader. */
static int
cmd_is_leader(const struct config *cfg)
{
	pid_t pid = daemon_pid(cfg);
	struct state_kv *kv;
	const char *role, *spid;
	bool leads;
	char st;

	if (pid <= 0 || process_stopped(pid))
		return 1;
	if ((kv = state_read(cfg->state_file)) == NULL)
		return 1;
	role = state_get(kv, "ROLE");
	spid = state_get(kv, "PID");
	leads = role != NULL && strcmp(role, "leader") == 0 &&
	    spid != NULL && strtol(spid, NULL, 10) == pid;
	state_kv_free(kv);
	/* the process may have been stopped (or gone) while we read its state */
	st = process_state(pid);
	return leads && st != 0 && st != 'T' && st != 't' && st != 'Z' ? 0 : 1;
}

/* `resign`: SIGUSR1 to the running daemon; 0 when delivered. */
static int
cmd_resign(const struct config *cfg)
{
	pid_t pid = daemon_pid(cfg);

	if (pid <= 0) {
		fprintf(stderr, "zkelectctl: zkelectd is not running (no lock on %s)\n",
		    cfg->pid_file);
		return 1;
	}
	if (kill(pid, SIGUSR1) == -1) {
		fprintf(stderr, "zkelectctl: cannot signal zkelectd (pid %ld): %s\n",
		    (long)pid, strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * `upgrade`: SIGUSR2 to the running daemon, then wait (up to wait_s) for the
 * state file to tell the outcome: the same pid with a new IMAGE_STARTED_MS (0),
 * UPGRADE turned "failed: ..." or "refused: ..." (1), or the daemon gone (1).
 */
static int
cmd_upgrade(const struct config *cfg)
{
	pid_t pid = daemon_pid(cfg);
	struct state_kv *kv;
	const char *v;
	char *image, *before;
	int64_t deadline;
	int rc = -1;

	if (pid <= 0) {
		fprintf(stderr, "zkelectctl: zkelectd is not running (no lock on %s)\n",
		    cfg->pid_file);
		return 1;
	}
	if ((kv = state_read(cfg->state_file)) == NULL) {
		fprintf(stderr, "zkelectctl: cannot read the state file %s: %s\n",
		    cfg->state_file, strerror(errno));
		return 1;
	}
	if ((v = state_get(kv, "PID")) == NULL || strtol(v, NULL, 10) != pid) {
		fprintf(stderr, "zkelectctl: the state file %s is not from the running zkelectd "
		    "(pid %ld); is it still starting? try again\n", cfg->state_file, (long)pid);
		state_kv_free(kv);
		return 1;
	}
	if ((v = state_get(kv, "IMAGE_STARTED_MS")) == NULL || *v == '\0') {
		/* an older daemon: SIGUSR2 would kill it */
		fprintf(stderr, "zkelectctl: zkelectd (pid %ld) cannot upgrade in place (it is "
		    "older than that); restart it instead\n", (long)pid);
		state_kv_free(kv);
		return 1;
	}
	image = xstrdup(v);
	v = state_get(kv, "UPGRADE");
	before = xstrdup(v != NULL ? v : "");
	state_kv_free(kv);
	if (kill(pid, SIGUSR2) == -1) {
		fprintf(stderr, "zkelectctl: cannot signal zkelectd (pid %ld): %s\n",
		    (long)pid, strerror(errno));
		rc = 1;
	}
	deadline = clock_ms(CLOCK_MONOTONIC) + (int64_t)wait_s * 1000;
	while (rc == -1) {
		(void)nanosleep(&(struct timespec){ 0, UPGRADE_POLL_MS * 1000000L }, NULL);
		if ((kv = state_read(cfg->state_file)) != NULL) {
			rc = upgrade_outcome(kv, pid, image, before);
			/* a step in between ("failed: X", then "", then "failed: X" again) */
			if (rc == -1 && (v = state_get(kv, "UPGRADE")) != NULL &&
			    strcmp(v, before) != 0) {
				free(before);
				before = xstrdup(v);
			}
			state_kv_free(kv);
		}
		if (rc == -1 && daemon_gone(cfg, pid)) {
			fprintf(stderr, "zkelectctl: zkelectd (pid %ld) is no longer running: the "
			    "upgrade did not complete (a restart resumes its session)\n", (long)pid);
			rc = 1;
		} else if (rc == -1 && clock_ms(CLOCK_MONOTONIC) >= deadline) {
			fprintf(stderr, "zkelectctl: zkelectd (pid %ld) has not upgraded within %d s; "
			    "%s\n", (long)pid, wait_s, process_stopped(pid) ? "its process is "
			    "stopped (SIGSTOP)" : "it upgrades once no hook runs (see its log)");
			rc = 1;
		}
	}
	free(image);
	free(before);
	return rc;
}

/*
 * What the state file KV says of the upgrade asked of PID, whose image
 * started at IMAGE with UPGRADE at BEFORE: 0 done (printed), 1 failed or
 * refused (said on stderr), -1 not yet.
 */
static int
upgrade_outcome(const struct state_kv *kv, pid_t pid, const char *image, const char *before)
{
	const char *spid = state_get(kv, "PID"), *now = state_get(kv, "IMAGE_STARTED_MS");
	const char *v = state_get(kv, "UPGRADE");

	if (spid == NULL || strtol(spid, NULL, 10) != pid)
		return -1;	/* a new process's file: daemon_gone says so */
	if (now != NULL && *now != '\0' && strcmp(now, image) != 0) {
		printf("zkelectd upgraded in place (pid %ld)\n", (long)pid);
		return 0;
	}
	if (v == NULL || strcmp(v, before) == 0 ||
	    (strncmp(v, "failed:", 7) != 0 && strncmp(v, "refused:", 8) != 0))
		return -1;
	fputs("zkelectctl: upgrade ", stderr);
	print_escaped(stderr, v, strlen(v));
	fputc('\n', stderr);
	return 1;
}

/*
 * True when the daemon PID has exited: its PID file is no longer locked, or
 * locked by another process, or PID is gone or a zombie. (The file reads 0
 * for a moment while a new image rewrites it: not gone.)
 */
static bool
daemon_gone(const struct config *cfg, pid_t pid)
{
	bool running;
	pid_t now = pidfile_peek(cfg->pid_file, &running);
	char st;

	if (!running || (now > 0 && now != pid))
		return true;
	st = process_state(pid);
	return st == 0 || st == 'Z' || st == 'X';
}

/* Ask ZooKeeper for the contenders; 0, or the exit status (2) when it cannot answer. */
static int
query(const struct config *cfg, struct contender **list, size_t *n)
{
	/*
	 * Unreachable and any other failure (rejected credentials, no access) both
	 * mean "cannot tell": never exit 1, which says "there is no leader".
	 */
	return zkquery_list(cfg, list, n) == ZKQUERY_OK ? 0 : 2;
}

/* `leader`: the lowest contender as sh-quoted KEY=VALUE lines; 1 when none. */
static int
cmd_leader(const struct config *cfg)
{
	struct contender *list;
	size_t n;
	char *q;
	int rc;

	if ((rc = query(cfg, &list, &n)) != 0)
		return rc;
	if (n == 0) {
		fprintf(stderr, "zkelectctl: no leader: nobody contends under %s\n", cfg->path);
		zkquery_free(list, n);
		return 1;
	}
	q = state_quote(list[0].id);
	printf("LEADER_ID=%s\n", q);
	free(q);
	q = state_quote(list[0].data);
	printf("LEADER_DATA=%s\n", q);
	free(q);
	printf("EPOCH='%" PRId64 "'\n", list[0].epoch);
	q = state_quote(list[0].znode);
	printf("ZNODE=%s\n", q);
	free(q);
	zkquery_free(list, n);
	return 0;
}

/*
 * `list`: one tab-separated line per contender: position, id, epoch, znode,
 * data (escaped); or (--json) a JSON array of objects with those keys.
 */
static int
cmd_list(const struct config *cfg)
{
	struct contender *list;
	size_t n;
	int rc;

	if ((rc = query(cfg, &list, &n)) != 0)
		return rc;
	if (json_out) {
		print_list_json(list, n);
		zkquery_free(list, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		printf("%d\t", list[i].position);
		print_escaped(stdout, list[i].id, strlen(list[i].id));
		printf("\t%" PRId64 "\t%s\t", list[i].epoch, list[i].znode);
		print_escaped(stdout, list[i].data, list[i].data_len);
		printf("\t%d\n", list[i].priority);
	}
	zkquery_free(list, n);
	return 0;
}

/*
 * `watch`: one line per leader change, from ZooKeeper (zkquery_watch), until
 * SIGINT or SIGTERM (0); 2 when ZooKeeper cannot be reached, refuses a read or
 * the session is lost; 1 when the output cannot be written.
 */
static int
cmd_watch(const struct config *cfg)
{
	int saved = 0, fd, rc;
	sigset_t set;

	/*
	 * SIGINT and SIGTERM are read from a signalfd that the watch polls, so
	 * that they end it between two reads and it closes its session. They are
	 * blocked before the ZooKeeper client starts its threads, which inherit
	 * the mask. A SIGINT ignored from the start (a shell's background job)
	 * stays ignored: blocked, Linux would queue it.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (!sigint_ignored())
		sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (fd = signalfd(-1, &set, SFD_CLOEXEC)) == -1) {
		fprintf(stderr, "zkelectctl: cannot set up the signals: %s\n", strerror(errno));
		return 1;
	}
	rc = zkquery_watch(cfg, fd, watch_line, &saved);
	(void)close(fd);
	if (saved != 0) {
		fprintf(stderr, "zkelectctl: cannot write the output: %s\n", strerror(saved));
		__fpurge(stdout);	/* said once: nothing left for flush_stdout to fail on */
		clearerr(stdout);
		return 1;
	}
	return rc == ZKQUERY_OK ? 0 : 2;
}

/* True when SIGINT was ignored when we started. */
static bool
sigint_ignored(void)
{
	struct sigaction sa;

	return sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

/*
 * A line of `watch` for the change C, flushed at once: time, leader, epoch,
 * data (escaped as in `list`) and cause, tab-separated, with "-" for none; or
 * (--json) a JSON object with those keys, null for none. False, with errno in
 * *ARG, when the output cannot be written.
 */
static bool
watch_line(void *arg, const struct zkquery_change *c)
{
	int *saved = arg;
	char when[64];

	format_time(c->time_ms, when, sizeof(when));
	if (json_out) {
		printf("{\"time\":\"%s\",\"leader\":", when);
		if (c->id == NULL)
			fputs("null,\"epoch\":null,\"data\":null", stdout);
		else {
			print_json_string(stdout, c->id, strlen(c->id));
			printf(",\"epoch\":%" PRId64 ",\"data\":", c->epoch);
			print_json_string(stdout, c->data, c->data_len);
		}
		fputs(",\"cause\":", stdout);
		if (c->cause == NULL)
			fputs("null", stdout);
		else
			print_json_string(stdout, c->cause, strlen(c->cause));
		puts("}");
	} else {
		printf("%s\t", when);
		if (c->id == NULL)
			fputs("-\t-\t-", stdout);
		else {
			print_escaped(stdout, c->id, strlen(c->id));
			printf("\t%" PRId64 "\t", c->epoch);
			print_escaped(stdout, c->data, c->data_len);
		}
		putchar('\t');
		print_escaped(stdout, or_none(c->cause), strlen(or_none(c->cause)));
		putchar('\n');
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		*saved = errno != 0 ? errno : EIO;
		return false;
	}
	return true;
}

/* MS since the epoch in ISO 8601, UTC, with milliseconds: 2026-12-05T06:24:07.123Z. */
static void
format_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "@%" PRId64, ms);
		return;
	}
	snprintf(buf + n, len - n, ".%03dZ", (int)(ms % 1000));
}

/* Print LEN bytes of S to FP as a JSON string literal (escape_json). */
static void
print_json_string(FILE *fp, const char *s, size_t len)
{
	char *j = escape_json(s, len);

	fputs(j, fp);
	free(j);
}

/*
 * The state file's VALUE of KEY as JSON: a number or null for number_keys,
 * true, false or null for PAUSED, else a string.
 */
static void
print_json_number(FILE *fp, const char *key, const char *value)
{
	char *end;
	long long v;

	if (strcmp(key, "PAUSED") == 0) {
		fputs(strcmp(value, "yes") == 0 ? "true" : strcmp(value, "no") == 0 ? "false" :
		    "null", fp);
		return;
	}
	for (size_t i = 0; i < sizeof(number_keys) / sizeof(number_keys[0]); i++) {
		if (strcmp(key, number_keys[i].key) != 0)
			continue;
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || (number_keys[i].positive && v <= 0))
			fputs("null", fp);
		else
			fprintf(fp, "%lld", v);
		return;
	}
	print_json_string(fp, value, strlen(value));
}

/* status --json: the state file's keys, lower-cased, in its order, as one JSON object. */
static void
print_state_json(const struct state_kv *kv)
{
	bool first = true;

	for (; kv != NULL; kv = kv->next) {
		/* keys are [A-Za-z0-9_] (state_read): nothing to escape */
		fputs(first ? "{\"" : ",\"", stdout);
		for (const char *k = kv->key; *k != '\0'; k++)
			putchar(tolower((unsigned char)*k));
		fputs("\":", stdout);
		print_json_number(stdout, kv->key, kv->value);
		first = false;
	}
	puts(first ? "{}" : "}");
}

/* list --json: the contenders as a JSON array of objects keyed as `list`'s columns. */
static void
print_list_json(const struct contender *list, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"position\":%d,\"id\":", i > 0 ? "," : "", list[i].position);
		print_json_string(stdout, list[i].id, strlen(list[i].id));
		printf(",\"epoch\":%" PRId64 ",\"znode\":", list[i].epoch);
		print_json_string(stdout, list[i].znode, strlen(list[i].znode));
		fputs(",\"data\":", stdout);
		print_json_string(stdout, list[i].data, list[i].data_len);
		printf(",\"priority\":%d}", list[i].priority);
	}
	puts("]");
}

/*
 * history's options in ARGV (ARGC of them, after the command): -n N (also
 * -n=N), the newest N records, N from 1; --json. 0, or EXIT_USAGE with a
 * message.
 */
static int
history_options(int argc, char **argv)
{
	const char *v;
	char *end;
	long long n;

	for (int a = 0; a < argc; a++) {
		if (strcmp(argv[a], "--json") == 0)
			json_out = true;
		else if ((v = option_value(argc, argv, &a, "-n")) != NULL) {
			errno = 0;
			n = strtoll(v, &end, 10);
			if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 || n < 1) {
				fprintf(stderr, "zkelectctl: history: -n %s: not a number of records "
				    "from 1\n", v);
				return EXIT_USAGE;
			}
			history_n = (size_t)n;
		} else {
			fprintf(stderr, "zkelectctl: history: %s: %s\n", argv[a],
			    strcmp(argv[a], "-n") == 0 ? "needs a value" : "unexpected argument");
			return EXIT_USAGE;
		}
	}
	return 0;
}

/*
 * `history`: the leader history from ZooKeeper (zkquery_history), the newest
 * -n records (all by default), newest last: one tab-separated line each, or
 * (--json) one JSON array. 0 (also when there is none), 2 when ZooKeeper
 * cannot be reached or refuses a read (as `leader` and `list`).
 */
static int
cmd_history(const struct config *cfg)
{
	struct history_record *h;
	size_t n;

	if (zkquery_history(cfg, history_n, &h, &n) != ZKQUERY_OK)
		return 2;
	if (json_out)
		print_history_json(h, n);
	else
		for (size_t i = 0; i < n; i++)
			print_history_line(&h[i]);
	free(h);
	return 0;
}

/*
 * A line of `history` for record H, tab-separated: when it was written (the
 * server's clock, as `watch` prints times), leader, epoch, previous leader,
 * its epoch ("-" for none), cause (", asked by WHO" when someone asked for
 * it), how long nobody led ("unknown" when it cannot be told), and the
 * promote's outcome: ok or failed.
 */
static void
print_history_line(const struct history_record *h)
{
	int64_t gap = history_leaderless_ms(h);
	char when[64], d[32];

	format_time(h->ctime_ms, when, sizeof(when));
	printf("%s\t", when);
	print_escaped(stdout, h->leader, strlen(h->leader));
	printf("\t%" PRId64 "\t", h->epoch);
	if (h->previous[0] == '\0')
		fputs("-\t-", stdout);
	else {
		print_escaped(stdout, h->previous, strlen(h->previous));
		if (h->previous_epoch >= 0)
			printf("\t%" PRId64, h->previous_epoch);
		else
			fputs("\t-", stdout);
	}
	putchar('\t');
	print_escaped(stdout, or_none(h->cause), strlen(or_none(h->cause)));
	if (h->by[0] != '\0') {
		fputs(", asked by ", stdout);
		print_escaped(stdout, h->by, strlen(h->by));
	}
	printf("\t%s\t%s\n", gap < 0 ? "unknown" : config_format_duration(gap, d, (int)sizeof(d)),
	    h->promote_ok ? "ok" : "failed");
}

/*
 * history --json: the N records H as one JSON array of objects with the keys
 * time, leader, epoch, previous, previous_epoch, cause, by, leaderless_ms and
 * promote; null for what is not known.
 */
static void
print_history_json(const struct history_record *h, size_t n)
{
	char when[64];
	int64_t gap;

	putchar('[');
	for (size_t i = 0; i < n; i++) {
		format_time(h[i].ctime_ms, when, sizeof(when));
		printf("%s{\"time\":\"%s\",\"leader\":", i > 0 ? "," : "", when);
		print_json_string(stdout, h[i].leader, strlen(h[i].leader));
		printf(",\"epoch\":%" PRId64 ",\"previous\":", h[i].epoch);
		if (h[i].previous[0] == '\0')
			fputs("null", stdout);
		else
			print_json_string(stdout, h[i].previous, strlen(h[i].previous));
		if (h[i].previous[0] != '\0' && h[i].previous_epoch >= 0)
			printf(",\"previous_epoch\":%" PRId64, h[i].previous_epoch);
		else
			fputs(",\"previous_epoch\":null", stdout);
		fputs(",\"cause\":", stdout);
		print_json_string(stdout, h[i].cause, strlen(h[i].cause));
		fputs(",\"by\":", stdout);
		if (h[i].by[0] == '\0')
			fputs("null", stdout);
		else
			print_json_string(stdout, h[i].by, strlen(h[i].by));
		if ((gap = history_leaderless_ms(&h[i])) >= 0)
			printf(",\"leaderless_ms\":%" PRId64, gap);
		else
			fputs(",\"leaderless_ms\":null", stdout);
		printf(",\"promote\":\"%s\"}", h[i].promote_ok ? "ok" : "failed");
	}
	puts("]");
}

/*
 * switchover's options in ARGV (ARGC of them, after the command): --to ID,
 * --wait DURATION (as the configuration writes durations), --epoch EPOCH,
 * each also as --NAME=VALUE; --force, which needs --to and excludes --epoch.
 * 0, or EXIT_USAGE with a message.
 */
static int
switchover_options(int argc, char **argv)
{
	const char *v;
	char *end, buf[32];
	long long e;

	for (int a = 0; a < argc; a++) {
		if (strcmp(argv[a], "--force") == 0) {
			switch_args.force = true;
		} else if ((v = option_value(argc, argv, &a, "--to")) != NULL) {
			if (!znode_valid_id(v)) {
				fprintf(stderr, "zkelectctl: switchover: --to %s: not a node id "
				    "([A-Za-z0-9._-], 1 to %d bytes)\n", v, ZNODE_ID_MAX);
				return EXIT_USAGE;
			}
			switch_args.to = v;
		} else if ((v = option_value(argc, argv, &a, "--wait")) != NULL) {
			switch_args.wait_ms = config_parse_duration(v);
			if (switch_args.wait_ms <= 0 || switch_args.wait_ms > SWITCHOVER_WAIT_MAX_MS) {
				fprintf(stderr, "zkelectctl: switchover: --wait %s: not a duration "
				    "above 0 and up to %s (e.g. 500ms, 60s, 2m)\n", v,
				    config_format_duration(SWITCHOVER_WAIT_MAX_MS, buf, sizeof(buf)));
				return EXIT_USAGE;
			}
		} else if ((v = option_value(argc, argv, &a, "--epoch")) != NULL) {
			errno = 0;
			e = strtoll(v, &end, 10);
			if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0) {
				fprintf(stderr, "zkelectctl: switchover: --epoch %s: not an epoch (a "
				    "decimal number, as zkelectctl leader prints it)\n", v);
				return EXIT_USAGE;
			}
			switch_args.epoch = e;
		} else {
			fprintf(stderr, "zkelectctl: switchover: %s: %s\n", argv[a],
			    strcmp(argv[a], "--to") == 0 || strcmp(argv[a], "--wait") == 0 ||
			    strcmp(argv[a], "--epoch") == 0 ? "needs a value" : "unexpected argument");
			return EXIT_USAGE;
		}
	}
	return force_options();
}

/* switchover --force: needs --to (the node to promote), excludes --epoch. 0, or EXIT_USAGE said. */
static int
force_options(void)
{
	if (!switch_args.force)
		return 0;
	if (switch_args.to == NULL) {
		fprintf(stderr, "zkelectctl: switchover: --force needs --to ID: the node to promote\n");
		return EXIT_USAGE;
	}
	if (switch_args.epoch >= 0) {
		fprintf(stderr, "zkelectctl: switchover: --epoch does not go with --force: a forced "
		    "switchover is meant for no leader\n");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The value of option NAME at ARGV[*A]: "NAME=VALUE", or "NAME VALUE" (then
 * *A moves past VALUE); NULL when ARGV[*A] is not NAME or has no value.
 */
static const char *
option_value(int argc, char **argv, int *a, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(argv[*a], name, len) != 0)
		return NULL;
	if (argv[*a][len] == '=')
		return argv[*a] + len + 1;
	if (argv[*a][len] != '\0' || *a + 1 >= argc || argv[*a + 1] == NULL)
		return NULL;
	++*a;
	return argv[*a];
}

/*
 * `switchover`: ask the leader, through ZooKeeper, to hand leadership over
 * (zkswitch_run); 0 done, 1 refused, cancelled or failed, 2 not over at the
 * deadline or ZooKeeper unreachable (as `leader` and `list`).
 */
static int
cmd_switchover(const struct config *cfg)
{
	return zkswitch_run(cfg, &switch_args);
}

/*
 * pause's options in ARGV (ARGC of them, after the command): --reason TEXT
 * (1 to 255 bytes), --for DURATION (above 0), each also as --NAME=VALUE.
 * 0, or EXIT_USAGE with a message.
 */
static int
pause_options(int argc, char **argv)
{
	const char *v;

	for (int a = 0; a < argc; a++) {
		if ((v = option_value(argc, argv, &a, "--reason")) != NULL) {
			if (*v == '\0' || strlen(v) >= PAUSE_TEXT_MAX) {
				fprintf(stderr, "zkelectctl: pause: --reason: a text of 1 to %d bytes\n",
				    PAUSE_TEXT_MAX - 1);
				return EXIT_USAGE;
			}
			pause_args.reason = v;
		} else if ((v = option_value(argc, argv, &a, "--for")) != NULL) {
			if ((pause_args.for_ms = config_parse_duration(v)) <= 0) {
				fprintf(stderr, "zkelectctl: pause: --for %s: not a duration above 0 "
				    "(e.g. 30m, 2h)\n", v);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "zkelectctl: pause: %s: %s\n", argv[a],
			    strcmp(argv[a], "--reason") == 0 || strcmp(argv[a], "--for") == 0 ?
			    "needs a value" : "unexpected argument");
			return EXIT_USAGE;
		}
	}
	return 0;
}

/*
 * `pause`: pause the cluster (zkpause_pause) for --for, by default the
 * configuration's pause_default; longer than its pause_max is refused (exit
 * 2: each node would end it at its own pause_max). 0 paused or renewed, 1
 * refused, 2 ZooKeeper unreachable or the outcome unknown.
 */
static int
cmd_pause(const struct config *cfg)
{
	struct zkpause_args a = pause_args;
	char d[32], max[32];

	if (a.for_ms < 0)
		a.for_ms = cfg->pause_default_ms;
	if (a.for_ms > cfg->pause_max_ms) {
		fprintf(stderr, "zkelectctl: pause: --for %s is longer than [election] pause_max "
		    "(%s) in %s: each node would end the pause after its own pause_max; pause for "
		    "%s at most, and renew it (pause again) before it ends\n",
		    config_format_duration(a.for_ms, d, (int)sizeof(d)),
		    config_format_duration(cfg->pause_max_ms, max, (int)sizeof(max)), cfg->file, max);
		return EXIT_USAGE;
	}
	return zkpause_pause(cfg, &a);
}

/* `resume`: end the pause (zkpause_resume); 0 resumed or not paused, 2 as `pause`. */
static int
cmd_resume(const struct config *cfg)
{
	return zkpause_resume(cfg);
}

/* Exit status RC, unless stdout could not be written (then 1, with a message). */
static int
flush_stdout(int rc)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "zkelectctl: cannot write the output: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}

/* Parse the command line, load the configuration, run one command. */
int
main(int argc, char **argv)
{
	const char *file = CONFIG_DEFAULT_FILE;
	struct config *cfg;
	char *end;
	long secs;
	int ch, rc;
	bool verbose = false;

	while ((ch = getopt(argc, argv, "+c:w:vVh")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'w':
			errno = 0;
			secs = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || secs < 1 ||
			    secs > UPGRADE_WAIT_MAX_S) {
				fprintf(stderr, "zkelectctl: -w %s: not a number of seconds from 1 "
				    "to %d\n", optarg, UPGRADE_WAIT_MAX_S);
				return EXIT_USAGE;
			}
			wait_s = (int)secs;
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			printf("zkelectctl %s\n", VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (commands[i].options != NULL &&
		    commands[i].options(argc - optind - 1, argv + optind + 1) != 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
		for (int a = optind + 1; a < argc && commands[i].options == NULL; a++) {
			if (commands[i].json && strcmp(argv[a], "--json") == 0) {
				json_out = true;
				continue;
			}
			fprintf(stderr, "zkelectctl: %s: unexpected argument: %s\n",
			    commands[i].name, argv[a]);
			usage(stderr);
			return EXIT_USAGE;
		}
		log_init("zkelectctl", verbose ? LOG_DEBUG : LOG_WARNING);
		cfg = load_config(file);
		rc = commands[i].fn(cfg);
		config_free(cfg);
		return flush_stdout(rc);
	}
	fprintf(stderr, "zkelectctl: unknown command: %s\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
