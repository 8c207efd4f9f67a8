/*
 * role_watchdog: the hardware watchdog while this node leads (rule 23,
 * docs/watchdog.md). Armed before the promote hook starts, kicked from the
 * loop only while the session is within the deadline that would demote a
 * leader (a kick proves both that the loop runs and that the leader may still
 * lead), disarmed with the magic close once the demote hook has ended. A crash
 * leaves it armed on purpose: a resumed daemon reopens it in time, or the
 * kernel resets the host before ZooKeeper can elect another node.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "election.h"
#include "log.h"
#include "role_int.h"
#include "timer.h"
#include "watchdog.h"

#define KICK_MIN_MS 10

static int64_t limit_ms(const struct role *r);
static void kick(struct role *r);

/*
 * The longest timeout that still resets the host before the session can
 * expire: a third of the session timeout the server granted, less the grace.
 */
static int64_t
limit_ms(const struct role *r)
{
	struct zk_client c;
	int64_t t = r->cfg->session_timeout_ms;

	if (r->el != NULL && election_client(r->el, &c) && c.timeout_ms > 0)
		t = c.timeout_ms;
	return t / 3 - r->cfg->disconnect_grace_ms;
}

/*
 * Open and arm the device before leading. False only when the watchdog is
 * required and cannot be armed (r->wd_problem says why): do not lead.
 */
bool
role_watchdog_arm(struct role *r)
{
	const struct config *c = r->cfg;
	char err[256];

	if (c->wd_mode == WATCHDOG_OFF || r->wd != NULL)
		return true;
	r->wd = watchdog_open(c->wd_device, c->wd_timeout_ms, err, sizeof(err));
	if (r->wd != NULL && watchdog_timeout_ms(r->wd) > limit_ms(r)) {
		snprintf(err, sizeof(err), "watchdog %s: its timeout is %" PRId64 " ms, above the "
		    "%" PRId64 " ms that reset the host before the session can expire",
		    c->wd_device, watchdog_timeout_ms(r->wd), limit_ms(r));
		if (watchdog_close_disarm(r->wd) == -1)
			log_warn("watchdog %s: cannot disarm it", c->wd_device);
		r->wd = NULL;
	}
	if (r->wd == NULL) {
		snprintf(r->wd_problem, sizeof(r->wd_problem), "%s", err);
		r->wd_failures++;
		if (c->wd_mode == WATCHDOG_REQUIRED)
			return false;
		log_warnx("%s; leading without it (watchdog mode = automatic)", err);
		return true;
	}
	r->wd_failures = 0;
	r->wd_problem[0] = '\0';
	r->wd_missed = false;
	if (!watchdog_controls(r->wd))
		log_warnx("watchdog %s answers no timeout controls (not a watchdog driver?): "
		    "taking its timeout to be %" PRId64 " ms", c->wd_device, c->wd_timeout_ms);
	log_notice("watchdog %s armed (timeout %" PRId64 " ms)", c->wd_device,
	    watchdog_timeout_ms(r->wd));
	kick(r);
	return true;
}

/* The demote has ended: the magic close. */
void
role_watchdog_disarm(struct role *r)
{
	if (r->wd == NULL)
		return;
	evtimer_del(r->ev_kick);
	if (watchdog_close_disarm(r->wd) == -1)
		log_warn("watchdog %s: the magic close failed: it stays armed and the host will "
		    "be reset", r->cfg->wd_device);
	else
		log_notice("watchdog %s disarmed", r->cfg->wd_device);
	r->wd = NULL;
}

/* Close it without disarming (before executing a new image, or at exit): it stays armed. */
void
role_watchdog_release(struct role *r)
{
	if (r->wd == NULL)
		return;
	evtimer_del(r->ev_kick);
	watchdog_close_armed(r->wd);
	r->wd = NULL;
	log_notice("watchdog %s left armed", r->cfg->wd_device);
}

/* Kick if the session is within its deadline; then the next kick. */
static void
kick(struct role *r)
{
	int64_t every = watchdog_timeout_ms(r->wd) / 4;

	if (!election_entitled(r->el)) {
		if (!r->wd_missed)
			log_warnx("watchdog: not kicking: the session is past its deadline (the "
			    "host is reset unless it answers in time)");
		r->wd_missed = true;
	} else if (watchdog_kick(r->wd) == -1) {
		log_warn("watchdog %s: kick failed", r->cfg->wd_device);
	} else {
		r->wd_missed = false;
		r->wd_last_kick = clock_ms(CLOCK_REALTIME);
	}
	timer_after(r->ev_kick, every > KICK_MIN_MS ? every : KICK_MIN_MS);
}

void
role_on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	if (r->wd != NULL)
		kick(r);
}

/* At start: whether the last boot was a watchdog reset (read without arming it). */
void
role_watchdog_boot_report(const struct role *r)
{
	char buf[256];

	if (r->cfg->wd_mode == WATCHDOG_OFF)
		return;
	if (watchdog_boot_status(r->cfg->wd_device, buf, sizeof(buf)) == 1)
		log_warnx("watchdog %s: %s", r->cfg->wd_device, buf);
	else
		log_info("watchdog %s: %s", r->cfg->wd_device, buf);
}

