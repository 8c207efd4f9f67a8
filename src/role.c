/* role: when to promote, demote and follow; one hook at a time; the state file. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "election.h"
#include "health.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "role.h"
#include "state.h"
#include "status.h"
#include "xmalloc.h"

/* A failed follow runs again after FOLLOW_RETRY_MIN_MS, doubling up to the max. */
#define FOLLOW_RETRY_MIN_MS	1000
#define FOLLOW_RETRY_MAX_MS	30000
/* demote_on_start = unless-leader waits at most this (and session_timeout / 3) to lead */
#define STARTUP_DECIDE_MAX_MS	2000

enum role_name { R_STARTING, R_FOLLOWER, R_LEADER, R_OBSERVER, R_WITHDRAWN, R_STOPPED };

static const char *const role_names[] = {
	"starting", "follower", "leader", "observer", "withdrawn", "stopped",
};

enum reason {
	RS_ELECTED, RS_RESIGNED, RS_CONNECTION_LOST, RS_SESSION_EXPIRED, RS_HEALTH_FAILED,
	RS_PROMOTE_FAILED, RS_SHUTDOWN, RS_STARTUP, RS_LEADER_CHANGED, RS_DELETED, RS_NONE,
};

static const char *const reason_names[] = {
	"elected", "resigned", "connection-lost", "session-expired", "health-failed",
	"promote-failed", "shutdown", "startup", "leader-changed", "deleted", "",
};

enum hook_kind { HK_NONE, HK_PROMOTE, HK_DEMOTE, HK_FOLLOW, HK_HEALTH };

static const char *const hook_names[] = { "none", "promote", "demote", "follow", "health" };

/* What to do once we have left the election. */
enum then { THEN_REJOIN, THEN_BACKOFF, THEN_STOP, THEN_RECONFIG, THEN_WITHDRAW };

struct role {
	struct event_base *base;
	struct config *cfg;
	struct config *next_cfg;	/* a reload waiting for the leave */
	struct election *el;
	struct event *ev_backoff;
	struct event *ev_reopen;	/* a new session after a reload, outside election callbacks */
	struct event *ev_state;		/* retry a state file write that failed */
	struct event *ev_follow;	/* run a failed follow again */
	struct event *ev_decide;	/* the bound on joining first (unless-leader) */

	enum role_name role;
	bool started;		/* the start-up demote is over */
	bool joining_first;	/* unless-leader: in the election, the start-up demote undecided */
	bool elected;		/* the election says we lead */
	bool promoted;		/* the last promote/demote started was a promote */
	enum reason lost;	/* why we stopped leading: the demote's reason */
	bool want_in;		/* we want a znode in the queue */
	bool in;		/* we asked to join and have not been put out since */
	bool leave_requested;
	bool leaving;
	enum then then;
	bool stopping;		/* shutdown in progress */
	bool ready_sent;

	/* [health] and [status] */
	struct health *health;
	struct status *status;
	bool healthy;		/* the check passes, or there is none */
	bool health_out;	/* out of the election because of the check */
	struct status_metrics m;

	/* the hook running, if any */
	struct hook *running;
	enum hook_kind running_kind;
	bool running_ended;	/* stop or kill already sent */
	bool follow_pending;
	int64_t follow_retry_ms;	/* the next retry's delay; 0: the last follow succeeded */

	/* the leader we know (ourselves when we lead) */
	char *leader_id, *leader_data, *leader_znode;
	int64_t leader_epoch;

	/* for the state file */
	int64_t since;
	unsigned long transitions;
	char last_hook[16];
	char last_hook_status[48];

	int exit_status;
	void (*stop_done)(void *arg, int status);
	void *stop_arg;
};

static void reconcile(struct role *r);
static void check_running(struct role *r);
static bool next_step(struct role *r);
static bool start_hook(struct role *r, enum hook_kind kind, enum reason why, enum role_name to);
static void hook_done(void *arg, const struct hook_result *res);
static void promote_done(struct role *r, const struct hook_result *res);
static char **hook_env(struct role *r, enum hook_kind kind, enum reason why, enum role_name prev,
    enum role_name to);
