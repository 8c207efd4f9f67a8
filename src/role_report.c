/* role_report: the state file, the status snapshot and what systemd is told. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "election.h"
#include "health.h"
#include "log.h"
#include "notify.h"
#include "role_int.h"
#include "state.h"
#include "status.h"
#include "switchover.h"
#include "watchdog.h"

static void fill_state(struct role *r, struct state *st);
static void switchover_text(struct role *r);
static enum state_watchdog watchdog_state(const struct role *r);

/* Change the role shown in the state file. */
void
role_set_role(struct role *r, enum role_name to)
{
	if (r->role == to)
		return;
	log_info("role: %s -> %s", name_of_role(r->role), name_of_role(to));
	r->role = to;
	r->since = time(NULL);
	r->transitions++;
}

/* What the state file says now. */
static void
fill_state(struct role *r, struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->role = name_of_role(r->role);
	st->id = r->cfg->id;
	st->leader_id = r->leader_id;
	st->leader_data = r->leader_data;
	st->epoch = r->leader_epoch;
	st->znode = r->el ? election_znode(r->el) : NULL;
	st->session_id = r->el ? election_session_id(r->el) : 0;
	st->zk_state = r->el ? election_zk_state(r->el) : "connecting";
	st->health = r->health != NULL ? health_state(r->health) : "none";
	st->pid = (long)getpid();
	st->since = r->since;
	st->updated = time(NULL);
	st->transitions = r->transitions;
	st->last_hook = r->last_hook;
	st->last_hook_status = r->last_hook_status;
	st->watchdog = watchdog_state(r);
	st->watchdog_problem = r->wd_problem;
	if (r->wd != NULL)
		st->watchdog_timeout_ms = watchdog_timeout_ms(r->wd);
	else if (r->cfg->wd_mode != WATCHDOG_OFF)
		st->watchdog_timeout_ms = r->cfg->wd_timeout_ms;
	st->watchdog_last_kick_ms = r->wd_last_kick;
	st->image_started_ms = r->image_started;
	st->upgrade = r->upgrade_status;
	st->paused = r->pause.paused;
	st->pause_reason = r->pause.rec.reason;
	st->pause_by = r->pause.rec.by;
	st->pause_ends_ms = clock_ms(CLOCK_REALTIME) + r->pause.until_ms - clock_ms(CLOCK_BOOTTIME);
	st->pause_held = r->pause_would;
	st->switchover = r->switch_text;
	st->fence = r->fence_text;
}

/* The switchover request as last read, in one line for the state file ("": none). */
static void
switchover_text(struct role *r)
{
	const struct switchover *req = r->ctl != NULL ? control_switchover(r->ctl) : NULL;

	if (req == NULL)
		r->switch_text[0] = '\0';
	else
		snprintf(r->switch_text, sizeof(r->switch_text), "%s to %s (asked by %s)%s%s",
		    switchover_state_name(req->state), req->to, req->by,
		    req->note[0] != '\0' ? ": " : "", req->note);
}

/* The watchdog as it is: an open device is armed, whatever the configuration says. */
static enum state_watchdog
watchdog_state(const struct role *r)
{
	if (r->wd != NULL)
		return STATE_WD_ARMED;
	if (r->cfg->wd_mode == WATCHDOG_OFF)
		return STATE_WD_OFF;
	return r->wd_problem[0] != '\0' ? STATE_WD_UNAVAILABLE : STATE_WD_DISARMED;
}

/* Hand the status endpoint a fresh snapshot (also called by it before answering). */
void
role_push_status(void *arg)
{
	struct role *r = arg;
	const struct zk_counters *zc = r->el ? election_zk_counters(r->el) : NULL;
	struct state st;

	if (r->status == NULL)
		return;
	fill_state(r, &st);
	r->m.connected = r->el && strcmp(st.zk_state, "connected") == 0;
	r->m.healthy = r->healthy;
	if (r->health != NULL) {
		r->m.hook_runs[HK_HEALTH][0] = health_checks(r->health, true);
		r->m.hook_runs[HK_HEALTH][1] = health_checks(r->health, false);
		r->m.hook_seconds[HK_HEALTH] = health_seconds(r->health);
	}
	r->m.expirations = zc ? zc->expirations : 0;
	r->m.connection_losses = zc ? zc->connection_losses : 0;
	r->m.zk_requests = zc ? zc->requests : 0;
	status_update(r->status, &st, &r->m);
}

/* Write the state file (atomically); a failure is logged, never fatal. */
void
role_write_state(struct role *r)
{
	struct state st;

	switchover_text(r);
	fill_state(r, &st);
	role_push_status(r);
	if (state_write(r->cfg->state_file, &st) == -1) {
		struct timeval again = { 1, 0 };

		/* a stale file could say leader for a node that no longer leads: retry */
		if (!evtimer_pending(r->ev_state, NULL))
			log_warn("cannot write the state file %s; retrying every second",
			    r->cfg->state_file);
		evtimer_add(r->ev_state, &again);
	} else if (evtimer_pending(r->ev_state, NULL)) {
		evtimer_del(r->ev_state);
		log_notice("the state file %s is written again", r->cfg->state_file);
	}
	notify_status("%s, ZooKeeper %s, leader %s%s%s", st.role, st.zk_state,
	    r->leader_id && r->role != R_LEADER ? r->leader_id :
	    r->role == R_LEADER ? "this node" : "unknown",
	    st.paused ? ", paused: " : "", st.paused ? st.pause_reason : "");
}

/* Write the state file again after a failure. */
void
role_on_state_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	role_write_state(arg);
}
