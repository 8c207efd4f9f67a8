/*
 * zkpause: `zkelectctl pause` and `zkelectctl resume`, the asking side
 * (zkpause.h).
 *
 * The calls are the library's synchronous ones, from this thread, over a
 * session of zkquery's. A write whose answer was lost is recognised when the
 * pause is read again: ours carries our "user@host[pid]" and our clock's
 * since_ms; a delete whose answer was lost finds the pause gone.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zookeeper/zookeeper.h>

#include "clock.h"
#include "config.h"
#include "escape.h"
#include "pause.h"
#include "record.h"
#include "zkpause.h"
#include "zkquery.h"
#include "zkrc.h"
#include "znode.h"

/* Races lost in a row (the pause changed between our read and our write). */
#define PAUSE_TRIES 8
/* The pause and the breadcrumb are a few hundred bytes: a bigger znode is none of ours. */
#define NODE_MAX 2048

/* PATH/pause as read. */
struct reading {
	bool exists;
	bool valid;		/* REC holds it; else it is none zkelectd can read */
	struct pause_record rec;
	struct Stat st;
};

static int get_node(struct zkquery_session *s, const char *path, char *buf, int *len,
    struct Stat *st);
static int get_pause(struct zkquery_session *s, const char *path, struct reading *r);
static bool ours(const struct reading *r, const struct pause_record *rec);
static int write_pause(struct zkquery_session *s, const struct config *cfg, const char *path,
    const struct reading *r, const struct pause_record *rec);
static void paused(const struct config *cfg, const struct reading *r,
    const struct pause_record *rec);
static int delete_pause(struct zkquery_session *s, const char *path, const struct reading *r,
    bool *maybe_gone);
static int lost(const struct zkquery_session *s, const char *what);
static char *shown(const char *s);
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write the pause ARGS describes under CFG's path; an exit status. */
int
zkpause_pause(const struct config *cfg, const struct zkpause_args *args)
{
	struct zkquery_session *s;
	struct pause_record rec;
	struct reading r;
	char *path;
	int rc = ZKPAUSE_UNKNOWN, tries;

	if (zkquery_open(cfg, &s) != ZKQUERY_OK)
		return ZKPAUSE_UNKNOWN;	/* said, as `leader` and `list` say it */
	memset(&rec, 0, sizeof(rec));
	rec.for_ms = args->for_ms;
	rec.since_ms = clock_ms(CLOCK_REALTIME);
	zkquery_who(rec.by, sizeof(rec.by));
	/* cleaned as the record stores it: what we print is what the daemons read */
	record_clean(rec.reason, sizeof(rec.reason), args->reason, strlen(args->reason));
	path = znode_child_path(cfg->path, PAUSE_ZNODE);
	for (tries = 0; tries < PAUSE_TRIES; tries++) {
		if (get_pause(s, path, &r) != ZKQUERY_OK)
			break;	/* said */
		if (ours(&r, &rec)) {
			paused(cfg, NULL, &rec);	/* written: its answer was lost */
			rc = ZKPAUSE_DONE;
			break;
		}
		if ((rc = write_pause(s, cfg, path, &r, &rec)) != -1)
			break;
		rc = ZKPAUSE_UNKNOWN;
	}
	if (tries == PAUSE_TRIES) {
		fprintf(stderr, "zkelectctl: %s kept changing while the pause was being written "
		    "(%d tries): try again\n", path, PAUSE_TRIES);
		rc = ZKPAUSE_NOT_DONE;
	}
	free(path);
	zkquery_close(s);
	return rc;
}

