/* role: the node's role state machine: when to promote, demote and follow (role_int.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "election.h"
#include "health.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "role.h"
#include "role_int.h"
#include "session.h"
#include "status.h"
#include "timer.h"
#include "xmalloc.h"

static void join_first(struct role *r);
static bool hold_startup_demote(struct role *r);
static void startup_goes_on(struct role *r);
static bool promote_due(struct role *r);
static bool start_promote(struct role *r);
static void startup_decided(struct role *r, bool leader, const char *why);
static void on_decide(evutil_socket_t fd, short what, void *arg);
static void ev_behind(void *arg);
static void check_running(struct role *r);
static bool next_step(struct role *r);
static void ev_elected(void *arg, const struct leader_info *self);
static void ev_unelected(void *arg, enum election_loss why);
static void ev_out(void *arg, enum election_loss why);
static void ev_joined(void *arg);
static void ev_leader(void *arg, const struct leader_info *leader);
static void ev_session(void *arg, enum zk_event ev);
static void set_leader(struct role *r, const struct leader_info *li);
static enum role_name demote_target(const struct role *r, enum reason why);
static void left(void *arg);
static void leave_now(struct role *r);
static void on_backoff(evutil_socket_t fd, short what, void *arg);
static void cannot_lead(struct role *r);

static const struct election_callbacks election_cb = {
	ev_elected, ev_unelected, ev_out, ev_joined, ev_leader, ev_session, ev_behind,
};
static const struct control_callbacks control_cb = {
	role_on_switchover, role_on_switchover_written, role_on_pause, role_on_primary,
	role_on_primary_written, role_on_exit_read, role_on_line, role_on_amended,
};

/* Create the role machine; it owns CFG. */
struct role *
role_new(struct event_base *base, struct config *cfg, void (*stopped)(void *arg, int status),
    void *arg, char *err, size_t errlen)
{
	struct role *r = xcalloc(1, sizeof(*r));

	if (cfg->status_listen != NULL &&
	    (r->status = status_new(base, cfg->status_listen, role_push_status, r, err, errlen)) == NULL) {
		free(r);
		return NULL;
	}
	r->healthy = !cfg->health_enabled;	/* with a check, join only after a success */
	r->stop_done = stopped;
	r->stop_arg = arg;
	r->base = base;
	r->cfg = cfg;
	r->role = R_STARTING;
	r->leader_epoch = -1;
	r->handover_epoch = -1;
	r->switch_epoch = -1;
	r->led_epoch = -1;
	r->prev_epoch = -1;
	r->amend_epoch = -1;
	r->since = time(NULL);
	r->image_started = clock_ms(CLOCK_REALTIME);
	r->want_in = true;
	r->ev_backoff = evtimer_new(base, on_backoff, r);
	r->ev_reopen = evtimer_new(base, role_on_reopen, r);
	r->ev_state = evtimer_new(base, role_on_state_retry, r);
	r->ev_follow = evtimer_new(base, role_on_follow_retry, r);
	r->ev_decide = evtimer_new(base, on_decide, r);
	r->ev_resume = evtimer_new(base, role_on_resume_bound, r);
	r->ev_kick = evtimer_new(base, role_on_kick, r);
	r->ev_switch = evtimer_new(base, role_on_switchover_deadline, r);
	r->ev_pause = evtimer_new(base, role_on_pause_expiry, r);
	r->ev_failback = evtimer_new(base, role_on_failback, r);
	r->ev_amend = evtimer_new(base, role_on_amend_retry, r);
	return r;
}

void
role_free(struct role *r)
{
	if (r == NULL)
		return;
	control_free(r->ctl);
	election_free(r->el);
	health_free(r->health);
	status_free(r->status);
	event_free(r->ev_backoff);
	event_free(r->ev_reopen);
	event_free(r->ev_state);
	event_free(r->ev_follow);
	event_free(r->ev_decide);
	event_free(r->ev_resume);
	event_free(r->ev_kick);
	event_free(r->ev_switch);
	event_free(r->ev_pause);
	event_free(r->ev_failback);
	event_free(r->ev_amend);
	role_watchdog_release(r);
	if (r->resume != NULL)
		session_clear(r->resume);
	free(r->resume);
	config_free(r->cfg);
	config_free(r->next_cfg);
	free(r->leader_id);
	free(r->leader_data);
	free(r->leader_znode);
	free(r);
}

