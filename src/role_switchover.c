/*
 * role_switchover: what this node does about a switchover request (rule 25,
 * docs/operations.md). The request's states and the pure decisions are in
 * switchover.c; control.c reads and writes the znode. Here:
 *
 *   the leader it is meant for  checks it (refused, or MOVING), waits until the
 *                               target is next in line, marks it DEMOTING, then
 *                               demotes (reason switchover) and queues again at
 *                               the back; cancels it when the target leaves the
 *                               line or its own deadline passes;
 *   a follower ahead of the     steps back: re-queues at the back, no hook;
 *   target
 *   the target                  elected after that demote: promotes with reason
 *                               switchover and marks it DONE (FAILED if the
 *                               promote failed);
 *   any other leader            a request meant for an older leader is refused
 *                               (REQUESTED), cancelled (MOVING) or failed
 *                               (DEMOTING: another node leads).
 *
 * Nothing changes for anyone until the leader's compare-and-set to DEMOTING
 * has won; before it, a cancel leaves every hook unrun.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "control.h"
#include "election.h"
#include "log.h"
#include "role_int.h"
#include "switchover.h"
#include "timer.h"

static void as_leader(struct role *r, const struct switchover *req, int32_t version,
    const struct znode_name *line, size_t n);
static void older_request(struct role *r, const struct switchover *req, int32_t version);
static void step_back(struct role *r, const struct switchover *req);
static void forced(struct role *r, const struct switchover *req, int32_t version,
    const struct znode_name *line, size_t n);
static void forced_done(struct role *r, const struct switchover *req, int32_t version);
static bool forced_refused(const struct role *r, const struct switchover *req, int target,
    char *why, size_t len);
static int own_position(const struct role *r, const struct znode_name *line, size_t n);
static void mark(struct role *r, const struct switchover *req, int32_t version,
    enum sw_state state, const char *note);
static void demote_now(struct role *r);
static const char *own_name(const struct role *r);
static bool leading(const struct role *r);

/* The request as read now, and the line when it is under way (control.c). */
void
role_on_switchover(void *arg, const struct switchover *req, int32_t version,
    const struct znode_name *line, size_t n)
{
	struct role *r = arg;

	role_write_state(r);	/* the state file shows the request as read */
	if (req == NULL || switchover_final(req->state)) {
		if (r->switch_epoch >= 0) {	/* ours is over: stop timing it */
			r->switch_epoch = -1;
			evtimer_del(r->ev_switch);
			control_watch_line(r->ctl, false);
		}
		return;
	}
	if (r->stopping || r->cfg->mode == MODE_OBSERVER)
		return;
	if (req->force) {
		if (line != NULL)
			forced(r, req, version, line, n);
		return;
	}
	if (leading(r)) {
		if (strcmp(req->from, r->cfg->id) != 0 || req->epoch != r->leader_epoch)
			older_request(r, req, version);
		else if (line != NULL)
			as_leader(r, req, version, line, n);
		return;
	}
	if (line != NULL && own_name(r) != NULL && !r->leaving && !r->leave_requested &&
	    req->epoch == r->leader_epoch && strcmp(req->from, r->leader_id ? r->leader_id : "") == 0 &&
	    switchover_step(req, line, n, own_name(r)) == SW_STEP_BACK)
		step_back(r, req);
}

/* The leader the request is meant for: check, wait, demote or cancel. */
static void
as_leader(struct role *r, const struct switchover *req, int32_t version,
    const struct znode_name *line, size_t n)
{
	char why[SWITCHOVER_NOTE_MAX];
	int ahead;

	if (req->state == SW_REQUESTED) {
		if (role_paused(r)) {
			snprintf(why, sizeof(why), "paused: nothing moves on its own; resume first, or "
			    "use --force to promote %s while paused", req->to);
			log_warnx("switchover to %s refused: %s", req->to, why);
			mark(r, req, version, SW_REFUSED, why);
			return;
		}
		if (!switchover_check(req, r->cfg->id, r->leader_epoch, line, n, why, sizeof(why))) {
			log_warnx("switchover to %s refused: %s", req->to, why);
			mark(r, req, version, SW_REFUSED, why);
			return;
		}
		ahead = switchover_position(line, n, req->to) - 1;
		snprintf(why, sizeof(why), "%s accepted: %d contender%s ahead of %s step%s back",
		    r->cfg->id, ahead, ahead == 1 ? "" : "s", req->to, ahead == 1 ? "s" : "");
		log_notice("switchover to %s asked by %s: %s", req->to, req->by, why);
		r->switch_epoch = r->leader_epoch;
		control_watch_line(r->ctl, true);
		timer_after(r->ev_switch, req->wait_ms > 0 && req->wait_ms < SWITCHOVER_WAIT_MAX_MS ?
		    req->wait_ms : SWITCHOVER_WAIT_MAX_MS);
		mark(r, req, version, SW_MOVING, why);
		return;
	}
	if (req->state == SW_DEMOTING) {
		demote_now(r);	/* ours; its write's answer may have been lost */
		return;
	}
	r->switch_epoch = r->leader_epoch;
	control_watch_line(r->ctl, true);
	switch (switchover_step(req, line, n, own_name(r))) {
	case SW_STEP_DEMOTE:
		snprintf(why, sizeof(why), "%s is next in line: %s demotes", req->to, r->cfg->id);
		mark(r, req, version, SW_DEMOTING, why);
		break;
	case SW_STEP_CANCEL:
		snprintf(why, sizeof(why), "%s left the line before %s demoted (stopped, "
		    "unhealthy or withdrawn): %s leads on", req->to, r->cfg->id, r->cfg->id);
		log_warnx("switchover cancelled: %s", why);
		mark(r, req, version, SW_CANCELLED, why);
		break;
	default:
		break;	/* contenders still step back; the line's watch tells */
	}
}

