/* config: read, validate and hold zkelectd.conf (INI, parsed with the system inih). */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "xmalloc.h"
#include "znode.h"

#define DEFAULT_PID_FILE	"/run/zkelectd/zkelectd.pid"
#define DEFAULT_STATE_FILE	"/run/zkelectd/zkelectd.state"
#define DEFAULT_WD_DEVICE	"/dev/watchdog"
#define DURATION_HINT		"use e.g. 500ms, 10s, 2m"
#define HOSTNAME_MAX		253

#define MS_SECOND	INT64_C(1000)
#define MS_MINUTE	(60 * MS_SECOND)
#define MS_HOUR		(60 * MS_MINUTE)
#define MS_DAY		((int64_t)24 * MS_HOUR)

enum section {
	S_ZOOKEEPER, S_ELECTION, S_HOOKS, S_HEALTH, S_DAEMON, S_STATUS, S_WATCHDOG, S_COUNT
};
#define S_NONE		(-1)	/* before any section header */
#define S_UNKNOWN	(-2)	/* in a section already reported as unknown or malformed */

static const char *const section_names[S_COUNT] = {
	"zookeeper", "election", "hooks", "health", "daemon", "status", "watchdog",
};

enum key_id {
	KEY_HOSTS, KEY_SESSION_TIMEOUT, KEY_AUTH,
	KEY_PATH, KEY_ID, KEY_DATA, KEY_MODE, KEY_GRACE, KEY_DEMOTE_ON_START,
	KEY_PAUSE_DEFAULT, KEY_PAUSE_MAX, KEY_HISTORY_KEEP, KEY_PRIORITY, KEY_FAILBACK,
	KEY_FAILBACK_DELAY,
	KEY_PROMOTE, KEY_DEMOTE, KEY_FOLLOW, KEY_TIMEOUT, KEY_PROMOTE_TIMEOUT,
	KEY_DEMOTE_TIMEOUT, KEY_FOLLOW_TIMEOUT, KEY_ON_PROMOTE_FAILURE, KEY_PROMOTE_BACKOFF,
	KEY_FENCE, KEY_FENCE_TIMEOUT, KEY_ON_FENCE_FAILURE,
	KEY_USER, KEY_GROUP,
	KEY_HEALTH_COMMAND, KEY_HEALTH_INTERVAL, KEY_HEALTH_TIMEOUT, KEY_HEALTH_FALL,
	KEY_HEALTH_RISE,
	KEY_PID_FILE, KEY_STATE_FILE, KEY_SESSION_FILE, KEY_LOG_LEVEL,
	KEY_LISTEN,
	KEY_WD_MODE, KEY_WD_DEVICE, KEY_WD_TIMEOUT,
	KEY_COUNT
};

/* One problem found, kept with its line until all are sorted into file order. */
struct problem {
	int line;
	char *msg;
};

/* The state of one config_load run, shared by the line reader and the inih handler. */
struct parse {
	struct config *cfg;
	const char *file;
	FILE *fp;
	char *buf;		/* getline's buffer */
	size_t bufsize;
	int line;		/* the physical line inih is looking at */
	int sect;		/* enum section, S_NONE or S_UNKNOWN */
	int seen[KEY_COUNT];	/* line where each key was given, 0 when not */
	bool bad[KEY_COUNT];	/* given, with an invalid value */
	int64_t hook_timeout_ms;
	gid_t group;		/* [hooks] group, when given */
	struct problem *problems;
	size_t nproblems;
};

/* One command being checked (check_command): where to report. */
struct command_check {
	struct parse *p;
	const char *name;
	int line;
};

struct key;
typedef bool (*key_setter)(struct parse *, const struct key *, const char *);

/* How config_reload_need compares a key's field (a key applied live is not compared). */
enum field_type { FT_NONE, FT_STR, FT_I64, FT_INT };

/* A key of the file: where it lives, how to parse it and into which field, what a reload takes. */
struct key {
	enum section sect;
	const char *name;
	key_setter set;
	size_t off;		/* offsetof(struct config, field) */
	int64_t min, max;	/* allowed range for durations and integers */
	enum reload_need reload;
	enum field_type type;	/* of the field at OFF, for a key not applied live */
};

static void problem(struct parse *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static int problem_order(const struct problem *);
static struct config_error *problems_finish(struct parse *);
static void config_defaults(struct config *);
static char *read_line(char *, int, void *);
static const char *check_line(struct parse *, size_t, int);
static bool check_syntax(struct parse *, const char *);
static bool check_section(struct parse *, const char *);
static void enter_section(struct parse *, const char *);
static int handle(void *, const char *, const char *, const char *);
static const struct key *key_find(int, const char *, int *);
static void *field(struct parse *, const struct key *);
static bool duration_value(struct parse *, const struct key *, const char *, int64_t *);
static bool set_duration(struct parse *, const struct key *, const char *);
static bool set_hook_timeout(struct parse *, const struct key *, const char *);
static bool set_int(struct parse *, const struct key *, const char *);
static bool set_command(struct parse *, const struct key *, const char *);
static bool set_abs_file(struct parse *, const struct key *, const char *);
static bool set_hosts(struct parse *, const struct key *, const char *);
static bool set_auth(struct parse *, const struct key *, const char *);
static bool set_path(struct parse *, const struct key *, const char *);
static bool set_id(struct parse *, const struct key *, const char *);
static bool set_data(struct parse *, const struct key *, const char *);
static bool set_mode(struct parse *, const struct key *, const char *);
static bool set_demote_on_start(struct parse *, const struct key *, const char *);
static bool set_on_promote_failure(struct parse *, const struct key *, const char *);
static bool set_on_fence_failure(struct parse *, const struct key *, const char *);
static bool set_log_level(struct parse *, const struct key *, const char *);
static bool set_listen(struct parse *, const struct key *, const char *);
static bool set_user(struct parse *, const struct key *, const char *);
static bool set_group(struct parse *, const struct key *, const char *);
static void finish_run_as(struct parse *, int);
static bool valid_port(const char *);
static bool valid_hostname(const char *, size_t);
static const char *path_problem(const char *);
static bool parse_bool(const char *, bool *);
static void finish(struct parse *, int);
static void finish_required(struct parse *);
static void finish_id(struct parse *);
static void finish_grace(struct parse *);
static void finish_files(struct parse *);
static void finish_watchdog(struct parse *);
static bool set_wd_mode(struct parse *, const struct key *, const char *);
static bool set_failback(struct parse *, const struct key *, const char *);
static void check_commands(struct parse *);
static void check_command(struct parse *, const char *, const struct command *);
static void problem_of_command(void *, const char *);
static int host_count(const char *);
static char *budget_warning(const struct config *);
static void open_problem(struct parse *, int);
static bool field_changed(const struct key *, const struct config *, const struct config *);

#define DUR(s, n, f, lo, hi) { s, n, set_duration, offsetof(struct config, f), lo, hi, \
	RELOAD_LIVE, FT_NONE }
