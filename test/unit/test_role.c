/*
 * Unit tests of the role module (role*.c) on fake_election.c and fake_hook.c:
 * each test reports what an election would, ends each hook run as it chooses,
 * and asserts the hooks the role machine asks for (with their reasons), the
 * joins and leaves it asks of the election, and what its state file says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "fake_control.h"
#include "fake_election.h"
#include "fake_hook.h"
#include "log.h"
#include "pause.h"
#include "role.h"
#include "session.h"
#include "xmalloc.h"

/* One role machine under test. */
struct t {
	struct event_base *base;
	struct role *r;
	char dir[64];
	char state[128];
	int stopped;
};

static const char *const base_conf =
    "[zookeeper]\nhosts = 127.0.0.1:1\nsession_timeout = 3s\n"
    "[election]\npath = /e\nid = me\n"
    "[hooks]\npromote = /bin/true\ndemote = /bin/true\nfollow = /bin/true\n"
    "demote_timeout = 1s\n";

static void
on_stopped(void *arg, int status)
{
	struct t *t = arg;

	(void)status;
	t->stopped++;
}

static struct t *start_saved(const char *extra, const struct saved_session *saved);
/* A pause file to write before the next start (NULL: none). */
static const struct pause_view *pause_at_start;

/* Start a role machine on BASE_CONF plus EXTRA (a [daemon] section is added). */
static struct t *
start(const char *extra)
{
	return start_saved(extra, NULL);
}

/* A session file as a previous process of "me" left it (HANDOVER: an upgrade's). */
static void
saved_session(struct saved_session *s, int64_t id, bool handover, bool promoted)
{
	memset(s, 0, sizeof(*s));
	s->client.id = id;
	s->client.timeout_ms = 300;	/* the resume waits 100 ms for an answer */
	s->path = (char *)(uintptr_t)"/e";
	s->id = (char *)(uintptr_t)"me";
	s->hosts = (char *)(uintptr_t)"127.0.0.1:1";
	s->guid = (char *)(uintptr_t)"0123456789abcdef0123456789abcdef";
	s->znode = (char *)(uintptr_t)"/e/n_0123456789abcdef0123456789abcdef_me-0000000009";
	s->handover = handover;
	s->promoted = promoted;
	s->leader_epoch = -1;
}

/* The session file path of T. */
static const char *
session_path(struct t *t)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s.session", t->state);
	return path;
}

/* Start as start_saved does, with a pause file of this boot: paused for 10 minutes. */
static struct t *
start_paused(const struct saved_session *saved)
{
	struct pause_view v;
	struct t *t;

	memset(&v, 0, sizeof(v));
	v.paused = true;
	v.until_ms = clock_ms(CLOCK_BOOTTIME) + 600000;
	v.mzxid = 7;
	v.rec.for_ms = 600000;
	snprintf(v.rec.reason, sizeof(v.rec.reason), "upgrade");
	pause_at_start = &v;
	t = start_saved("", saved);
	pause_at_start = NULL;
	return t;
}