/* Leading, with a request meant for another leader or epoch. */
static void
older_request(struct role *r, const struct switchover *req, int32_t version)
{
	char why[SWITCHOVER_NOTE_MAX];

	if (req->state == SW_DEMOTING && strcmp(req->to, r->cfg->id) == 0)
		return;	/* ours to finish: role_switchover_promoted */
	snprintf(why, sizeof(why), "meant for %s (epoch %" PRId64 "), but %s leads now "
	    "(epoch %" PRId64 ")", req->from, req->epoch, r->cfg->id, r->leader_epoch);
	log_warnx("switchover to %s: %s", req->to, why);
	mark(r, req, version, req->state == SW_REQUESTED ? SW_REFUSED :
	    req->state == SW_MOVING ? SW_CANCELLED : SW_FAILED, why);
}

/*
 * A forced switchover (--force: no promoted leader, e.g. while paused): the
 * contenders ahead of the target step back, the elected one included, as
 * long as it has not promoted (a promoted leader refuses: it is no
 * failover); the target, once first, promotes with reason forced, past the
 * pause and the breadcrumb (the operator vouches that no other node is
 * primary).
 */
static void
forced(struct role *r, const struct switchover *req, int32_t version,
    const struct znode_name *line, size_t n)
{
	int target = switchover_position(line, n, req->to);
	int me = own_position(r, line, n);
	char why[SWITCHOVER_NOTE_MAX];

	if (me != 0 && (me < 0 || target < me))
		return;	/* not first, and not ahead of the target */
	if (target == me && (r->switch_promoting_force || r->promoted)) {
		if (r->promoted && r->running == NULL)	/* ours is done: say so */
			forced_done(r, req, version);
		return;	/* else our forced promote runs: its end says it */
	}
	if (me == 0 && forced_refused(r, req, target, why, sizeof(why))) {
		log_warnx("forced switchover to %s refused: %s", req->to, why);
		mark(r, req, version, SW_REFUSED, why);
		return;
	}
	if (me == 0 && req->state == SW_REQUESTED) {
		snprintf(why, sizeof(why), "forced: %d contender%s ahead of %s step%s back",
		    target, target == 1 ? "" : "s", req->to, target == 1 ? "s" : "");
		mark(r, req, version, SW_MOVING, why);
	}
	if (target == me) {	/* first, and the target: promote now */
		log_notice("switchover to this node forced by %s: promoting", req->by);
		r->forced = true;
		r->switch_promoting_force = true;
		role_reconcile(r);
	} else if (!r->leaving && !r->leave_requested)
		step_back(r, req);
}

/* First in line: why a forced switchover to TARGET's position is refused (false: it is not). */
static bool
forced_refused(const struct role *r, const struct switchover *req, int target, char *why,
    size_t len)
{
	if (r->promoted || r->running != NULL)
		snprintf(why, len, "%s leads and has promoted: --force is for a cluster with no "
		    "promoted leader%s", r->cfg->id, role_paused(r) ?
		    " (resume, then switch over)" : " (switch over without --force)");
	else if (target < 0)
		snprintf(why, len, "%s is not in line (an observer, withdrawn, unhealthy, stopped "
		    "or unknown id)", req->to);
	else
		return false;
	return true;
}

/* Our position in LINE (0 = first), or -1. */
static int
own_position(const struct role *r, const struct znode_name *line, size_t n)
{
	const char *own = own_name(r);

	for (size_t i = 0; i < n && own != NULL; i++)
		if (strcmp(line[i].name, own) == 0)
			return (int)i;
	return -1;
}

