/*
 * health: the local service's own check ([health] command), run every
 * interval through the hook runner (own process group, timeout, output
 * logged), never overlapping itself and never in the way of a hook. It
 * judges: fall consecutive failures make the node unhealthy, rise consecutive
 * successes healthy again (at start one success is enough).
 */
#ifndef ZKELECT_HEALTH_H
#define ZKELECT_HEALTH_H

#include <stdbool.h>

struct event_base;
struct config;
struct health;

/* HEALTHY is the new judgement; called only when it changes (the first included). */
typedef void health_change_fn(void *arg, bool healthy);
/* The environment for a run (NULL-terminated, malloc'd; freed by health). */
typedef char **health_env_fn(void *arg);

/* Start checking as CFG's [health] says (CFG must have one). */
struct health *health_new(struct event_base *base, const struct config *cfg,
    health_change_fn *change, health_env_fn *env, void *arg);
/* Apply a reloaded [health] at once (the judgement so far is kept). */
void health_reconfigure(struct health *h, const struct config *cfg);
void health_free(struct health *h);

/* "unknown" before the first judgement, then "ok" or "failing". */
const char *health_state(const struct health *h);
unsigned long health_checks(const struct health *h, bool ok);
/* Seconds spent in checks so far. */
double health_seconds(const struct health *h);

#endif