/* Start as start() does, with SAVED in the session file first (NULL: none). */
static struct t *
start_saved(const char *extra, const struct saved_session *saved)
{
	struct t *t = xcalloc(1, sizeof(*t));
	struct config_error *errors;
	struct config *cfg;
	char path[128], err[256];
	FILE *f;

	snprintf(t->dir, sizeof(t->dir), "/tmp/test_role.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->state, sizeof(t->state), "%s/state", t->dir);
	snprintf(path, sizeof(path), "%s/zkelectd.conf", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s%s[daemon]\npid_file = %s/pid\nstate_file = %s\n", base_conf, extra,
	    t->dir, t->state);
	assert_int_equal(fclose(f), 0);
	cfg = config_load(path, 0, &errors);
	if (cfg == NULL)
		fail_msg("config: %s", errors->text);
	if (saved != NULL)
		assert_int_equal(session_save(session_path(t), saved, err, sizeof(err)), 0);
	if (pause_at_start != NULL) {
		char pause[160];

		snprintf(pause, sizeof(pause), "%s.pause", t->state);
		assert_int_equal(pause_save(pause, pause_at_start, err, sizeof(err)), 0);
	}
	fe_reset();
	fh_reset();
	fc_reset();
	t->base = event_base_new();
	t->r = role_new(t->base, cfg, on_stopped, t, err, sizeof(err));
	assert_non_null(t->r);
	role_start(t->r);
	return t;
}

static int
teardown(void **state)
{
	struct t *t = *state;
	char path[128], pause[160];

	role_free(t->r);
	event_base_free(t->base);
	fh_reset();
	snprintf(path, sizeof(path), "%s/zkelectd.conf", t->dir);
	unlink(path);
	unlink(t->state);
	unlink(session_path(t));
	snprintf(pause, sizeof(pause), "%s.pause", t->state);
	unlink(pause);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* True when the state file says KEY='VALUE'. */
static bool
state_has(struct t *t, const char *key, const char *value)
{
	char line[256], want[256];
	FILE *f = fopen(t->state, "r");
	bool found = false;

	assert_non_null(f);
	snprintf(want, sizeof(want), "%s='%s'\n", key, value);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strcmp(line, want) == 0)
			found = true;
	(void)fclose(f);
	return found;
}

/* The state file says KEY='VALUE'. */
static void
state_says(struct t *t, const char *key, const char *value)
{
	if (!state_has(t, key, value))
		fail_msg("the state file does not say %s='%s'", key, value);
}

/* Turn the loop, once at a time, until DONE(T); fail after 20 turns (WHAT never came). */
static void
turn_until(struct t *t, bool (*done)(struct t *), const char *what)
{
	for (int turns = 0; !done(t); turns++) {
		if (turns == 20)
			fail_msg("%s: not after 20 turns of the loop", what);
		event_base_loop(t->base, EVLOOP_ONCE);
	}
}

/* End the running hook EVENT with STATUS; fail when none runs. */
static struct hook *
running(const char *event)
{
	struct hook *h = fh_running(event);

	if (h == NULL)
		fail_msg("no %s hook runs; asked so far: %s", event, fh_story());
	return h;
}

static void
end(const char *event, int status)
{
	fh_end(running(event), status);
}

/* Joined and elected at once (epoch 5), promote ended: the node leads. */
static void
lead(void)
{
	fe_joined();
	fe_elected(5);
	end("promote", 0);
}

/* --- the tests --- */

/* Elected at the first listing: no start-up demote, promote at once (docs/startup.md). */
static void
test_start_elected_at_once(void **state)
{
	struct t *t = start("");

	*state = t;
	assert_int_equal(fe.created, 1);
	assert_int_equal(fe.joins, 1);	/* joined first */
	assert_string_equal(fh_story(), "");
	fe_joined();
	fe_elected(5);
	assert_string_equal(fh_story(), "promote(elected) ");
	assert_string_equal(fh_env(running("promote"), "ZKELECT_EPOCH"), "5");
	assert_string_equal(fh_env(running("promote"), "ZKELECT_PREVIOUS_ROLE"), "follower");
	end("promote", 0);
	state_says(t, "ROLE", "leader");
	state_says(t, "EPOCH", "5");
}

/* Behind another contender: the start-up demote at once, then the follow. */
static void
test_start_behind_demotes(void **state)
{
	struct t *t = start("");

	*state = t;
	fe_joined();
	fe_behind();
	assert_string_equal(fh_story(), "demote(startup) ");
	fe_leader("n2", 4);	/* learned while the demote runs: followed after it */
	assert_null(fh_running("follow"));
	end("demote", 0);
	assert_string_equal(fh_story(), "demote(startup) follow(leader-changed) ");
	assert_string_equal(fh_env(running("follow"), "ZKELECT_LEADER_ID"), "n2");
	end("follow", 0);
	state_says(t, "ROLE", "follower");
	state_says(t, "LEADER_ID", "n2");
}

/* demote_on_start = yes: the demote before the election is even created. */
static void
test_start_demote_first(void **state)
{
	struct t *t = start("[election]\ndemote_on_start = yes\n");

	*state = t;
	assert_int_equal(fe.created, 0);
	assert_string_equal(fh_story(), "demote(startup) ");
	end("demote", 0);
	assert_int_equal(fe.created, 1);
	assert_int_equal(fe.joins, 1);
}

/*
 * A loss after the pause's end is its own cause: the znode deleted while the
 * pause-ended promote runs demotes with reason deleted, not pause-ended.
 */
static void
test_loss_after_pause_end(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 600000, 0, "test", "upgrade" };
	struct hook *h;

	*state = t;
	fc_pause(&p, 7);
	fe_joined();
	fe_elected(5);
	fc_pause(NULL, 0);
	h = running("promote");
	fe_unelected(LOSS_DELETED);
	assert_true(h->stopped);
	fh_end(h, 0);
	assert_string_equal(fh_story(), "promote(pause-ended) demote(deleted) ");
}

/* The session expires while the promote runs: it is stopped, demote follows, then a rejoin. */
static void
test_expiry_during_promote(void **state)
{
	struct t *t = start("");
	struct hook *p;

	*state = t;
	fe_joined();
	fe_elected(5);
	p = running("promote");
	fe_unelected(LOSS_EXPIRED);
	fe_out(LOSS_EXPIRED);
	assert_true(p->stopped);
	assert_null(fh_running("demote"));	/* never two hooks at once */
	fh_end(p, 0);
	assert_string_equal(fh_story(), "promote(elected) demote(session-expired) ");
	assert_int_equal(fe.joins, 1);	/* no rejoin before the demote has ended (rule 11) */
	end("demote", 0);
	assert_int_equal(fe.joins, 2);
	state_says(t, "ROLE", "follower");
}

/* Reconnected within the same session, still the lowest: promote again, same epoch. */
static void
test_same_session_reconnect(void **state)
{
	struct t *t = start("");

	*state = t;
	lead();
	fe_unelected(LOSS_CONNECTION);
	assert_string_equal(fh_story(), "promote(elected) demote(connection-lost) ");
	end("demote", 0);
	state_says(t, "ROLE", "follower");
	fe_elected(5);
	assert_string_equal(fh_story(),
	    "promote(elected) demote(connection-lost) promote(elected) ");
	assert_string_equal(fh_env(running("promote"), "ZKELECT_EPOCH"), "5");
	end("promote", 0);
	assert_int_equal(fe.joins, 1);	/* the znode was kept */
	assert_int_equal(fe.leaves, 0);
}

