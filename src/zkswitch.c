/*
 * zkswitch: `zkelectctl switchover`, the asking side (zkswitch.h).
 *
 * Rule 25 from the asking side: nothing is written until every check that can
 * be made here has passed, and at our deadline the request is cancelled by a
 * compare-and-set on the version we read, so that a cancel can never undo the
 * leader's own compare-and-set to DEMOTING: whichever lands first wins, and
 * the loser reads the winner's state again. Our deadline is on our own
 * monotonic clock (rule 24); the daemons time wait_ms on theirs.
 *
 * The calls are the library's synchronous ones, from this thread, over a
 * session of zkquery's; its threads only count events and wake us
 * (zkquery_session_wait). A connection loss is ridden out while the session
 * may live: we wait for the next event and call again.
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
#include "switchover.h"
#include "zkpause.h"
#include "zkquery.h"
#include "zkrc.h"
#include "zkswitch.h"
#include "znode.h"

/* Races lost in a row (the request changed between our read and our write). */
#define SWITCH_TRIES 8
/* Not an outcome yet: carry on (the steps below return an exit status or this). */
#define GO_ON (-1)
/* ask_once: a race lost, or an answer lost: read everything again and decide again. */
#define RACED (-2)

/* One switchover asked: the session, our request and what we last saw of it. */
struct zsw {
	const struct config *cfg;
	const struct zkswitch_args *args;
	struct zkquery_session *s;
	zhandle_t *zh;
	char *path;			/* PATH/switchover */
	int64_t timeout_ms;		/* the negotiated session timeout */
	int64_t deadline_ms;		/* ours, from just before the write (monotonic) */
	char wait_text[32];		/* args->wait_ms for people: "1m" */
	char by[SWITCHOVER_BY_MAX];	/* user@host[pid]: which request is ours */
	bool warned;			/* --force: the warning is out */
	int64_t czxid;			/* our request's znode, once read back */
	bool shown;			/* a line for the state and note in SEEN is out */
	struct switchover seen;
	char pending[2048];		/* at our deadline: what had not happened yet */
};

/* The request as read. */
struct reading {
	bool valid;			/* REQ holds it; else WHY says what is wrong */
	struct switchover req;
	struct Stat st;
	char why[128];
};

static void zsw_init(struct zsw *z, const struct config *cfg, const struct zkswitch_args *args);
static void zsw_free(struct zsw *z);
static bool again(struct zsw *z, int rc);
static int get_request(struct zsw *z, int watch, struct reading *r);
static int ask(struct zsw *z);
static int ask_once(struct zsw *z);
static void asked(const struct zsw *z, const struct switchover *req);
static int under_way(const struct zsw *z, const struct reading *r);
static int choose(struct zsw *z, struct switchover *req);
static int choose_target(struct zsw *z, const struct announce *a,
    const struct contender *list, size_t n, struct switchover *req);
static int choose_forced(struct zsw *z, struct switchover *req);
static int forced_target(struct zsw *z, const struct announce *a,
    const struct primary_record *primary, bool paused, const struct contender *list,
    size_t n, struct switchover *req);
static bool forced_first(struct zsw *z, const struct switchover *req);
static int forced_promoting(const struct zsw *z, const struct switchover *req);
static void in_line(const struct contender *list, size_t n, char *buf, size_t len);
static int write_request(struct zsw *z, const struct switchover *req, int32_t version);
static int follow(struct zsw *z);
static int follow_read(struct zsw *z, struct reading *r);
static bool ours(struct zsw *z, const struct reading *r);
static void show(struct zsw *z, const struct switchover *req);
static int conclude(const struct zsw *z, const struct switchover *req);
static int at_deadline(struct zsw *z, const struct reading *r);
static void still_ahead(struct zsw *z, const struct switchover *req, char *note,
    size_t notelen);
static int cancel(struct zsw *z, const struct reading *r, const char *note,
    const char *changed);
