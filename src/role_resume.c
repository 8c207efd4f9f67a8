/*
 * role_resume: a restarted daemon (after a crash) or the new image of an
 * in-place upgrade resumes the ZooKeeper session it finds in the session
 * file, instead of demoting the service and waiting for the old session to
 * expire (rule 22, docs/resume.md).
 *
 *   session alive, znode still ours: lead or follow again with the same epoch;
 *     after a crash the promote or follow runs again with reason resumed
 *     (hooks are idempotent), after an upgrade none runs (none was interrupted);
 *   session expired, znode gone, file unusable: today's start (role_start_fresh);
 *   no answer within a third of the session timeout: the start-up demote runs
 *     (the service must not stay primary unwatched), and the resume goes on.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "election.h"
#include "log.h"
#include "role.h"
#include "role_int.h"
#include "session.h"
#include "timer.h"
#include "xmalloc.h"

static void resume_done(struct role *r);
static void unsay_handover(struct role *r);
static void demote_undecided(struct role *r);
static void resolved_handover(struct role *r, bool leader);
static bool session_snapshot(struct role *r, struct saved_session *s);
static bool upgrade_steady(const struct role *r);
static void upgrade_now(struct role *r);

/* Read the session file: true when there is a usable one (then in r->resume). */
bool
role_resume_load(struct role *r)
{
	const struct config *c = r->cfg;
	struct saved_session s;
	char why[256];

	switch (session_load(c->session_file, c->path, c->id, c->hosts, &s, why, sizeof(why))) {
	case SESSION_NONE:
		return false;
	case SESSION_UNUSABLE:
		log_warnx("resume: not using the session file %s: %s; starting afresh",
		    c->session_file, why);
		if (session_remove(c->session_file) == -1)
			log_warn("resume: cannot remove %s", c->session_file);
		return false;
	case SESSION_USABLE:
		break;
	}
	r->resume = xmemdup(&s, sizeof(s));
	return true;
}

/* Open the election with the saved session; the bound starts now. */
void
role_resume_begin(struct role *r)
{
	struct saved_session *s = r->resume;
	int64_t bound = s->client.timeout_ms / 3;
	char err[512];

	log_notice("resume: session 0x%" PRIx64 " %s (znode %s): no start-up demote unless "
	    "ZooKeeper does not answer for it within %" PRId64 " ms", s->client.id,
	    s->handover ? "handed over by an in-place upgrade" : "of a previous process",
	    s->znode ? s->znode : "none", bound);
	if (s->handover) {
		/* used once: should this image crash, the next start is a crash's */
		r->handover_epoch = s->follow_ok && !s->promoted ? s->leader_epoch : -1;
		/* nothing changed for anyone: say what the old image said meanwhile */
		role_set_role(r, s->promoted ? R_LEADER : role_resting(r));
		r->leader_epoch = s->leader_epoch;
		s->handover = false;
		if (session_save(r->cfg->session_file, s, err, sizeof(err)) == -1)
			log_warnx("resume: %s", err);
		s->handover = true;
		snprintf(r->upgrade_status, sizeof(r->upgrade_status), "upgraded in place");
	}
	r->resuming = true;
	timer_after(r->ev_resume, bound);
	role_start_health(r);
	role_open_election(r);
}

/* The session answered (EXPIRED: the server says it is gone). */
void
role_resume_connected(struct role *r, enum zk_event ev)
{
	if (!r->resuming)
		return;
	if (ev == ZK_EV_EXPIRED || election_session_id(r->el) != r->resume->client.id)
		role_resume_failed(r, "the saved session has expired");
	else if (r->cfg->mode == MODE_OBSERVER || (r->resume->znode == NULL &&
	    r->resume->handover && !r->resume->promoted))
		role_resume_resolved(r, false);	/* an observer; or upgraded out of the queue */
	else if (r->resume->znode == NULL)
		role_resume_failed(r, "no znode was saved with the session");
	/* else the election takes the znode back: its listing resolves (elected, behind, out) */
}

/*
 * The saved session answered and its znode is ours again: LEADER, or behind
 * another contender. After a crash the promote or follow runs again with
 * reason resumed; after an upgrade, none runs for what was done.
 */
void
role_resume_resolved(struct role *r, bool leader)
{
	log_notice("resume: session 0x%" PRIx64 " resumed; %s", r->resume->client.id,
	    leader ? "still the leader (same epoch)" : "in the queue behind the leader");
	if (r->resume->handover)
		resolved_handover(r, leader);
	else
		r->resumed = true;
	resume_done(r);
}

/* An upgrade's new image: take over what the old one had done, run nothing for it. */
static void
resolved_handover(struct role *r, bool leader)
{
	if (!r->resume->promoted)
		return;	/* a follower: ev_leader skips the follow already done */
	r->promoted = true;	/* the service is primary: keep it, or demote it */
	if (!leader) {
		log_warnx("resume: led before the upgrade but no longer does: demoting");
		r->lost = RS_STARTUP;
		return;
	}
	role_set_role(r, R_LEADER);
	if (!role_watchdog_arm(r)) {
		log_errorx("resume: %s (watchdog mode = required): demoting", r->wd_problem);
		r->elected = false;
		r->lost = RS_STARTUP;
		role_leave_then(r, THEN_REJOIN);
	}
}

/* Not resumed: the role an upgrade's handover showed meanwhile no longer holds. */
static void
unsay_handover(struct role *r)
{
	if (r->resume->handover) {
		role_set_role(r, R_STARTING);
		r->leader_epoch = -1;
	}
}

