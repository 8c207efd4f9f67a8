/*
 * role_pause: the maintenance pause and the primary's breadcrumb, as this node
 * acts on them (rule 24, docs/operations.md). pause.c holds the records and
 * this node's view; control.c reads and writes them.
 *
 * While paused, role.c's next_step asks role_pause_holds before each hook:
 * no promote, demote or follow runs on its own (a failover, a failed health
 * check, a stop), each logged as what it would have done. The election goes
 * on. Two exceptions keep the promise that two nodes are never promoted at
 * once:
 *   - a leader keeps its service through a lost connection only once the
 *     breadcrumb in ZooKeeper says so (it names us, paused); until that is
 *     confirmed, a lost connection demotes as always (rule 6);
 *   - no node promotes while the breadcrumb names another node that keeps
 *     its service that way; that node clears it once its demote has ended
 *     (or an operator forces a switchover).
 * Each node times the pause on its own boot-time clock from when it read it,
 * and keeps it in the pause file; losing ZooKeeper never ends it. When it
 * ends (resume, or expiry here), every node reconciles with reason
 * pause-ended: the leader promotes, a node that may be primary demotes, the
 * others follow.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "pause.h"
#include "role_int.h"
#include "state.h"
#include "timer.h"

static void pause_began(struct role *r);
static void pause_ended(struct role *r, const char *why);
static void save_view(struct role *r);
static void arm_expiry(struct role *r);
static bool hold_confirmed(struct role *r);
static void would(struct role *r, const char *what);
static void mark_breadcrumb(struct role *r, bool paused);

/* At start: a pause this node saw before a restart still holds (the pause file). */
void
role_pause_load(struct role *r)
{
	char left[32];

	if (!pause_load(r->cfg->pause_file, &r->pause))
		return;
	if (pause_expired(&r->pause, clock_ms(CLOCK_BOOTTIME))) {
		(void)unlink(r->cfg->pause_file);
		return;
	}
	config_format_duration(r->pause.until_ms - clock_ms(CLOCK_BOOTTIME), left, sizeof(left));
	log_notice("pause: still paused (the pause file): %s, by %s; ends here in %s unless "
	    "resumed", r->pause.rec.reason, r->pause.rec.by, left);
	arm_expiry(r);
}

/* The pause as read from ZooKeeper (NULL: none there). */
void
role_on_pause(void *arg, const struct pause_record *rec, int64_t mzxid)
{
	struct role *r = arg;
	bool was = r->pause.paused;

	if (rec == NULL) {
		if (was)
			pause_ended(r, "resumed");
		else
			role_reconcile(r);	/* a promote may have waited for this read */
		return;
	}
	if (pause_over_here(&r->pause, mzxid)) {
		/* it ran out here, but its delete was lost or not sent: send it now */
		log_info("pause: the pause that ended here is still in ZooKeeper: ending it");
		control_pause_end(r->ctl);	/* its read brought us here */
		role_reconcile(r);	/* a promote may have waited for this read */
		return;
	}
	if (!pause_seen(&r->pause, rec, mzxid, clock_ms(CLOCK_BOOTTIME), r->cfg->pause_max_ms))
		return;
	save_view(r);
	arm_expiry(r);
	if (!was)
		pause_began(r);
	else
		log_notice("pause: renewed by %s (%s)", rec->by, rec->reason);
	role_write_state(r);
}

/* A pause begins here: a promoted leader says it keeps its service (breadcrumb). */
static void
pause_began(struct role *r)
{
	int64_t f = r->pause.rec.for_ms < r->cfg->pause_max_ms ? r->pause.rec.for_ms :
	    r->cfg->pause_max_ms;
	char d[32];

	config_format_duration(f, d, sizeof(d));
	log_notice("pause: paused by %s (%s) for %s: no hook runs on its own until it ends",
	    r->pause.rec.by, r->pause.rec.reason, d);
	r->pause_would[0] = '\0';
	if (r->promoted && r->elected)
		mark_breadcrumb(r, true);
}

/* The pause ended here (WHY: resumed, expired): reconcile with reason pause-ended. */
static void
pause_ended(struct role *r, const char *why)
{
	pause_clear(&r->pause);
	evtimer_del(r->ev_pause);
	if (unlink(r->cfg->pause_file) == -1 && errno != ENOENT)
		log_warn("pause: cannot remove %s", r->cfg->pause_file);
	log_notice("pause: ended (%s): reconciling", why);
	r->pause_would[0] = '\0';
	r->pause_ending = true;
	if (r->elected && r->promoted)
		r->repromote = true;	/* the leader runs promote again */
	else if (!r->elected && r->leader_id != NULL && strcmp(r->leader_id, r->cfg->id) != 0)
		r->follow_pending = true;
	role_write_state(r);
	role_reconcile(r);
}