static int demoting(struct zsw *z, const struct switchover *req);
static int lost(const struct zsw *z, const char *when);
static void shown_copy(const struct switchover *req, struct switchover *out);
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ask for the switchover ARGS describes and wait for its outcome; an exit status. */
int
zkswitch_run(const struct config *cfg, const struct zkswitch_args *args)
{
	struct zsw z;
	int rc;

	zsw_init(&z, cfg, args);
	if (zkquery_open(cfg, &z.s) != ZKQUERY_OK) {
		zsw_free(&z);
		return ZKSWITCH_UNKNOWN;	/* said, as `leader` and `list` say it */
	}
	z.zh = zkquery_handle(z.s);
	z.timeout_ms = zoo_recv_timeout(z.zh);
	if ((rc = ask(&z)) == GO_ON)
		rc = follow(&z);
	zsw_free(&z);
	return rc;
}

/* Set Z up for ARGS under CFG; nothing is opened yet. */
static void
zsw_init(struct zsw *z, const struct config *cfg, const struct zkswitch_args *args)
{
	memset(z, 0, sizeof(*z));
	z->cfg = cfg;
	z->args = args;
	z->path = znode_child_path(cfg->path, SWITCHOVER_ZNODE);
	config_format_duration(args->wait_ms, z->wait_text, (int)sizeof(z->wait_text));
	zkquery_who(z->by, sizeof(z->by));
}

/* Close Z's session and free what it holds. */
static void
zsw_free(struct zsw *z)
{
	zkquery_close(z->s);
	free(z->path);
}

/*
 * After RC from a call: true when the call should be made again, after a
 * connection loss the session may survive (zkquery_session_again). False for
 * any other result, and once the session is gone or silent for a whole
 * session timeout (lost() says so).
 */
static bool
again(struct zsw *z, int rc)
{
	return zkquery_session_again(z->s, rc);
}

/* Read the request (a data watch when WATCH) into R: ZooKeeper's result (ZNONODE: none). */
static int
get_request(struct zsw *z, int watch, struct reading *r)
{
	char buf[4096];
	int len = (int)sizeof(buf), rc;

	memset(r, 0, sizeof(*r));
	rc = zoo_get(z->zh, z->path, watch, buf, &len, &r->st);
	if (rc != ZOK)
		return rc;
	if (r->st.dataLength > (int)sizeof(buf)) {
		snprintf(r->why, sizeof(r->why), "%d bytes, too big for a switchover request",
		    r->st.dataLength);
		return ZOK;
	}
	r->valid = switchover_decode(buf, len > 0 ? (size_t)len : 0, &r->req, r->why,
	    sizeof(r->why));
	return ZOK;
}

/*
 * Check, then write the request: GO_ON once it is written, else an exit
 * status (said). A race lost (the request changed or appeared meanwhile)
 * reads everything again and decides again.
 */
static int
ask(struct zsw *z)
{
	int rc;

	for (int tries = 0; tries < SWITCH_TRIES; tries++) {
		if ((rc = ask_once(z)) != RACED)
			return rc;
	}
	fprintf(stderr, "zkelectctl: %s kept changing while the request was being written "
	    "(%d tries): try again\n", z->path, SWITCH_TRIES);
	return ZKSWITCH_NOT_DONE;
}