/* Start: resume the saved session if there is a usable one (rule 22), else afresh. */
void
role_start(struct role *r)
{
	role_watchdog_boot_report(r);
	role_pause_load(r);	/* before any hook: a pause seen before a restart holds */
	if (role_resume_load(r)) {
		role_resume_begin(r);	/* an upgrade's: the role handed over, from the first write */
		role_write_state(r);
		return;
	}
	role_write_state(r);
	role_start_fresh(r);
}

/*
 * Start afresh (rule 17, docs/startup.md), also after a resume that failed
 * (the election is open then). demote_on_start = yes: the start-up demote
 * runs first (before ZooKeeper is contacted, unless a resume already did).
 * unless-leader: join first; the demote is skipped only when the first
 * listing makes this node the leader (no one else can lead before our znode
 * goes), and runs at once otherwise. An observer never leads: it always
 * demotes first.
 */
void
role_start_fresh(struct role *r)
{
	enum startup_demote how = r->cfg->demote.argv == NULL ? STARTUP_DEMOTE_NO :
	    r->cfg->demote_on_start;

	if (how == STARTUP_DEMOTE_UNLESS_LEADER && r->cfg->mode == MODE_OBSERVER)
		how = STARTUP_DEMOTE_YES;
	if (how != STARTUP_DEMOTE_NO && role_paused(r) && hold_startup_demote(r))
		how = STARTUP_DEMOTE_NO;	/* held: counts as primary until the pause ends */
	if (how == STARTUP_DEMOTE_YES) {
		log_info("role: start-up demote, before %s", r->el == NULL ?
		    "ZooKeeper is contacted" : "this node joins the election");
		role_run_hook(r, HK_DEMOTE, RS_STARTUP, role_resting(r));
		return;	/* the health check and the election start once it ends */
	}
	if (r->health == NULL)
		role_start_health(r);
	if (r->el == NULL)
		role_open_election(r);
	if (how == STARTUP_DEMOTE_UNLESS_LEADER) {
		join_first(r);
		return;
	}
	r->started = true;
	role_reconcile(r);
}

/*
 * Paused: the start-up demote is held like any other hook. The service may be
 * primary then (nobody knows): it counts as promoted, so the pause's end
 * demotes it unless this node leads. True when held.
 */
static bool
hold_startup_demote(struct role *r)
{
	r->lost = RS_STARTUP;
	if (!role_pause_holds(r, HK_DEMOTE))
		return false;
	r->promoted = true;
	return true;
}

/*
 * The start-up demote was due (a resume unanswered, a first listing not ours)
 * and the pause holds it: the start goes on as after the demote, with the
 * service counted as primary, so that the node follows and the pause's end
 * runs the demote (next_step). Stopping: role_shutdown finishes the stop.
 */
static void
startup_goes_on(struct role *r)
{
	if (r->started || r->stopping)
		return;
	r->started = true;
	if (r->health == NULL)
		role_start_health(r);
	if (r->el == NULL)
		role_open_election(r);
	role_write_state(r);
}

/* Start the health check afresh (after a start-up demote: its first check too). */
void
role_start_health(struct role *r)
{
	if (!r->cfg->health_enabled)
		return;
	health_free(r->health);
	r->health = health_new(r->base, r->cfg, role_on_health, role_health_env, r);
	r->healthy = false;	/* join only after a success (health_out stays as it was) */
}