/* Delete the pause under CFG's path; an exit status. */
int
zkpause_resume(const struct config *cfg)
{
	struct zkquery_session *s;
	struct reading r;
	bool maybe_gone = false;
	char *path;
	int rc = ZKPAUSE_UNKNOWN, tries;

	if (zkquery_open(cfg, &s) != ZKQUERY_OK)
		return ZKPAUSE_UNKNOWN;
	path = znode_child_path(cfg->path, PAUSE_ZNODE);
	for (tries = 0; tries < PAUSE_TRIES; tries++) {
		if (get_pause(s, path, &r) != ZKQUERY_OK)
			break;	/* said */
		if (!r.exists) {
			if (maybe_gone)
				say("resumed: the pause under %s is gone", cfg->path);
			else
				say("not paused: there is no pause under %s", cfg->path);
			rc = ZKPAUSE_DONE;
			break;
		}
		if ((rc = delete_pause(s, path, &r, &maybe_gone)) != -1)
			break;
		rc = ZKPAUSE_UNKNOWN;
	}
	if (tries == PAUSE_TRIES) {
		fprintf(stderr, "zkelectctl: %s kept changing while it was being deleted (%d tries): "
		    "try again\n", path, PAUSE_TRIES);
		rc = ZKPAUSE_NOT_DONE;
	}
	free(path);
	zkquery_close(s);
	return rc;
}

/* The pause under CFG's path, over S: 1 with P, 0 none (or none of ours), or an error. */
int
zkpause_get(struct zkquery_session *s, const struct config *cfg, struct pause_record *p)
{
	char *path = znode_child_path(cfg->path, PAUSE_ZNODE);
	struct reading r;
	int rc;

	rc = get_pause(s, path, &r);
	free(path);
	if (rc != ZKQUERY_OK)
		return rc;
	if (r.valid)
		*p = r.rec;
	return r.valid ? 1 : 0;
}

/* The breadcrumb under CFG's path, over S: 1 with P, 0 none (or none of ours), or an error. */
int
zkpause_primary(struct zkquery_session *s, const struct config *cfg, struct primary_record *p)
{
	char *path = znode_child_path(cfg->path, PRIMARY_ZNODE), buf[NODE_MAX];
	struct Stat st;
	int len = 0, rc;

	rc = get_node(s, path, buf, &len, &st);
	if (rc == ZOK)
		rc = st.dataLength <= (int)sizeof(buf) && len >= 0 &&
		    primary_decode(buf, (size_t)len, p) ? 1 : 0;
	else if (rc == ZNONODE)
		rc = 0;
	else
		rc = zkquery_session_result(s, rc, "read", path);
	free(path);
	return rc;
}

/*
 * Read PATH over S into BUF (NODE_MAX bytes; *LEN of them) and ST, riding out
 * a connection loss the session may survive: ZooKeeper's result.
 */
static int
get_node(struct zkquery_session *s, const char *path, char *buf, int *len, struct Stat *st)
{
	int rc;

	do {
		*len = NODE_MAX;
		rc = zoo_get(zkquery_handle(s), path, 0, buf, len, st);
	} while (rc != ZOK && rc != ZNONODE && zkquery_session_again(s, rc));
	return rc;
}

/* Read the pause at PATH into R: ZKQUERY_OK (R says whether there is one), or an error (said). */
static int
get_pause(struct zkquery_session *s, const char *path, struct reading *r)
{
	char buf[NODE_MAX];
	int len = 0, rc;

	memset(r, 0, sizeof(*r));
	rc = get_node(s, path, buf, &len, &r->st);
	if (rc == ZNONODE)
		return ZKQUERY_OK;
	if (rc != ZOK)
		return zkquery_session_result(s, rc, "read", path);
	r->exists = true;
	r->valid = r->st.dataLength <= (int)sizeof(buf) && len >= 0 &&
	    pause_decode(buf, (size_t)len, &r->rec);
	return ZKQUERY_OK;
}

/* True when R is the pause REC, ours: written, though its answer was lost. */
static bool
ours(const struct reading *r, const struct pause_record *rec)
{
	return r->valid && strcmp(r->rec.by, rec->by) == 0 && r->rec.since_ms == rec->since_ms &&
	    r->rec.for_ms == rec->for_ms;
}

/*
 * Create the pause REC at PATH, or replace R, the one there (a compare-and-
 * set on the version read): an exit status (said), or -1 to read again (a
 * race lost, or an answer lost).
 */
