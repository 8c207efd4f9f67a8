/* config: read, validate and hold zkelectd.conf (INI, parsed with the system inih). */
#ifndef ZKELECT_CONFIG_H
#define ZKELECT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hook.h"

#define CONFIG_DEFAULT_FILE "/etc/zkelectd/zkelectd.conf"
/* Debian's inih reads at most 200 bytes a line, newline and NUL included. */
#define CONFIG_LINE_MAX 198

enum election_mode { MODE_CANDIDATE, MODE_OBSERVER };
enum promote_failure { PROMOTE_FAILURE_RESIGN, PROMOTE_FAILURE_STAY };
enum fence_failure { FENCE_FAILURE_RESIGN, FENCE_FAILURE_PROMOTE };
/* demote_on_start: no; yes (before ZooKeeper is contacted); unless-leader (docs/startup.md) */
enum startup_demote { STARTUP_DEMOTE_NO, STARTUP_DEMOTE_YES, STARTUP_DEMOTE_UNLESS_LEADER };
/* [watchdog] mode (docs/watchdog.md) */
enum watchdog_mode { WATCHDOG_OFF, WATCHDOG_AUTOMATIC, WATCHDOG_REQUIRED };

struct config {
	char *file;

	/* [zookeeper] */
	char *hosts;
	int64_t session_timeout_ms;	/* default 10 s */
	char *auth_scheme;		/* "digest" or NULL */
	char *auth_cred;		/* "USER:PASSWORD" or NULL; never logged */

	/* [election] */
	char *path;
	char *id;			/* default: the host name */
	char *data;			/* default: the id */
	enum election_mode mode;
	int64_t disconnect_grace_ms;	/* default 0 */
	enum startup_demote demote_on_start;	/* default unless-leader */
	int64_t pause_default_ms;	/* zkelectctl pause without --for; default 1 h */
	int64_t pause_max_ms;		/* the longest pause this node keeps; default 24 h */
	int history_keep;		/* leader history records kept; default 100, 0: none */
	int priority;			/* 0..255, default 100; 0: never lead */
	bool failback;			/* default no */
	int64_t failback_delay_ms;	/* default 60 s */

	/* [hooks] */
	struct command promote, demote, follow;
	int64_t promote_timeout_ms, demote_timeout_ms, follow_timeout_ms; /* default: timeout, 60 s */
	enum promote_failure on_promote_failure;	/* default resign */
	int64_t promote_backoff_ms;	/* default 5 s */
	struct command fence;		/* optional: fence a last leader that left unclean */
	int64_t fence_timeout_ms;	/* default: timeout, 60 s */
	enum fence_failure on_fence_failure;	/* default resign */
	char *hook_user;		/* [hooks] user: hooks and the health check run as */
	char *hook_home;		/* that user's home (HOME for the hooks) */
	struct run_as *run_as;		/* NULL: as the daemon itself */

	/* [health] (optional) */
	bool health_enabled;
	int health_line;		/* line of the [health] header */
	struct command health;
	int64_t health_interval_ms, health_timeout_ms;	/* default 5 s, 5 s */
	int health_fall, health_rise;			/* default 3, 2 */

	/* [daemon] */
	char *pid_file;			/* default /run/zkelectd/zkelectd.pid */
	char *state_file;		/* default /run/zkelectd/zkelectd.state */
	char *session_file;		/* default: state_file's name ending in .session */
	char *pause_file;		/* state_file's name ending in .pause (no key) */
	int log_level;			/* syslog level, default LOG_INFO */

	/* [status] (optional) */
	char *status_listen;		/* "HOST:PORT" or NULL */
	int status_line;

	/* [watchdog] */
	enum watchdog_mode wd_mode;	/* default off */
	char *wd_device;		/* default /dev/watchdog */
	int64_t wd_timeout_ms;		/* default: session_timeout / 3 - grace, whole seconds */
};

/* What config_load checks beyond syntax and values. */
enum {
	CONFIG_CHECK_COMMANDS = 1 << 0,	/* hook commands exist and are executable */
};

/* One problem: "FILE:LINE: message" (LINE 0 where it belongs to no line). */
struct config_error {
	char *text;
	struct config_error *next;
};

/*
 * Read and validate FILE. On success return the configuration and set *errors
 * to NULL; otherwise return NULL and set *errors to every problem found, in
 * file order (free them with config_errors_free). Never logs, never exits.
 */
struct config *config_load(const char *file, int flags, struct config_error **errors);
void config_free(struct config *cfg);

/* What applying a key on reload takes (declared for each key in config.c's key table). */
enum reload_need {
	RELOAD_LIVE,	/* applied at once */
	RELOAD_REJOIN,	/* leave the election (demoting first) and join again with it */
	RELOAD_RESTART,	/* only at the next start: the running daemon keeps the old value */
};
/*
 * What going from OLD to NEW takes: the greatest need among the keys whose value
 * (as parsed, defaults included) changed. The names of the changed keys that
 * need a restart go to RESTART ("pid_file, state_file"; malloc'd, NULL when none).
 */
enum reload_need config_reload_need(const struct config *old, const struct config *new,
    char **restart);
void config_errors_free(struct config_error *errors);

/* Non-fatal remarks on a valid configuration (e.g. 2 or 4 hosts: ZOOKEEPER-2466). */
void config_warnings(const struct config *cfg, void (*warn)(const char *msg));

/* Parse a duration ("250ms", "10s", "2m", "1h"; a bare number is seconds). -1 if invalid. */
int64_t config_parse_duration(const char *s);

/* A HOST buffer for config_host_port: a 253-byte host name or an IPv6 address. */
#define CONFIG_HOST_MAX 256
/*
 * Split S, "HOST:PORT", into HOST (a host name, IPv4 or IPv6 address; at most
 * HOSTLEN bytes with the NUL) and PORT (1..65535); false when S is not that.
 * BRACKETS: an IPv6 host must be written [V6]:PORT ([status] listen); else a
 * bare V6:PORT splits at the last colon ([zookeeper] hosts, as the client does).
 */
bool config_host_port(const char *s, bool brackets, char *host, size_t hostlen, int *port);

/* Format a duration in ms for messages ("1.5s", "250ms", "2m"), into BUF. */
const char *config_format_duration(int64_t ms, char *buf, int len);

#endif