#define INT(s, n, f, lo, hi) { s, n, set_int, offsetof(struct config, f), lo, hi, \
	RELOAD_LIVE, FT_NONE }
#define FLD(s, n, fn, f) { s, n, fn, offsetof(struct config, f), 0, 0, RELOAD_LIVE, FT_NONE }
#define FUN(s, n, fn) { s, n, fn, 0, 0, 0, RELOAD_LIVE, FT_NONE }
/* A key whose change takes a rejoin or a restart (R), its field F of type T compared. */
#define RELOAD(s, n, fn, f, lo, hi, r, t) { s, n, fn, offsetof(struct config, f), lo, hi, r, t }

static const struct key keys[KEY_COUNT] = {
	[KEY_HOSTS] = RELOAD(S_ZOOKEEPER, "hosts", set_hosts, hosts, 0, 0, RELOAD_REJOIN, FT_STR),
	[KEY_SESSION_TIMEOUT] = RELOAD(S_ZOOKEEPER, "session_timeout", set_duration,
	    session_timeout_ms, 100, 10 * MS_MINUTE, RELOAD_REJOIN, FT_I64),
	[KEY_AUTH] = RELOAD(S_ZOOKEEPER, "auth", set_auth, auth_cred, 0, 0, RELOAD_REJOIN, FT_STR),
	[KEY_PATH] = RELOAD(S_ELECTION, "path", set_path, path, 0, 0, RELOAD_REJOIN, FT_STR),
	[KEY_ID] = RELOAD(S_ELECTION, "id", set_id, id, 0, 0, RELOAD_REJOIN, FT_STR),
	[KEY_DATA] = RELOAD(S_ELECTION, "data", set_data, data, 0, 0, RELOAD_REJOIN, FT_STR),
	[KEY_MODE] = RELOAD(S_ELECTION, "mode", set_mode, mode, 0, 0, RELOAD_REJOIN, FT_INT),
	[KEY_GRACE] = DUR(S_ELECTION, "disconnect_grace", disconnect_grace_ms, 0, 10 * MS_MINUTE),
	[KEY_DEMOTE_ON_START] = FUN(S_ELECTION, "demote_on_start", set_demote_on_start),
	[KEY_PAUSE_DEFAULT] = DUR(S_ELECTION, "pause_default", pause_default_ms, MS_SECOND,
	    30 * MS_DAY),
	[KEY_PAUSE_MAX] = DUR(S_ELECTION, "pause_max", pause_max_ms, MS_SECOND, 30 * MS_DAY),
	[KEY_HISTORY_KEEP] = INT(S_ELECTION, "history_keep", history_keep, 0, 10000),
	[KEY_PRIORITY] = RELOAD(S_ELECTION, "priority", set_int, priority, 0,
	    CONTENDER_PRIORITY_MAX, RELOAD_REJOIN, FT_INT),
	[KEY_FAILBACK] = FUN(S_ELECTION, "failback", set_failback),
	[KEY_FAILBACK_DELAY] = DUR(S_ELECTION, "failback_delay", failback_delay_ms, 0, MS_DAY),
	[KEY_PROMOTE] = FLD(S_HOOKS, "promote", set_command, promote),
	[KEY_DEMOTE] = FLD(S_HOOKS, "demote", set_command, demote),
	[KEY_FOLLOW] = FLD(S_HOOKS, "follow", set_command, follow),
	[KEY_TIMEOUT] = { S_HOOKS, "timeout", set_hook_timeout, 0, 1, 24 * MS_HOUR, RELOAD_LIVE,
	    FT_NONE },
	[KEY_PROMOTE_TIMEOUT] = DUR(S_HOOKS, "promote_timeout", promote_timeout_ms,
	    1, 24 * MS_HOUR),
	[KEY_DEMOTE_TIMEOUT] = DUR(S_HOOKS, "demote_timeout", demote_timeout_ms, 1, 24 * MS_HOUR),
	[KEY_FOLLOW_TIMEOUT] = DUR(S_HOOKS, "follow_timeout", follow_timeout_ms, 1, 24 * MS_HOUR),
	[KEY_ON_PROMOTE_FAILURE] = FUN(S_HOOKS, "on_promote_failure", set_on_promote_failure),
	[KEY_PROMOTE_BACKOFF] = DUR(S_HOOKS, "promote_backoff", promote_backoff_ms, 0, MS_HOUR),
	[KEY_FENCE] = FLD(S_HOOKS, "fence", set_command, fence),
	[KEY_FENCE_TIMEOUT] = DUR(S_HOOKS, "fence_timeout", fence_timeout_ms, 1, 24 * MS_HOUR),
	[KEY_ON_FENCE_FAILURE] = FUN(S_HOOKS, "on_fence_failure", set_on_fence_failure),
	[KEY_USER] = FUN(S_HOOKS, "user", set_user),
	[KEY_GROUP] = FUN(S_HOOKS, "group", set_group),
	[KEY_HEALTH_COMMAND] = FLD(S_HEALTH, "command", set_command, health),
	[KEY_HEALTH_INTERVAL] = DUR(S_HEALTH, "interval", health_interval_ms, 100, MS_HOUR),
	[KEY_HEALTH_TIMEOUT] = DUR(S_HEALTH, "timeout", health_timeout_ms, 1, MS_HOUR),
	[KEY_HEALTH_FALL] = INT(S_HEALTH, "fall", health_fall, 1, 100),
	[KEY_HEALTH_RISE] = INT(S_HEALTH, "rise", health_rise, 1, 100),
	[KEY_PID_FILE] = RELOAD(S_DAEMON, "pid_file", set_abs_file, pid_file, 0, 0,
	    RELOAD_RESTART, FT_STR),
	[KEY_STATE_FILE] = RELOAD(S_DAEMON, "state_file", set_abs_file, state_file, 0, 0,
	    RELOAD_RESTART, FT_STR),
	[KEY_SESSION_FILE] = RELOAD(S_DAEMON, "session_file", set_abs_file, session_file, 0, 0,
	    RELOAD_RESTART, FT_STR),
	[KEY_LOG_LEVEL] = FUN(S_DAEMON, "log_level", set_log_level),
	[KEY_LISTEN] = FUN(S_STATUS, "listen", set_listen),
	[KEY_WD_MODE] = RELOAD(S_WATCHDOG, "mode", set_wd_mode, wd_mode, 0, 0, RELOAD_RESTART,
	    FT_INT),
	[KEY_WD_DEVICE] = RELOAD(S_WATCHDOG, "device", set_abs_file, wd_device, 0, 0,
	    RELOAD_RESTART, FT_STR),
	[KEY_WD_TIMEOUT] = RELOAD(S_WATCHDOG, "timeout", set_duration, wd_timeout_ms, 100,
	    10 * MS_MINUTE, RELOAD_RESTART, FT_I64),
};