/* One try of ask(): GO_ON, an exit status, or RACED. */
static int
ask_once(struct zsw *z)
{
	struct switchover req;
	struct reading r;
	int rc;

	while ((rc = get_request(z, 0, &r)) != ZOK && rc != ZNONODE && again(z, rc))
		;
	if (rc != ZOK && rc != ZNONODE) {
		if (zk_rc_is_transient(rc))
			return lost(z, "before anything was written");
		(void)zkquery_session_result(z->s, rc, "read", z->path);
		return ZKSWITCH_UNKNOWN;
	}
	if (rc == ZOK && r.valid && strcmp(r.req.by, z->by) == 0 && z->deadline_ms != 0) {
		asked(z, &r.req);	/* ours: the answer to our write was lost, not the write */
		return GO_ON;
	}
	if (rc == ZOK && (rc = under_way(z, &r)) != GO_ON)
		return rc;
	if ((rc = z->args->force ? choose_forced(z, &req) : choose(z, &req)) != GO_ON)
		return rc;
	/*
	 * Our clock starts before the write: the leader's (wait_ms, from when it
	 * accepts) starts after it, so ours runs out first and says what is pending.
	 */
	z->deadline_ms = clock_ms(CLOCK_MONOTONIC) + z->args->wait_ms;
	rc = write_request(z, &req, r.valid ? r.st.version : -1);
	if (rc == ZOK) {
		asked(z, &req);
		return GO_ON;
	}
	if (rc == ZNODEEXISTS || rc == ZBADVERSION || rc == ZNONODE || again(z, rc))
		return RACED;	/* raced, or the answer was lost: read again */
	if (zk_rc_is_transient(rc))
		return lost(z, "while the request was being written: it may stand");
	(void)zkquery_session_result(z->s, rc, "write", z->path);
	return ZKSWITCH_UNKNOWN;
}

/* The first line: what was asked of whom, and how long we wait. */
static void
asked(const struct zsw *z, const struct switchover *req)
{
	if (req->force)
		say("asked for a forced switchover to %s (no leader has promoted); waiting up "
		    "to %s", req->to, z->wait_text);
	else
		say("asked %s (epoch %" PRId64 ") to hand leadership to %s; waiting up to %s",
		    req->from, req->epoch, req->to, z->wait_text);
}

/* A request read before ours: GO_ON when it is over (a record only), else refused. */
static int
under_way(const struct zsw *z, const struct reading *r)
{
	struct switchover v;

	if (!r->valid) {
		fprintf(stderr, "zkelectctl: %s holds no request zkelectctl can read (%s): "
		    "refused; remove it by hand if nothing uses it\n", z->path, r->why);
		return ZKSWITCH_NOT_DONE;
	}
	if (switchover_final(r->req.state))
		return GO_ON;
	shown_copy(&r->req, &v);
	fprintf(stderr, "zkelectctl: a switchover is already under way: %s to %s, asked by %s\n",
	    switchover_state_name(v.state), v.to, v.by);
	return ZKSWITCH_NOT_DONE;
}

/*
 * The leader and the target, checked (nothing is written yet): GO_ON with
 * REQ filled, or an exit status (said).
 */
static int
choose(struct zsw *z, struct switchover *req)
{
	struct contender *list = NULL;
	struct announce a;
	size_t n = 0;
	int rc;

	if (zkquery_session_list(z->s, &list, &n) != ZKQUERY_OK)
		return ZKSWITCH_UNKNOWN;
	if ((rc = zkquery_session_leader(z->s, &a)) < 0) {
		zkquery_free(list, n);
		return ZKSWITCH_UNKNOWN;
	}
	if (rc == 0) {
		fprintf(stderr, "zkelectctl: no leader now: nothing to switch over\n");
		zkquery_free(list, n);
		return ZKSWITCH_NOT_DONE;
	}
	if (z->args->epoch >= 0 && z->args->epoch != a.epoch) {
		fprintf(stderr, "zkelectctl: the leader's epoch is now %" PRId64 ", not %" PRId64
		    ": refused\n", a.epoch, z->args->epoch);
		rc = ZKSWITCH_NOT_DONE;
	} else
		rc = choose_target(z, &a, list, n, req);
	announce_free(&a);
	zkquery_free(list, n);
	return rc;
}