/* Resign while the promote runs: it is stopped, demote (resigned), leave, join again. */
static void
test_resign_during_promote(void **state)
{
	struct t *t = start("");
	struct hook *p;

	*state = t;
	fe_joined();
	fe_elected(5);
	p = running("promote");
	role_resign(t->r);
	assert_true(p->stopped);
	fh_end(p, 0);
	assert_string_equal(fh_story(), "promote(elected) demote(resigned) ");
	assert_int_equal(fe.leaves, 0);	/* the znode goes only after the demote (rule 11) */
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
	assert_int_equal(fe.joins, 1);
	fe_left();
	assert_int_equal(fe.joins, 2);	/* at the back of the queue */
}

/* A failed promote: demote (promote-failed), leave, withdrawn for the back-off. */
static void
test_promote_failure(void **state)
{
	struct t *t = start("");

	*state = t;
	fe_joined();
	fe_elected(5);
	end("promote", 1);
	assert_string_equal(fh_story(), "promote(elected) demote(promote-failed) ");
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
	fe_left();
	state_says(t, "ROLE", "withdrawn");
	assert_int_equal(fe.joins, 1);	/* not before the back-off */
}

/* The health check fails while the node takes over: promote stopped, demote, withdrawn. */
static void
test_health_withdraw_during_handover(void **state)
{
	struct t *t = start("[health]\ncommand = /bin/true\ninterval = 100ms\nfall = 1\nrise = 1\n");
	struct hook *p;

	*state = t;
	assert_int_equal(fe.joins, 0);	/* not before a first success */
	event_base_loop(t->base, EVLOOP_ONCE);	/* the first check is due at once */
	end("health", 0);
	assert_int_equal(fe.joins, 1);
	fe_joined();
	fe_elected(5);
	p = running("promote");
	for (int turns = 0; fh_running("health") == NULL; turns++) {
		if (turns == 20)
			fail_msg("no second health check after 20 turns of the loop");
		event_base_loop(t->base, EVLOOP_ONCE);	/* the next check, 100 ms on */
	}
	end("health", 1);
	assert_true(p->stopped);
	fh_end(p, 0);
	assert_string_equal(fh_story(), "promote(elected) demote(health-failed) ");
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
	fe_left();
	state_says(t, "ROLE", "withdrawn");
}

/* A stop while leading: demote (shutdown), leave, close; then the caller is told. */
static void
test_shutdown_while_leading(void **state)
{
	struct t *t = start("");

	*state = t;
	lead();
	role_shutdown(t->r, 0);
	assert_string_equal(fh_story(), "promote(elected) demote(shutdown) ");
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
	assert_int_equal(t->stopped, 0);
	fe_left();
	assert_int_equal(fe.closes, 1);
	assert_int_equal(t->stopped, 1);
	state_says(t, "ROLE", "stopped");
}

/*
 * A demote that ends well before a leave clears our breadcrumb in the leave's
 * own transaction (no successor sees our znode gone and the breadcrumb left);
 * one that fails leaves it, marked, and the leave deletes our znode alone.
 */
static void
test_breadcrumb_goes_with_the_leave(void **state)
{
	struct t *t = start("");
	int writes;

	*state = t;
	lead();
	fc_primary(&fc.primary);	/* our breadcrumb, as read back */
	writes = fc.primary_writes;
	role_resign(t->r);
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
	assert_string_equal(fe.leave_also, "/e/primary");
	assert_int_equal(fe.leave_also_version, 7);
	assert_int_equal(fc.primary_writes, writes);	/* no delete of its own */
	fe_left();

	lead();
	fc_primary(&fc.primary);
	writes = fc.primary_writes;
	role_resign(t->r);
	end("demote", 1);
	assert_int_equal(fe.leaves, 2);
	assert_string_equal(fe.leave_also, "");
	assert_int_equal(fc.primary_writes, writes + 1);	/* marked demote_failed */
	assert_true(fc.primary.demote_failed);
}

/* A follow running when this node is elected is killed; the promote comes after it. */
static void
test_elected_during_follow(void **state)
{
	struct t *t = start("");
	struct hook *f;

	*state = t;
	fe_joined();
	fe_behind();
	end("demote", 0);
	fe_leader("n2", 4);
	f = running("follow");
	fe_elected(7);
	assert_true(f->killed);
	assert_null(fh_running("promote"));
	fh_end(f, 0);
	assert_string_equal(fh_story(),
	    "demote(startup) follow(leader-changed) promote(elected) ");
}


/* A crashed leader's session answers and its znode is still first: promote (resumed), no demote. */
static void
test_resume_leader(void **state)
{
	struct saved_session s;
	struct t *t;

	saved_session(&s, 0x1001, false, false);
	*state = t = start_saved("", &s);
	assert_int_equal(fe.resume_id, 0x1001);
	assert_int_equal(fe.joins, 0);	/* the election takes the znode back itself */
	fe_session(ZK_EV_CONNECTED);
	fe_joined();
	assert_string_equal(fh_story(), "");
	fe_elected(5);
	assert_string_equal(fh_story(), "promote(resumed) ");
	end("promote", 0);
	state_says(t, "ROLE", "leader");
	state_says(t, "EPOCH", "5");
}

