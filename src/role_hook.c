/* role_hook: run the hooks the role machine asks for; their argv and environment. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "election.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "role_int.h"
#include "state.h"
#include "timer.h"
#include "xmalloc.h"

static void history_of_hook(struct role *r, enum hook_kind kind, enum reason why);
static void run_ended(void *arg, const struct hook_result *res);
static void promote_done(struct role *r, const struct hook_result *res);
static void follow_done(struct role *r, const struct hook_result *res, bool ended);
static const struct command *configured_command(const struct role *r, enum hook_kind kind);
static int64_t timeout_of(const struct role *r, enum hook_kind kind);
static char **environment_of(struct role *r, enum hook_kind kind, enum reason why,
    enum role_name prev, enum role_name to, char *const *extra);

/* Run hook KIND for WHY, moving to role TO; false when there is none to run. */
bool
role_run_hook(struct role *r, enum hook_kind kind, enum reason why, enum role_name to)
{
	const struct command *cmd = configured_command(r, kind);
	enum role_name prev = r->role;
	char **argv, **envp;

	if (kind == HK_PROMOTE)
		r->promoted = true;
	else if (kind == HK_DEMOTE) {
		r->promoted = false;
		r->demote_why = why;
	}
	r->resumed = false;	/* said by this hook, if it was for the resume */
	r->switch_target = false;	/* likewise for a switchover's promote */
	if (kind == HK_PROMOTE)
		r->forced = false;
	r->pause_would[0] = '\0';	/* a hook runs: nothing is held now */
	if (kind != HK_FOLLOW && why != RS_STARTUP)
		role_set_role(r, to);
	if (cmd->argv == NULL) {	/* observer mode without hooks */
		role_write_state(r);
		history_of_hook(r, kind, why);
		return false;
	}
	if (kind == HK_DEMOTE && r->stopping)
		notify_extend_timeout((uint64_t)(timeout_of(r, kind) + 10000) * 1000);
	log_notice("role: running %s (reason %s, role %s)", name_of_hook(kind), name_of_reason(why),
	    name_of_role(to));
	argv = command_argv(cmd, name_of_hook(kind));
	envp = environment_of(r, kind, why, prev, to, NULL);
	role_hook_start(r, kind, argv, envp, timeout_of(r, kind), run_ended);
	strv_free(argv);
	strv_free(envp);
	history_of_hook(r, kind, why);
	return true;
}

/*
 * What the history notes as hook KIND starts for WHY. Called once the hook's
 * process exists: nothing waits on these writes, and sent before, they would
 * wake the client library's threads while that process starts. The exit note
 * still precedes the znode's delete (sent once the demote has ended, in the
 * same session, so in order).
 */
static void
history_of_hook(struct role *r, enum hook_kind kind, enum reason why)
{
	if (kind == HK_DEMOTE)
		role_history_demoting(r, why);	/* the leaderless time starts */
	else if (kind == HK_PROMOTE)
		role_history_promoting(r, why);
}

/* Start KIND's run of ARGV with ENVP within TIMEOUT_MS; DONE(r, result) when it ends. */
void
role_hook_start(struct role *r, enum hook_kind kind, char *const *argv, char *const *envp,
    int64_t timeout_ms, hook_done_fn *done)
{
	r->running_kind = kind;
	r->running_ended = false;
	snprintf(r->last_hook, sizeof(r->last_hook), "%s", name_of_hook(kind));
	snprintf(r->last_hook_status, sizeof(r->last_hook_status), "running");
	r->running = hook_run(name_of_hook(kind), argv, envp, timeout_ms, r->cfg->run_as, done,
	    r);
	role_write_state(r);
}

/* The run started by role_hook_start ended with RES: nothing runs now; count it. */
enum hook_kind
role_hook_ended(struct role *r, const struct hook_result *res)
{
	enum hook_kind kind = r->running_kind;

	r->running = NULL;
	r->running_kind = HK_NONE;
	snprintf(r->last_hook_status, sizeof(r->last_hook_status), "%s", res->status);
	r->m.hook_runs[kind][res->ok ? 0 : 1]++;
	r->m.hook_seconds[kind] += (double)res->duration_ms / 1000;
	return kind;
}

/* A hook run is finished. */
static void
run_ended(void *arg, const struct hook_result *res)
{
	struct role *r = arg;
	bool ended = r->running_ended;
	enum hook_kind kind = role_hook_ended(r, res);

	if (kind == HK_PROMOTE)
		promote_done(r, res);
	else if (kind == HK_FOLLOW)
		follow_done(r, res, ended);
	else if (kind == HK_DEMOTE && !res->ok)
		log_errorx("role: the demote hook failed (%s): the service may still act as "
		    "primary; check it by hand", res->status);
	if (kind == HK_DEMOTE) {
		r->demoted_once = true;
		r->demote_ok = res->ok;
		role_breadcrumb_demoted(r, res->ok);
		role_watchdog_disarm(r);	/* only once the demote has ended (rule 23) */
	}
	if (!r->started) {
		/* the start-up demote is over: now check and contact ZooKeeper */
		r->started = true;
		role_write_state(r);
		if (r->stopping) {
			role_finish_stop(r);
			return;
		}
		role_start_health(r);
		if (r->el == NULL)
			role_open_election(r);
	}
	role_write_state(r);
	role_reconcile(r);
}