/* The target among LIST (N, election order) with A leading: GO_ON with REQ, or refused. */
static int
choose_target(struct zsw *z, const struct announce *a, const struct contender *list,
    size_t n, struct switchover *req)
{
	const char *to = z->args->to;
	char line[512];
	size_t i;

	if (to != NULL && strcmp(to, a->id) == 0) {
		fprintf(stderr, "zkelectctl: %s already leads (epoch %" PRId64 "): nothing to "
		    "switch over\n", to, a->epoch);
		return ZKSWITCH_NOT_DONE;
	}
	for (i = 0; i < n; i++) {
		if (to != NULL ? strcmp(list[i].id, to) == 0 : strcmp(list[i].id, a->id) != 0)
			break;
	}
	if (i == n && to != NULL) {
		in_line(list, n, line, sizeof(line));
		fprintf(stderr, "zkelectctl: %s is not in line: no live contender has that id "
		    "(in line: %s); an observer, a withdrawn or unhealthy node holds no place "
		    "in line\n", to, line);
		return ZKSWITCH_NOT_DONE;
	}
	if (i == n) {
		fprintf(stderr, "zkelectctl: no other contender: %s is alone in line, nobody "
		    "to hand leadership to\n", a->id);
		return ZKSWITCH_NOT_DONE;
	}
	memset(req, 0, sizeof(*req));
	req->state = SW_REQUESTED;
	snprintf(req->to, sizeof(req->to), "%s", list[i].id);
	snprintf(req->from, sizeof(req->from), "%s", a->id);
	req->epoch = a->epoch;
	req->wait_ms = z->args->wait_ms;
	req->force = false;
	snprintf(req->by, sizeof(req->by), "%s", z->by);
	return GO_ON;
}

/*
 * --force: the target, checked (nothing is written yet): GO_ON with REQ
 * filled, or an exit status (said). Whether the elected node has promoted
 * only it knows; what ZooKeeper tells is the breadcrumb (pause.h): one naming
 * the live leader with its epoch says that leader promoted.
 */
static int
choose_forced(struct zsw *z, struct switchover *req)
{
	struct contender *list = NULL;
	struct primary_record primary;
	struct pause_record pause;
	struct announce a;
	size_t n = 0;
	int lrc, prc, qrc, rc;

	if (zkquery_session_list(z->s, &list, &n) != ZKQUERY_OK)
		return ZKSWITCH_UNKNOWN;
	if ((lrc = zkquery_session_leader(z->s, &a)) < 0) {
		zkquery_free(list, n);
		return ZKSWITCH_UNKNOWN;
	}
	prc = zkpause_primary(z->s, z->cfg, &primary);
	qrc = prc < 0 ? prc : zkpause_get(z->s, z->cfg, &pause);
	if (prc < 0 || qrc < 0)
		rc = ZKSWITCH_UNKNOWN;	/* said */
	else
		rc = forced_target(z, lrc == 1 ? &a : NULL, prc == 1 ? &primary : NULL, qrc == 1,
		    list, n, req);
	if (lrc == 1)
		announce_free(&a);
	zkquery_free(list, n);
	return rc;
}

/*
 * --force to args->to among LIST (N, election order), with A leading (NULL:
 * nobody believed), PRIMARY the breadcrumb (NULL: none) and PAUSED: GO_ON
 * with REQ, or refused. A leader the breadcrumb names with its epoch has
 * promoted: when not paused it leads as usual, and a plain switchover is the
 * way; while paused, the daemons refuse a target other than it (it has
 * promoted), and we refuse it as the target.
 */
static int
forced_target(struct zsw *z, const struct announce *a, const struct primary_record *primary,
    bool paused, const struct contender *list, size_t n, struct switchover *req)
{
	const char *to = z->args->to;
	char line[512];
	size_t i;

	if (a != NULL && primary != NULL && strcmp(primary->id, a->id) == 0 &&
	    primary->epoch == a->epoch) {
		if (strcmp(a->id, to) == 0) {
			fprintf(stderr, "zkelectctl: %s already leads (epoch %" PRId64 ") and has "
			    "promoted: nothing to force\n", to, a->epoch);
			return ZKSWITCH_NOT_DONE;
		}
		if (!paused) {
			fprintf(stderr, "zkelectctl: %s leads (epoch %" PRId64 ") and has promoted, "
			    "and the cluster is not paused: use switchover without --force\n",
			    a->id, a->epoch);
			return ZKSWITCH_NOT_DONE;
		}
	}
	for (i = 0; i < n && strcmp(list[i].id, to) != 0; i++)
		;
	if (i == n) {
		in_line(list, n, line, sizeof(line));
		fprintf(stderr, "zkelectctl: %s is not in line: no live contender has that id "
		    "(in line: %s); an observer, a withdrawn or unhealthy node holds no place "
		    "in line\n", to, line);
		return ZKSWITCH_NOT_DONE;
	}
	if (!z->warned) {
		fprintf(stderr, "zkelectctl: warning: --force vouches that no other node's service "
		    "is primary: %s promotes past the pause and the breadcrumb, and no other "
		    "node demotes first\n", to);
		z->warned = true;
	}
	memset(req, 0, sizeof(*req));
	req->state = SW_REQUESTED;
	snprintf(req->to, sizeof(req->to), "%s", to);
	req->from[0] = '\0';	/* no leader has promoted: the request is meant for none */
	req->epoch = 0;
	req->wait_ms = z->args->wait_ms;
	req->force = true;
	snprintf(req->by, sizeof(req->by), "%s", z->by);
	return GO_ON;
}