/* A crashed follower's session answers: follow (resumed), no demote. */
static void
test_resume_follower(void **state)
{
	struct saved_session s;
	struct t *t;

	saved_session(&s, 0x1001, false, false);
	*state = t = start_saved("", &s);
	fe_session(ZK_EV_CONNECTED);
	fe_joined();
	fe_behind();
	fe_leader("n2", 4);
	assert_string_equal(fh_story(), "follow(resumed) ");
	end("follow", 0);
	fe_leader("n3", 7);	/* the next leader is an ordinary change */
	assert_string_equal(fh_story(), "follow(resumed) follow(leader-changed) ");
}

/* An upgrade's new image: the leader leads on and runs nothing; the mark is used once. */
static void
test_resume_handover_leader(void **state)
{
	struct saved_session s, out;
	char why[256];
	struct t *t;

	saved_session(&s, 0x1001, true, true);
	*state = t = start_saved("", &s);
	assert_int_equal(session_load(session_path(t), "/e", "me", "127.0.0.1:1", &out, why,
	    sizeof(why)), SESSION_USABLE);
	assert_false(out.handover);	/* a crash of this image is a crash */
	session_clear(&out);
	fe_session(ZK_EV_CONNECTED);
	fe_joined();
	fe_elected(5);
	assert_string_equal(fh_story(), "");
	state_says(t, "ROLE", "leader");
	state_says(t, "UPGRADE", "upgraded in place");
	fe_unelected(LOSS_CONNECTION);	/* and it demotes as any leader would */
	assert_string_equal(fh_story(), "demote(connection-lost) ");
}

/* An upgrade's new image following the leader it followed: no follow. */
static void
test_resume_handover_follower(void **state)
{
	struct saved_session s;
	struct t *t;

	saved_session(&s, 0x1001, true, false);
	s.leader_epoch = 4;
	s.follow_ok = true;
	*state = t = start_saved("", &s);
	fe_session(ZK_EV_CONNECTED);
	fe_joined();
	fe_behind();
	fe_leader("n2", 4);
	assert_string_equal(fh_story(), "");
	state_says(t, "ROLE", "follower");
}

/* The saved session expired: the file goes, and the start is today's. */
static void
test_resume_expired(void **state)
{
	struct saved_session s;
	struct t *t;

	saved_session(&s, 0x1001, false, false);
	*state = t = start_saved("", &s);
	fe_session(ZK_EV_EXPIRED);
	assert_int_equal(access(session_path(t), F_OK), -1);
	assert_int_equal(fe.joins, 1);	/* unless-leader: join first */
	fe_joined();
	fe_behind();
	assert_string_equal(fh_story(), "demote(startup) ");
}

/* A demote hook runs. */
static bool
demote_runs(struct t *t)
{
	(void)t;
	return fh_running("demote") != NULL;
}

/* No answer in time: the start-up demote; the session answers later: promote (elected). */
static void
test_resume_unanswered(void **state)
{
	struct saved_session s;
	struct t *t;

	saved_session(&s, 0x1001, false, false);
	*state = t = start_saved("", &s);
	turn_until(t, demote_runs, "the start-up demote");	/* the bound: 100 ms */
	assert_string_equal(fh_story(), "demote(startup) ");
	fe_session(ZK_EV_CONNECTED);
	fe_joined();
	fe_elected(5);
	end("demote", 0);
	assert_string_equal(fh_story(), "demote(startup) promote(elected) ");
}

/* A stop before the saved session answered: the service may be primary: demote it. */
static void
test_resume_stop_undecided(void **state)
{
	struct saved_session s;
	struct t *t;

	saved_session(&s, 0x1001, false, false);
	*state = t = start_saved("", &s);
	role_shutdown(t->r, 0);
	assert_string_equal(fh_story(), "demote(startup) ");
	assert_int_equal(t->stopped, 0);
	end("demote", 0);
	assert_int_equal(t->stopped, 1);
	assert_int_equal(access(session_path(t), F_OK), -1);	/* a clean exit */
}

/*
 * Elected at once, but the required watchdog cannot be armed: no promote; the
 * start-up demote that was skipped runs (the service may be primary), then the
 * node queues again at the back.
 */
static void
test_watchdog_required_unavailable(void **state)
{
	struct t *t = start("[watchdog]\nmode = required\ndevice = /nonexistent/wd\n"
	    "timeout = 500ms\n");

	*state = t;
	fe_joined();
	fe_elected(5);
	assert_string_equal(fh_story(), "demote(startup) ");
	assert_int_equal(fe.leaves, 0);	/* the demote first (rule 11) */
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
	fe_left();
	assert_int_equal(fe.joins, 2);	/* back in the queue, at its end */
	state_says(t, "ROLE", "follower");
	state_says(t, "WATCHDOG", "unavailable: cannot open watchdog /nonexistent/wd: No such file "
	    "or directory");
}

/* --- operator control (role_switchover.c, role_pause.c) --- */