/* Record a problem at LINE (0: belongs to no line). */
static void
problem(struct parse *p, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->problems = xrealloc(p->problems, (p->nproblems + 1) * sizeof(*p->problems));
	p->problems[p->nproblems].line = line;
	p->problems[p->nproblems].msg = xstrdup(msg);
	p->nproblems++;
}

/* Where a problem sorts: by line, line 0 (belongs to no line) last. */
static int
problem_order(const struct problem *pr)
{
	return pr->line == 0 ? INT32_MAX : pr->line;
}

/* Sort the problems into file order and turn them into the public list. */
static struct config_error *
problems_finish(struct parse *p)
{
	struct config_error *head = NULL, **tail = &head;
	struct problem *sorted = p->problems, tmp;
	size_t i, j;

	/* Insertion sort: stable, so problems of one line keep the order found. */
	for (i = 1; i < p->nproblems; i++) {
		tmp = sorted[i];
		for (j = i; j > 0 && problem_order(&tmp) < problem_order(&sorted[j - 1]); j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = tmp;
	}
	for (i = 0; i < p->nproblems; i++) {
		*tail = xcalloc(1, sizeof(**tail));
		(*tail)->text = xasprintf("%s:%d: %s", p->file, sorted[i].line, sorted[i].msg);
		tail = &(*tail)->next;
		free(sorted[i].msg);
	}
	free(p->problems);
	p->problems = NULL;
	p->nproblems = 0;
	return head;
}

/* Every default of config.h. */
static void
config_defaults(struct config *cfg)
{
	cfg->session_timeout_ms = 10 * MS_SECOND;
	cfg->mode = MODE_CANDIDATE;
	cfg->disconnect_grace_ms = 0;
	cfg->demote_on_start = STARTUP_DEMOTE_UNLESS_LEADER;
	cfg->on_promote_failure = PROMOTE_FAILURE_RESIGN;
	cfg->promote_backoff_ms = 5 * MS_SECOND;
	cfg->pause_default_ms = MS_HOUR;
	cfg->pause_max_ms = 24 * MS_HOUR;
	cfg->history_keep = 100;
	cfg->priority = CONTENDER_PRIORITY_DEFAULT;
	cfg->failback_delay_ms = MS_MINUTE;
	cfg->health_interval_ms = 5 * MS_SECOND;
	cfg->health_timeout_ms = 5 * MS_SECOND;
	cfg->health_fall = 3;
	cfg->health_rise = 2;
	cfg->log_level = LOG_INFO;
}

/*
 * inih's reader: read one whole physical line ourselves, count it, check it,
 * and hand inih either the line or a harmless comment in its place.
 */
static char *
read_line(char *str, int num, void *arg)
{
	struct parse *p = arg;
	const char *text;
	ssize_t n;

	n = getline(&p->buf, &p->bufsize, p->fp);
	if (n < 0)
		return NULL;
	p->line++;
	text = check_line(p, (size_t)n, num);
	if (text == NULL)
		text = ";";
	snprintf(str, (size_t)num, "%s\n", text);
	return str;
}

/* Check the line just read (N bytes); return the text inih may see, or NULL. */
static const char *
check_line(struct parse *p, size_t n, int num)
{
	char *s = p->buf;
	size_t limit = CONFIG_LINE_MAX, len = n;

	if (num - 2 < (int)limit)
		limit = num > 2 ? (size_t)num - 2 : 0;
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > limit) {
		problem(p, p->line, "line too long: %zu bytes, at most %zu allowed", len, limit);
		return NULL;
	}
	if (memchr(s, '\0', len) != NULL) {
		problem(p, p->line, "line contains a NUL byte");
		return NULL;
	}
	s[len] = '\0';
	if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	return check_syntax(p, s) ? s : NULL;
}

/* Accept blank lines, comments, [section] and key = value; report the rest. */
static bool
check_syntax(struct parse *p, const char *s)
{
	const char *t = s, *sep;

	while (isspace((unsigned char)*t))
		t++;
	if (*t == '\0' || *t == ';' || *t == '#')
		return true;
	if (t != s) {
		problem(p, p->line, "indented line: inih would join it to the key above as a "
		    "continuation; remove the leading blanks");
		return false;
	}
	if (*t == '[')
		return check_section(p, t);
	sep = t + strcspn(t, "=:");
	for (const char *c = t + 1; c < sep; c++) {
		if (*c == ';' && isspace((unsigned char)c[-1]))
			sep = c;	/* an inline comment before any '=' */
	}
	if (*sep != '=' && *sep != ':') {
		problem(p, p->line, "syntax error: expected \"key = value\", \"[section]\" "
		    "or a comment");
		return false;
	}
	if (sep == t) {
		problem(p, p->line, "syntax error: a value without a key name");
		return false;
	}
	return true;
}