static char **hook_argv(const struct command *cmd, const char *event);
static const struct command *hook_command(const struct role *r, enum hook_kind kind);
static int64_t hook_timeout(const struct role *r, enum hook_kind kind);
static void set_role(struct role *r, enum role_name to);
static enum role_name resting_role(const struct role *r);
static enum role_name demote_target(const struct role *r, enum reason why);
static void lose(struct role *r, enum reason why);
static void set_leader(struct role *r, const struct leader_info *li);
static void write_state(struct role *r);
static void fill_state(struct role *r, struct state *st);
static void push_status(void *arg);
static void open_election(struct role *r);
static void leave_then(struct role *r, enum then then);
static void left(void *arg);
static void finish_stop(struct role *r);
static void apply_reload(struct role *r);
static void on_backoff(evutil_socket_t fd, short what, void *arg);
static void on_reopen(evutil_socket_t fd, short what, void *arg);
static void on_state_retry(evutil_socket_t fd, short what, void *arg);
static void follow_done(struct role *r, const struct hook_result *res, bool ended);
static void on_follow_retry(evutil_socket_t fd, short what, void *arg);
static void cancel_follow_retry(struct role *r);
static void start_health(struct role *r);
static void join_first(struct role *r);
static void startup_decided(struct role *r, bool leader, const char *why);
static void on_decide(evutil_socket_t fd, short what, void *arg);
static void ev_behind(void *arg);
static void ev_elected(void *arg, const struct leader_info *self);
static void ev_unelected(void *arg, enum election_loss why);
static void ev_out(void *arg, enum election_loss why);
static void ev_joined(void *arg);
static void ev_leader(void *arg, const struct leader_info *leader);
static void ev_session(void *arg, enum zk_event ev);
static void free_strv(char **v);
static void on_health(void *arg, bool healthy);
static char **health_env(void *arg);
static void reload_health(struct role *r, const struct config *n);
static bool reload_status(struct role *r, const struct config *n);
static void reload_done(struct role *r);

static const struct election_callbacks election_cb = {
	ev_elected, ev_unelected, ev_out, ev_joined, ev_leader, ev_session, ev_behind,
};