/* A switchover request as zkelectctl writes it: to TO, meant for "me" at EPOCH. */
static struct switchover
request(enum sw_state state, const char *to, const char *from, int64_t epoch)
{
	struct switchover s;

	memset(&s, 0, sizeof(s));
	s.state = state;
	snprintf(s.to, sizeof(s.to), "%s", to);
	snprintf(s.from, sizeof(s.from), "%s", from);
	s.epoch = epoch;
	s.wait_ms = 60000;
	snprintf(s.by, sizeof(s.by), "test");
	return s;
}

/* The leader accepts, waits for the target to be next, marks demoting, then demotes. */
static void
test_switchover_leader(void **state)
{
	struct t *t = start("");
	struct switchover req = request(SW_REQUESTED, "b", "me", 5);
	const char *line1[] = { "n_0000000000000001_me-0000000005", "n_0000000000000003_x-0000000006",
	    "n_0000000000000002_b-0000000007" };
	const char *line2[] = { "n_0000000000000001_me-0000000005", "n_0000000000000002_b-0000000007",
	    "n_0000000000000003_x-0000000008" };

	*state = t;
	lead();
	fc_report(&req, line1, 3);
	assert_int_equal(fc.written.state, SW_MOVING);
	assert_true(fc.watch_line);
	req.state = SW_MOVING;
	fc_report(&req, line1, 3);	/* x still ahead of b: wait */
	assert_int_equal(fc.writes, 1);
	fc_report(&req, line2, 3);	/* b is next: the point of no return */
	assert_int_equal(fc.written.state, SW_DEMOTING);
	assert_string_equal(fh_story(), "promote(elected) ");	/* not before the write won */
	fc_written(true);
	assert_string_equal(fh_story(), "promote(elected) demote(switchover) ");
	assert_int_equal(fe.leaves, 0);	/* the znode goes only after the demote (rule 11) */
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
}

/* Refused: meant for an older epoch; a plain switchover while paused. Nothing runs. */
static void
test_switchover_refused(void **state)
{
	struct t *t = start("");
	struct switchover req = request(SW_REQUESTED, "b", "me", 4);
	struct pause_record p = { 60000, 0, "test", "maintenance" };
	const char *line[] = { "n_0000000000000001_me-0000000005", "n_0000000000000002_b-0000000007" };

	*state = t;
	lead();
	fc_report(&req, line, 2);
	assert_int_equal(fc.written.state, SW_REFUSED);
	assert_non_null(strstr(fc.written.note, "epoch 4"));
	fc_pause(&p, 11);
	req = request(SW_REQUESTED, "b", "me", 5);
	fc_report(&req, line, 2);
	assert_int_equal(fc.written.state, SW_REFUSED);
	assert_non_null(strstr(fc.written.note, "paused"));
	assert_string_equal(fh_story(), "promote(elected) ");
}

/* A follower ahead of the target steps back (leave, rejoin) with no hook. */
static void
test_switchover_step_back(void **state)
{
	struct t *t = start("");
	struct switchover req = request(SW_MOVING, "b", "x", 4);
	const char *line[] = { "n_0000000000000003_x-0000000001", "n_0000000000000001_me-0000000009",
	    "n_0000000000000002_b-0000000010" };

	*state = t;
	fe_joined();
	fe_behind();
	end("demote", 0);
	fe_leader("x", 4);
	end("follow", 0);
	fc_report(&req, line, 3);
	assert_int_equal(fe.leaves, 1);
	fe_left();
	assert_int_equal(fe.joins, 2);
	assert_string_equal(fh_story(), "demote(startup) follow(leader-changed) ");
}

/* Paused: the elected node only says what it would do; the resume promotes (pause-ended). */
static void
test_pause_holds_promote(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 600000, 0, "test", "upgrade" };

	*state = t;
	fc_pause(&p, 7);
	state_says(t, "PAUSED", "yes");
	state_says(t, "PAUSE_REASON", "upgrade");
	fe_joined();
	fe_elected(5);
	assert_string_equal(fh_story(), "");
	state_says(t, "ROLE", "leader");	/* the election's role */
	state_says(t, "PAUSE_HELD", "promote now (this node leads)");
	fc_pause(NULL, 0);
	assert_string_equal(fh_story(), "promote(pause-ended) ");
	state_says(t, "PAUSED", "no");
}

/*
 * Reconnected, the pause is read again: a promote waits for that read (a pause
 * may have begun while this node was away), then goes or is held by it.
 */
static void
test_promote_waits_for_the_pause_read(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 600000, 0, "test", "upgrade" };

	*state = t;
	fc.pause_known = false;
	fe_joined();
	fe_elected(5);
	assert_string_equal(fh_story(), "");
	fc.pause_known = true;
	fc_pause(NULL, 0);	/* none: the promote goes */
	assert_string_equal(fh_story(), "promote(elected) ");
	end("promote", 0);

	role_resign(t->r);
	end("demote", 0);
	fe_left();
	fc.pause_known = false;
	fe_joined();
	fe_elected(6);
	assert_string_equal(fh_story(), "promote(elected) demote(resigned) ");
	fc.pause_known = true;
	fc_pause(&p, 9);	/* one began meanwhile: it holds the promote */
	assert_string_equal(fh_story(), "promote(elected) demote(resigned) ");
	state_says(t, "PAUSED", "yes");
	fc_pause(NULL, 0);
	assert_string_equal(fh_story(), "promote(elected) demote(resigned) promote(pause-ended) ");
}

