/*
 * role_fence: fence the last leader before this node promotes (rule 26;
 * docs/fencing.md has the story and the safety argument).
 *
 * The breadcrumb (breadcrumb.h) names the node whose service may be primary;
 * a node that demoted well removed it before its znode went. So, elected and
 * about to promote, a breadcrumb naming another node with an older epoch means
 * that node never said its demote ended well: it crashed, was cut off, lost its
 * session, or its demote failed. With a [hooks] fence command:
 *   1. the fence hook runs (fence_timeout; stopped if leadership is lost), with
 *      the old leader's id, data, epoch, session and how it left;
 *   2. it succeeded (or failed with on_fence_failure = promote): this node
 *      replaces the breadcrumb with its own, a compare-and-set on the version
 *      it read, and promotes only once a read shows the breadcrumb naming it.
 *      Of two would-be leaders that fenced the same node, one wins; the other
 *      reads a newer epoch than its own and queues again;
 *   3. it failed (on_fence_failure = resign): the failure is counted in the
 *      breadcrumb, so the next node's attempt is one more; this node logs it
 *      at error level and leaves, queueing again after promote_backoff, so the
 *      next in line tries. Every failure is counted in /metrics.
 * Nothing here waits on the loop: the hook runs as any other, and the state
 * file says "fencing NODE (attempt N)" while it does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "hook.h"
#include "log.h"
#include "role_int.h"
#include "xmalloc.h"

static bool fenced(const struct role *r, const struct primary_record *rec);
static void claim(struct role *r);
static void stale(struct role *r, const struct primary_record *rec);
static void unfenced(struct role *r, const struct primary_record *rec);
static void start_fence(struct role *r, const struct primary_record *rec);
static char **fence_env(struct role *r, const struct primary_record *rec, int64_t attempt);
static void fence_ended(void *arg, const struct hook_result *res);
static void fence_failed(struct role *r, const struct hook_result *res);
static void mark_fenced(struct role *r);

/* Elected, before the promote: true when it must wait (a fence runs, or the claim). */
bool
role_fence_blocks(struct role *r)
{
	struct primary_record rec;

	if (r->ctl == NULL || r->resumed)
		return false;	/* a resumed leader: the breadcrumb is its own */
	switch (control_primary(r->ctl, &rec)) {
	case CONTROL_UNKNOWN:
		return true;	/* being read (again): nobody knows yet */
	case CONTROL_NONE:
		return false;	/* the last leader left clean, or there was none */
	default:
		break;
	}
	if (strcmp(rec.id, r->cfg->id) == 0)
		return false;	/* ours: our claim, or an earlier life of ours (role_pause.c) */
	if (rec.epoch >= r->leader_epoch) {
		stale(r, &rec);
		return true;
	}
	if (r->cfg->fence.argv == NULL) {
		unfenced(r, &rec);
		return false;
	}
	if (fenced(r, &rec))
		claim(r);
	else
		start_fence(r, &rec);
	return true;
}

/* The breadcrumb was read: a claim sent before is answered by it. */
void
role_fence_read(struct role *r)
{
	r->claim_sent = false;
}

/* REC's node was fenced (or given up on) by us, in this election of ours. */
static bool
fenced(const struct role *r, const struct primary_record *rec)
{
	return r->fenced_for == r->leader_epoch && r->fenced_epoch == rec->epoch &&
	    strcmp(r->fenced_id, rec->id) == 0;
}

/* Replace the breadcrumb with ours (compare-and-set); the next read says who won. */
static void
claim(struct role *r)
{
	struct primary_record own;

	if (r->claim_sent)
		return;
	r->claim_sent = true;
	role_breadcrumb_own(r, r->pause.paused, &own);
	log_info("fence: claiming the breadcrumb (compare-and-set on the version read)");
	control_primary_write(r->ctl, &own);
}

/* A newer leader than us has claimed the breadcrumb: our election is stale. */
static void
stale(struct role *r, const struct primary_record *rec)
{
	log_warnx("fence: %s (epoch %" PRId64 ") has claimed the breadcrumb, a newer epoch than "
	    "ours (%" PRId64 "): not promoting; queueing again", rec->id, rec->epoch,
	    r->leader_epoch);
	r->fence_text[0] = '\0';
	role_give_up(r, THEN_REJOIN);
}

/* No fence configured: promote as before, once saying what was not done. */
static void
unfenced(struct role *r, const struct primary_record *rec)
{
	if (r->unfenced_said)
		return;
	r->unfenced_said = true;
	log_warnx("fence: %s (epoch %" PRId64 ") left without saying its demote ended well "
	    "(%s); no [hooks] fence is configured, promoting", rec->id, rec->epoch,
	    primary_how(rec));
}