/* Create the role machine; it owns CFG. */
struct role *
role_new(struct event_base *base, struct config *cfg, void (*stopped)(void *arg, int status),
    void *arg, char *err, size_t errlen)
{
	struct role *r = xcalloc(1, sizeof(*r));

	if (cfg->status_listen != NULL &&
	    (r->status = status_new(base, cfg->status_listen, push_status, r, err, errlen)) == NULL) {
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
	r->since = time(NULL);
	r->want_in = true;
	r->ev_backoff = evtimer_new(base, on_backoff, r);
	r->ev_reopen = evtimer_new(base, on_reopen, r);
	r->ev_state = evtimer_new(base, on_state_retry, r);
	r->ev_follow = evtimer_new(base, on_follow_retry, r);
	r->ev_decide = evtimer_new(base, on_decide, r);
	return r;
}

void
role_free(struct role *r)
{
	if (r == NULL)
		return;
	election_free(r->el);
	health_free(r->health);
	status_free(r->status);
	event_free(r->ev_backoff);
	event_free(r->ev_reopen);
	event_free(r->ev_state);
	event_free(r->ev_follow);
	event_free(r->ev_decide);
	config_free(r->cfg);
	config_free(r->next_cfg);
	free(r->leader_id);
	free(r->leader_data);
	free(r->leader_znode);
	free(r);
}

/*
 * Start (rule 17, docs/startup.md). demote_on_start = yes: the start-up demote
 * runs before ZooKeeper is contacted. unless-leader: join first; the demote is
 * skipped only when the first listing makes this node the leader (no one else
 * can lead before our znode goes), and runs at once otherwise. An observer
 * never leads: it always demotes first.
 */
void
role_start(struct role *r)
{
	enum startup_demote how = r->cfg->demote.argv == NULL ? STARTUP_DEMOTE_NO :
	    r->cfg->demote_on_start;

	if (how == STARTUP_DEMOTE_UNLESS_LEADER && r->cfg->mode == MODE_OBSERVER)
		how = STARTUP_DEMOTE_YES;
	write_state(r);
	if (how == STARTUP_DEMOTE_YES) {
		log_info("role: start-up demote, before ZooKeeper is contacted");
		start_hook(r, HK_DEMOTE, RS_STARTUP, resting_role(r));
		return;	/* the health check and the election start once it ends */
	}
	start_health(r);
	open_election(r);
	if (how == STARTUP_DEMOTE_UNLESS_LEADER) {
		join_first(r);
		return;
	}
	r->started = true;
	reconcile(r);
}

/* Start the health check afresh (after a start-up demote: its first check too). */
static void
start_health(struct role *r)
{
	if (!r->cfg->health_enabled)
		return;
	health_free(r->health);
	r->health = health_new(r->base, r->cfg, on_health, health_env, r);
	r->healthy = false;	/* join only after a success (health_out stays as it was) */
}

/* unless-leader: join now; the first listing (or the bound) decides the start-up demote. */
static void
join_first(struct role *r)
{
	int64_t ms = r->cfg->session_timeout_ms / 3;
	struct timeval tv;

	if (ms > STARTUP_DECIDE_MAX_MS)
		ms = STARTUP_DECIDE_MAX_MS;
	log_info("role: joining first: the start-up demote runs unless this node leads within "
	    "%" PRId64 " ms (demote_on_start = unless-leader)", ms);
	r->joining_first = true;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(r->ev_decide, &tv);
	reconcile(r);
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
	start_hook(r, HK_DEMOTE, RS_STARTUP, resting_role(r));
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
	startup_decided(arg, false, "another contender is ahead");
}

/* Open the session with the configuration in force. */
static void
open_election(struct role *r)
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
	s.observer = c->mode == MODE_OBSERVER;
	r->el = election_new(r->base, &s, &election_cb, r);
	r->in = false;
}

/*
 * The one place decisions are made: look at what is true now and start the
 * next step. Called after every event and every finished hook.
 */
static void
reconcile(struct role *r)
{
	if (r->running != NULL)
		check_running(r);
	else if (r->started || r->joining_first)
		while (next_step(r))
			;
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
	}
}

/* Take the next step; true when it ran no hook and another step may follow. */
static bool
next_step(struct role *r)
{
	if (r->elected && !r->promoted && !r->stopping) {
		r->follow_pending = false;
		cancel_follow_retry(r);
		return !start_hook(r, HK_PROMOTE, RS_ELECTED, R_LEADER);
	}
	if (!r->elected && r->promoted)
		return !start_hook(r, HK_DEMOTE, r->lost, demote_target(r, r->lost));
	if (r->leave_requested && !r->leaving) {
		r->leave_requested = false;
		r->leaving = true;
		election_leave(r->el, left, r);
		return false;
	}
	if (r->follow_pending && !r->elected && !r->stopping && !r->leaving) {
		r->follow_pending = false;
		return r->cfg->follow.argv == NULL ||
		    !start_hook(r, HK_FOLLOW, RS_LEADER_CHANGED, resting_role(r));
	}
	if (r->want_in && r->healthy && !r->in && !r->leaving && !r->stopping) {
		r->in = true;
		election_join(r->el);
	}
	return false;
}

/* Leadership is lost (or given up) for WHY: the demote will carry that reason. */
static void
lose(struct role *r, enum reason why)
{
	if (!r->elected && !r->promoted)
		return;
	if (r->elected || r->running_kind == HK_PROMOTE || r->promoted)
		r->lost = why;
	r->elected = false;
}

/* --- what the election reports --- */

