/* status: the read-only HTTP endpoint, answered from the last snapshot. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "clock.h"
#include "config.h"
#include "escape.h"
#include "log.h"
#include "state.h"
#include "status.h"
#include "xmalloc.h"


/* The snapshot: copies of the state's strings, and the metrics. */
struct snapshot {
	char *role, *id, *leader_id, *leader_data, *znode, *zk_state, *health;
	char *last_hook, *last_hook_status;
	char *watchdog, *upgrade;	/* WATCHDOG's text (state_format_watchdog), UPGRADE */
	char *pause_reason, *pause_by, *pause_held, *switchover, *fence;
	bool paused;
	int64_t pause_ends_ms;
	enum state_watchdog wd_state;
	int64_t epoch, session_id, since, updated;
	int64_t wd_timeout_ms, wd_last_kick_ms, image_started_ms;	/* <= 0: none */
	long pid;
	unsigned long transitions;
	struct status_metrics m;
};

struct status {
	struct evhttp *http;
	void (*refresh)(void *arg);
	void *arg;
	char *listen;
	struct snapshot snap;
};

static void on_request(struct evhttp_request *req, void *arg);
static void reply(struct evhttp_request *req, int code, const char *type, struct evbuffer *body);
static void reply_check(struct evhttp_request *req, bool ok, const char *what);
static void json_status(struct evbuffer *b, const struct snapshot *sn);
static void json_field(struct evbuffer *b, const char *key, const char *value, bool *first);
static void json_number(struct evbuffer *b, const char *key, int64_t value, bool known,
    bool *first);
static void metrics(struct evbuffer *b, const struct snapshot *sn);
static void metric(struct evbuffer *b, const char *name, const char *type, const char *help);
static void snapshot_free(struct snapshot *sn);
static char *dup_or_empty(const char *s);

