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

#include "config.h"
#include "fake_election.h"
#include "fake_hook.h"
#include "log.h"
#include "role.h"
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

/* Start a role machine on BASE_CONF plus EXTRA (a [daemon] section is added). */
static struct t *
start(const char *extra)
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
	fe_reset();
	fh_reset();
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
	char path[128];

	role_free(t->r);
	event_base_free(t->base);
	fh_reset();
	snprintf(path, sizeof(path), "%s/zkelectd.conf", t->dir);
	unlink(path);
	unlink(t->state);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* The state file says KEY='VALUE'. */
static void
state_says(struct t *t, const char *key, const char *value)
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
	if (!found)
		fail_msg("the state file does not say %s", want);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_start_elected_at_once, teardown),
		cmocka_unit_test_teardown(test_start_behind_demotes, teardown),
		cmocka_unit_test_teardown(test_start_demote_first, teardown),
		cmocka_unit_test_teardown(test_expiry_during_promote, teardown),
		cmocka_unit_test_teardown(test_same_session_reconnect, teardown),
		cmocka_unit_test_teardown(test_resign_during_promote, teardown),
		cmocka_unit_test_teardown(test_promote_failure, teardown),
		cmocka_unit_test_teardown(test_health_withdraw_during_handover, teardown),
		cmocka_unit_test_teardown(test_shutdown_while_leading, teardown),
		cmocka_unit_test_teardown(test_elected_during_follow, teardown),
	};

	log_init("test_role", LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