static int
write_pause(struct zkquery_session *s, const struct config *cfg, const char *path,
    const struct reading *r, const struct pause_record *rec)
{
	zhandle_t *zh = zkquery_handle(s);
	size_t len;
	char *buf = pause_encode(rec, &len);
	int rc;

	if (r->exists)
		rc = zoo_set(zh, path, buf, (int)len, r->st.version);
	else
		rc = zoo_create(zh, path, buf, (int)len, zkquery_acl(cfg), 0, NULL, 0);
	free(buf);
	if (rc == ZOK) {
		paused(cfg, r, rec);
		return ZKPAUSE_DONE;
	}
	if (!r->exists && rc == ZNONODE) {
		fprintf(stderr, "zkelectctl: the election path %s does not exist: no zkelectd has "
		    "joined there yet, nothing to pause\n", cfg->path);
		return ZKPAUSE_NOT_DONE;
	}
	if (rc == ZBADVERSION || rc == ZNODEEXISTS || rc == ZNONODE ||
	    zkquery_session_again(s, rc))
		return -1;	/* raced (renewed, resumed or created meanwhile), or the answer was lost */
	if (zk_rc_is_transient(rc))
		return lost(s, "while the pause was being written: it may stand");
	(void)zkquery_session_result(s, rc, "write", path);
	return ZKPAUSE_UNKNOWN;
}

/* Say that REC is written, replacing R (NULL or none: created). */
static void
paused(const struct config *cfg, const struct reading *r, const struct pause_record *rec)
{
	char d[32], old[32], *by, *reason;

	if (r != NULL && r->exists && r->valid) {
		by = shown(r->rec.by);
		reason = shown(r->rec.reason);
		say("renewing the pause by %s for %s: %s (no node ends the pause earlier than "
		    "it would have)", by, config_format_duration(r->rec.for_ms, old,
		    (int)sizeof(old)), reason);
		free(by);
		free(reason);
	} else if (r != NULL && r->exists)
		say("replaced %s/%s, which held no pause zkelectd can read", cfg->path,
		    PAUSE_ZNODE);
	by = shown(rec->by);
	reason = shown(rec->reason);
	say("paused by %s for %s: %s; resume with zkelectctl resume", by,
	    config_format_duration(rec->for_ms, d, (int)sizeof(d)), reason);
	free(by);
	free(reason);
}

/*
 * Delete R, the pause at PATH (a compare-and-set on the version read): an
 * exit status (said), or -1 to read again (renewed or gone meanwhile, or the
 * answer was lost: then *MAYBE_GONE).
 */
static int
delete_pause(struct zkquery_session *s, const char *path, const struct reading *r,
    bool *maybe_gone)
{
	char *by, *reason;
	int rc;

	rc = zoo_delete(zkquery_handle(s), path, r->st.version);
	if (rc == ZOK) {
		if (r->valid) {
			by = shown(r->rec.by);
			reason = shown(r->rec.reason);
			say("resumed: removed the pause by %s (%s)", by, reason);
			free(by);
			free(reason);
		} else
			say("resumed: removed %s, which held no pause zkelectd can read", path);
		return ZKPAUSE_DONE;
	}
	if (rc == ZBADVERSION || rc == ZNONODE)
		return -1;	/* renewed, or resumed by someone else, meanwhile */
	if (zkquery_session_again(s, rc)) {
		*maybe_gone = true;
		return -1;
	}
	if (zk_rc_is_transient(rc))
		return lost(s, "while the pause was being deleted: it may be gone");
	(void)zkquery_session_result(s, rc, "delete", path);
	return ZKPAUSE_UNKNOWN;
}

/* The session is gone or silent for a whole session timeout WHAT: say so; exit status 2. */
static int
lost(const struct zkquery_session *s, const char *what)
{
	char buf[32];

	fprintf(stderr, "zkelectctl: lost ZooKeeper (no answer for %s, or the session expired) "
	    "%s; see zkelectctl status on a node\n",
	    config_format_duration(zoo_recv_timeout(zkquery_handle(s)), buf, (int)sizeof(buf)),
	    what);
	return ZKPAUSE_UNKNOWN;
}

/* S made safe for a terminal (escape_text), malloc'd. */
static char *
shown(const char *s)
{
	return escape_text(s, strlen(s));
}

/* A line on stdout, flushed at once. */
static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	(void)fflush(stdout);	/* a write error is sticky: zkelectctl's flush_stdout says it */
}