/* The pause ran out on this node's own clock. */
void
role_on_pause_expiry(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	if (pause_expired(&r->pause, clock_ms(CLOCK_BOOTTIME))) {
		/*
		 * Over here: end it for everyone (the version we timed only: a renewal
		 * since stands; only on a read of this connection, see
		 * control_pause_end). The others' clocks would end it within their
		 * read delays anyway; safety never depends on when (the breadcrumb).
		 */
		if (r->ctl != NULL)
			control_pause_end(r->ctl);
		pause_ended(r, "expired");
	} else
		arm_expiry(r);	/* renewed meanwhile */
}

/* Write the view to the pause file (a failure is logged: ZooKeeper still has it). */
static void
save_view(struct role *r)
{
	char err[256];

	if (pause_save(r->cfg->pause_file, &r->pause, err, sizeof(err)) == -1)
		log_warnx("pause: %s", err);
}

/* Time the end of the pause on this node's clock. */
static void
arm_expiry(struct role *r)
{
	int64_t left = r->pause.until_ms - clock_ms(CLOCK_BOOTTIME);

	timer_after(r->ev_pause, left > 0 ? left : 0);
}

bool
role_paused(const struct role *r)
{
	return r->pause.paused;
}

/*
 * Before running hook KIND: true when the pause holds it (logged once as what
 * this node would do). A demote after a lost connection is held only when our
 * breadcrumb says, confirmed, that we keep the service; otherwise it runs.
 */
bool
role_pause_holds(struct role *r, enum hook_kind kind)
{
	char what[sizeof(r->pause_would)];

	if (kind == HK_PROMOTE && !r->forced && r->ctl != NULL && !control_pause_known(r->ctl)) {
		/* reconnected: the pause's read, sent with the election's, is not in yet */
		log_debug("pause: promote waits for the pause to be read again");
		return true;
	}
	if (!r->pause.paused || r->forced)
		return false;
	if (kind == HK_DEMOTE && (r->lost == RS_CONNECTION_LOST ||
	    r->lost == RS_SESSION_EXPIRED) && !hold_confirmed(r)) {
		log_warnx("pause: demoting anyway (%s): ZooKeeper never confirmed that this node "
		    "keeps its service while paused", name_of_reason(r->lost));
		return false;
	}
	/* the roles are the election's; only the hooks wait */
	if (kind == HK_PROMOTE)
		role_set_role(r, R_LEADER);
	else if (kind == HK_DEMOTE && r->lost != RS_STARTUP && r->lost != RS_SHUTDOWN)
		role_set_role(r, role_resting(r));
	if (kind == HK_FOLLOW)
		snprintf(what, sizeof(what), "follow %s", r->leader_id ? r->leader_id : "?");
	else
		snprintf(what, sizeof(what), "%s now (%s)", name_of_hook(kind),
		    kind == HK_DEMOTE ? name_of_reason(r->lost) : "this node leads");
	would(r, what);
	return true;
}

/* Log "paused: would WHAT" once for each new WHAT. */
static void
would(struct role *r, const char *what)
{
	if (strcmp(r->pause_would, what) == 0)
		return;
	snprintf(r->pause_would, sizeof(r->pause_would), "%s", what);
	log_notice("paused: would %s", what);
	role_write_state(r);
}

/*
 * Our breadcrumb says, as read back from ZooKeeper, that we keep our service.
 * While it is being read again (a new session after a lost one) the last
 * answer stands: nobody but us clears it, except an operator's --force.
 */
static bool
hold_confirmed(struct role *r)
{
	struct primary_record rec;
	enum control_known k = r->ctl != NULL ? control_primary(r->ctl, &rec) : CONTROL_UNKNOWN;

	if (k != CONTROL_UNKNOWN)
		r->hold_ok = k == CONTROL_SOME && rec.paused && strcmp(rec.id, r->cfg->id) == 0;
	return r->hold_ok;
}

/*
 * Before a promote: true when it must wait. Until the breadcrumb has been
 * read in this session nobody knows; a breadcrumb naming another node that
 * keeps its service through the pause waits for that node's demote (it
 * clears it) or an operator's forced switchover.
 */
