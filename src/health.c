/* health: run the local service's check every interval and judge it (fall/rise). */
#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "health.h"
#include "hook.h"
#include "log.h"
#include "timer.h"
#include "xmalloc.h"

enum verdict { H_UNKNOWN, H_OK, H_FAILING };

struct health {
	struct event *ev_timer;
	struct command cmd;
	int64_t interval_ms, timeout_ms;
	const struct run_as *as;	/* the configuration's, kept in force by reloads */
	int fall, rise;
	health_change_fn *change;
	health_env_fn *env;
	void *arg;
	struct hook *running;
	enum verdict verdict;
	int streak;		/* consecutive results against the verdict */
	unsigned long ok_count, failed_count;
	double seconds;
};

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void run_done(void *arg, const struct hook_result *res);
static void judge(struct health *h, bool ok);
static void schedule(struct health *h, int64_t ms);
static void set_config(struct health *h, const struct config *cfg);

/* Start checking at once, then every interval. */
struct health *
health_new(struct event_base *base, const struct config *cfg, health_change_fn *change,
    health_env_fn *env, void *arg)
{
	struct health *h = xcalloc(1, sizeof(*h));

	h->ev_timer = evtimer_new(base, on_timer, h);
	h->change = change;
	h->env = env;
	h->arg = arg;
	set_config(h, cfg);
	schedule(h, 0);
	return h;
}

/* Copy what we need of CFG's [health]. */
static void
set_config(struct health *h, const struct config *cfg)
{
	command_free(&h->cmd);
	command_copy(&h->cmd, &cfg->health);
	h->interval_ms = cfg->health_interval_ms;
	h->as = cfg->run_as;
	h->timeout_ms = cfg->health_timeout_ms;
	h->fall = cfg->health_fall;
	h->rise = cfg->health_rise;
}

void
health_reconfigure(struct health *h, const struct config *cfg)
{
	set_config(h, cfg);
	if (h->running == NULL)
		schedule(h, h->interval_ms);
}

void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	if (h->running != NULL) {
		hook_detach(h->running);	/* its end must not find us */
		hook_kill(h->running);
	}
	event_free(h->ev_timer);
	command_free(&h->cmd);
	free(h);
}

/* Run the check again in MS. */
static void
schedule(struct health *h, int64_t ms)
{
	timer_after(h->ev_timer, ms);
}

/* Time for a check (never two at once: the next is scheduled when one ends). */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	char **argv, **envp;

	(void)fd;
	(void)what;
	if (h->running != NULL)
		return;
	argv = command_argv(&h->cmd, "health");
	envp = h->env(h->arg);
	h->running = hook_run("health", argv, envp, h->timeout_ms, h->as, run_done, h);
	hook_quiet(h->running);
	strv_free(argv);
	strv_free(envp);
}

/* A check ended: judge it, then schedule the next one. */
static void
run_done(void *arg, const struct hook_result *res)
{
	struct health *h = arg;

	h->running = NULL;
	h->seconds += (double)res->duration_ms / 1000;
	if (res->ok)
		h->ok_count++;
	else
		h->failed_count++;
	judge(h, res->ok);
	schedule(h, h->interval_ms);
}

/* Fall and rise: change the verdict after enough results against it. */
static void
judge(struct health *h, bool ok)
{
	enum verdict was = h->verdict;

	if (h->verdict == H_UNKNOWN) {
		/* at start one success is enough; failures count towards fall */
		if (ok)
			h->verdict = H_OK;
		else if (++h->streak >= h->fall)
			h->verdict = H_FAILING;
	} else if ((h->verdict == H_OK) == ok) {
		h->streak = 0;
	} else if (++h->streak >= (ok ? h->rise : h->fall)) {
		h->verdict = ok ? H_OK : H_FAILING;
	}
	if (h->verdict == was)
		return;
	h->streak = 0;
	if (h->verdict == H_OK)
		log_notice("health: the check passes: healthy");
	else
		log_warnx("health: the check failed %d times in a row: unhealthy", h->fall);
	h->change(h->arg, h->verdict == H_OK);
}

const char *
health_state(const struct health *h)
{
	return h->verdict == H_OK ? "ok" : h->verdict == H_FAILING ? "failing" : "unknown";
}

double
health_seconds(const struct health *h)
{
	return h->seconds;
}

unsigned long
health_checks(const struct health *h, bool ok)
{
	return ok ? h->ok_count : h->failed_count;
}

