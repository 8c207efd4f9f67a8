/* state: the PID file (an exclusive lock held for the daemon's life) and the state file. */
#ifndef ZKELECT_STATE_H
#define ZKELECT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pidfile;

/*
 * Create/open PATH, take an exclusive non-blocking lock and write our PID.
 * NULL on failure with a message in ERR naming what to do (another instance:
 * "another zkelectd (pid N) holds PATH").
 */
struct pidfile *pidfile_open(const char *path, char *err, size_t errlen);
/*
 * Take over the PID file at PATH that the previous image of this process (an
 * in-place upgrade) left open on FD with its lock held: check that FD is still
 * that file and locked by us, and make it close-on-exec again. NULL with ERR.
 */
struct pidfile *pidfile_adopt(const char *path, int fd, char *err, size_t errlen);
/* The descriptor holding the lock (kept open across an in-place exec). */
int pidfile_fd(const struct pidfile *pf);
/* Remove the file and release the lock. */
void pidfile_close(struct pidfile *pf);

/*
 * For zkelectctl: the PID written in PATH and whether a live process holds its
 * lock (*running). 0 when the file is missing or unreadable.
 */
pid_t pidfile_peek(const char *path, bool *running);

/* The hardware watchdog as the state file's WATCHDOG says it. */
enum state_watchdog {
	STATE_WD_OFF,		/* [watchdog] mode = off */
	STATE_WD_ARMED,		/* open and kicked: this node leads */
	STATE_WD_DISARMED,	/* on, not armed now (not leading), nothing wrong */
	STATE_WD_UNAVAILABLE,	/* on, the last try to arm it failed: watchdog_problem */
};

/* Everything the state file says; strings may be NULL (written as ''). */
struct state {
	const char *role;	/* starting follower leader observer withdrawn stopped */
	const char *id;
	const char *leader_id;
	const char *leader_data;
	int64_t epoch;		/* < 0: none known */
	const char *znode;
	int64_t session_id;	/* 0: none */
	const char *zk_state;	/* connecting connected expired */
	const char *health;	/* ok failing unknown none */
	long pid;
	int64_t since;		/* Unix time of the last role change */
	int64_t updated;
	unsigned long transitions;
	const char *last_hook;	/* e.g. "promote" */
	const char *last_hook_status;	/* e.g. "exit 0", "timeout", "signal 9" */
	enum state_watchdog watchdog;
	const char *watchdog_problem;	/* STATE_WD_UNAVAILABLE: why */
	int64_t watchdog_timeout_ms;	/* in force when armed, else configured; <= 0: none */
	int64_t watchdog_last_kick_ms;	/* ms since the epoch; 0: never */
	int64_t image_started_ms;	/* when this image started, ms since the epoch; 0: unknown */
	const char *upgrade;	/* "upgraded in place", "failed: WHY", "refused: WHY"; "": none */
	/* the maintenance pause as this node sees it */
	bool paused;
	const char *pause_reason, *pause_by;
	int64_t pause_ends_ms;	/* when it ends here without a resume, ms since the epoch */
	const char *pause_held;	/* what this node would do now ("": nothing held) */
	const char *switchover;	/* the switchover request as last read ("": none) */
	const char *fence;	/* "fencing NODE (attempt N)", or how the last fence ended ("") */
};

/* Replace PATH atomically (temporary file in the same directory, then rename). -1 with errno. */
int state_write(const char *path, const struct state *st);
/*
 * Replace PATH atomically with LEN bytes of TEXT, mode MODE: PATH.tmp written
 * and renamed onto it, so readers see the old file or the new one, never a
 * part. No fsync: these files live in /run. -1 with errno.
 */
int file_replace(const char *path, const char *text, size_t len, mode_t mode);

/* S quoted for sh: single quotes, ' as '\'' ; safe whatever the bytes. Malloc'd. */
char *state_quote(const char *s);

/* A parsed state file (for zkelectctl): KEY=VALUE pairs, unquoted. */
struct state_kv {
	char *key;
	char *value;
	struct state_kv *next;
};
/* Read and unquote PATH; NULL (errno set) when it cannot be read or parsed. */
struct state_kv *state_read(const char *path);
const char *state_get(const struct state_kv *kv, const char *key);
void state_kv_free(struct state_kv *kv);

/* The session id as the contract prints it: 0x-prefixed hex. BUF of 19+ bytes. */
const char *state_format_session(int64_t session_id, char *buf, size_t len);
/*
 * WATCHDOG as the contract prints it: "off", "armed", "disarmed" or
 * "unavailable: WHY" (cut to fit BUF). Returns BUF.
 */
const char *state_format_watchdog(const struct state *st, char *buf, size_t len);

#endif