static void
ev_elected(void *arg, const struct leader_info *self)
{
	struct role *r = arg;

	if (r->stopping || r->leave_requested || r->leaving)
		return;
	startup_decided(r, true, "elected at once");
	r->elected = true;
	r->m.leader_changes++;
	set_leader(r, self);
	reconcile(r);
}

static void
ev_unelected(void *arg, enum election_loss why)
{
	struct role *r = arg;

	lose(r, why == LOSS_CONNECTION ? RS_CONNECTION_LOST :
	    why == LOSS_EXPIRED ? RS_SESSION_EXPIRED : RS_DELETED);
	write_state(r);
	reconcile(r);
}

static void
ev_out(void *arg, enum election_loss why)
{
	struct role *r = arg;

	(void)why;
	r->in = false;
	startup_decided(r, false, "our znode is gone");
	if (r->leaving) {
		/* we were leaving anyway: the znode is gone */
		return;
	}
	if (r->role != R_LEADER && !r->promoted && r->role != R_WITHDRAWN &&
	    r->role != R_STOPPED && r->role != R_STARTING)
		set_role(r, resting_role(r));
	write_state(r);
	reconcile(r);
}

static void
ev_joined(void *arg)
{
	struct role *r = arg;

	if (r->role == R_STARTING || r->role == R_WITHDRAWN)
		set_role(r, resting_role(r));
	if (!r->ready_sent) {
		r->ready_sent = true;
		notify_ready();
	}
	write_state(r);
}