/* The resume could not be completed: today's start, with the election already open. */
void
role_resume_failed(struct role *r, const char *why)
{
	log_notice("resume: %s; starting afresh", why);
	unsay_handover(r);
	if (session_remove(r->cfg->session_file) == -1)
		log_warn("resume: cannot remove %s", r->cfg->session_file);
	r->handover_epoch = -1;
	resume_done(r);
	r->started = false;
	role_start_fresh(r);
}

/* The resume is over, one way or another. */
static void
resume_done(struct role *r)
{
	evtimer_del(r->ev_resume);
	r->resuming = false;
	r->started = true;
	session_clear(r->resume);
	free(r->resume);
	r->resume = NULL;
	role_write_state(r);
}

/*
 * The resume is given up undecided: the service may be primary, so the
 * start-up demote runs next; once it ends, run_ended starts the rest (or
 * finishes a stop). The election goes on offering the saved session.
 */
static void
demote_undecided(struct role *r)
{
	unsay_handover(r);
	r->handover_epoch = -1;
	resume_done(r);
	r->started = false;
	r->startup_demote_due = true;
	role_reconcile(r);
}

/* Stopping before the resume was decided. */
void
role_resume_abandon(struct role *r)
{
	log_notice("resume: stopping before it was decided: start-up demote");
	demote_undecided(r);
}

/* No answer in time: the service must not stay primary unwatched. Demote; go on trying. */
void
role_on_resume_bound(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	if (!r->resuming)
		return;
	log_warnx("resume: ZooKeeper has not answered for session 0x%" PRIx64 " in time: "
	    "start-up demote now; still trying to resume it", r->resume->client.id);
	demote_undecided(r);
}

/* What the session file says now (false when there is no session to save). */
static bool
session_snapshot(struct role *r, struct saved_session *s)
{
	const struct config *c = r->cfg;

	memset(s, 0, sizeof(*s));
	if (r->el == NULL || !election_client(r->el, &s->client))
		return false;
	s->path = c->path;
	s->id = c->id;
	s->hosts = c->hosts;
	s->guid = (char *)(uintptr_t)election_guid(r->el);
	s->znode = (char *)(uintptr_t)election_znode(r->el);
	s->leader_epoch = -1;
	return true;
}

/* A new session or znode began: write the session file (a failure costs only the resume). */
void
role_session_save(struct role *r)
{
	struct saved_session s;
	char err[512];

	if (r->resuming || !session_snapshot(r, &s))
		return;
	if (session_save(r->cfg->session_file, &s, err, sizeof(err)) == -1)
		log_warnx("%s: a restart will not resume this session", err);
	explicit_bzero(&s.client, sizeof(s.client));
}

/* A clean exit: the session is closed, nothing to resume. */
void
role_session_forget(struct role *r)
{
	if (session_remove(r->cfg->session_file) == -1)
		log_warn("cannot remove %s", r->cfg->session_file);
}

/* Nothing half-done: no hook runs or is due, no leave in progress. */
static bool
upgrade_steady(const struct role *r)
{
	return r->running == NULL && !r->leave_requested && !r->leaving && !r->stopping &&
	    !r->startup_demote_due && r->elected == r->promoted && !r->resuming &&
	    r->started && !r->joining_first && !r->follow_pending;
}

/* An upgrade was asked for: do it once nothing is half-done. */
void
role_upgrade_check(struct role *r)
{
	if (r->stopping) {
		r->upgrade_requested = false;
		return;
	}
	if (upgrade_steady(r)) {
		r->upgrade_requested = false;
		upgrade_now(r);
	}
}

/* Save the session with what is done, hand the watchdog over, execute the binary again. */
static void
upgrade_now(struct role *r)
{
	struct saved_session s;
	char err[512];

	if (!session_snapshot(r, &s)) {
		role_upgrade_outcome(r, "failed", "no ZooKeeper session to hand over");
		log_errorx("upgrade: not now: no ZooKeeper session to hand over");
		role_write_state(r);
		return;
	}
	s.handover = true;
	s.promoted = r->promoted;
	s.leader_epoch = r->leader_epoch;
	s.follow_ok = !r->follow_pending && r->follow_retry_ms == 0;
	if (session_save(r->cfg->session_file, &s, err, sizeof(err)) == -1) {
		log_errorx("upgrade: %s; not upgrading", err);
		role_upgrade_outcome(r, "failed", err);
		role_write_state(r);
		return;
	}
	log_notice("upgrade: executing the new binary in place (session 0x%" PRIx64 ", %s)",
	    s.client.id, name_of_role(r->role));
	role_watchdog_release(r);
	r->upgrade_exec(r->upgrade_arg, err, sizeof(err));	/* returns only on failure */
	log_errorx("upgrade: %s; this image goes on", err);
	role_upgrade_outcome(r, "failed", err);
	s.handover = false;
	if (session_save(r->cfg->session_file, &s, err, sizeof(err)) == -1)
		log_warnx("upgrade: %s", err);
	explicit_bzero(&s.client, sizeof(s.client));
	if (r->promoted && !role_watchdog_arm(r))
		log_errorx("upgrade: cannot re-arm the watchdog: %s", r->wd_problem);
	role_write_state(r);
}

/*
 * Say how the last upgrade request ended, numbered, so that zkelectctl sees a
 * change even when two requests fail alike.
 */
void
role_upgrade_outcome(struct role *r, const char *what, const char *why)
{
	snprintf(r->upgrade_status, sizeof(r->upgrade_status), "%s: %.120s (request %u)", what,
	    why, r->upgrade_requests);
}