/* unless-leader: join now; the first listing (or the bound) decides the start-up demote. */
static void
join_first(struct role *r)
{
	int64_t ms = r->cfg->session_timeout_ms / 3;

	if (ms > STARTUP_DECIDE_MAX_MS)
		ms = STARTUP_DECIDE_MAX_MS;
	log_info("role: joining first: the start-up demote runs unless this node leads within "
	    "%" PRId64 " ms (demote_on_start = unless-leader)", ms);
	r->joining_first = true;
	timer_after(r->ev_decide, ms);
	role_reconcile(r);
}

/*
 * The start-up demote is decided: skipped when LEADER (the election made us
 * leader: promote follows), else run now, with our znode left in the queue.
 */
static void
startup_decided(struct role *r, bool leader, const char *why)
{
	if (!r->joining_first)
		return;
	r->joining_first = false;
	evtimer_del(r->ev_decide);
	if (leader) {
		log_notice("role: %s: no start-up demote", why);
		r->started = true;
		return;
	}
	log_notice("role: %s: start-up demote now", why);
	r->startup_demote_due = true;
	role_reconcile(r);
}

/* unless-leader: not leading within the bound. */
static void
on_decide(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	startup_decided(r, false, "not the leader in time");
}

/* A listing put us behind another contender. */
static void
ev_behind(void *arg)
{
	struct role *r = arg;

	role_priority_queued(r);
	if (r->resuming) {
		role_resume_resolved(r, false);
		role_reconcile(r);
		return;
	}
	startup_decided(r, false, "another contender is ahead");
}

/* Open the session with the configuration in force. */
void
role_open_election(struct role *r)
{
	struct election_settings s;
	const struct config *c = r->cfg;

	memset(&s, 0, sizeof(s));
	s.zk.hosts = c->hosts;
	s.zk.session_timeout_ms = c->session_timeout_ms;
	s.zk.disconnect_grace_ms = c->disconnect_grace_ms;
	s.zk.auth_scheme = c->auth_scheme;
	s.zk.auth_cred = c->auth_cred;
	s.path = c->path;
	s.id = c->id;
	s.data = c->data;
	s.priority = c->priority;
	s.observer = c->mode == MODE_OBSERVER;
	if (r->resuming) {
		s.zk.resume_id = r->resume->client.id;
		s.zk.resume_passwd = r->resume->client.passwd;
		s.resume_guid = r->resume->guid;
		s.resume_znode = r->resume->znode;
	}
	r->el = election_new(r->base, &s, &election_cb, r);
	r->in = false;
	control_free(r->ctl);
	r->ctl = control_new(election_zk(r->el), c->path, &control_cb, r);
	election_forward_watches(r->el, control_on_watch, r->ctl);
	r->switch_epoch = -1;
	evtimer_del(r->ev_switch);
}

/*
 * The one place decisions are made: look at what is true now and start the
 * next step. Called after every event and every finished hook.
 */
void
role_reconcile(struct role *r)
{
	if (r->running != NULL)
		check_running(r);
	else if (r->started || r->joining_first || r->startup_demote_due)
		while (next_step(r))
			;
	if (r->pause_ending && r->running == NULL && !r->follow_pending && !r->repromote &&
	    r->elected == r->promoted)
		r->pause_ending = false;	/* reconciled */
	if (r->upgrade_requested)
		role_upgrade_check(r);
}

/* A hook runs: end it if what it is for is no longer true. */
static void
check_running(struct role *r)
{
	if (r->running_ended)
		return;
	if (r->running_kind == HK_PROMOTE && !r->elected) {
		log_warnx("role: leadership lost while the promote hook runs: stopping it");
		r->running_ended = true;
		hook_stop(r->running);
	} else if (r->running_kind == HK_FOLLOW && r->elected) {
		log_notice("role: elected while a follow hook runs: killing it");
		r->running_ended = true;
		hook_kill(r->running);
	} else if (r->running_kind == HK_FOLLOW && r->stopping) {
		r->running_ended = true;
		hook_stop(r->running);
	} else if (r->running_kind == HK_FENCE && (!r->elected || r->stopping)) {
		log_warnx("role: %s while the fence hook runs: stopping it",
		    r->stopping ? "stopping" : "leadership lost");
		r->running_ended = true;
		hook_stop(r->running);
	}
}

