/*
 * role_priority: [election] priority and failback (docs/operations.md).
 *
 * Each contender publishes its priority in its znode's data. A node just
 * elected (not one that resumed, nor a switchover's or a forced target) reads
 * the line before it promotes: if a contender in line has a higher priority,
 * it yields: it leaves and queues again at the back without running a hook,
 * and the next in line decides the same way, so after a failover the
 * highest-priority candidate in line leads (in line means alive and healthy:
 * an unhealthy node has withdrawn). Priority 0 never leads: it yields to any
 * other candidate, and alone it waits, first in line, without promoting.
 *
 * The listing that elected a node is the line it decides on, and the node
 * next in line keeps the priorities of the line known ahead (line.h), so a
 * node elected decides without another round trip in the common case.
 *
 * failback = yes: a leader that sees a higher-priority contender in line for
 * failback_delay (its own clock, rule 24) asks for a switchover to it, which
 * then goes the way of rule 25.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "control.h"
#include "election.h"
#include "log.h"
#include "role_int.h"
#include "switchover.h"
#include "timer.h"

static void decide(struct role *r, const struct line_entry *line, size_t n, int best);
static void yield(struct role *r, const struct line_entry *to);
static void failback_check(struct role *r, const struct line_entry *line, size_t n, int best);
static const char *own_name(const struct role *r);

/*
 * Just elected: read the line before promoting, unless this election needs no
 * check. The listing that elected us is the line; a leader with failback, and
 * a node of priority 0, which waits for a candidate, keep watching it.
 */
void
role_priority_elected(struct role *r)
{
	struct line *l = control_line(r->ctl);
	char *const *listed;
	int n;

	line_prefetch(l, false);
	/* not for a node whose service is primary already (elected again, held by a pause) */
	r->prio_pending = !r->resumed && !r->switch_target && !r->forced && !r->promoted;
	if (!r->prio_pending && !r->cfg->failback)
		return;
	if (r->cfg->priority == 0 || r->cfg->failback) {
		line_read(l, true);
	} else {
		listed = election_listing(r->el, &n);
		line_read_listed(l, listed, n);	/* may decide before it returns */
	}
}

/*
 * The election listed, or the leader changed: the node next in line (its
 * predecessor is the leader's znode) keeps the line's priorities known ahead.
 */
void
role_priority_queued(struct role *r)
{
	const char *pred = r->el != NULL ? election_predecessor(r->el) : NULL;

	if (r->ctl == NULL)
		return;
	line_prefetch(control_line(r->ctl), pred != NULL && r->leader_znode != NULL &&
	    strcmp(pred, r->leader_znode) == 0);
}

/* The line with its priorities, in election order. */
void
role_on_line(void *arg, const struct line_entry *line, size_t n)
{
	struct role *r = arg;
	const char *own = own_name(r);
	int best = -1;

	for (size_t i = 0; i < n; i++) {	/* the highest, the first of equals */
		if (own != NULL && strcmp(line[i].name, own) == 0)
			continue;
		if (best < 0 || line[i].priority > line[best].priority)
			best = (int)i;
	}
	if (r->elected && !r->promoted && r->prio_pending)
		decide(r, line, n, best);
	else if (r->elected && r->promoted)
		failback_check(r, line, n, best);
}

/* Elected, not promoted yet: lead, or yield to BEST (the highest other contender). */
static void
decide(struct role *r, const struct line_entry *line, size_t n, int best)
{
	int mine = r->cfg->priority;

	(void)n;
	if (best >= 0 && line[best].priority > mine &&
	    (mine > 0 || line[best].priority > 0)) {
		yield(r, &line[best]);
		return;
	}
	if (mine == 0) {
		if (!r->prio_alone_said)
			log_notice("role: priority 0: not leading, and no other candidate in line; "
			    "waiting first in line for one");
		r->prio_alone_said = true;
		return;	/* the line's watch tells when one comes */
	}
	r->prio_pending = false;
	if (!r->cfg->failback)
		line_stop(control_line(r->ctl));
	role_reconcile(r);
}

/* Give way to TO: leave and queue again at the back, no hook (we did not promote). */
static void
yield(struct role *r, const struct line_entry *to)
{
	log_notice("role: yielding to %s (priority %d, ours %d): not promoting; queueing again",
	    to->id, to->priority, r->cfg->priority);
	r->prio_pending = false;
	r->prio_alone_said = false;
	r->elected = false;
	if (!r->demoted_once && r->started)
		r->startup_demote_due = true;	/* elected at once, no demote yet: one is due */
	line_stop(control_line(r->ctl));
	evtimer_del(r->ev_backoff);
	role_leave_then(r, THEN_REJOIN);
	role_write_state(r);
	role_reconcile(r);
}

/* True while a just-elected node has not finished its priority check. */
bool
role_priority_blocked(const struct role *r)
{
	return r->prio_pending;
}

/*
 * Leading with failback = yes: time how long a higher-priority contender has
 * been in line; a change of who it is starts the clock again.
 */
static void
failback_check(struct role *r, const struct line_entry *line, size_t n, int best)
{
	char d[32];

	(void)n;
	if (!r->cfg->failback || best < 0 || line[best].priority <= r->cfg->priority) {
		if (r->failback_to[0] != '\0')
			log_info("failback: no higher-priority contender in line any more");
		r->failback_to[0] = '\0';
		evtimer_del(r->ev_failback);
		return;
	}
	if (strcmp(r->failback_to, line[best].name) == 0)
		return;	/* timing it already */
	snprintf(r->failback_to, sizeof(r->failback_to), "%s", line[best].name);
	snprintf(r->failback_id, sizeof(r->failback_id), "%s", line[best].id);
	config_format_duration(r->cfg->failback_delay_ms, d, sizeof(d));
	log_notice("failback: %s (priority %d, ours %d) is in line: switching over to it if it "
	    "stays %s", line[best].id, line[best].priority, r->cfg->priority, d);
	timer_after(r->ev_failback, r->cfg->failback_delay_ms);
}

/* The failback delay is over: ask for the switchover, as an operator would. */
void
role_on_failback(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;
	struct switchover req;

	(void)fd;
	(void)what;
	if (!r->cfg->failback || !r->elected || !r->promoted || r->stopping || r->leaving ||
	    r->failback_to[0] == '\0') {
		r->failback_to[0] = '\0';	/* the next line report starts it again */
		return;
	}
	if (role_paused(r)) {	/* nothing moves while paused: ask again later */
		timer_after(r->ev_failback, r->cfg->failback_delay_ms);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.state = SW_REQUESTED;
	snprintf(req.to, sizeof(req.to), "%s", r->failback_id);
	snprintf(req.from, sizeof(req.from), "%s", r->cfg->id);
	req.epoch = r->leader_epoch;
	req.wait_ms = SWITCHOVER_WAIT_DEFAULT_MS;
	snprintf(req.by, sizeof(req.by), "%s (failback)", r->cfg->id);
	log_notice("failback: asking for a switchover to %s", req.to);
	r->failback_to[0] = '\0';
	control_switchover_create(r->ctl, &req);
}

/* Our znode's name (without the path), or NULL. */
static const char *
own_name(const struct role *r)
{
	const char *z = r->el != NULL ? election_znode(r->el) : NULL;
	const char *s = z != NULL ? strrchr(z, '/') : NULL;

	return s != NULL ? s + 1 : z;
}