/* Bind the endpoint. */
struct status *
status_new(struct event_base *base, const char *listen, void (*refresh)(void *arg), void *arg,
    char *err, size_t errlen)
{
	struct status *s;
	char host[CONFIG_HOST_MAX];
	int port;

	if (!config_host_port(listen, true, host, sizeof(host), &port)) {
		snprintf(err, errlen, "[status] listen %s: not HOST:PORT", listen);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->http = evhttp_new(base);
	s->refresh = refresh;
	s->arg = arg;
	s->listen = xstrdup(listen);
	status_update(s, &(struct state){ .role = "starting", .epoch = -1 },
	    &(struct status_metrics){ 0 });
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(s->http, on_request, s);
	if (evhttp_bind_socket(s->http, host, (uint16_t)port) != 0) {
		snprintf(err, errlen, "[status] listen %s: cannot listen there (in use, or not "
		    "an address of this host?)", listen);
		status_free(s);
		return NULL;
	}
	log_info("status: listening on http://%s/", listen);
	return s;
}

void
status_free(struct status *s)
{
	if (s == NULL)
		return;
	evhttp_free(s->http);
	snapshot_free(&s->snap);
	free(s->listen);
	free(s);
}

const char *
status_listen(const struct status *s)
{
	return s->listen;
}

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

static void
snapshot_free(struct snapshot *sn)
{
	free(sn->role);
	free(sn->id);
	free(sn->leader_id);
	free(sn->leader_data);
	free(sn->znode);
	free(sn->zk_state);
	free(sn->health);
	free(sn->last_hook);
	free(sn->last_hook_status);
	free(sn->watchdog);
	free(sn->upgrade);
	free(sn->pause_reason);
	free(sn->pause_by);
	free(sn->pause_held);
	free(sn->switchover);
	free(sn->fence);
}

/* Replace the snapshot. */
void
status_update(struct status *s, const struct state *st, const struct status_metrics *m)
{
	struct snapshot *sn = &s->snap;
	char wd[320];

	snapshot_free(sn);
	sn->role = dup_or_empty(st->role);
	sn->id = dup_or_empty(st->id);
	sn->leader_id = dup_or_empty(st->leader_id);
	sn->leader_data = dup_or_empty(st->leader_data);
	sn->znode = dup_or_empty(st->znode);
	sn->zk_state = dup_or_empty(st->zk_state);
	sn->health = dup_or_empty(st->health);
	sn->last_hook = dup_or_empty(st->last_hook);
	sn->last_hook_status = dup_or_empty(st->last_hook_status);
	sn->watchdog = xstrdup(state_format_watchdog(st, wd, sizeof(wd)));
	sn->upgrade = dup_or_empty(st->upgrade);
	sn->paused = st->paused;
	sn->pause_reason = dup_or_empty(st->pause_reason);
	sn->pause_by = dup_or_empty(st->pause_by);
	sn->pause_held = dup_or_empty(st->pause_held);
	sn->pause_ends_ms = st->pause_ends_ms;
	sn->switchover = dup_or_empty(st->switchover);
	sn->fence = dup_or_empty(st->fence);
	sn->wd_state = st->watchdog;
	sn->wd_timeout_ms = st->watchdog != STATE_WD_OFF ? st->watchdog_timeout_ms : 0;
	sn->wd_last_kick_ms = st->watchdog_last_kick_ms;
	sn->image_started_ms = st->image_started_ms;
	sn->epoch = st->epoch;
	sn->session_id = st->session_id;
	sn->since = st->since;
	sn->updated = st->updated;
	sn->pid = st->pid;
	sn->transitions = st->transitions;
	sn->m = *m;
}

/* One request: read-only, answered from the snapshot. */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct status *s = arg;
	const struct snapshot *sn = &s->snap;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *b;

	if (path == NULL)
		path = "/";
	s->refresh(s->arg);
	if (strcmp(path, "/leader") != 0 && strcmp(path, "/follower") != 0 &&
	    strcmp(path, "/health") != 0 && strcmp(path, "/status") != 0 &&
	    strcmp(path, "/metrics") != 0) {
		b = evbuffer_new();
		evbuffer_add_printf(b, "not found: try /leader /follower /health /status /metrics\n");
		reply(req, 404, "text/plain; charset=utf-8", b);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		b = evbuffer_new();
		evbuffer_add_printf(b, "read-only: use GET\n");
		reply(req, 405, "text/plain; charset=utf-8", b);
		return;
	}
	if (strcmp(path, "/leader") == 0)
		reply_check(req, strcmp(sn->role, "leader") == 0, sn->role);
	else if (strcmp(path, "/follower") == 0)
		reply_check(req, strcmp(sn->role, "follower") == 0 && sn->m.healthy, sn->role);
	else if (strcmp(path, "/health") == 0)
		reply_check(req, sn->m.connected && sn->m.healthy,
		    !sn->m.connected ? "not connected" : sn->m.healthy ? "ok" : "unhealthy");
	else if (strcmp(path, "/status") == 0) {
		b = evbuffer_new();
		json_status(b, sn);
		reply(req, 200, "application/json", b);
	} else {
		b = evbuffer_new();
		metrics(b, sn);
		reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", b);
	}
}

/* Send CODE with BODY (freed). */
static void
reply(struct evhttp_request *req, int code, const char *type, struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evhttp_send_reply(req, code, code == 200 ? "OK" : code == 503 ? "Service Unavailable" :
	    code == 404 ? "Not Found" : "Method Not Allowed", body);
	evbuffer_free(body);
}

/* 200 or 503 with a one-word body, for HAProxy-style checks. */
static void
reply_check(struct evhttp_request *req, bool ok, const char *what)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "%s\n", what);
	reply(req, ok ? 200 : 503, "text/plain; charset=utf-8", b);
}

/*
 * S as a JSON string literal: quotes, backslashes and control bytes escaped;
 * a byte outside valid UTF-8 (escape_utf8_len) becomes U+FFFD, since JSON
 * text must be UTF-8 (RFC 8259).
 */
char *
status_json_string(const char *s)
{
	return escape_json(s, strlen(s));
}