/* Take the next step; true when it ran no hook and another step may follow. */
static bool
next_step(struct role *r)
{
	if (r->startup_demote_due) {	/* before anything, a promote included */
		r->startup_demote_due = false;
		if (hold_startup_demote(r)) {
			startup_goes_on(r);
			return true;
		}
		return !role_run_hook(r, HK_DEMOTE, RS_STARTUP, role_resting(r));
	}
	if (promote_due(r))
		return start_promote(r);
	if (!r->elected && r->promoted && !role_pause_holds(r, HK_DEMOTE))
		return !role_run_hook(r, HK_DEMOTE, r->pause_ending ? RS_PAUSE_ENDED : r->lost,
		    demote_target(r, r->lost));
	if (r->leave_requested && !r->leaving) {
		r->leave_requested = false;
		r->leaving = true;
		leave_now(r);
		return false;
	}
	if (r->follow_pending && !r->elected && !r->stopping && !r->leaving &&
	    !role_pause_holds(r, HK_FOLLOW)) {
		r->follow_pending = false;
		if (r->cfg->follow.argv == NULL) {
			r->resumed = false;	/* said by no hook: a later promote is no resume */
			return true;
		}
		return !role_run_hook(r, HK_FOLLOW,
		    r->resumed ? RS_RESUMED : r->pause_ending ? RS_PAUSE_ENDED : RS_LEADER_CHANGED,
		    role_resting(r));
	}
	if (r->want_in && r->healthy && !r->in && !r->leaving && !r->stopping) {
		r->in = true;
		election_join(r->el);
	}
	return false;
}

/*
 * Elected and not promoted (or the same leader again after a pause), and
 * nothing makes it wait: the priority check, the pause, the breadcrumb.
 */
static bool
promote_due(struct role *r)
{
	return r->elected && (!r->promoted || r->repromote) && !r->stopping &&
	    !role_priority_blocked(r) && !role_pause_holds(r, HK_PROMOTE) &&
	    !role_promote_blocked(r) && !role_fence_blocks(r);
}

/* Arm the watchdog, say who is primary, promote; true when no hook was started. */
static bool
start_promote(struct role *r)
{
	r->follow_pending = false;
	role_follow_retry_cancel(r);
	if (!role_watchdog_arm(r)) {	/* before the promote (rule 23) */
		cannot_lead(r);
		return true;
	}
	r->switch_promoting = r->switch_target && !r->resumed;
	if (r->repromote)	/* the same leader again, after a pause */
		role_history_same_leader(r);
	r->repromote = false;
	r->fence_text[0] = '\0';
	role_breadcrumb_promote(r);
	return !role_run_hook(r, HK_PROMOTE, role_promote_reason(r), R_LEADER);
}

/* The reason a promote due now carries. */
enum reason
role_promote_reason(const struct role *r)
{
	if (r->resumed)
		return RS_RESUMED;
	if (r->forced)
		return RS_FORCED;
	if (r->switch_promoting)
		return RS_SWITCHOVER;
	return r->pause_ending ? RS_PAUSE_ENDED : RS_ELECTED;
}

/*
 * Elected, but the watchdog it requires cannot be armed: do not lead. Leave
 * and queue again at the back, so another node can lead; after failing twice
 * in a row, wait promote_backoff before queueing again (alone, it would spin).
 */
static void
cannot_lead(struct role *r)
{
	log_errorx("role: not leading: %s (watchdog mode = required); queueing again%s",
	    r->wd_problem, r->wd_failures > 1 ? " after promote_backoff" : "");
	role_give_up(r, THEN_REJOIN);
}

/*
 * Elected, but this node must not lead now: leave and queue again (THEN).
 * With no demote since start (resumed, or elected at once), its service may
 * be primary: the start-up demote runs first.
 */
