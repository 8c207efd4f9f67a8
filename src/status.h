/*
 * status: the optional, read-only HTTP status endpoint ([status] listen), on
 * libevent's evhttp. The role layer pushes a snapshot after every change;
 * requests are answered from that snapshot:
 *   GET /leader    200 when this node leads, else 503
 *   GET /follower  200 when its role is follower and it is healthy, else 503
 *   GET /health    200 when connected and healthy (or no check), else 503
 *   GET /status    the state file's keys as one JSON object
 *   GET /metrics   Prometheus text format, every metric prefixed zkelectd_
 * Other paths 404, other methods 405.
 */
#ifndef ZKELECT_STATUS_H
#define ZKELECT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"

struct event_base;
struct state;
struct status;


struct status_metrics {
	bool connected;
	bool healthy;		/* or no check configured */
	unsigned long leader_changes;
	unsigned long hook_runs[HK_COUNT][2];	/* [hook kind][0: ok, 1: failed] */
	double hook_seconds[HK_COUNT];
	unsigned long expirations, connection_losses;
	unsigned long zk_requests;
};

/*
 * Listen on LISTEN ("HOST:PORT", "[V6]:PORT"); NULL with a message in ERR on
 * failure. REFRESH(ARG) is called before each answer, to push a fresh snapshot.
 */
struct status *status_new(struct event_base *base, const char *listen,
    void (*refresh)(void *arg), void *arg, char *err, size_t errlen);
void status_free(struct status *s);
/* The listen address in use. */
const char *status_listen(const struct status *s);
/* Replace the snapshot (copied). */
void status_update(struct status *s, const struct state *st, const struct status_metrics *m);

/* For tests and the fuzzer: S as a JSON string literal (quotes included), malloc'd. */
char *status_json_string(const char *s);

#endif