static void
json_field(struct evbuffer *b, const char *key, const char *value, bool *first)
{
	char *v = status_json_string(value);

	evbuffer_add_printf(b, "%s\"%s\":%s", *first ? "{" : ",", key, v);
	*first = false;
	free(v);
}

static void
json_number(struct evbuffer *b, const char *key, int64_t value, bool known, bool *first)
{
	if (known)
		evbuffer_add_printf(b, "%s\"%s\":%" PRId64, *first ? "{" : ",", key, value);
	else
		evbuffer_add_printf(b, "%s\"%s\":null", *first ? "{" : ",", key);
	*first = false;
}

/* The state file's keys as one JSON object (lower-case keys). */
static void
json_status(struct evbuffer *b, const struct snapshot *sn)
{
	char sid[32];
	bool first = true;

	json_field(b, "role", sn->role, &first);
	json_field(b, "id", sn->id, &first);
	json_field(b, "leader_id", sn->leader_id, &first);
	json_field(b, "leader_data", sn->leader_data, &first);
	json_number(b, "epoch", sn->epoch, sn->epoch >= 0, &first);
	json_field(b, "znode", sn->znode, &first);
	json_field(b, "session_id", sn->session_id ?
	    state_format_session(sn->session_id, sid, sizeof(sid)) : "", &first);
	json_field(b, "zk_state", sn->zk_state, &first);
	json_field(b, "health", sn->health, &first);
	json_number(b, "pid", sn->pid, true, &first);
	json_number(b, "since", sn->since, true, &first);
	json_number(b, "updated", sn->updated, true, &first);
	json_number(b, "transitions", (int64_t)sn->transitions, true, &first);
	json_field(b, "last_hook", sn->last_hook, &first);
	json_field(b, "last_hook_status", sn->last_hook_status, &first);
	json_field(b, "watchdog", sn->watchdog, &first);
	json_number(b, "watchdog_timeout_ms", sn->wd_timeout_ms, sn->wd_timeout_ms > 0, &first);
	json_number(b, "watchdog_last_kick_ms", sn->wd_last_kick_ms, sn->wd_last_kick_ms > 0,
	    &first);
	json_number(b, "image_started_ms", sn->image_started_ms, sn->image_started_ms > 0, &first);
	json_field(b, "upgrade", sn->upgrade, &first);
	evbuffer_add_printf(b, ",\"paused\":%s", sn->paused ? "true" : "false");
	json_field(b, "pause_reason", sn->paused ? sn->pause_reason : "", &first);
	json_field(b, "pause_by", sn->paused ? sn->pause_by : "", &first);
	json_number(b, "pause_ends_ms", sn->pause_ends_ms, sn->paused, &first);
	json_field(b, "pause_held", sn->paused ? sn->pause_held : "", &first);
	json_field(b, "switchover", sn->switchover, &first);
	json_field(b, "fence", sn->fence, &first);
	evbuffer_add_printf(b, "}\n");
}

/* HELP and TYPE lines for NAME. */
static void
metric(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP zkelectd_%s %s\n# TYPE zkelectd_%s %s\n", name, help,
	    name, type);
}