/* The ids of LIST (N) separated by blanks into BUF, "nobody" when empty. */
static void
in_line(const struct contender *list, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "nobody");
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 0 ? " " : "",
		    list[i].id);
}

/*
 * Create the request REQ; when one is there (read at VERSION, >= 0), replace
 * it in one multi: deleted only if unchanged since we read it. ZooKeeper's
 * result: ZNODEEXISTS, ZBADVERSION or ZNONODE mean someone raced us.
 */
static int
write_request(struct zsw *z, const struct switchover *req, int32_t version)
{
	zoo_op_t ops[2];
	zoo_op_result_t res[2];
	size_t len;
	char *buf = switchover_encode(req, &len);
	int rc;

	if (version < 0)
		rc = zoo_create(z->zh, z->path, buf, (int)len, zkquery_acl(z->cfg), 0, NULL, 0);
	else {
		zoo_delete_op_init(&ops[0], z->path, version);
		zoo_create_op_init(&ops[1], z->path, buf, (int)len, zkquery_acl(z->cfg), 0, NULL, 0);
		rc = zoo_multi(z->zh, 2, ops, res);
	}
	free(buf);
	return rc;
}

/*
 * Follow our request with a data watch: a line for each step seen, until it
 * ends (its outcome) or our deadline (at_deadline). An exit status.
 */
static int
follow(struct zsw *z)
{
	struct reading r;
	int rc;

	for (int races = 0; races < SWITCH_TRIES; ) {
		if ((rc = follow_read(z, &r)) != GO_ON)
			return rc;
		show(z, &r.req);
		if (switchover_final(r.req.state))
			return conclude(z, &r.req);
		if (clock_ms(CLOCK_MONOTONIC) >= z->deadline_ms) {
			if ((rc = at_deadline(z, &r)) != GO_ON)
				return rc;
			races++;	/* the cancel lost a race: read again, decide again */
			continue;
		}
		(void)zkquery_session_wait(z->s, z->deadline_ms);
	}
	fprintf(stderr, "zkelectctl: %s kept changing under the cancel (%d tries); it was %s "
	    "when last read\n", z->path, SWITCH_TRIES, switchover_state_name(z->seen.state));
	return ZKSWITCH_UNKNOWN;
}

/* Read our request with a watch into R: GO_ON, or an exit status (said). */
static int
follow_read(struct zsw *z, struct reading *r)
{
	struct switchover v;
	int rc;

	while ((rc = get_request(z, 1, r)) != ZOK && rc != ZNONODE && again(z, rc))
		;
	if (rc == ZNONODE) {
		fprintf(stderr, "zkelectctl: the switchover request %s was deleted (not by "
		    "zkelectd) while it was %s; see zkelectctl leader for who leads\n", z->path,
		    switchover_state_name(z->seen.state));
		return ZKSWITCH_NOT_DONE;
	}
	if (rc != ZOK) {
		if (zk_rc_is_transient(rc))
			return lost(z, "while waiting for the outcome");
		(void)zkquery_session_result(z->s, rc, "read", z->path);
		return ZKSWITCH_UNKNOWN;
	}
	if (!ours(z, r)) {
		shown_copy(&r->req, &v);
		if (r->valid)
			fprintf(stderr, "zkelectctl: the switchover request was replaced by another "
			    "(%s to %s, asked by %s): ours is gone\n",
			    switchover_state_name(v.state), v.to, v.by);
		else
			fprintf(stderr, "zkelectctl: %s was overwritten with something that is no "
			    "request (%s): ours is gone\n", z->path, r->why);
		return ZKSWITCH_NOT_DONE;
	}
	return GO_ON;
}