void
role_give_up(struct role *r, enum then then)
{
	r->elected = false;
	r->resumed = false;
	if (!r->demoted_once) {
		/* no demote since start (resumed, or elected at once): it may be primary */
		r->promoted = true;
		r->lost = RS_STARTUP;
	}
	role_leave_then(r, then);
	role_write_state(r);
}

/* Leadership is lost (or given up) for WHY: the demote will carry that reason. */
void
role_lose(struct role *r, enum reason why)
{
	if (!r->elected && !r->promoted)
		return;
	if (r->elected || r->running_kind == HK_PROMOTE || r->promoted)
		r->lost = why;
	if (!role_paused(r))	/* after the pause's end, a loss is its own cause */
		r->pause_ending = false;
	r->elected = false;
}

static void
ev_elected(void *arg, const struct leader_info *self)
{
	struct role *r = arg;

	if (r->stopping || r->leave_requested || r->leaving)
		return;
	if (r->resuming) {
		r->elected = true;
		set_leader(r, self);
		role_resume_resolved(r, true);
		role_reconcile(r);
		return;
	}
	startup_decided(r, true, "elected at once");
	r->elected = true;
	r->m.leader_changes++;
	role_history_elected(r);
	set_leader(r, self);
	role_switchover_elected(r);
	role_priority_elected(r);
	role_reconcile(r);	/* the promote hook starts here, unless something holds it */
	/* the reads an elected node makes, once that hook's process exists: none
	 * of them holds the promote (the exit note for the history record; the
	 * switchover request: one for the old leader is ours to answer) */
	control_read_exit(r->ctl);
	control_refresh(r->ctl);
}

static void
ev_unelected(void *arg, enum election_loss why)
{
	struct role *r = arg;

	role_lose(r, why == LOSS_CONNECTION ? RS_CONNECTION_LOST :
	    why == LOSS_EXPIRED ? RS_SESSION_EXPIRED : RS_DELETED);
	role_write_state(r);
	role_reconcile(r);
}

static void
ev_out(void *arg, enum election_loss why)
{
	struct role *r = arg;

	(void)why;
	r->in = false;
	if (r->resuming) {
		role_resume_failed(r, "our saved znode is gone");
		return;
	}
	startup_decided(r, false, "our znode is gone");
	if (r->leaving) {
		/* we were leaving anyway: the znode is gone */
		return;
	}
	if (r->role != R_LEADER && !r->promoted && r->role != R_WITHDRAWN &&
	    r->role != R_STOPPED && r->role != R_STARTING)
		role_set_role(r, role_resting(r));
	role_write_state(r);
	role_reconcile(r);
}

static void
ev_joined(void *arg)
{
	struct role *r = arg;

	r->in = true;	/* also for a znode taken back when resuming */
	line_forget(control_line(r->ctl));	/* a new znode: the path may be new too */
	if (r->role == R_STARTING || r->role == R_WITHDRAWN)
		role_set_role(r, role_resting(r));
	role_session_save(r);	/* a new znode (or one taken back) begins */
	if (!r->ready_sent) {
		r->ready_sent = true;
		notify_ready();
	}
	role_write_state(r);
}

static void
ev_leader(void *arg, const struct leader_info *leader)
{
	struct role *r = arg;

	if (r->elected)
		return;
	set_leader(r, leader);
	role_priority_queued(r);
	r->m.leader_changes++;
	if (leader->epoch == r->handover_epoch) {
		/* the image before an in-place upgrade followed this leader already */
		log_info("role: %s (epoch %" PRId64 ") was followed before the upgrade: no follow",
		    leader->id, leader->epoch);
		r->handover_epoch = -1;
		r->resumed = false;
		role_write_state(r);
		return;
	}
	if (strcmp(leader->id, r->cfg->id) == 0) {
		/* our own previous process, whose znode lingers until its session expires */
		log_notice("role: the leader is a previous instance of this node (%s); no follow "
		    "until its session expires", leader->znode);
		role_write_state(r);
		return;
	}
	r->follow_pending = true;
	role_follow_retry_cancel(r);	/* a new leader: its follow starts from scratch */
	role_write_state(r);
	role_reconcile(r);
}