static void
ev_leader(void *arg, const struct leader_info *leader)
{
	struct role *r = arg;

	if (r->elected)
		return;
	set_leader(r, leader);
	r->m.leader_changes++;
	if (strcmp(leader->id, r->cfg->id) == 0) {
		/* our own previous process, whose znode lingers until its session expires */
		log_notice("role: the leader is a previous instance of this node (%s); no follow "
		    "until its session expires", leader->znode);
		write_state(r);
		return;
	}
	r->follow_pending = true;
	cancel_follow_retry(r);	/* a new leader: its follow starts from scratch */
	write_state(r);
	reconcile(r);
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
	write_state(r);
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

/* --- hooks --- */

/* Run hook KIND for WHY, moving to role TO; false when there is none to run. */
static bool
start_hook(struct role *r, enum hook_kind kind, enum reason why, enum role_name to)
{
	const struct command *cmd = hook_command(r, kind);
	enum role_name prev = r->role;
	char **argv, **envp;

	if (kind == HK_PROMOTE)
		r->promoted = true;
	else if (kind == HK_DEMOTE)
		r->promoted = false;
	if (kind != HK_FOLLOW && why != RS_STARTUP)
		set_role(r, to);
	if (cmd->argv == NULL) {	/* observer mode without hooks */
		write_state(r);
		return false;
	}
	if (kind == HK_DEMOTE && r->stopping)
		notify_extend_timeout((uint64_t)(hook_timeout(r, kind) + 10000) * 1000);
	log_notice("role: running %s (reason %s, role %s)", hook_names[kind], reason_names[why],
	    role_names[to]);
	argv = hook_argv(cmd, hook_names[kind]);
	envp = hook_env(r, kind, why, prev, to);
	r->running_kind = kind;
	r->running_ended = false;
	snprintf(r->last_hook, sizeof(r->last_hook), "%s", hook_names[kind]);
	snprintf(r->last_hook_status, sizeof(r->last_hook_status), "running");
	r->running = hook_run(hook_names[kind], argv, envp, hook_timeout(r, kind), r->cfg->run_as,
	    hook_done, r);
	free_strv(argv);
	free_strv(envp);
	write_state(r);
	return true;
}

/* A hook run is finished. */
static void
hook_done(void *arg, const struct hook_result *res)
{
	struct role *r = arg;
	enum hook_kind kind = r->running_kind;
	bool ended = r->running_ended;

	r->running = NULL;
	r->running_kind = HK_NONE;
	snprintf(r->last_hook_status, sizeof(r->last_hook_status), "%s", res->status);
	r->m.hook_runs[kind - 1][res->ok ? 0 : 1]++;
	r->m.hook_seconds[kind - 1] += (double)res->duration_ms / 1000;
	if (kind == HK_PROMOTE)
		promote_done(r, res);
	else if (kind == HK_FOLLOW)
		follow_done(r, res, ended);
	else if (kind == HK_DEMOTE && !res->ok)
		log_errorx("role: the demote hook failed (%s): the service may still act as "
		    "primary; check it by hand", res->status);
	if (!r->started) {
		/* the start-up demote is over: now check and contact ZooKeeper */
		r->started = true;
		write_state(r);
		if (r->stopping) {
			finish_stop(r);
			return;
		}
		start_health(r);
		if (r->el == NULL)
			open_election(r);
	}
	write_state(r);
	reconcile(r);
}

/* A promote failed: resign and back off, or stay, as configured (rule 14). */
static void
promote_done(struct role *r, const struct hook_result *res)
{
	if (res->ok || !r->elected)
		return;	/* fine, or leadership was lost meanwhile (demote follows) */
	if (r->cfg->on_promote_failure == PROMOTE_FAILURE_STAY) {
		log_errorx("role: the promote hook failed (%s); staying leader "
		    "(on_promote_failure = stay)", res->status);
		return;
	}
	log_errorx("role: the promote hook failed (%s): demoting, leaving the election for "
	    "%" PRId64 " ms so another node can lead", res->status, r->cfg->promote_backoff_ms);
	lose(r, RS_PROMOTE_FAILED);
	leave_then(r, THEN_BACKOFF);
}

/*
 * A follow ended. One that failed on its own (not stopped by us) runs again
 * with a doubling back-off for as long as the same leader leads: the service
 * may have been left half-way (a rewind that failed, a server left stopped).
 */
static void
follow_done(struct role *r, const struct hook_result *res, bool ended)
{
	struct timeval tv;

	if (res->ok) {
		if (r->follow_retry_ms != 0)
			log_notice("role: the follow hook succeeded again");
		r->follow_retry_ms = 0;
		return;
	}
	if (ended || r->elected || r->stopping)
		return;
	if (r->follow_retry_ms == 0)
		r->follow_retry_ms = FOLLOW_RETRY_MIN_MS;
	log_errorx("role: the follow hook failed (%s); running it again in %" PRId64 " ms while "
	    "%s leads", res->status, r->follow_retry_ms, r->leader_id ? r->leader_id : "?");
	tv.tv_sec = r->follow_retry_ms / 1000;
	tv.tv_usec = (suseconds_t)(r->follow_retry_ms % 1000) * 1000;
	evtimer_add(r->ev_follow, &tv);
	r->follow_retry_ms *= 2;
	if (r->follow_retry_ms > FOLLOW_RETRY_MAX_MS)
		r->follow_retry_ms = FOLLOW_RETRY_MAX_MS;
}

/* The follow back-off is over: follow the same leader again. */
static void
on_follow_retry(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	if (r->elected || r->stopping || r->leader_id == NULL)
		return;
	r->follow_pending = true;
	reconcile(r);
}

/* A new leader, or we lead: no retry of an older follow. */
static void
cancel_follow_retry(struct role *r)
{
	evtimer_del(r->ev_follow);
	r->follow_retry_ms = 0;
}

/* The configured command for KIND. */
static const struct command *
hook_command(const struct role *r, enum hook_kind kind)
{
	switch (kind) {
	case HK_PROMOTE:
		return &r->cfg->promote;
	case HK_DEMOTE:
		return &r->cfg->demote;
	default:
		return &r->cfg->follow;
	}
}

static int64_t
hook_timeout(const struct role *r, enum hook_kind kind)
{
	switch (kind) {
	case HK_PROMOTE:
		return r->cfg->promote_timeout_ms;
	case HK_DEMOTE:
		return r->cfg->demote_timeout_ms;
	default:
		return r->cfg->follow_timeout_ms;
	}
}

/* The configured words, then the event name. */
static char **
hook_argv(const struct command *cmd, const char *event)
{
	char **argv = xcalloc((size_t)cmd->argc + 2, sizeof(char *));
	int i;

	for (i = 0; i < cmd->argc; i++)
		argv[i] = xstrdup(cmd->argv[i]);
	argv[i] = xstrdup(event);
	return argv;
}

/* The hook's whole environment: a clean base and the ZKELECT_ variables. */
static char **
hook_env(struct role *r, enum hook_kind kind, enum reason why, enum role_name prev,
    enum role_name to)
{
	static const char *const keep[] = { "PATH", "HOME", "LANG" };
	char **env = xcalloc(32, sizeof(char *));
	char sid[32], epoch[32];
	const char *v;
	int n = 0;
	bool known = r->leader_epoch >= 0 && why != RS_STARTUP;

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if ((v = getenv(keep[i])) != NULL &&
		    (r->cfg->hook_home == NULL || strcmp(keep[i], "HOME") != 0))
			env[n++] = xasprintf("%s=%s", keep[i], v);
	if (r->cfg->hook_home != NULL)	/* hooks run as [hooks] user: its home */
		env[n++] = xasprintf("HOME=%s", r->cfg->hook_home);
	if (getenv("PATH") == NULL)
		env[n++] = xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(epoch, sizeof(epoch), "%" PRId64, r->leader_epoch);
	env[n++] = xasprintf("ZKELECT_EVENT=%s", hook_names[kind]);
	env[n++] = xasprintf("ZKELECT_ROLE=%s", role_names[to]);
	env[n++] = xasprintf("ZKELECT_PREVIOUS_ROLE=%s", role_names[prev]);
	env[n++] = xasprintf("ZKELECT_REASON=%s", reason_names[why]);
	env[n++] = xasprintf("ZKELECT_ID=%s", r->cfg->id);
	env[n++] = xasprintf("ZKELECT_LEADER_ID=%s", known ? r->leader_id : "");
	env[n++] = xasprintf("ZKELECT_LEADER_DATA=%s", known ? r->leader_data : "");
	env[n++] = xasprintf("ZKELECT_EPOCH=%s", known ? epoch : "");
	env[n++] = xasprintf("ZKELECT_ELECTION_PATH=%s", r->cfg->path);
	v = r->el ? election_znode(r->el) : NULL;
	env[n++] = xasprintf("ZKELECT_ZNODE=%s", v ? v : "");
	env[n++] = xasprintf("ZKELECT_SESSION_ID=%s",
	    r->el && election_session_id(r->el) ?
	    state_format_session(election_session_id(r->el), sid, sizeof(sid)) : "");
	return env;
}

/* --- roles and the state file --- */

/* The role a node rests in when it does not lead. */
static enum role_name
resting_role(const struct role *r)
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
	return resting_role(r);
}