/*
 * True when R is our request: the znode we created (its czxid, from the first
 * read) and still our words (the daemons keep "by" when they mark it).
 */
static bool
ours(struct zsw *z, const struct reading *r)
{
	if (!r->valid || strcmp(r->req.by, z->by) != 0)
		return false;
	if (z->czxid == 0)
		z->czxid = r->st.czxid;
	return r->st.czxid == z->czxid;
}

/* A line for each step not shown yet: a new state, or a new note in the same state. */
static void
show(struct zsw *z, const struct switchover *req)
{
	struct switchover v;
	bool same = z->shown && req->state == z->seen.state &&
	    strcmp(req->note, z->seen.note) == 0;

	z->seen = *req;
	z->shown = true;
	if (same || req->state == SW_REQUESTED || switchover_final(req->state))
		return;	/* REQUESTED: ours, said when written; final: conclude() says it */
	shown_copy(req, &v);
	if (v.note[0] != '\0')
		say("%s", v.note);	/* the daemon's own words: "db1 accepted: ..." */
	else if (v.state == SW_MOVING)
		say("%s accepted: the contenders ahead of %s step back in line", v.from, v.to);
	else
		say("%s is next in line: %s demotes", v.to, v.from);
}

/*
 * The request ended in REQ's final state: say so (with what was pending at
 * our deadline, when the leader's cancel beat ours); an exit status.
 */
static int
conclude(const struct zsw *z, const struct switchover *req)
{
	struct switchover v;

	shown_copy(req, &v);
	if (v.state == SW_DONE) {
		say("switchover done: %s leads (epoch %" PRId64 ")", v.to, v.new_epoch);
		return ZKSWITCH_DONE;
	}
	fprintf(stderr, "zkelectctl: switchover %s: %s%s%s\n", switchover_state_name(v.state),
	    v.note[0] != '\0' ? v.note : "(no reason given)",
	    z->pending[0] != '\0' ? "; at zkelectctl's deadline, " : "", z->pending);
	return ZKSWITCH_NOT_DONE;
}

/*
 * Our deadline passed with R not over: before DEMOTING, cancel it (an exit
 * status, or GO_ON when the cancel lost a race: read again); from DEMOTING
 * on, it cannot be: say what is still pending.
 */
static int
at_deadline(struct zsw *z, const struct reading *r)
{
	char note[1024], from[ZNODE_ID_MAX * 4 + 1], *e;

	if (r->req.state == SW_DEMOTING)
		return demoting(z, &r->req);
	if (r->req.force && r->req.state == SW_REQUESTED) {
		snprintf(note, sizeof(note), "the request waited for the first in line to take it up");
		snprintf(z->pending, sizeof(z->pending), "nobody has taken the request up (is "
		    "zkelectd running and connected on the first in line?)");
		return cancel(z, r, note, "nothing changed");
	}
	if (r->req.force && forced_first(z, &r->req))
		return forced_promoting(z, &r->req);
	e = escape_text(r->req.from, strlen(r->req.from));
	snprintf(from, sizeof(from), "%s", e);
	free(e);
	if (r->req.state == SW_REQUESTED) {
		snprintf(note, sizeof(note), "the request waited for the leader %s to take it up",
		    r->req.from);
		snprintf(z->pending, sizeof(z->pending), "the leader %s has not taken the "
		    "request up (is zkelectd on %s running and connected?)", from, from);
		return cancel(z, r, note, "nothing changed");
	}
	still_ahead(z, &r->req, note, sizeof(note));
	return cancel(z, r, note, "only the order of the line may have changed");
}