static bool
not_paused(struct t *t)
{
	return state_has(t, "PAUSED", "no");
}

/*
 * The pause runs out on this node's clock: it ends it for everyone. Read again
 * (that delete was lost, or not sent on an old read), it stays over here and is
 * ended again, with no new pause and no hook.
 */
static void
test_pause_over_here_stays_over(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 30, 0, "test", "short" };

	*state = t;
	fe_joined();
	fe_behind();
	end("demote", 0);
	fe_leader("x", 4);
	end("follow", 0);
	fc_pause(&p, 7);
	state_says(t, "PAUSED", "yes");
	turn_until(t, not_paused, "the pause's end here");
	assert_int_equal(fc.pause_ends, 1);
	end("follow", 0);
	fc_pause(&p, 7);
	state_says(t, "PAUSED", "no");
	assert_int_equal(fc.pause_ends, 2);
	assert_string_equal(fh_story(),
	    "demote(startup) follow(leader-changed) follow(pause-ended) ");
	fc_pause(&p, 8);	/* a new pause is one */
	state_says(t, "PAUSED", "yes");
}

/* A breadcrumb naming another node that kept its service holds every promote. */
static void
test_breadcrumb_blocks_promote(void **state)
{
	struct t *t = start("");
	struct primary_record other = { .id = "x", .epoch = 4, .paused = true };

	*state = t;
	fc_primary(&other);
	fe_joined();
	fe_elected(5);
	assert_string_equal(fh_story(), "");
	other.paused = false;	/* x no longer relies on the pause: rule 6 covers it */
	fc_primary(&other);
	assert_string_equal(fh_story(), "promote(elected) ");
}

/* A paused leader holds a lost connection's demote only once its breadcrumb is confirmed. */
static void
test_pause_hold_needs_breadcrumb(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 600000, 0, "test", "upgrade" };

	*state = t;
	lead();
	fc_pause(&p, 7);
	assert_true(fc.primary_writes >= 1);
	assert_true(fc.primary.paused);
	fc.primary_have = false;	/* the write never reached ZooKeeper */
	fe_unelected(LOSS_CONNECTION);
	assert_string_equal(fh_story(), "promote(elected) demote(connection-lost) ");
}

/* Confirmed: the same loss holds the demote until the pause ends. */
static void
test_pause_hold_confirmed(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 600000, 0, "test", "upgrade" };
	struct primary_record mine = { .id = "me", .epoch = 5, .paused = true };

	*state = t;
	lead();
	fc_pause(&p, 7);
	fc_primary(&mine);
	fe_unelected(LOSS_CONNECTION);
	assert_string_equal(fh_story(), "promote(elected) ");
	fc_pause(NULL, 0);
	assert_string_equal(fh_story(), "promote(elected) demote(pause-ended) ");
}

/* Started while a pause file says paused: the start-up demote is held, and runs at its end. */
static void
test_pause_file_holds_startup(void **state)
{
	struct t *t = start_paused(NULL);

	*state = t;
	assert_string_equal(fh_story(), "");	/* no start-up demote while paused */
	state_says(t, "PAUSED", "yes");
	fe_joined();
	fe_behind();
	fe_leader("x", 4);
	assert_string_equal(fh_story(), "");
	fc_pause(NULL, 0);	/* resumed: the held demote, then the follow */
	assert_string_equal(fh_story(), "demote(pause-ended) ");
	end("demote", 0);
	assert_string_equal(fh_story(), "demote(pause-ended) follow(pause-ended) ");
}

/* The start-up demote is due and held by the pause. */
static bool
startup_demote_held(struct t *t)
{
	return state_has(t, "PAUSE_HELD", "demote now (startup)");
}

/*
 * Restarted while paused, and the saved session does not answer in time: the
 * start-up demote is due but held. The start goes on (a new session, the
 * election, a follower), and the pause's end runs the held demote (the chaos
 * run of seed 5122619 found it never ran: the node kept its breadcrumb).
 */
static void
test_pause_holds_unanswered_resume(void **state)
{
	struct saved_session s;
	struct t *t;

	saved_session(&s, 0x1001, false, true);
	*state = t = start_paused(&s);
	/* the resume's bound (100 ms) passes unanswered */
	turn_until(t, startup_demote_held, "the start-up demote held");
	assert_string_equal(fh_story(), "");
	state_says(t, "PAUSE_HELD", "demote now (startup)");
	fe_session(ZK_EV_EXPIRED);
	fe_session(ZK_EV_CONNECTED);
	fe_joined();
	fe_behind();
	fe_leader("n1", 6);
	assert_string_equal(fh_story(), "");
	fc_pause(NULL, 0);	/* ended: the held demote, then the follow */
	assert_string_equal(fh_story(), "demote(pause-ended) ");
	end("demote", 0);
	assert_string_equal(fh_story(), "demote(pause-ended) follow(pause-ended) ");
}

