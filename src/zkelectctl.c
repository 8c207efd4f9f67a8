/*
 * zkelectctl: the operator's tool. Asks the local zkelectd (through its PID and
 * state files) or ZooKeeper itself (no daemon needed) who leads.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "escape.h"
#include "log.h"
#include "state.h"
#include "xmalloc.h"
#include "zkquery.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3	/* status: as LSB init scripts and systemctl say */
#define EXIT_CONFIG 78		/* EX_CONFIG, as zkelectd */

struct command_entry {
	const char *name;
	int (*fn)(const struct config *);
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
static int query(const struct config *cfg, struct contender **list, size_t *n);
static int cmd_status(const struct config *cfg);
static int cmd_is_leader(const struct config *cfg);
static int cmd_resign(const struct config *cfg);
static int cmd_leader(const struct config *cfg);
static int cmd_list(const struct config *cfg);
static int flush_stdout(int rc);

static const struct command_entry commands[] = {
	{ "status", cmd_status },
	{ "is-leader", cmd_is_leader },
	{ "resign", cmd_resign },
	{ "leader", cmd_leader },
	{ "list", cmd_list },
};

/* Print the usage to FP. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: zkelectctl [-c FILE] [-v] [-V] [-h] COMMAND\n"
	    "  -c FILE    configuration file (default %s)\n"
	    "  -v         show the ZooKeeper client's log\n"
	    "  -V         print the version\n"
	    "commands:\n"
	    "  status     the local daemon's state (exit 0 running, 3 not running)\n"
	    "  is-leader  exit 0 when the local daemon runs and leads, else 1\n"
	    "  resign     ask the local daemon to hand leadership over (SIGUSR1)\n"
	    "  leader     the current leader, from ZooKeeper (exit 1 none, 2 unreachable)\n"
	    "  list       every contender in election order, from ZooKeeper\n",
	    CONFIG_DEFAULT_FILE);
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
	printf("  last hook:    %s", or_none(state_get(kv, "LAST_HOOK")));
	if ((v = state_get(kv, "LAST_HOOK_STATUS")) != NULL && *v != '\0')
		printf(" (%s)", v);
	printf("\n  transitions:  %s\n", or_none(state_get(kv, "TRANSITIONS")));
}

/* `status`: the daemon's state in a few lines; 0 when it runs, 3 when not. */
static int
cmd_status(const struct config *cfg)
{
	pid_t pid = daemon_pid(cfg);
	struct state_kv *kv;
	const char *spid;

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

/* `list`: one tab-separated line per contender: position, id, epoch, znode, data (escaped). */
static int
cmd_list(const struct config *cfg)
{
	struct contender *list;
	size_t n;
	int rc;

	if ((rc = query(cfg, &list, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		printf("%d\t", list[i].position);
		print_escaped(stdout, list[i].id, strlen(list[i].id));
		printf("\t%" PRId64 "\t%s\t", list[i].epoch, list[i].znode);
		print_escaped(stdout, list[i].data, list[i].data_len);
		putchar('\n');
	}
	zkquery_free(list, n);
	return 0;
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
	int ch, rc;
	bool verbose = false;

	while ((ch = getopt(argc, argv, "+c:vVh")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
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
	if (argc - optind != 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
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