static void
ev_session(void *arg, enum zk_event ev)
{
	struct role *r = arg;

	if (ev == ZK_EV_AUTH_FAILED && !r->stopping) {
		log_errorx("ZooKeeper rejected our credentials: check [zookeeper] auth in %s",
		    r->cfg->file);
		role_shutdown(r, 1);
		return;
	}
	if (ev == ZK_EV_CONNECTED || ev == ZK_EV_EXPIRED)
		role_resume_connected(r, ev);	/* the saved session answered, or is gone */
	if (ev == ZK_EV_CONNECTED)
		role_session_save(r);	/* a new session (or the resumed one) begins */
	control_session(r->ctl, ev);
	if (ev == ZK_EV_CONNECTED || ev == ZK_EV_RECONNECTED)
		role_history_reconnected(r);
	role_write_state(r);
	role_reconcile(r);
}

/* Remember the leader we know now. */
static void
set_leader(struct role *r, const struct leader_info *li)
{
	free(r->leader_id);
	free(r->leader_data);
	free(r->leader_znode);
	r->leader_id = xstrdup(li->id);
	r->leader_data = xstrdup(li->data);
	r->leader_znode = xstrdup(li->znode);
	r->leader_epoch = li->epoch;
}

/* The role a node rests in when it does not lead. */
enum role_name
role_resting(const struct role *r)
{
	return r->cfg->mode == MODE_OBSERVER ? R_OBSERVER : R_FOLLOWER;
}

/* The role a demote for WHY moves to. */
static enum role_name
demote_target(const struct role *r, enum reason why)
{
	if (why == RS_SHUTDOWN)
		return R_STOPPED;
	if (why == RS_HEALTH_FAILED || why == RS_PROMOTE_FAILED)
		return R_WITHDRAWN;
	return role_resting(r);
}

/* Demote if needed, leave the election, then THEN. */
void
role_leave_then(struct role *r, enum then then)
{
	r->then = then;
	r->leave_requested = true;
	r->want_in = false;
}

/*
 * Leave the election. A breadcrumb the demote just ended well goes with our
 * znode, in one transaction at the version we read (a newer one stays).
 */
static void
leave_now(struct role *r)
{
	int32_t version = -1;
	const char *crumb = r->clear_with_leave ? control_primary_clearable(r->ctl, &version) :
	    NULL;

	r->clear_with_leave = false;
	election_leave_with(r->el, crumb, version, left, r);
}

/* The election is left: do what was asked. */
static void
left(void *arg)
{
	struct role *r = arg;

	r->leaving = false;
	r->in = false;
	switch (r->then) {
	case THEN_REJOIN:
		if (r->wd_failures > 1)	/* cannot_lead, again: not in a tight loop */
			timer_after(r->ev_backoff, r->cfg->promote_backoff_ms);
		else
			r->want_in = true;
		break;
	case THEN_BACKOFF:
		role_set_role(r, R_WITHDRAWN);
		timer_after(r->ev_backoff, r->cfg->promote_backoff_ms);
		break;
	case THEN_WITHDRAW:
		if (r->healthy) {	/* it recovered while we were leaving */
			r->health_out = false;
			r->want_in = true;
		} else
			role_set_role(r, R_WITHDRAWN);
		break;
	case THEN_STOP:
		role_finish_stop(r);
		return;
	case THEN_RECONFIG:
		role_apply_reload(r);
		break;
	}
	role_write_state(r);
	role_reconcile(r);
}

/* The promote back-off is over: queue again. */
static void
on_backoff(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	if (r->stopping)
		return;
	log_info("role: back-off over: joining the election again");
	r->want_in = true;
	role_reconcile(r);
}