/* Run the fence hook against REC's node. */
static void
start_fence(struct role *r, const struct primary_record *rec)
{
	int64_t attempt = rec->fence_failures + 1;
	char **argv, **envp;

	r->fence_target = *rec;
	snprintf(r->fence_text, sizeof(r->fence_text), "fencing %s (attempt %" PRId64 ")",
	    rec->id, attempt);
	log_warnx("fence: %s (epoch %" PRId64 ") left without saying its demote ended well (%s): "
	    "fencing it before promoting (attempt %" PRId64 ")", rec->id, rec->epoch,
	    primary_how(rec), attempt);
	argv = command_argv(&r->cfg->fence, name_of_hook(HK_FENCE));
	envp = fence_env(r, rec, attempt);
	role_hook_start(r, HK_FENCE, argv, envp, r->cfg->fence_timeout_ms, fence_ended);
	strv_free(argv);
	strv_free(envp);
}

/* The fence hook's environment: the hooks' one, and the old leader's ZKELECT_FENCE_*. */
static char **
fence_env(struct role *r, const struct primary_record *rec, int64_t attempt)
{
	char *extra[8];
	char **envp;
	int n = 0;

	extra[n++] = xasprintf("ZKELECT_FENCE_ID=%s", rec->id);
	extra[n++] = xasprintf("ZKELECT_FENCE_DATA=%s", rec->data);
	extra[n++] = xasprintf("ZKELECT_FENCE_EPOCH=%" PRId64, rec->epoch);
	extra[n++] = xasprintf("ZKELECT_FENCE_SESSION=%s", rec->session);
	extra[n++] = xasprintf("ZKELECT_FENCE_HOW=%s", primary_how(rec));
	extra[n++] = xasprintf("ZKELECT_FENCE_PAUSED=%d", rec->paused ? 1 : 0);
	extra[n++] = xasprintf("ZKELECT_FENCE_ATTEMPT=%" PRId64, attempt);
	extra[n] = NULL;
	envp = role_hook_env(r, HK_FENCE, role_promote_reason(r), R_LEADER, extra);
	while (n > 0)
		free(extra[--n]);
	return envp;
}

/* The fence hook ended. */
static void
fence_ended(void *arg, const struct hook_result *res)
{
	struct role *r = arg;
	bool ended = r->running_ended;

	(void)role_hook_ended(r, res);
	if (ended || !r->elected || r->stopping) {
		r->fence_text[0] = '\0';
		log_notice("fence: stopped (%s); the next leader decides again", res->status);
	} else if (res->ok) {
		log_notice("fence: %s (epoch %" PRId64 ") fenced", r->fence_target.id,
		    r->fence_target.epoch);
		snprintf(r->fence_text, sizeof(r->fence_text), "fenced %s; claiming the breadcrumb",
		    r->fence_target.id);
		mark_fenced(r);
	} else {
		fence_failed(r, res);
	}
	role_write_state(r);
	role_reconcile(r);
}

/* The fence failed: count it, then resign or promote as configured. */
static void
fence_failed(struct role *r, const struct hook_result *res)
{
	struct primary_record *t = &r->fence_target;
	int64_t attempt = t->fence_failures + 1;

	if (r->cfg->on_fence_failure == FENCE_FAILURE_PROMOTE) {
		log_errorx("fence: fencing %s (epoch %" PRId64 ", attempt %" PRId64 ") failed (%s); "
		    "promoting anyway (on_fence_failure = promote)", t->id, t->epoch, attempt,
		    res->status);
		snprintf(r->fence_text, sizeof(r->fence_text), "fencing %s (attempt %" PRId64
		    ") failed: %s; promoting anyway", t->id, attempt, res->status);
		mark_fenced(r);
		return;
	}
	log_errorx("fence: fencing %s (epoch %" PRId64 ", attempt %" PRId64 ") failed (%s); "
	    "not promoting: leaving the election for %" PRId64 " ms so another node can try "
	    "(on_fence_failure = resign)", t->id, t->epoch, attempt, res->status,
	    r->cfg->promote_backoff_ms);
	snprintf(r->fence_text, sizeof(r->fence_text), "fencing %s (attempt %" PRId64
	    ") failed: %s; queueing again", t->id, attempt, res->status);
	t->fence_failures = attempt;	/* the next node's attempt is one more */
	control_primary_write(r->ctl, t);
	role_give_up(r, THEN_BACKOFF);
}

/* The fence target is dealt with in this election: the breadcrumb may be claimed. */
static void
mark_fenced(struct role *r)
{
	snprintf(r->fenced_id, sizeof(r->fenced_id), "%s", r->fence_target.id);
	r->fenced_epoch = r->fence_target.epoch;
	r->fenced_for = r->leader_epoch;
	r->claim_sent = false;
}