/* Check a "[name]" line, note which section follows; false when malformed. */
static bool
check_section(struct parse *p, const char *s)
{
	const char *end = strchr(s, ']'), *c = "";
	char name[64];
	size_t len;

	p->sect = S_UNKNOWN;
	len = end != NULL ? (size_t)(end - s - 1) : 0;
	if (end != NULL)
		for (c = end + 1; isspace((unsigned char)*c); c++)
			;
	if (end == NULL || len == 0 || len >= sizeof(name) ||
	    strspn(s + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
	    != len || (*c != '\0' && *c != ';' && *c != '#')) {
		problem(p, p->line, "syntax error: expected a section header \"[name]\"");
		return false;
	}
	memcpy(name, s + 1, len);
	name[len] = '\0';
	enter_section(p, name);
	return true;
}

/* A section header NAME was read: look it up, remember where [health] starts. */
static void
enter_section(struct parse *p, const char *name)
{
	for (int i = 0; i < S_COUNT; i++) {
		if (strcmp(name, section_names[i]) != 0)
			continue;
		p->sect = i;
		if (i == S_HEALTH && !p->cfg->health_enabled) {
			p->cfg->health_enabled = true;
			p->cfg->health_line = p->line;
		}
		return;
	}
	problem(p, p->line, "unknown section [%s] (known: zookeeper, election, hooks, health, "
	    "daemon, status, watchdog)", name);
}

/* inih's handler: one key = value pair of the current line. */
static int
handle(void *arg, const char *section, const char *name, const char *value)
{
	struct parse *p = arg;
	const struct key *k;
	int id;

	(void)section;	/* inih's idea of it misses the lines we withheld: use ours */
	if (p->sect == S_UNKNOWN)
		return 1;
	if (p->sect == S_NONE) {
		problem(p, p->line, "%s: key before any [section] header", name);
		return 1;
	}
	if ((k = key_find(p->sect, name, &id)) == NULL) {
		problem(p, p->line, "unknown key \"%s\" in [%s]", name, section_names[p->sect]);
		return 1;
	}
	if (p->seen[id] != 0) {
		problem(p, p->line, "%s: given twice in [%s] (lines %d and %d)", name,
		    section_names[p->sect], p->seen[id], p->line);
		return 1;
	}
	p->seen[id] = p->line;
	if (*value == '\0') {
		problem(p, p->line, "%s: empty value (to use the default, leave the key out)",
		    name);
		p->bad[id] = true;
	} else if (!k->set(p, k, value))
		p->bad[id] = true;
	return 1;
}

/* The key NAME of section SECT and its index in *ID, or NULL. */
static const struct key *
key_find(int sect, const char *name, int *id)
{
	for (int i = 0; i < KEY_COUNT; i++) {
		if ((int)keys[i].sect == sect && strcmp(keys[i].name, name) == 0) {
			*id = i;
			return &keys[i];
		}
	}
	return NULL;
}

/* The configuration field key K writes. */
static void *
field(struct parse *p, const struct key *k)
{
	return (char *)p->cfg + k->off;
}

/* Parse a duration for K and check its range; report and return false when bad. */
static bool
duration_value(struct parse *p, const struct key *k, const char *v, int64_t *out)
{
	char lo[32], hi[32], got[32];
	int64_t ms = config_parse_duration(v);

	if (ms < 0) {
		problem(p, p->line, "%s: \"%s\" is not a duration (%s)", k->name, v, DURATION_HINT);
		return false;
	}
	if (ms < k->min || ms > k->max) {
		problem(p, p->line, "%s: %s is out of range (%s..%s)", k->name,
		    config_format_duration(ms, got, sizeof(got)),
		    config_format_duration(k->min, lo, sizeof(lo)),
		    config_format_duration(k->max, hi, sizeof(hi)));
		return false;
	}
	*out = ms;
	return true;
}

/* A duration field. */
static bool
set_duration(struct parse *p, const struct key *k, const char *v)
{
	return duration_value(p, k, v, field(p, k));
}

/* [hooks] timeout: the default of the three per-hook timeouts. */
static bool
set_hook_timeout(struct parse *p, const struct key *k, const char *v)
{
	return duration_value(p, k, v, &p->hook_timeout_ms);
}

/* A small integer field within the key's range. */
static bool
set_int(struct parse *p, const struct key *k, const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 ||
	    n < k->min || n > k->max) {
		problem(p, p->line, "%s: \"%s\" is not a whole number from %" PRId64 " to %" PRId64,
		    k->name, v, k->min, k->max);
		return false;
	}
	*(int *)field(p, k) = (int)n;
	return true;
}

/* Parse yes/no/true/false/on/off/1/0 into *B. */
static bool
parse_bool(const char *v, bool *b)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*b = strcasecmp(v, yes[i]) == 0;
			return true;
		}
	}
	return false;
}

/* A command field: split on blanks, the first word an absolute path. */
static bool
set_command(struct parse *p, const struct key *k, const char *v)
{
	struct command *cmd = field(p, k);

	command_split(v, cmd);
	if (cmd->argc == 0 || cmd->argv[0][0] != '/') {
		problem(p, p->line, "%s: \"%s\" is not an absolute path (commands run without a "
		    "shell: give the full path)", k->name, cmd->argc ? cmd->argv[0] : v);
		command_free(cmd);
		return false;
	}
	cmd->line = p->line;
	return true;
}

/* An absolute file name field ([daemon] pid_file, state_file). */
static bool
set_abs_file(struct parse *p, const struct key *k, const char *v)
{
	char **dst = field(p, k);
	size_t len = strlen(v);

	if (v[0] != '/' || v[len - 1] == '/') {
		problem(p, p->line, "%s: \"%s\" is not an absolute file name", k->name, v);
		return false;
	}
	*dst = xstrdup(v);
	return true;
}

/* [zookeeper] hosts: HOST:PORT[,HOST:PORT...][/chroot]. */
static bool
set_hosts(struct parse *p, const struct key *k, const char *v)
{
	const char *chroot = strchr(v, '/'), *why;
	char *list, *cur, *entry, host[CONFIG_HOST_MAX];
	bool ok = true;
	int port;

	if (v[strcspn(v, " \t")] != '\0') {
		problem(p, p->line, "%s: \"%s\" contains blanks", k->name, v);
		return false;
	}
	list = chroot ? xstrndup(v, (size_t)(chroot - v)) : xstrdup(v);
	for (cur = list; ok && (entry = strsep(&cur, ",")) != NULL; ) {
		if (!config_host_port(entry, false, host, sizeof(host), &port)) {
			problem(p, p->line, "%s: \"%s\" is not HOST:PORT (port 1..65535) in \"%s\"",
			    k->name, entry, v);
			ok = false;
		}
	}
	free(list);
	if (ok && chroot != NULL && (why = path_problem(chroot)) != NULL) {
		problem(p, p->line, "%s: chroot \"%s\" %s", k->name, chroot, why);
		ok = false;
	}
	if (ok)
		p->cfg->hosts = xstrdup(v);
	return ok;
}

/*
 * Split HOST:PORT; the one parser of [zookeeper] hosts entries and [status]
 * listen. With BRACKETS an IPv6 host is written [V6]:PORT (listen); without,
 * S splits at the last colon as the ZooKeeper client does (so ::1:2181 works).
 */
bool
config_host_port(const char *s, bool brackets, char *host, size_t hostlen, int *port)
{
	const char *h = s, *colon = strrchr(s, ':'), *close;
	struct in6_addr a6;
	size_t len;
	bool v6;

	if (brackets && s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL || close[1] != ':')
			return false;
		h = s + 1;
		len = (size_t)(close - h);
		colon = close + 1;
		v6 = true;
	} else {
		if (colon == NULL)
			return false;
		len = (size_t)(colon - s);
		if ((v6 = memchr(s, ':', len) != NULL) && brackets)
			return false;	/* a bare IPv6 address: ambiguous, ask for [V6] */
	}
	if (!valid_port(colon + 1) || len >= hostlen)
		return false;
	memcpy(host, h, len);
	host[len] = '\0';
	if (v6 ? inet_pton(AF_INET6, host, &a6) != 1 : !valid_hostname(host, len))
		return false;
	*port = (int)strtol(colon + 1, NULL, 10);	/* valid_port checked the digits */
	return true;
}

/* A decimal port number 1..65535. */
static bool
valid_port(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return false;
	long v = strtol(s, NULL, 10);	/* the digits are checked above */

	return v >= 1 && v <= 65535;
}

/* A host name or IPv4 address (LEN bytes of S): letters, digits, '.', '-', '_'. */
static bool
valid_hostname(const char *s, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_";

	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(ok, s[i]) == NULL)
			return false;
	return true;
}