/* A forced switchover to us has promoted: DONE (the request read at VERSION). */
static void
forced_done(struct role *r, const struct switchover *req, int32_t version)
{
	struct switchover next = *req;

	next.new_epoch = r->leader_epoch;
	switchover_set(&next, SW_DONE, "%s leads (epoch %" PRId64 ")", r->cfg->id,
	    r->leader_epoch);
	control_switchover_write(r->ctl, &next, version);
}

/* A follower ahead of the target: queue again at the back (no hook: not promoted). */
static void
step_back(struct role *r, const struct switchover *req)
{
	log_notice("switchover to %s: stepping back in line", req->to);
	evtimer_del(r->ev_backoff);
	if (r->elected)	/* elected, not promoted (a forced switchover): no longer ours */
		role_give_up(r, THEN_REJOIN);
	else
		role_leave_then(r, THEN_REJOIN);
	role_reconcile(r);
}

/* Replace the request (read at VERSION) by a copy in STATE with NOTE. */
static void
mark(struct role *r, const struct switchover *req, int32_t version, enum sw_state state,
    const char *note)
{
	struct switchover next = *req;

	switchover_set(&next, state, "%s", note);
	control_switchover_write(r->ctl, &next, version);
}

/* A write asked by mark() answered. */
void
role_on_switchover_written(void *arg, const struct switchover *req, bool ok)
{
	struct role *r = arg;

	if (!ok) {
		log_info("switchover: the request changed meanwhile (now being read again)");
		return;
	}
	if (switchover_final(req->state) && req->epoch == r->switch_epoch) {
		r->switch_epoch = -1;
		evtimer_del(r->ev_switch);
		control_watch_line(r->ctl, false);
	}
	if (req->state == SW_DEMOTING && strcmp(req->from, r->cfg->id) == 0)
		demote_now(r);
}

/* DEMOTING is written: demote (reason switchover), leave, queue again at the back. */
static void
demote_now(struct role *r)
{
	if (!leading(r))
		return;
	log_notice("switchover: demoting; the target promotes once this node has left");
	evtimer_del(r->ev_switch);
	r->switch_epoch = -1;
	control_watch_line(r->ctl, false);
	role_lose(r, RS_SWITCHOVER);
	evtimer_del(r->ev_backoff);
	role_leave_then(r, THEN_REJOIN);
	role_reconcile(r);
}

/* The leader's own deadline for a request it accepted (its own clock: rule 24). */
void
role_on_switchover_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;
	const struct switchover *req = control_switchover(r->ctl);

	(void)fd;
	(void)what;
	if (req == NULL || req->state != SW_MOVING || !leading(r) ||
	    req->epoch != r->leader_epoch)
		return;
	log_warnx("switchover to %s cancelled: its deadline passed with contenders still ahead "
	    "of it", req->to);
	mark(r, req, control_version(r->ctl), SW_CANCELLED,
	    "the leader's deadline passed before the target was next in line");
}

/* Just elected: is this the promote of a switchover to us? */
void
role_switchover_elected(struct role *r)
{
	const struct switchover *req = control_switchover(r->ctl);

	r->switch_target = req != NULL && req->state == SW_DEMOTING && !req->force &&
	    strcmp(req->to, r->cfg->id) == 0 && req->epoch < r->leader_epoch;
}

/* A switchover's promote ended: DONE, or FAILED when it did not succeed. */
void
role_switchover_promoted(struct role *r, bool ok)
{
	const struct switchover *req = control_switchover(r->ctl);
	struct switchover next;
	char why[SWITCHOVER_NOTE_MAX];
	bool force = r->switch_promoting_force;

	if (!r->switch_promoting && !force)
		return;
	r->switch_promoting = false;
	r->switch_promoting_force = false;
	if (req == NULL || switchover_final(req->state) || strcmp(req->to, r->cfg->id) != 0 ||
	    (!force && req->state != SW_DEMOTING))
		return;
	next = *req;
	if (ok) {
		next.new_epoch = r->leader_epoch;
		snprintf(why, sizeof(why), "%s leads (epoch %" PRId64 ")", r->cfg->id,
		    r->leader_epoch);
		log_notice("switchover done: %s", why);
	} else
		snprintf(why, sizeof(why), "the promote hook failed on %s", r->cfg->id);
	switchover_set(&next, ok ? SW_DONE : SW_FAILED, "%s", why);
	control_switchover_write(r->ctl, &next, control_version(r->ctl));
}

/* Our znode's name (without the path), or NULL. */
static const char *
own_name(const struct role *r)
{
	const char *z = r->el != NULL ? election_znode(r->el) : NULL;
	const char *s = z != NULL ? strrchr(z, '/') : NULL;

	return s != NULL ? s + 1 : z;
}

/* Elected and not on the way out. */
static bool
leading(const struct role *r)
{
	return r->elected && !r->leaving && !r->leave_requested && !r->stopping;
}
