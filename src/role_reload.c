/* role_reload: apply a new configuration, at once or by leaving and joining again. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "election.h"
#include "health.h"
#include "log.h"
#include "notify.h"
#include "role.h"
#include "role_int.h"
#include "status.h"
#include "xmalloc.h"

static void reload_health(struct role *r, const struct config *n);
static bool reload_status(struct role *r, const struct config *n);
static void reload_done(struct role *r);
static void keep_restart_keys(const struct config *o, struct config *n);

/* N takes O's values of the keys that need a restart (config.c: RELOAD_RESTART). */
static void
keep_restart_keys(const struct config *o, struct config *n)
{
	char *tmp;

	tmp = n->pid_file; n->pid_file = xstrdup(o->pid_file); free(tmp);
	tmp = n->state_file; n->state_file = xstrdup(o->state_file); free(tmp);
	tmp = n->session_file; n->session_file = xstrdup(o->session_file); free(tmp);
	tmp = n->pause_file; n->pause_file = xstrdup(o->pause_file); free(tmp);
	tmp = n->wd_device; n->wd_device = xstrdup(o->wd_device); free(tmp);
	n->wd_mode = o->wd_mode;
	n->wd_timeout_ms = o->wd_timeout_ms;
}

/* Reload: apply what can be applied at once; leave and rejoin for the rest. */
void
role_reload(struct role *r, struct config *n)
{
	struct config *o = r->cfg;
	char *restart;
	bool rejoin, status_ok;

	notify_reloading();
	rejoin = config_reload_need(o, n, &restart) >= RELOAD_REJOIN;
	if (restart != NULL) {
		/* the restart-only keys: the files this process holds, and the watchdog */
		log_warnx("reload: %s: a change needs a restart (or zkelectctl upgrade); keeping "
		    "the running values", restart);
		keep_restart_keys(o, n);
		free(restart);
	}
	log_setlevel(n->log_level);
	reload_health(r, n);
	status_ok = reload_status(r, n);
	config_free(r->next_cfg);
	r->next_cfg = n;
	if (!rejoin || r->el == NULL || r->stopping) {
		if (r->el != NULL)
			election_set_grace(r->el, n->disconnect_grace_ms);
		role_apply_reload(r);
		log_notice("reload: new settings applied%s", status_ok ? "" :
		    ", except [status] listen (see above)");
		reload_done(r);
		role_write_state(r);
		return;
	}
	log_notice("reload: the election settings changed: leaving the election and joining "
	    "again with the new ones");
	role_lose(r, RS_RESIGNED);
	if (r->leaving)
		r->then = THEN_RECONFIG;
	else
		role_leave_then(r, THEN_RECONFIG);
	role_reconcile(r);
}

/* Swap in the waiting configuration; a new session if the election settings changed. */
void
role_apply_reload(struct role *r)
{
	struct config *o = r->cfg;
	bool reopen = r->then == THEN_RECONFIG && r->el != NULL && !r->stopping;

	if (r->next_cfg == NULL)
		return;
	r->cfg = r->next_cfg;
	r->next_cfg = NULL;
	config_free(o);
	if (reopen) {
		/* we may be inside a callback of the old election: replace it from the loop */
		struct timeval now = { 0, 0 };

		r->then = THEN_REJOIN;
		evtimer_add(r->ev_reopen, &now);
	}
}

/* After a reload that changed the election settings: a new session, then join. */
void
role_on_reopen(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	election_close(r->el);
	election_free(r->el);
	free(r->leader_id);
	free(r->leader_data);
	free(r->leader_znode);
	r->leader_id = r->leader_data = r->leader_znode = NULL;
	r->leader_epoch = -1;
	role_open_election(r);
	r->want_in = !r->stopping;
	log_notice("reload: new settings applied");
	reload_done(r);
	role_write_state(r);
	role_reconcile(r);
}

/* [health] changed on reload: start, stop or reconfigure the check at once. */
static void
reload_health(struct role *r, const struct config *n)
{
	if (n->health_enabled && r->health != NULL) {
		health_reconfigure(r->health, n);
	} else if (n->health_enabled) {
		/* a new check: judged from its first results, the node stays in meanwhile */
		r->health = health_new(r->base, n, role_on_health, role_health_env, r);
	} else if (r->health != NULL) {
		health_free(r->health);
		r->health = NULL;
		if (!r->healthy)
			role_on_health(r, true);
	}
}

/*
 * [status] changed on reload: listen on the new address before letting the old
 * one go. When the new bind fails, the old endpoint may be what holds the port
 * (the same port on another address): it is let go and the bind tried again;
 * if that fails too, the old address is taken back at once. False when the
 * endpoint is not where the new configuration says.
 */
static bool
reload_status(struct role *r, const struct config *n)
{
	struct status *s;
	char err[256], again[256];
	char *old;

	if (n->status_listen == NULL) {
		status_free(r->status);
		r->status = NULL;
		return true;
	}
	if (r->status != NULL && strcmp(status_listen(r->status), n->status_listen) == 0)
		return true;
	s = status_new(r->base, n->status_listen, role_push_status, r, err, sizeof(err));
	if (s == NULL && r->status != NULL) {
		old = xstrdup(status_listen(r->status));
		status_free(r->status);
		r->status = NULL;
		s = status_new(r->base, n->status_listen, role_push_status, r, err, sizeof(err));
		if (s == NULL &&
		    (r->status = status_new(r->base, old, role_push_status, r, again,
		    sizeof(again))) == NULL)
			log_errorx("reload: cannot listen on %s again either: %s; the status "
			    "endpoint is off", old, again);
		free(old);
	}
	if (s == NULL) {
		log_errorx("reload: %s; %s%s", err, r->status != NULL ?
		    "the status endpoint stays on " : "no status endpoint",
		    r->status != NULL ? status_listen(r->status) : "");
		return false;
	}
	status_free(r->status);
	r->status = s;
	log_info("reload: the status endpoint listens on %s", n->status_listen);
	return true;
}

/* Tell systemd the reload is over; READY=1 only once we were in the election. */
static void
reload_done(struct role *r)
{
	if (r->ready_sent)
		notify_ready();
	else
		notify_status("reloaded; not in the election yet");
}