/* Why PATH is not a usable absolute ZooKeeper path, or NULL when it is. */
static const char *
path_problem(const char *path)
{
	const char *c, *comp;
	size_t len;

	if (path[0] != '/')
		return "is not an absolute path";
	if (strcmp(path, "/") == 0)
		return "is the root; name a node below it";
	for (c = path; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "contains a control character";
	if (path[strlen(path) - 1] == '/')
		return "ends with a slash";
	for (comp = path + 1; comp != NULL; comp = c != NULL ? c + 1 : NULL) {
		c = strchr(comp, '/');
		len = c != NULL ? (size_t)(c - comp) : strlen(comp);
		if (len == 0 || (len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return "has an empty, \".\" or \"..\" component";
	}
	return NULL;
}

/* [zookeeper] auth: only digest:USER:PASSWORD. The value never appears in messages. */
static bool
set_auth(struct parse *p, const struct key *k, const char *v)
{
	const char *cred, *pass;

	if (strncmp(v, "digest:", 7) != 0) {
		problem(p, p->line, "%s: only the digest scheme is supported "
		    "(auth = digest:USER:PASSWORD)", k->name);
		return false;
	}
	cred = v + 7;
	pass = strchr(cred, ':');
	if (pass == NULL || pass == cred || pass[1] == '\0') {
		problem(p, p->line, "%s: expected digest:USER:PASSWORD with a non-empty user and "
		    "password", k->name);
		return false;
	}
	p->cfg->auth_scheme = xstrdup("digest");
	p->cfg->auth_cred = xstrdup(cred);
	return true;
}

/* [election] path: an absolute ZooKeeper path outside /zookeeper. */
static bool
set_path(struct parse *p, const struct key *k, const char *v)
{
	const char *why = path_problem(v);

	if (why == NULL && (strcmp(v, "/zookeeper") == 0 || strncmp(v, "/zookeeper/", 11) == 0))
		why = "is under /zookeeper, which ZooKeeper keeps for itself";
	if (why != NULL) {
		problem(p, p->line, "%s: \"%s\" %s", k->name, v, why);
		return false;
	}
	p->cfg->path = xstrdup(v);
	return true;
}

/* [election] id. */
static bool
set_id(struct parse *p, const struct key *k, const char *v)
{
	if (!znode_valid_id(v)) {
		problem(p, p->line, "%s: \"%s\" is not a valid id (letters, digits, '.', '_', '-'; "
		    "at most %d bytes)", k->name, v, ZNODE_ID_MAX);
		return false;
	}
	p->cfg->id = xstrdup(v);
	return true;
}

/* [election] data: any text, published as is. */
static bool
set_data(struct parse *p, const struct key *k, const char *v)
{
	(void)k;
	p->cfg->data = xstrdup(v);
	return true;
}

/* [election] mode: candidate | observer. */
static bool
set_mode(struct parse *p, const struct key *k, const char *v)
{
	if (strcmp(v, "candidate") == 0)
		p->cfg->mode = MODE_CANDIDATE;
	else if (strcmp(v, "observer") == 0)
		p->cfg->mode = MODE_OBSERVER;
	else {
		problem(p, p->line, "%s: \"%s\" is not candidate or observer", k->name, v);
		return false;
	}
	return true;
}

/* demote_on_start: a boolean, or unless-leader. */
static bool
set_demote_on_start(struct parse *p, const struct key *k, const char *v)
{
	bool b;

	if (strcmp(v, "unless-leader") == 0)
		p->cfg->demote_on_start = STARTUP_DEMOTE_UNLESS_LEADER;
	else if (parse_bool(v, &b))
		p->cfg->demote_on_start = b ? STARTUP_DEMOTE_YES : STARTUP_DEMOTE_NO;
	else {
		problem(p, p->line, "%s: \"%s\" is not unless-leader, yes or no (also true/false, "
		    "on/off, 1/0)", k->name, v);
		return false;
	}
	return true;
}

/* [election] failback: yes or no. */
static bool
set_failback(struct parse *p, const struct key *k, const char *v)
{
	if (!parse_bool(v, &p->cfg->failback)) {
		problem(p, p->line, "%s: \"%s\" is not yes or no (also true/false, on/off, 1/0)",
		    k->name, v);
		return false;
	}
	return true;
}

/* [watchdog] mode: off | automatic | required. */
static bool
set_wd_mode(struct parse *p, const struct key *k, const char *v)
{
	if (strcmp(v, "off") == 0)
		p->cfg->wd_mode = WATCHDOG_OFF;
	else if (strcmp(v, "automatic") == 0)
		p->cfg->wd_mode = WATCHDOG_AUTOMATIC;
	else if (strcmp(v, "required") == 0)
		p->cfg->wd_mode = WATCHDOG_REQUIRED;
	else {
		problem(p, p->line, "%s: \"%s\" is not off, automatic or required", k->name, v);
		return false;
	}
	return true;
}

/* [hooks] on_promote_failure: resign | stay. */
static bool
set_on_promote_failure(struct parse *p, const struct key *k, const char *v)
{
	if (strcmp(v, "resign") == 0)
		p->cfg->on_promote_failure = PROMOTE_FAILURE_RESIGN;
	else if (strcmp(v, "stay") == 0)
		p->cfg->on_promote_failure = PROMOTE_FAILURE_STAY;
	else {
		problem(p, p->line, "%s: \"%s\" is not resign or stay", k->name, v);
		return false;
	}
	return true;
}

/* [hooks] on_fence_failure: resign | promote. */
static bool
set_on_fence_failure(struct parse *p, const struct key *k, const char *v)
{
	if (strcmp(v, "resign") == 0)
		p->cfg->on_fence_failure = FENCE_FAILURE_RESIGN;
	else if (strcmp(v, "promote") == 0)
		p->cfg->on_fence_failure = FENCE_FAILURE_PROMOTE;
	else {
		problem(p, p->line, "%s: \"%s\" is not resign or promote", k->name, v);
		return false;
	}
	return true;
}

/* [daemon] log_level. */
static bool
set_log_level(struct parse *p, const struct key *k, const char *v)
{
	int level = log_level_parse(v);

	if (level < 0) {
		problem(p, p->line, "%s: \"%s\" is not one of debug, info, notice, warning, error",
		    k->name, v);
		return false;
	}
	p->cfg->log_level = level;
	return true;
}

/* [hooks] user: a user name (or a numeric uid) hooks and the health check run as. */
static bool
set_user(struct parse *p, const struct key *k, const char *v)
{
	struct passwd *pw;

	(void)k;
	errno = 0;
	if ((pw = getpwnam(v)) == NULL) {
		problem(p, p->line, "user: no such user \"%s\"", v);
		return false;
	}
	p->cfg->hook_user = xstrdup(pw->pw_name);
	p->cfg->hook_home = xstrdup(pw->pw_dir);
	p->cfg->run_as = xcalloc(1, sizeof(*p->cfg->run_as));
	p->cfg->run_as->uid = pw->pw_uid;
	p->cfg->run_as->gid = pw->pw_gid;
	return true;
}

/* [hooks] group: the group hooks run as (default: the user's own group). */
static bool
set_group(struct parse *p, const struct key *k, const char *v)
{
	struct group *gr;

	(void)k;
	if ((gr = getgrnam(v)) == NULL) {
		problem(p, p->line, "group: no such group \"%s\"", v);
		return false;
	}
	p->group = gr->gr_gid;
	return true;
}

/*
 * Whom hooks run as: the user's groups (or the one given), and only root can
 * switch. A group without a user is an error: say whose group it is.
 */
static void
finish_run_as(struct parse *p, int flags)
{
	struct run_as *as = p->cfg->run_as;
	int n = 0;

	if (p->seen[KEY_GROUP] && !p->bad[KEY_GROUP] && !p->seen[KEY_USER]) {
		problem(p, p->seen[KEY_GROUP], "group: give user as well (the group hooks run "
		    "as goes with a user)");
		return;
	}
	if (as == NULL)
		return;
	if (p->seen[KEY_GROUP] && !p->bad[KEY_GROUP])
		as->gid = p->group;
	getgrouplist(p->cfg->hook_user, as->gid, NULL, &n);
	as->groups = xcalloc((size_t)n + 1, sizeof(gid_t));
	as->ngroups = n;
	if (getgrouplist(p->cfg->hook_user, as->gid, as->groups, &as->ngroups) == -1)
		as->ngroups = 0;
	if ((flags & CONFIG_CHECK_COMMANDS) && geteuid() != 0 && as->uid != geteuid())
		problem(p, p->seen[KEY_USER], "user: running hooks as %s needs root (zkelectd "
		    "runs as uid %ld)", p->cfg->hook_user, (long)geteuid());
}

/* [status] listen: HOST:PORT, [IPV6]:PORT. */
static bool
set_listen(struct parse *p, const struct key *k, const char *v)
{
	char host[CONFIG_HOST_MAX];
	int port;

	if (!config_host_port(v, true, host, sizeof(host), &port)) {
		problem(p, p->line, "%s: \"%s\" is not HOST:PORT with a port 1..65535 "
		    "(e.g. 127.0.0.1:8008 or [::1]:8008)", k->name, v);
		return false;
	}
	p->cfg->status_listen = xstrdup(v);
	p->cfg->status_line = p->line;
	return true;
}

/* After the last line: defaults that depend on others, required keys, cross-field rules. */
static void
finish(struct parse *p, int flags)
{
	struct config *cfg = p->cfg;

	finish_required(p);
	finish_id(p);
	if (cfg->data == NULL && !p->bad[KEY_DATA] && cfg->id != NULL)
		cfg->data = xstrdup(cfg->id);
	if (!p->seen[KEY_PROMOTE_TIMEOUT])
		cfg->promote_timeout_ms = p->hook_timeout_ms;
	if (!p->seen[KEY_DEMOTE_TIMEOUT])
		cfg->demote_timeout_ms = p->hook_timeout_ms;
	if (!p->seen[KEY_FOLLOW_TIMEOUT])
		cfg->follow_timeout_ms = p->hook_timeout_ms;
	if (!p->seen[KEY_FENCE_TIMEOUT])
		cfg->fence_timeout_ms = p->hook_timeout_ms;
	if (cfg->fence.argv != NULL && cfg->mode == MODE_OBSERVER)
		problem(p, p->seen[KEY_FENCE], "fence: an observer never leads, so it never "
		    "fences: remove it or set mode = candidate");
	finish_grace(p);
	if (cfg->pause_default_ms > cfg->pause_max_ms && !p->bad[KEY_PAUSE_DEFAULT] &&
	    !p->bad[KEY_PAUSE_MAX])
		problem(p, p->seen[KEY_PAUSE_DEFAULT] ? p->seen[KEY_PAUSE_DEFAULT] :
		    p->seen[KEY_PAUSE_MAX], "pause_default must not be longer than pause_max");
	finish_run_as(p, flags);
	finish_files(p);
	finish_watchdog(p);
	if (flags & CONFIG_CHECK_COMMANDS)
		check_commands(p);
}

/* Report required keys that were never given (line 0). */
static void
finish_required(struct parse *p)
{
	const struct config *cfg = p->cfg;

	if (!p->seen[KEY_HOSTS])
		problem(p, 0, "missing required key \"hosts\" in [zookeeper]");
	if (!p->seen[KEY_PATH])
		problem(p, 0, "missing required key \"path\" in [election]");
	if (cfg->mode == MODE_CANDIDATE && !p->bad[KEY_MODE]) {
		if (!p->seen[KEY_PROMOTE])
			problem(p, 0, "missing required key \"promote\" in [hooks] "
			    "(needed with mode = candidate)");
		if (!p->seen[KEY_DEMOTE])
			problem(p, 0, "missing required key \"demote\" in [hooks] "
			    "(needed with mode = candidate)");
	}
	if (cfg->health_enabled && !p->seen[KEY_HEALTH_COMMAND])
		problem(p, 0, "missing required key \"command\" in [health] (the section at "
		    "line %d needs one, or remove the section)", cfg->health_line);
}

/* Default id: the host name, which must then be a valid id. */
static void
finish_id(struct parse *p)
{
	char host[HOSTNAME_MAX + 2];

	if (p->seen[KEY_ID])
		return;
	if (gethostname(host, sizeof(host)) != 0) {
		problem(p, 0, "cannot get the host name for the default id (%s): set id in "
		    "[election]", strerror(errno));
		return;
	}
	host[sizeof(host) - 1] = '\0';
	if (!znode_valid_id(host)) {
		problem(p, 0, "the host name \"%s\" is not a valid id (letters, digits, '.', '_', "
		    "'-'; at most %d bytes): set id in [election]", host, ZNODE_ID_MAX);
		return;
	}
	p->cfg->id = xstrdup(host);
}

/* disconnect_grace must stay below session_timeout / 3 (rule 6, docs/safety.md). */
static void
finish_grace(struct parse *p)
{
	const struct config *cfg = p->cfg;
	char g[32], s[32];

	if (!p->seen[KEY_GRACE] || p->bad[KEY_GRACE] || p->bad[KEY_SESSION_TIMEOUT])
		return;
	if (cfg->disconnect_grace_ms * 3 < cfg->session_timeout_ms)
		return;
	problem(p, p->seen[KEY_GRACE], "disconnect_grace: %s must be below session_timeout / 3 "
	    "(session_timeout is %s%s)",
	    config_format_duration(cfg->disconnect_grace_ms, g, sizeof(g)),
	    config_format_duration(cfg->session_timeout_ms, s, sizeof(s)),
	    p->seen[KEY_SESSION_TIMEOUT] ? "" : ", the default");
}

/*
 * The [daemon] files' defaults. The session file sits beside the state file,
 * with its name's extension replaced by .session, so that instances with their
 * own state files never share one.
 */
static void
finish_files(struct parse *p)
{
	struct config *cfg = p->cfg;
	const char *base, *dot;

	if (cfg->pid_file == NULL)
		cfg->pid_file = xstrdup(DEFAULT_PID_FILE);
	if (cfg->state_file == NULL)
		cfg->state_file = xstrdup(DEFAULT_STATE_FILE);
	base = strrchr(cfg->state_file, '/') + 1;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		dot = base + strlen(base);
	cfg->pause_file = xasprintf("%.*s.pause", (int)(dot - cfg->state_file), cfg->state_file);
	if (strcmp(cfg->pause_file, cfg->state_file) == 0 ||
	    strcmp(cfg->pause_file, cfg->pid_file) == 0)
		problem(p, p->seen[KEY_STATE_FILE], "state_file: the pause file, %s, is this file "
		    "itself: give state_file another name", cfg->pause_file);
	if (cfg->session_file != NULL)
		return;
	cfg->session_file = xasprintf("%.*s.session", (int)(dot - cfg->state_file),
	    cfg->state_file);
	if (strcmp(cfg->session_file, cfg->state_file) == 0 ||
	    strcmp(cfg->session_file, cfg->pid_file) == 0)
		problem(p, p->seen[KEY_STATE_FILE], "state_file: the session file's default, %s, "
		    "is this file itself: set session_file in [daemon]", cfg->session_file);
}

/*
 * [watchdog]: the host must be reset before ZooKeeper can expire the session.
 * A leader kicks only until 2/3 of session_timeout + disconnect_grace after the
 * server last answered; the device resets timeout after the last kick; the
 * server expires the session no earlier than session_timeout after that
 * answer. So timeout <= session_timeout / 3 - disconnect_grace (rule 23,
 * docs/watchdog.md). The default is that limit in whole seconds (what a real
 * device takes).
 */
static void
finish_watchdog(struct parse *p)
{
	struct config *cfg = p->cfg;
	int64_t limit = cfg->session_timeout_ms / 3 - cfg->disconnect_grace_ms;
	char l[32], t[32];

	if (cfg->wd_device == NULL)
		cfg->wd_device = xstrdup(DEFAULT_WD_DEVICE);
	if (cfg->wd_mode == WATCHDOG_OFF || p->bad[KEY_SESSION_TIMEOUT] || p->bad[KEY_GRACE] ||
	    p->bad[KEY_WD_TIMEOUT])
		return;
	if (cfg->mode == MODE_OBSERVER)
		problem(p, p->seen[KEY_WD_MODE], "mode: an observer never leads, so it never "
		    "arms a watchdog: remove [watchdog] or set mode = off");
	if (!p->seen[KEY_WD_TIMEOUT]) {
		cfg->wd_timeout_ms = limit / MS_SECOND * MS_SECOND;
		if (cfg->wd_timeout_ms <= 0)
			problem(p, p->seen[KEY_WD_MODE], "mode: session_timeout / 3 - "
			    "disconnect_grace is %s, less than the 1s a watchdog device takes: "
			    "raise session_timeout (or set timeout for a device that takes less)",
			    config_format_duration(limit, l, sizeof(l)));
		return;
	}
	if (cfg->wd_timeout_ms > limit)
		problem(p, p->seen[KEY_WD_TIMEOUT], "timeout: %s is above session_timeout / 3 - "
		    "disconnect_grace (%s): the host would be reset only after ZooKeeper may have "
		    "expired the session and elected another node",
		    config_format_duration(cfg->wd_timeout_ms, t, sizeof(t)),
		    config_format_duration(limit, l, sizeof(l)));
}

/* CONFIG_CHECK_COMMANDS: every configured command exists and is executable. */
static void
check_commands(struct parse *p)
{
	const struct config *cfg = p->cfg;

	check_command(p, "promote", &cfg->promote);
	check_command(p, "demote", &cfg->demote);
	check_command(p, "follow", &cfg->follow);
	check_command(p, "fence", &cfg->fence);
	check_command(p, "command", &cfg->health);
}

/* Check that CMD's program is an executable regular file. */
static void
check_command(struct parse *p, const char *name, const struct command *cmd)
{
	struct command_check c = { p, name, cmd->line };

	command_check(cmd, p->cfg->run_as, p->cfg->hook_user, problem_of_command, &c);
}

/* command_check's report: a problem at the command's line, named by its key. */
static void
problem_of_command(void *arg, const char *msg)
{
	const struct command_check *c = arg;

	problem(c->p, c->line, "%s: %s", c->name, msg);
}

/* The one problem of a file we cannot read at all. */
static void
open_problem(struct parse *p, int err)
{
	problem(p, 0, "cannot read the configuration file: %s", strerror(err));
}

struct config *
config_load(const char *file, int flags, struct config_error **errors)
{
	struct parse p;
	struct stat st;
	int rc;

	memset(&p, 0, sizeof(p));
	p.file = file;
	p.sect = S_NONE;
	p.hook_timeout_ms = 60 * MS_SECOND;
	p.cfg = xcalloc(1, sizeof(*p.cfg));
	p.cfg->file = xstrdup(file);
	config_defaults(p.cfg);
	*errors = NULL;

	/* stat first: opening a FIFO would block, a device could be endless */
	if (stat(file, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		problem(&p, 0, "cannot read the configuration file: not a regular file");
	else if ((p.fp = fopen(file, "r")) == NULL || fstat(fileno(p.fp), &st) != 0)
		open_problem(&p, errno);
	else if (S_ISDIR(st.st_mode))
		open_problem(&p, EISDIR);
	else {
		rc = ini_parse_stream(read_line, &p, handle, &p);
		if (ferror(p.fp))
			open_problem(&p, errno != 0 ? errno : EIO);
		else if (rc == -2)
			problem(&p, 0, "out of memory while parsing");
		else if (rc > 0 && p.nproblems == 0)
			problem(&p, rc, "syntax error");
		finish(&p, flags);
	}
	if (p.fp != NULL)
		(void)fclose(p.fp);	/* read only: nothing to lose */
	free(p.buf);
	if (p.nproblems == 0)
		return p.cfg;
	*errors = problems_finish(&p);
	config_free(p.cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->hosts);
	free(cfg->auth_scheme);
	if (cfg->auth_cred != NULL) {
		explicit_bzero(cfg->auth_cred, strlen(cfg->auth_cred));
		free(cfg->auth_cred);
	}
	free(cfg->path);
	free(cfg->id);
	free(cfg->data);
	command_free(&cfg->promote);
	command_free(&cfg->demote);
	command_free(&cfg->follow);
	command_free(&cfg->fence);
	command_free(&cfg->health);
	free(cfg->hook_user);
	free(cfg->hook_home);
	if (cfg->run_as != NULL)
		free(cfg->run_as->groups);
	free(cfg->run_as);
	free(cfg->pid_file);
	free(cfg->state_file);
	free(cfg->session_file);
	free(cfg->pause_file);
	free(cfg->status_listen);
	free(cfg->wd_device);
	free(cfg);
}

void
config_errors_free(struct config_error *errors)
{
	struct config_error *next;

	for (; errors != NULL; errors = next) {
		next = errors->next;
		free(errors->text);
		free(errors);
	}
}

/* How many servers the connect string lists (before any chroot). */
static int
host_count(const char *hosts)
{
	int n = 1;

	for (; *hosts != '\0' && *hosts != '/'; hosts++)
		if (*hosts == ',')
			n++;
	return n;
}

/*
 * The demote budget (docs/safety.md): a leader cut off from ZooKeeper is told to
 * demote at most 2/3 of session_timeout + disconnect_grace after the server last
 * answered, and the server may expire the session, letting another node
 * promote, at the full session_timeout. A demote hook allowed to run longer
 * than what is left, session_timeout / 3 - disconnect_grace, can still be
 * running then. NULL when it fits (or the node never leads).
 */
static char *
budget_warning(const struct config *cfg)
{
	int64_t budget = cfg->session_timeout_ms / 3 - cfg->disconnect_grace_ms;
	int64_t need = cfg->disconnect_grace_ms + cfg->demote_timeout_ms;
	char g[32], d[32], b[32], s[32], n[32];

	if (cfg->mode == MODE_OBSERVER || cfg->demote.argv == NULL ||
	    cfg->demote_timeout_ms <= budget)
		return NULL;
	return xasprintf("%s: disconnect_grace (%s) + demote_timeout (%s) do not fit in "
	    "session_timeout / 3 (%s): after a lost connection the demote hook may still run "
	    "when the session expires and another node promotes, so \"a leader that loses "
	    "ZooKeeper has demoted before another node can lead\" holds only if the hook stops "
	    "the service within %s; set demote_timeout to at most %s or session_timeout to at "
	    "least %s", cfg->file,
	    config_format_duration(cfg->disconnect_grace_ms, g, sizeof(g)),
	    config_format_duration(cfg->demote_timeout_ms, d, sizeof(d)),
	    config_format_duration(cfg->session_timeout_ms / 3, s, sizeof(s)),
	    config_format_duration(budget > 0 ? budget : 0, b, sizeof(b)), b,
	    config_format_duration(3 * need, n, sizeof(n)));
}

/* True when key K's field differs between configurations A and B. */
static bool
field_changed(const struct key *k, const struct config *a, const struct config *b)
{
	const char *fa = (const char *)a + k->off, *fb = (const char *)b + k->off;
	const char *sa, *sb;

	switch (k->type) {
	case FT_STR:
		memcpy(&sa, fa, sizeof(sa));
		memcpy(&sb, fb, sizeof(sb));
		return (sa == NULL) != (sb == NULL) || (sa != NULL && strcmp(sa, sb) != 0);
	case FT_I64:
		return memcmp(fa, fb, sizeof(int64_t)) != 0;
	case FT_INT:
		return memcmp(fa, fb, sizeof(int)) != 0;
	default:
		return false;
	}
}

enum reload_need
config_reload_need(const struct config *old, const struct config *new, char **restart)
{
	enum reload_need need = RELOAD_LIVE;
	char *names;

	*restart = NULL;
	for (int i = 0; i < KEY_COUNT; i++) {
		if (keys[i].reload == RELOAD_LIVE || !field_changed(&keys[i], old, new))
			continue;
		if (keys[i].reload > need)
			need = keys[i].reload;
		if (keys[i].reload == RELOAD_RESTART) {
			names = *restart == NULL ? xstrdup(keys[i].name) :
			    xasprintf("%s, %s", *restart, keys[i].name);
			free(*restart);
			*restart = names;
		}
	}
	return need;
}

void
config_warnings(const struct config *cfg, void (*warn)(const char *msg))
{
	struct stat st;
	char *msg;
	int n;

	if (cfg->hosts != NULL && ((n = host_count(cfg->hosts)) == 2 || n == 4)) {
		msg = xasprintf("%s: hosts lists %d servers: the ZooKeeper client may never try "
		    "some of them (ZOOKEEPER-2466); list 3 or 5", cfg->file, n);
		warn(msg);
		free(msg);
	}
	if ((msg = budget_warning(cfg)) != NULL) {
		warn(msg);
		free(msg);
	}
	/* Group root is harmless: its members can read anything anyway. */
	if (cfg->auth_cred != NULL && stat(cfg->file, &st) == 0 &&
	    ((st.st_mode & S_IROTH) || ((st.st_mode & S_IRGRP) && st.st_gid != 0))) {
		msg = xasprintf("%s: holds the ZooKeeper password (auth) but is readable by %s "
		    "(mode %04o): chmod 600", cfg->file,
		    (st.st_mode & S_IROTH) ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777));
		warn(msg);
		free(msg);
	}
}

int64_t
config_parse_duration(const char *s)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "", MS_SECOND }, { "ms", 1 }, { "s", MS_SECOND }, { "m", MS_MINUTE },
		{ "h", MS_HOUR },
	};
	int64_t n = 0;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].unit) == 0)
			return n > INT64_MAX / units[i].ms ? -1 : n * units[i].ms;
	}
	return -1;
}

const char *
config_format_duration(int64_t ms, char *buf, int len)
{
	char frac[8];
	int n;

	if (len <= 0)
		return buf;
	if (ms != 0 && ms % MS_HOUR == 0)
		snprintf(buf, (size_t)len, "%" PRId64 "h", ms / MS_HOUR);
	else if (ms != 0 && ms % MS_MINUTE == 0)
		snprintf(buf, (size_t)len, "%" PRId64 "m", ms / MS_MINUTE);
	else if (ms % MS_SECOND == 0)
		snprintf(buf, (size_t)len, "%" PRId64 "s", ms / MS_SECOND);
	else if (ms < MS_SECOND)
		snprintf(buf, (size_t)len, "%" PRId64 "ms", ms);
	else {
		n = snprintf(frac, sizeof(frac), "%03d", (int)(ms % MS_SECOND));
		while (n > 0 && frac[n - 1] == '0')
			frac[--n] = '\0';
		snprintf(buf, (size_t)len, "%" PRId64 ".%ss", ms / MS_SECOND, frac);
	}
	return buf;
}