bool
role_promote_blocked(struct role *r)
{
	struct primary_record rec;
	char what[sizeof(r->pause_would)];

	if (r->forced || r->ctl == NULL)
		return false;
	switch (control_primary(r->ctl, &rec)) {
	case CONTROL_UNKNOWN:
		log_debug("role: elected; reading the breadcrumb before promoting");
		return true;
	case CONTROL_SOME:
		if (!rec.paused || strcmp(rec.id, r->cfg->id) == 0)
			return false;
		snprintf(what, sizeof(what), "wait: %s (epoch %" PRId64 ") kept its service through "
		    "the pause and has not demoted yet", rec.id, rec.epoch);
		if (strcmp(r->pause_would, what) != 0) {
			snprintf(r->pause_would, sizeof(r->pause_would), "%s", what);
			log_warnx("role: not promoting: %s (zkelectctl switchover --force if it is "
			    "gone for good)", what);
			if (!r->pause.paused)	/* elected, but not primary: not "leader" */
				role_set_role(r, role_resting(r));
			role_write_state(r);
		}
		return true;
	default:
		return false;
	}
}

/*
 * A promote starts: the breadcrumb names us (paused: we keep the service
 * through a pause), unless it does already (a fence's claim wrote it).
 */
void
role_breadcrumb_promote(struct role *r)
{
	struct primary_record rec, cur;

	if (r->ctl == NULL)
		return;
	role_breadcrumb_own(r, r->pause.paused, &rec);
	if (control_primary(r->ctl, &cur) == CONTROL_SOME && strcmp(cur.id, rec.id) == 0 &&
	    cur.epoch == rec.epoch && cur.paused == rec.paused && !cur.demote_failed)
		return;
	control_primary_write(r->ctl, &rec);
}

/* Our breadcrumb as a promote writes it: this node, its epoch, data, session, PAUSED. */
void
role_breadcrumb_own(struct role *r, bool paused, struct primary_record *rec)
{
	int64_t sid = r->el != NULL ? election_session_id(r->el) : 0;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->id, sizeof(rec->id), "%s", r->cfg->id);
	snprintf(rec->data, sizeof(rec->data), "%s", r->cfg->data != NULL ? r->cfg->data : "");
	if (sid != 0)
		state_format_session(sid, rec->session, sizeof(rec->session));
	rec->epoch = r->leader_epoch;
	rec->paused = paused;
}

/* Write the breadcrumb: this node, its epoch, PAUSED. */
static void
mark_breadcrumb(struct role *r, bool paused)
{
	struct primary_record rec;

	if (r->ctl == NULL)
		return;	/* before ZooKeeper is contacted: the pause's breadcrumb comes later */
	role_breadcrumb_own(r, paused, &rec);
	control_primary_write(r->ctl, &rec);
}

/*
 * A demote ended. It succeeded: a breadcrumb naming us goes (the clean mark,
 * before our znode goes). It failed: the breadcrumb says so, for the fence.
 */
void
role_breadcrumb_demoted(struct role *r, bool ok)
{
	struct primary_record rec;

	if (r->ctl == NULL || control_primary(r->ctl, &rec) != CONTROL_SOME ||
	    strcmp(rec.id, r->cfg->id) != 0)
		return;
	if (ok && r->leave_requested && !r->leaving && r->el != NULL) {
		/* a leave follows: one transaction, so no successor sees our znode
		 * gone and the breadcrumb still there (role.c, leave_now) */
		r->clear_with_leave = true;
	} else if (ok) {
		control_primary_write(r->ctl, NULL);
	} else if (!rec.demote_failed) {
		rec.demote_failed = true;
		control_primary_write(r->ctl, &rec);
	}
}

/*
 * The breadcrumb was read. Naming us while we have not promoted: a breadcrumb
 * of an earlier life of this node. Demoted since start: clear it. Not demoted
 * yet: our service may be primary, so a demote is due (held while paused).
 * Naming another node: a promote waiting for it may go now.
 */
void
role_on_primary(void *arg)
{
	struct role *r = arg;
	struct primary_record rec;

	role_fence_read(r);
	if (control_primary(r->ctl, &rec) == CONTROL_SOME && strcmp(rec.id, r->cfg->id) == 0 &&
	    !r->elected && !r->promoted && r->started && !r->joining_first && !r->resuming &&
	    r->running == NULL && !r->stopping) {
		if (r->demoted_once) {
			if (r->demote_ok)	/* a failed one is said in it, for the fence */
				control_primary_write(r->ctl, NULL);
		} else {
			log_notice("role: the breadcrumb names this node: its service may be primary");
			r->promoted = true;
			r->lost = RS_STARTUP;
		}
	}
	if (r->pause.paused && r->promoted && r->elected && !hold_confirmed(r) &&
	    control_primary(r->ctl, &rec) != CONTROL_UNKNOWN)
		mark_breadcrumb(r, true);	/* paused before we could say so */
	role_write_state(r);
	role_reconcile(r);
}

/* A breadcrumb write answered; the watch reads the outcome. */
void
role_on_primary_written(void *arg, bool ok)
{
	(void)arg;
	if (!ok)
		log_info("role: the breadcrumb changed meanwhile (being read again)");
}