/* A promote failed: resign and back off, or stay, as configured (rule 14). */
static void
promote_done(struct role *r, const struct hook_result *res)
{
	role_switchover_promoted(r, res->ok && r->elected);
	role_history_promoted(r, res->ok);
	if (res->ok || !r->elected)
		return;	/* fine, or leadership was lost meanwhile (demote follows) */
	if (r->cfg->on_promote_failure == PROMOTE_FAILURE_STAY) {
		log_errorx("role: the promote hook failed (%s); staying leader "
		    "(on_promote_failure = stay)", res->status);
		return;
	}
	log_errorx("role: the promote hook failed (%s): demoting, leaving the election for "
	    "%" PRId64 " ms so another node can lead", res->status, r->cfg->promote_backoff_ms);
	role_lose(r, RS_PROMOTE_FAILED);
	role_leave_then(r, THEN_BACKOFF);
}

/*
 * A follow ended. One that failed on its own (not stopped by us) runs again
 * with a doubling back-off for as long as the same leader leads: the service
 * may have been left half-way (a rewind that failed, a server left stopped).
 */
static void
follow_done(struct role *r, const struct hook_result *res, bool ended)
{

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
	timer_after(r->ev_follow, r->follow_retry_ms);
	r->follow_retry_ms *= 2;
	if (r->follow_retry_ms > FOLLOW_RETRY_MAX_MS)
		r->follow_retry_ms = FOLLOW_RETRY_MAX_MS;
}

/* The follow back-off is over: follow the same leader again. */
void
role_on_follow_retry(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	if (r->elected || r->stopping || r->leader_id == NULL)
		return;
	r->follow_pending = true;
	role_reconcile(r);
}

/* A new leader, or we lead: no retry of an older follow. */
void
role_follow_retry_cancel(struct role *r)
{
	evtimer_del(r->ev_follow);
	r->follow_retry_ms = 0;
}

/* The configured command for KIND. */
static const struct command *
configured_command(const struct role *r, enum hook_kind kind)
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
timeout_of(const struct role *r, enum hook_kind kind)
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

/* The hook's whole environment: a clean base, the ZKELECT_ variables, then EXTRA's. */
static char **
environment_of(struct role *r, enum hook_kind kind, enum reason why, enum role_name prev,
    enum role_name to, char *const *extra)
{
	static const char *const keep[] = { "PATH", "HOME", "LANG" };
	size_t nextra = 0;
	char **env;
	char sid[32], epoch[32];
	const char *v;
	size_t n = 0;
	bool known = r->leader_epoch >= 0 && why != RS_STARTUP;

	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	env = xcalloc(32 + nextra, sizeof(char *));

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if ((v = getenv(keep[i])) != NULL &&
		    (r->cfg->hook_home == NULL || strcmp(keep[i], "HOME") != 0))
			env[n++] = xasprintf("%s=%s", keep[i], v);
	if (r->cfg->hook_home != NULL)	/* hooks run as [hooks] user: its home */
		env[n++] = xasprintf("HOME=%s", r->cfg->hook_home);
	if (getenv("PATH") == NULL)
		env[n++] = xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(epoch, sizeof(epoch), "%" PRId64, r->leader_epoch);
	env[n++] = xasprintf("ZKELECT_EVENT=%s", name_of_hook(kind));
	env[n++] = xasprintf("ZKELECT_ROLE=%s", name_of_role(to));
	env[n++] = xasprintf("ZKELECT_PREVIOUS_ROLE=%s", name_of_role(prev));
	env[n++] = xasprintf("ZKELECT_REASON=%s", name_of_reason(why));
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
	for (char *const *x = extra; x != NULL && *x != NULL; x++)
		env[n++] = xstrdup(*x);
	return env;
}

/* The environment of hook KIND, as role_run_hook gives it, with EXTRA's variables too. */
char **
role_hook_env(struct role *r, enum hook_kind kind, enum reason why, enum role_name to,
    char *const *extra)
{
	return environment_of(r, kind, why, r->role, to, extra);
}

/* The health check's environment: the hooks' one, with ZKELECT_EVENT=health. */
char **
role_health_env(void *arg)
{
	struct role *r = arg;

	return environment_of(r, HK_HEALTH, RS_NONE, r->role, r->role, NULL);
}

