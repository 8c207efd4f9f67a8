/*
 * role_history: what this node adds to the leader history (history.h,
 * docs/operations.md). A leader that steps down with a reason of its own
 * leaves an exit note as its demote starts (before its znode goes, in the
 * same session, so the next leader reads it); a new leader reads that
 * note when elected and, once its promote has ended, adds one record: who
 * leads now and before, the cause, who asked (switchover, forced), the
 * server times that give how long nobody led, and whether the promote
 * succeeded.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "history.h"
#include "log.h"
#include "role_int.h"
#include "switchover.h"
#include "timer.h"
#include "xmalloc.h"

static void add_record(struct role *r);

/*
 * Elected: remember who led before (set_leader is about to name us). The
 * caller reads the exit note once the promote hook has started.
 */
void
role_history_elected(struct role *r)
{
	snprintf(r->prev_leader, sizeof(r->prev_leader), "%s", r->leader_id ? r->leader_id : "");
	r->prev_epoch = r->leader_id ? r->leader_epoch : -1;
	r->history_due = false;
}

/* The promote due is the same leader's again (a pause ended): it follows itself. */
void
role_history_same_leader(struct role *r)
{
	snprintf(r->prev_leader, sizeof(r->prev_leader), "%s", r->cfg->id);
	r->prev_epoch = r->leader_epoch;
	r->history_due = false;
	control_read_exit(r->ctl);
}

/* A promote starts for WHY. */
void
role_history_promoting(struct role *r, enum reason why)
{
	snprintf(r->promote_why, sizeof(r->promote_why), "%s", name_of_reason(why));
	r->led_epoch = r->leader_epoch;
}

/* The promote ended (OK: it succeeded): the record, once the exit note is read. */
void
role_history_promoted(struct role *r, bool ok)
{
	if (r->cfg->history_keep == 0 || r->ctl == NULL || strcmp(r->promote_why, "resumed") == 0)
		return;	/* a resumed session is no change of leader */
	r->history_due = true;
	r->history_ok = ok;
	add_record(r);
}

/*
 * The exit note asked for at the election was read. None there (the first
 * leader of the path): create it empty now, so that our own note is one set
 * when we demote. Not at every promote: a create that fails is a transaction
 * too, logged by every member, while the promote hook starts.
 */
void
role_on_exit_read(void *arg)
{
	struct role *r = arg;

	if (r->cfg->history_keep > 0 && r->elected)
		control_exit_prepare(r->ctl);
	add_record(r);
}

/* Add the record now, if it is due and the exit note has been read. */
static void
add_record(struct role *r)
{
	struct history_record h;
	struct exit_note x;
	int64_t mtime = 0;
	enum control_known k;
	const struct switchover *req;
	bool have;

	if (!r->history_due || (k = control_exit(r->ctl, &x, &mtime)) == CONTROL_UNKNOWN)
		return;
	r->history_due = false;
	have = k == CONTROL_SOME && strcmp(x.id, r->prev_leader) == 0 && x.epoch == r->prev_epoch;
	memset(&h, 0, sizeof(h));
	snprintf(h.leader, sizeof(h.leader), "%s", r->cfg->id);
	h.epoch = r->led_epoch;
	snprintf(h.previous, sizeof(h.previous), "%s", r->prev_leader);
	h.previous_epoch = r->prev_leader[0] != '\0' ? r->prev_epoch : -1;
	snprintf(h.cause, sizeof(h.cause), "%s", history_cause(r->promote_why, have ? &x : NULL,
	    r->prev_leader, r->prev_epoch));
	req = control_switchover(r->ctl);
	if (req != NULL && strcmp(req->to, r->cfg->id) == 0 &&
	    (strcmp(h.cause, "switchover") == 0 || strcmp(h.cause, "forced") == 0))
		snprintf(h.by, sizeof(h.by), "%s", req->by);
	h.exit_mtime_ms = have ? mtime : 0;
	h.demote_ms = have ? x.demote_ms : -1;
	h.promote_ok = r->history_ok;
	control_history_add(r->ctl, &h, r->cfg->history_keep);
	log_info("history: %s leads (epoch %lld), after %s: %s", h.leader, (long long)h.epoch,
	    h.previous[0] ? h.previous : "nobody", h.cause);
}

/*
 * A demote starts for WHY. One of our own choosing while we led (resign, stop,
 * health, a failed promote, a switchover) leaves the exit note now: its write
 * goes to ZooKeeper while the hook runs, and its mtime, a server time, marks
 * when the cluster stopped having a leader. After a lost connection there is
 * nobody to tell.
 */
void
role_history_demoting(struct role *r, enum reason why)
{
	struct exit_note x;

	if (r->ctl != NULL && r->led_epoch >= 0 &&
	    (why == RS_CONNECTION_LOST || why == RS_SESSION_EXPIRED)) {
		/* nobody to tell now: once back, say it in the next leader's record */
		r->amend_epoch = r->led_epoch;
		r->amend_tries = 0;
		r->led_epoch = -1;
		return;
	}
	if (r->ctl == NULL || r->led_epoch < 0 || why == RS_STARTUP || why == RS_DELETED)
		return;
	memset(&x, 0, sizeof(x));
	snprintf(x.id, sizeof(x.id), "%s", r->cfg->id);
	x.epoch = r->led_epoch;
	snprintf(x.reason, sizeof(x.reason), "%s", name_of_reason(why));
	x.demote_ms = 0;	/* the gap from the note's mtime covers the demote */
	control_exit_write(r->ctl, &x);
	r->led_epoch = -1;
}

/*
 * Back in touch after we demoted for a lost connection: the record of the
 * leader after us says "session expired" (it could not know better); tell it
 * it was a lost connection. A crashed daemon never does, so "session expired"
 * that stays means a crash. The record may not be written yet: try again.
 */
void
role_history_reconnected(struct role *r)
{
	if (r->amend_epoch < 0 || r->ctl == NULL || r->stopping)
		return;
	control_history_amend(r->ctl, r->cfg->id, r->amend_epoch, "connection lost");
}

/* The amendment looked through the newest records: FOUND, or try again later. */
void
role_on_amended(void *arg, bool found)
{
	struct role *r = arg;

	if (found) {
		log_info("history: the change after our epoch %lld was a lost connection",
		    (long long)r->amend_epoch);
		r->amend_epoch = -1;
	} else if (++r->amend_tries < HISTORY_AMEND_TRIES)
		timer_after(r->ev_amend, r->cfg->session_timeout_ms);
	else
		r->amend_epoch = -1;	/* no record names us: nobody led after us */
}

/* Try the amendment again. */
void
role_on_amend_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	role_history_reconnected(arg);
}