/* Change the role shown in the state file. */
static void
set_role(struct role *r, enum role_name to)
{
	if (r->role == to)
		return;
	log_info("role: %s -> %s", role_names[r->role], role_names[to]);
	r->role = to;
	r->since = time(NULL);
	r->transitions++;
}

/* What the state file says now. */
static void
fill_state(struct role *r, struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->role = role_names[r->role];
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
}

/* Hand the status endpoint a fresh snapshot (also called by it before answering). */
static void
push_status(void *arg)
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
		r->m.hook_runs[HK_HEALTH - 1][0] = health_checks(r->health, true);
		r->m.hook_runs[HK_HEALTH - 1][1] = health_checks(r->health, false);
		r->m.hook_seconds[HK_HEALTH - 1] = health_seconds(r->health);
	}
	r->m.expirations = zc ? zc->expirations : 0;
	r->m.connection_losses = zc ? zc->connection_losses : 0;
	r->m.zk_requests = zc ? zc->requests : 0;
	status_update(r->status, &st, &r->m);
}

/* Write the state file (atomically); a failure is logged, never fatal. */
static void
write_state(struct role *r)
{
	struct state st;

	fill_state(r, &st);
	push_status(r);
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
	notify_status("%s, ZooKeeper %s, leader %s", st.role, st.zk_state,
	    r->leader_id && r->role != R_LEADER ? r->leader_id :
	    r->role == R_LEADER ? "this node" : "unknown");
}

