/*
 * role: the node's role state machine. It takes what the election reports and
 * decides which hook runs when: promote, demote and follow, one at a time,
 * promote and demote strictly alternating. It owns the configuration in force,
 * the election, the state file and what systemd is told.
 */
#ifndef ZKELECT_ROLE_H
#define ZKELECT_ROLE_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct config;
struct role;

/*
 * Create the role machine with CFG (owned from now on). Nothing runs yet.
 * STOPPED(ARG, status) is called once everything is down after a stop (a
 * signal, or a fatal condition such as rejected credentials: status 1).
 * NULL with a message in ERR when the [status] endpoint cannot listen.
 */
struct role *role_new(struct event_base *base, struct config *cfg,
    void (*stopped)(void *arg, int status), void *arg, char *err, size_t errlen);
void role_free(struct role *r);

/* Start: the start-up demote (if configured), then join the election. */
void role_start(struct role *r);
/* Graceful stop: a leader demotes first, then leaves, then closes the session. */
void role_shutdown(struct role *r, int status);
/* Resign (SIGUSR1): a leader demotes and re-queues at the back; a follower re-queues. */
void role_resign(struct role *r);
/*
 * Upgrade in place (SIGUSR2): once no hook runs, save the session with what is
 * done (session file) and call EXEC, which executes the binary again in this
 * process and returns only when that failed (ERR says why); this image then
 * goes on. The new image resumes the session and runs no hook (rule 22).
 */
void role_upgrade(struct role *r);
void role_set_upgrade(struct role *r, bool (*exec)(void *arg, char *err, size_t errlen),
    void *arg);
/* Reload with NEWCFG (owned from now on; already validated). */
void role_reload(struct role *r, struct config *newcfg);

#endif