/*
 * MOVING at our deadline: who is still ahead of the target (the line read
 * again), as NOTE for the request (past tense) and in z->pending for people.
 */
static void
still_ahead(struct zsw *z, const struct switchover *req, char *note, size_t notelen)
{
	struct contender *list = NULL;
	char ahead[512] = "", *said = z->pending;
	size_t n = 0, used = 0, i, saidlen = sizeof(z->pending);
	const char *to = req->to, *from = req->from;

	if (zkquery_session_list(z->s, &list, &n) != ZKQUERY_OK) {
		snprintf(note, notelen, "contenders were still ahead of %s", to);
		snprintf(said, saidlen, "the line could not be read again: contenders were "
		    "ahead of %s when last seen (pending: they step back in line)", to);
		return;
	}
	for (i = 0; i < n && strcmp(list[i].id, to) != 0; i++) {
		if (strcmp(list[i].id, from) != 0 && used < sizeof(ahead))
			used += (size_t)snprintf(ahead + used, sizeof(ahead) - used, "%s%s",
			    used > 0 ? " " : "", list[i].id);
	}
	if (i == n) {
		snprintf(note, notelen, "%s had left the line", to);
		snprintf(said, saidlen, "%s has left the line (pending: %s joining it again)",
		    to, to);
	} else if (used > 0) {
		snprintf(note, notelen, "%s %s still ahead of %s", ahead,
		    strchr(ahead, ' ') != NULL ? "were" : "was", to);
		snprintf(said, saidlen, "%s %s still ahead of %s (pending: %s stepping back in "
		    "line)", ahead, strchr(ahead, ' ') != NULL ? "are" : "is", to, ahead);
	} else {
		snprintf(note, notelen, "%s was next in line, but the leader had not begun to "
		    "demote", to);
		snprintf(said, saidlen, "%s is next in line, but the leader has not begun to "
		    "demote (pending: the leader marking the request demoting)", to);
	}
	zkquery_free(list, n);
}

/*
 * Cancel R with a compare-and-set on the version read, its note saying NOTE
 * was the case; said with z->pending and CHANGED (what the cancel leaves
 * changed), and an exit status; or GO_ON when R changed meanwhile (the leader
 * may have begun its demote, or cancelled it itself: read again).
 */
static int
cancel(struct zsw *z, const struct reading *r, const char *note, const char *changed)
{
	struct switchover next = r->req, v;
	size_t len;
	char *buf;
	int rc;

	switchover_set(&next, SW_CANCELLED, "zkelectctl's deadline (%s) passed while %s",
	    z->wait_text, note);
	buf = switchover_encode(&next, &len);
	rc = zoo_set(z->zh, z->path, buf, (int)len, r->st.version);
	free(buf);
	if (rc == ZOK) {
		shown_copy(&r->req, &v);
		if (v.force)
			fprintf(stderr, "zkelectctl: switchover cancelled after %s: %s; nobody was "
			    "promoted, %s\n", z->wait_text, z->pending, changed);
		else
			fprintf(stderr, "zkelectctl: switchover cancelled after %s: %s; %s leads on, "
			    "%s\n", z->wait_text, z->pending, v.from, changed);
		return ZKSWITCH_NOT_DONE;
	}
	if (rc == ZBADVERSION || rc == ZNONODE || again(z, rc))
		return GO_ON;	/* moved on, gone, or the answer was lost: read again */
	if (zk_rc_is_transient(rc))
		return lost(z, "at the deadline, before the request could be cancelled");
	(void)zkquery_session_result(z->s, rc, "cancel", z->path);
	return ZKSWITCH_UNKNOWN;
}

/*
 * --force, MOVING at our deadline: true when the target is first in line (the
 * line read again); it promotes as soon as it reads the request, so the
 * request must not be cancelled under it.
 */