/* Paused while joining first: behind another, the start-up demote is held; it runs at the end. */
static void
test_pause_holds_decided_startup(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 600000, 0, "test", "upgrade" };

	*state = t;
	fc_pause(&p, 7);
	fe_joined();
	fe_behind();	/* not the leader: the start-up demote is due, and held */
	state_says(t, "PAUSE_HELD", "demote now (startup)");
	fe_leader("n1", 6);
	assert_string_equal(fh_story(), "");
	fc_pause(NULL, 0);
	assert_string_equal(fh_story(), "demote(pause-ended) ");
	end("demote", 0);
	assert_string_equal(fh_story(), "demote(pause-ended) follow(pause-ended) ");
}

/*
 * Elected and held by a pause, then a forced switchover to b: this node steps
 * back, and is no longer elected: the pause's end promotes nothing here. Elected
 * at once, it never demoted: its service may be primary, so it demotes then.
 */
static void
test_forced_step_back_unelects(void **state)
{
	struct t *t = start("");
	struct pause_record p = { 600000, 0, "test", "upgrade" };
	struct switchover req = request(SW_REQUESTED, "b", "me", 5);
	const char *line[] = { "n_0000000000000001_me-0000000005",	/* fe_elected(5)'s */
	    "n_0000000000000002_b-0000000010" };

	*state = t;
	fc_pause(&p, 7);
	fe_joined();
	fe_elected(5);
	req.force = true;
	fc_report(&req, line, 2);
	assert_int_equal(fe.leaves, 1);
	fe_left();
	fe_leader("b", 6);
	fc_pause(NULL, 0);
	assert_string_equal(fh_story(), "demote(pause-ended) ");
	end("demote", 0);
	assert_int_equal(fh_count("promote"), 0);
	assert_string_equal(fh_story(), "demote(pause-ended) follow(pause-ended) ");
}

/* --- fencing (role_fence.c, rule 26) --- */

static const char *const fence_conf = "[hooks]\nfence = /bin/true\nfence_timeout = 2s\n";

/* A breadcrumb of node x at epoch 4 that never said its demote ended well. */
static struct primary_record
unclean(int64_t failures)
{
	struct primary_record rec = { .id = "x", .epoch = 4, .fence_failures = failures,
	    .data = "10.0.0.9", .session = "0x1234" };

	return rec;
}

/* Start on CONF with x's unclean breadcrumb (FAILURES fences failed) read, then elected (5). */
static struct t *
elected_after_unclean(void **state, const char *conf, int64_t failures)
{
	struct t *t = start(conf);
	struct primary_record old = unclean(failures);

	*state = t;
	fc_primary(&old);
	fe_joined();
	fe_elected(5);
	return t;
}

/* Crashed leader: the fence runs first, with its environment, then the claim, then promote. */
static void
test_fence_before_promote(void **state)
{
	struct t *t = elected_after_unclean(state, fence_conf, 0);
	struct hook *h;

	assert_string_equal(fh_story(), "fence(elected) ");
	h = running("fence");
	assert_string_equal(fh_env(h, "ZKELECT_FENCE_ID"), "x");
	assert_string_equal(fh_env(h, "ZKELECT_FENCE_DATA"), "10.0.0.9");
	assert_string_equal(fh_env(h, "ZKELECT_FENCE_EPOCH"), "4");
	assert_string_equal(fh_env(h, "ZKELECT_FENCE_SESSION"), "0x1234");
	assert_string_equal(fh_env(h, "ZKELECT_FENCE_HOW"), "no-demote");
	assert_string_equal(fh_env(h, "ZKELECT_FENCE_ATTEMPT"), "1");
	assert_string_equal(fh_env(h, "ZKELECT_ID"), "me");
	assert_string_equal(fh_env(h, "ZKELECT_EPOCH"), "5");
	state_says(t, "FENCE", "fencing x (attempt 1)");
	fh_end(h, 0);
	assert_int_equal(fc.primary_writes, 1);	/* the claim, compare-and-set */
	assert_string_equal(fc.primary.id, "me");
	assert_int_equal(fc.primary.epoch, 5);
	assert_string_equal(fh_story(), "fence(elected) ");	/* no promote before the read-back */
	fc_primary(&fc.primary);	/* the read shows our claim won */
	assert_string_equal(fh_story(), "fence(elected) promote(elected) ");
	assert_int_equal(fc.primary_writes, 1);	/* the promote does not write it again */
}

/* The last leader left clean (no breadcrumb): no fence. */
static void
test_fence_not_after_clean_exit(void **state)
{
	struct t *t = start(fence_conf);

	*state = t;
	fc_primary(NULL);
	lead();
	assert_string_equal(fh_story(), "promote(elected) ");
	assert_int_equal(fh_count("fence"), 0);
}

/* A failed fence, on_fence_failure = resign: counted in the breadcrumb, then queue again. */
static void
test_fence_failure_resigns(void **state)
{
	struct t *t = elected_after_unclean(state, fence_conf, 2);

	assert_string_equal(fh_env(running("fence"), "ZKELECT_FENCE_ATTEMPT"), "3");
	end("fence", 1);
	assert_int_equal(fc.primary_writes, 1);
	assert_string_equal(fc.primary.id, "x");	/* still x's, with one failure more */
	assert_int_equal(fc.primary.fence_failures, 3);
	/* elected at once, no demote since start: its service may be primary */
	assert_string_equal(fh_story(), "fence(elected) demote(startup) ");
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
	state_says(t, "FENCE", "fencing x (attempt 3) failed: exit 1; queueing again");
}