/* Prometheus text format. */
static void
metrics(struct evbuffer *b, const struct snapshot *sn)
{
	const struct status_metrics *m = &sn->m;
	int64_t since_ms = clock_ms(CLOCK_REALTIME) - sn->wd_last_kick_ms;	/* the last kick's age */

	metric(b, "role", "gauge", "1 for the role this node is in, 0 for the others.");
	for (int i = 0; i < R_COUNT; i++)
		evbuffer_add_printf(b, "zkelectd_role{role=\"%s\"} %d\n",
		    name_of_role((enum role_name)i), strcmp(sn->role, name_of_role((enum role_name)i)) == 0);
	metric(b, "role_seconds", "gauge", "Seconds since the last role change.");
	evbuffer_add_printf(b, "zkelectd_role_seconds %" PRId64 "\n",
	    (int64_t)time(NULL) - sn->since);
	metric(b, "transitions_total", "counter", "Role changes since start.");
	evbuffer_add_printf(b, "zkelectd_transitions_total %lu\n", sn->transitions);
	metric(b, "leader_changes_total", "counter", "Times a different leader became known.");
	evbuffer_add_printf(b, "zkelectd_leader_changes_total %lu\n", m->leader_changes);
	metric(b, "epoch", "gauge", "The current leader's epoch (czxid), -1 when none is known.");
	evbuffer_add_printf(b, "zkelectd_epoch %" PRId64 "\n", sn->epoch);
	metric(b, "hook_runs_total", "counter", "Hook and health-check runs by hook and outcome.");
	for (int h = 0; h < HK_COUNT; h++)
		for (int o = 0; o < 2; o++)
			evbuffer_add_printf(b, "zkelectd_hook_runs_total{hook=\"%s\",outcome=\"%s\"} "
			    "%lu\n", name_of_hook((enum hook_kind)h), o ? "failed" : "ok", m->hook_runs[h][o]);
	metric(b, "hook_duration_seconds_total", "counter", "Time spent in runs, by hook.");
	for (int h = 0; h < HK_COUNT; h++)
		evbuffer_add_printf(b, "zkelectd_hook_duration_seconds_total{hook=\"%s\"} %.6f\n",
		    name_of_hook((enum hook_kind)h), m->hook_seconds[h]);
	metric(b, "zk_connected", "gauge", "1 while the ZooKeeper session is connected.");
	evbuffer_add_printf(b, "zkelectd_zk_connected %d\n", m->connected);
	metric(b, "session_expirations_total", "counter", "ZooKeeper sessions lost.");
	evbuffer_add_printf(b, "zkelectd_session_expirations_total %lu\n", m->expirations);
	metric(b, "connection_losses_total", "counter", "ZooKeeper connection losses.");
	evbuffer_add_printf(b, "zkelectd_connection_losses_total %lu\n", m->connection_losses);
	metric(b, "zk_requests_total", "counter", "Requests sent to ZooKeeper.");
	evbuffer_add_printf(b, "zkelectd_zk_requests_total %lu\n", m->zk_requests);
	metric(b, "healthy", "gauge", "1 when the health check passes (or none is configured).");
	evbuffer_add_printf(b, "zkelectd_healthy %d\n", m->healthy);
	metric(b, "health_checks_total", "counter", "Health-check results.");
	evbuffer_add_printf(b, "zkelectd_health_checks_total{result=\"ok\"} %lu\n",
	    m->hook_runs[HK_HEALTH][0]);
	evbuffer_add_printf(b, "zkelectd_health_checks_total{result=\"failed\"} %lu\n",
	    m->hook_runs[HK_HEALTH][1]);
	metric(b, "watchdog_armed", "gauge", "1 while the hardware watchdog is armed (leading).");
	evbuffer_add_printf(b, "zkelectd_watchdog_armed %d\n", sn->wd_state == STATE_WD_ARMED);
	metric(b, "watchdog_timeout_seconds", "gauge", "The watchdog's timeout: in force while "
	    "armed, else as configured; 0 when off.");
	evbuffer_add_printf(b, "zkelectd_watchdog_timeout_seconds %.3f\n",
	    (double)sn->wd_timeout_ms / 1000);
	metric(b, "watchdog_last_kick_seconds", "gauge", "Seconds since the watchdog was last "
	    "kicked, -1 when never.");
	evbuffer_add_printf(b, "zkelectd_watchdog_last_kick_seconds %.3f\n",
	    sn->wd_last_kick_ms <= 0 ? -1.0 : since_ms > 0 ? (double)since_ms / 1000 : 0.0);
	metric(b, "image_start_time_seconds", "gauge", "When this image of the daemon started "
	    "(Unix time; an upgrade in place starts a new one, same pid).");
	evbuffer_add_printf(b, "zkelectd_image_start_time_seconds %.3f\n",
	    (double)sn->image_started_ms / 1000);
	metric(b, "paused", "gauge", "1 while the cluster is paused, as this node sees it.");
	evbuffer_add_printf(b, "zkelectd_paused %d\n", sn->paused);
}