static bool
forced_first(struct zsw *z, const struct switchover *req)
{
	struct contender *list = NULL;
	size_t n = 0;
	bool first;

	if (zkquery_session_list(z->s, &list, &n) != ZKQUERY_OK)
		return false;	/* said; the cancel's compare-and-set decides */
	first = n > 0 && strcmp(list[0].id, req->to) == 0;
	zkquery_free(list, n);
	return first;
}

/* --force, the target first in line at our deadline: it promotes; say what is pending. */
static int
forced_promoting(const struct zsw *z, const struct switchover *req)
{
	struct switchover v;

	shown_copy(req, &v);
	fprintf(stderr, "zkelectctl: after %s, %s is first in line and promoting (pending: its "
	    "promote, then its mark \"done\"): it cannot be cancelled any more, the switchover "
	    "goes on\n", z->wait_text, v.to);
	return ZKSWITCH_UNKNOWN;
}

/* DEMOTING at our deadline: past the point of no return; say which step is pending. */
static int
demoting(struct zsw *z, const struct switchover *req)
{
	struct switchover v;
	struct announce a;
	char now[1024];
	int rc;

	shown_copy(req, &v);
	rc = zkquery_session_leader(z->s, &a);
	if (rc == 1 && strcmp(a.id, req->from) == 0 && a.epoch == req->epoch)
		snprintf(now, sizeof(now), "%s is demoting and %s has not promoted yet (pending: "
		    "%s's demote, then %s's promote)", v.from, v.to, v.from, v.to);
	else if (rc == 1 && strcmp(a.id, req->to) == 0)
		snprintf(now, sizeof(now), "%s has demoted and %s is promoting, epoch %" PRId64
		    " (pending: %s's promote, then its mark \"done\")", v.from, v.to, a.epoch, v.to);
	else if (rc == 1)
		snprintf(now, sizeof(now), "%s has demoted, but %s leads now (epoch %" PRId64 "), "
		    "not %s (pending: the mark \"failed\" by %s)", v.from, a.id, a.epoch, v.to, a.id);
	else if (rc == 0)
		snprintf(now, sizeof(now), "%s has demoted and %s has not promoted yet (pending: "
		    "%s's election and promote)", v.from, v.to, v.to);
	else
		snprintf(now, sizeof(now), "%s has demoted or is demoting and %s has not promoted "
		    "yet (pending: %s's promote; the leader could not be read)", v.from, v.to, v.to);
	if (rc == 1)
		announce_free(&a);
	fprintf(stderr, "zkelectctl: after %s, %s: it cannot be cancelled any more, the "
	    "switchover goes on\n", z->wait_text, now);
	return ZKSWITCH_UNKNOWN;
}

/* The session is gone or silent for a whole session timeout WHEN: say so; exit status 2. */
static int
lost(const struct zsw *z, const char *when)
{
	char buf[32];

	fprintf(stderr, "zkelectctl: lost ZooKeeper at %s (no answer for %s, or the session "
	    "expired) %s; the switchover's outcome is unknown (it was %s when last read): see "
	    "zkelectctl leader\n", z->cfg->hosts,
	    config_format_duration(z->timeout_ms, buf, (int)sizeof(buf)), when,
	    z->shown ? switchover_state_name(z->seen.state) : "not read");
	return ZKSWITCH_UNKNOWN;
}

/*
 * REQ with its strings made safe for a terminal (escape_text: what decode
 * left of control bytes, C1 controls, bytes that are not UTF-8), for printing only.
 */
static void
shown_copy(const struct switchover *req, struct switchover *out)
{
	struct { char *dst; const char *src; size_t size; } f[] = {
		{ out->to, req->to, sizeof(out->to) },
		{ out->from, req->from, sizeof(out->from) },
		{ out->by, req->by, sizeof(out->by) },
		{ out->note, req->note, sizeof(out->note) },
	};
	char *e;

	*out = *req;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		e = escape_text(f[i].src, strnlen(f[i].src, f[i].size));
		snprintf(f[i].dst, f[i].size, "%s", e);
		free(e);
	}
}

/* A line of progress on stdout, flushed at once (a pipe sees each step as it comes). */
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