/* --- leaving: resign, shutdown, reload, back-off --- */

/* Demote if needed, leave the election, then THEN. */
static void
leave_then(struct role *r, enum then then)
{
	r->then = then;
	r->leave_requested = true;
	r->want_in = false;
}

/* The election is left: do what was asked. */
static void
left(void *arg)
{
	struct role *r = arg;
	struct timeval tv;

	r->leaving = false;
	r->in = false;
	switch (r->then) {
	case THEN_REJOIN:
		r->want_in = true;
		break;
	case THEN_BACKOFF:
		set_role(r, R_WITHDRAWN);
		tv.tv_sec = r->cfg->promote_backoff_ms / 1000;
		tv.tv_usec = (r->cfg->promote_backoff_ms % 1000) * 1000;
		evtimer_add(r->ev_backoff, &tv);
		break;
	case THEN_WITHDRAW:
		if (r->healthy) {	/* it recovered while we were leaving */
			r->health_out = false;
			r->want_in = true;
		} else
			set_role(r, R_WITHDRAWN);
		break;
	case THEN_STOP:
		finish_stop(r);
		return;
	case THEN_RECONFIG:
		apply_reload(r);
		break;
	}
	write_state(r);
	reconcile(r);
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
	log_info("role: promote back-off over: joining the election again");
	r->want_in = true;
	reconcile(r);
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
	log_notice("role: resigning (%s)", role_names[r->role]);
	lose(r, RS_RESIGNED);
	evtimer_del(r->ev_backoff);
	leave_then(r, THEN_REJOIN);
	reconcile(r);
}

/* Graceful stop: demote, leave, close; then DONE. */
void
role_shutdown(struct role *r, int status)
{
	r->exit_status = status > r->exit_status ? status : r->exit_status;
	if (r->stopping)
		return;
	log_notice("role: stopping (%s)", role_names[r->role]);
	notify_stopping();
	r->stopping = true;
	if (r->joining_first) {
		/* undecided: the service may be a primary no one promoted; demote it */
		startup_decided(r, false, "stopping");
	}
	lose(r, RS_SHUTDOWN);
	evtimer_del(r->ev_backoff);
	cancel_follow_retry(r);
	if (!r->started || r->el == NULL) {
		if (r->running == NULL)
			finish_stop(r);
		else
			reconcile(r);
		return;
	}
	if (r->leaving) {
		r->then = THEN_STOP;
	} else
		leave_then(r, THEN_STOP);
	reconcile(r);
}

/* Everything is down: close the session, say so, hand back to main. */
static void
finish_stop(struct role *r)
{
	if (r->el != NULL)
		election_close(r->el);
	set_role(r, R_STOPPED);
	write_state(r);
	if (r->stop_done != NULL)
		r->stop_done(r->stop_arg, r->exit_status);
}