/* A failed fence, on_fence_failure = promote: claim and promote anyway. */
static void
test_fence_failure_promotes(void **state)
{
	(void)elected_after_unclean(state,
	    "[hooks]\nfence = /bin/true\non_fence_failure = promote\n", 0);

	end("fence", 1);
	assert_string_equal(fc.primary.id, "me");
	fc_primary(&fc.primary);
	assert_string_equal(fh_story(), "fence(elected) promote(elected) ");
	assert_int_equal(fe.leaves, 0);
}

/* Leadership lost while fencing: the fence is stopped, nothing else runs. */
static void
test_fence_stopped_when_unelected(void **state)
{
	struct hook *h;

	(void)elected_after_unclean(state, fence_conf, 0);
	h = running("fence");
	fe_unelected(LOSS_DELETED);
	assert_true(h->stopped);
	fh_end(h, 0);
	assert_int_equal(fh_count("promote"), 0);
	assert_int_equal(fc.primary_writes, 0);	/* no claim */
}

/* Two successors fenced x; the other's claim won (a newer epoch): do not promote. */
static void
test_fence_claim_lost(void **state)
{
	struct primary_record winner = { .id = "y", .epoch = 6 };

	(void)elected_after_unclean(state, fence_conf, 0);
	end("fence", 0);
	assert_int_equal(fc.primary_writes, 1);
	fc_primary(&winner);	/* y, elected after us, claimed it */
	assert_int_equal(fh_count("promote"), 0);
	assert_int_equal(fh_count("fence"), 1);	/* y is not fenced: it is newer than us */
	assert_string_equal(fh_story(), "fence(elected) demote(startup) ");
	end("demote", 0);
	assert_int_equal(fe.leaves, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_start_elected_at_once, teardown),
		cmocka_unit_test_teardown(test_start_behind_demotes, teardown),
		cmocka_unit_test_teardown(test_start_demote_first, teardown),
		cmocka_unit_test_teardown(test_expiry_during_promote, teardown),
		cmocka_unit_test_teardown(test_pause_over_here_stays_over, teardown),
		cmocka_unit_test_teardown(test_loss_after_pause_end, teardown),
		cmocka_unit_test_teardown(test_same_session_reconnect, teardown),
		cmocka_unit_test_teardown(test_resign_during_promote, teardown),
		cmocka_unit_test_teardown(test_promote_failure, teardown),
		cmocka_unit_test_teardown(test_health_withdraw_during_handover, teardown),
		cmocka_unit_test_teardown(test_shutdown_while_leading, teardown),
		cmocka_unit_test_teardown(test_breadcrumb_goes_with_the_leave, teardown),
		cmocka_unit_test_teardown(test_elected_during_follow, teardown),
		cmocka_unit_test_teardown(test_resume_leader, teardown),
		cmocka_unit_test_teardown(test_resume_follower, teardown),
		cmocka_unit_test_teardown(test_resume_handover_leader, teardown),
		cmocka_unit_test_teardown(test_resume_handover_follower, teardown),
		cmocka_unit_test_teardown(test_resume_expired, teardown),
		cmocka_unit_test_teardown(test_resume_unanswered, teardown),
		cmocka_unit_test_teardown(test_resume_stop_undecided, teardown),
		cmocka_unit_test_teardown(test_watchdog_required_unavailable, teardown),
		cmocka_unit_test_teardown(test_switchover_leader, teardown),
		cmocka_unit_test_teardown(test_switchover_refused, teardown),
		cmocka_unit_test_teardown(test_switchover_step_back, teardown),
		cmocka_unit_test_teardown(test_pause_holds_promote, teardown),
		cmocka_unit_test_teardown(test_promote_waits_for_the_pause_read, teardown),
		cmocka_unit_test_teardown(test_breadcrumb_blocks_promote, teardown),
		cmocka_unit_test_teardown(test_pause_hold_needs_breadcrumb, teardown),
		cmocka_unit_test_teardown(test_pause_hold_confirmed, teardown),
		cmocka_unit_test_teardown(test_pause_file_holds_startup, teardown),
		cmocka_unit_test_teardown(test_pause_holds_unanswered_resume, teardown),
		cmocka_unit_test_teardown(test_pause_holds_decided_startup, teardown),
		cmocka_unit_test_teardown(test_forced_step_back_unelects, teardown),
		cmocka_unit_test_teardown(test_fence_before_promote, teardown),
		cmocka_unit_test_teardown(test_fence_not_after_clean_exit, teardown),
		cmocka_unit_test_teardown(test_fence_failure_resigns, teardown),
		cmocka_unit_test_teardown(test_fence_failure_promotes, teardown),
		cmocka_unit_test_teardown(test_fence_stopped_when_unelected, teardown),
		cmocka_unit_test_teardown(test_fence_claim_lost, teardown),
	};

	log_init("test_role", LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