/* Resign: demote if leading, then re-queue at the back. */
void
role_resign(struct role *r)
{
	if (r->stopping || r->leaving || r->leave_requested || r->el == NULL) {
		log_info("role: resign ignored (%s)", r->el == NULL ? "not in the election yet" :
		    "already leaving");
		return;
	}
	if (r->cfg->mode == MODE_OBSERVER) {
		log_info("role: resign ignored: observers do not take part");
		return;
	}
	log_notice("role: resigning (%s)", name_of_role(r->role));
	role_lose(r, RS_RESIGNED);
	evtimer_del(r->ev_backoff);
	role_leave_then(r, THEN_REJOIN);
	role_reconcile(r);
}

/* Graceful stop: demote, leave, close; then DONE. */
void
role_shutdown(struct role *r, int status)
{
	r->exit_status = status > r->exit_status ? status : r->exit_status;
	if (r->stopping)
		return;
	log_notice("role: stopping (%s)", name_of_role(r->role));
	notify_stopping();
	r->stopping = true;
	if (r->ctl != NULL)
		control_quiet(r->ctl);
	if (r->joining_first) {
		/* undecided: the service may be a primary no one promoted; demote it */
		startup_decided(r, false, "stopping");
	}
	if (r->resuming)
		role_resume_abandon(r);	/* likewise: it may have led before the crash */
	role_lose(r, RS_SHUTDOWN);
	evtimer_del(r->ev_backoff);
	role_follow_retry_cancel(r);
	if (!r->started || r->el == NULL) {
		if (r->running == NULL)
			role_finish_stop(r);
		else
			role_reconcile(r);
		return;
	}
	if (r->leaving) {
		r->then = THEN_STOP;
	} else
		role_leave_then(r, THEN_STOP);
	role_reconcile(r);
}

/* Everything is down: close the session, say so, hand back to main. */
void
role_finish_stop(struct role *r)
{
	role_session_forget(r);	/* a clean exit: nothing to resume */
	if (r->el != NULL)
		election_close(r->el);
	role_set_role(r, R_STOPPED);
	role_write_state(r);
	if (r->stop_done != NULL)
		r->stop_done(r->stop_arg, r->exit_status);
}

/* The check's judgement changed: withdraw from the election, or join again (rule 15). */
void
role_on_health(void *arg, bool healthy)
{
	struct role *r = arg;

	r->healthy = healthy;
	if (r->stopping) {
		role_write_state(r);
		return;
	}
	if (!healthy) {
		r->health_out = true;
		if (r->in || r->elected || r->promoted || r->leaving) {
			log_warnx("role: unhealthy: %s the election", r->elected || r->promoted ?
			    "demoting and leaving" : "leaving");
			role_lose(r, RS_HEALTH_FAILED);
			evtimer_del(r->ev_backoff);
			if (r->leaving)
				r->then = THEN_WITHDRAW;
			else
				role_leave_then(r, THEN_WITHDRAW);
		} else {
			r->want_in = false;
			if (r->role != R_STARTING)
				role_set_role(r, R_WITHDRAWN);
		}
	} else if (r->health_out && !r->leaving && !r->leave_requested) {
		log_notice("role: healthy again: joining the election");
		r->health_out = false;
		r->want_in = true;
	}
	role_write_state(r);
	role_reconcile(r);
}

/*
 * Upgrade in place (SIGUSR2): done by role_upgrade_check once nothing is
 * half-done (no hook running or due, no leave, no start-up in progress).
 */
void
role_upgrade(struct role *r)
{
	const char *busy = r->stopping ? "stopping" :
	    r->upgrade_exec == NULL ? "not possible here" : NULL;

	r->upgrade_requests++;
	if (busy != NULL) {
		log_warnx("upgrade: not now (%s)", busy);
		role_upgrade_outcome(r, "refused", busy);
		role_write_state(r);
		return;
	}
	log_notice("upgrade: requested%s", r->running ? "; waiting for the running hook" : "");
	r->upgrade_requested = true;
	role_reconcile(r);
}

void
role_set_upgrade(struct role *r, bool (*exec)(void *arg, char *err, size_t errlen), void *arg)
{
	r->upgrade_exec = exec;
	r->upgrade_arg = arg;
}