/* Reload: apply what can be applied at once; leave and rejoin for the rest. */
void
role_reload(struct role *r, struct config *n)
{
	struct config *o = r->cfg;
	char *tmp;
	bool rejoin, status_ok;

	notify_reloading();
	if (strcmp(n->pid_file, o->pid_file) != 0 || strcmp(n->state_file, o->state_file) != 0) {
		log_warnx("reload: pid_file and state_file changes need a restart; keeping %s and %s",
		    o->pid_file, o->state_file);
		tmp = n->pid_file; n->pid_file = xstrdup(o->pid_file); free(tmp);
		tmp = n->state_file; n->state_file = xstrdup(o->state_file); free(tmp);
	}
	rejoin = strcmp(n->hosts, o->hosts) != 0 ||
	    n->session_timeout_ms != o->session_timeout_ms ||
	    (n->auth_cred == NULL) != (o->auth_cred == NULL) ||
	    (n->auth_cred != NULL && strcmp(n->auth_cred, o->auth_cred) != 0) ||
	    strcmp(n->path, o->path) != 0 || strcmp(n->id, o->id) != 0 ||
	    strcmp(n->data, o->data) != 0 || n->mode != o->mode;
	log_setlevel(n->log_level);
	reload_health(r, n);
	status_ok = reload_status(r, n);
	config_free(r->next_cfg);
	r->next_cfg = n;
	if (!rejoin || r->el == NULL || r->stopping) {
		if (r->el != NULL)
			election_set_grace(r->el, n->disconnect_grace_ms);
		apply_reload(r);
		log_notice("reload: new settings applied%s", status_ok ? "" :
		    ", except [status] listen (see above)");
		reload_done(r);
		write_state(r);
		return;
	}
	log_notice("reload: the election settings changed: leaving the election and joining "
	    "again with the new ones");
	lose(r, RS_RESIGNED);
	if (r->leaving)
		r->then = THEN_RECONFIG;
	else
		leave_then(r, THEN_RECONFIG);
	reconcile(r);
}

/* Swap in the waiting configuration; a new session if the election settings changed. */
static void
apply_reload(struct role *r)
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

/* Write the state file again after a failure. */
static void
on_state_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	write_state(arg);
}

/* After a reload that changed the election settings: a new session, then join. */
static void
on_reopen(evutil_socket_t fd, short what, void *arg)
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
	open_election(r);
	r->want_in = !r->stopping;
	log_notice("reload: new settings applied");
	reload_done(r);
	write_state(r);
	reconcile(r);
}

/* The check's judgement changed: withdraw from the election, or join again (rule 15). */
static void
on_health(void *arg, bool healthy)
{
	struct role *r = arg;

	r->healthy = healthy;
	if (r->stopping) {
		write_state(r);
		return;
	}
	if (!healthy) {
		r->health_out = true;
		if (r->in || r->elected || r->promoted || r->leaving) {
			log_warnx("role: unhealthy: %s the election", r->elected || r->promoted ?
			    "demoting and leaving" : "leaving");
			lose(r, RS_HEALTH_FAILED);
			evtimer_del(r->ev_backoff);
			if (r->leaving)
				r->then = THEN_WITHDRAW;
			else
				leave_then(r, THEN_WITHDRAW);
		} else {
			r->want_in = false;
			if (r->role != R_STARTING)
				set_role(r, R_WITHDRAWN);
		}
	} else if (r->health_out && !r->leaving && !r->leave_requested) {
		log_notice("role: healthy again: joining the election");
		r->health_out = false;
		r->want_in = true;
	}
	write_state(r);
	reconcile(r);
}

/* The health check's environment: the hooks' one, with ZKELECT_EVENT=health. */
static char **
health_env(void *arg)
{
	struct role *r = arg;

	return hook_env(r, HK_HEALTH, RS_NONE, r->role, r->role);
}

/* [health] changed on reload: start, stop or reconfigure the check at once. */
static void
reload_health(struct role *r, const struct config *n)
{
	if (n->health_enabled && r->health != NULL) {
		health_reconfigure(r->health, n);
	} else if (n->health_enabled) {
		/* a new check: judged from its first results, the node stays in meanwhile */
		r->health = health_new(r->base, n, on_health, health_env, r);
	} else if (r->health != NULL) {
		health_free(r->health);
		r->health = NULL;
		if (!r->healthy)
			on_health(r, true);
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
	s = status_new(r->base, n->status_listen, push_status, r, err, sizeof(err));
	if (s == NULL && r->status != NULL) {
		old = xstrdup(status_listen(r->status));
		status_free(r->status);
		r->status = NULL;
		s = status_new(r->base, n->status_listen, push_status, r, err, sizeof(err));
		if (s == NULL &&
		    (r->status = status_new(r->base, old, push_status, r, again,
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

static void
free_strv(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}
