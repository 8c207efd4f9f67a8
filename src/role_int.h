/*
 * role_int.h: what the files of the role module share, and nothing outside it
 * includes. role.c decides (the state machine: start-up, the election's
 * reports, leaving, health); role_hook.c runs the hooks it asks for and builds
 * their environment; role_report.c writes what the node says about itself
 * (state file, status snapshot, systemd status); role_reload.c applies a new
 * configuration. Every decision stays in role.c's reconcile().
 */
#ifndef ZKELECT_ROLE_INT_H
#define ZKELECT_ROLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "election.h"
#include "names.h"
#include "pause.h"
#include "status.h"
#include "switchover.h"

struct config;
struct control;
struct hook;
struct health;
struct hook_result;
struct line_entry;
struct saved_session;
struct switchover;
struct znode_name;
struct watchdog;

/* A failed follow runs again after FOLLOW_RETRY_MIN_MS, doubling up to the max. */
#define FOLLOW_RETRY_MIN_MS	1000
#define FOLLOW_RETRY_MAX_MS	30000
/* demote_on_start = unless-leader waits at most this (and session_timeout / 3) to lead */
#define STARTUP_DECIDE_MAX_MS	2000

/* What to do once we have left the election. */
enum then { THEN_REJOIN, THEN_BACKOFF, THEN_STOP, THEN_RECONFIG, THEN_WITHDRAW };

struct role {
	struct event_base *base;
	struct config *cfg;
	struct config *next_cfg;	/* a reload waiting for the leave */
	struct election *el;
	struct event *ev_backoff;
	struct event *ev_reopen;	/* a new session after a reload, outside election callbacks */
	struct event *ev_state;		/* retry a state file write that failed */
	struct event *ev_follow;	/* run a failed follow again */
	struct event *ev_decide;	/* the bound on joining first (unless-leader) */
	struct event *ev_resume;	/* the bound on resuming a saved session */
	struct event *ev_kick;		/* the watchdog's kicks */
	struct event *ev_switch;	/* the leader's deadline for a switchover it accepted */
	struct event *ev_pause;		/* the end of the pause, on this node's clock */

	enum role_name role;
	bool started;		/* the start-up demote is over */
	bool joining_first;	/* unless-leader: in the election, the start-up demote undecided */
	bool startup_demote_due;	/* decided: the start-up demote is the next hook to run */
	bool demoted_once;	/* a demote ran since start: the service is no primary of ours */
	bool demote_ok;		/* and the last one succeeded */
	bool clear_with_leave;	/* our breadcrumb goes with the leave just asked for */
	/* resuming a saved session (role_resume.c, rule 22) */
	struct saved_session *resume;	/* the session file read at start; NULL: none */
	bool resuming;		/* waiting for ZooKeeper to answer for it */
	bool resumed;		/* the next promote or follow carries reason resumed */
	int64_t handover_epoch;	/* an upgrade's follow already done for this leader (-1) */
	bool upgrade_requested;	/* SIGUSR2: exec anew once no hook runs */
	char upgrade_status[160];	/* the last upgrade's outcome, for the state file */
	unsigned upgrade_requests;	/* SIGUSR2s received by this image */
	int64_t image_started;	/* when this image started (ms since the epoch) */
	bool (*upgrade_exec)(void *arg, char *err, size_t errlen);	/* returns on failure */
	void *upgrade_arg;
	/* the hardware watchdog (role_watchdog.c, rule 23) */
	struct watchdog *wd;
	int64_t wd_last_kick;	/* ms since the epoch; 0: never */
	int wd_failures;	/* consecutive failures to arm it */
	bool wd_missed;		/* a kick was held back (past the deadline): said once */
	char wd_problem[256];	/* why it is not armed, when it should be */
	/* the operator's requests beside the election (role_switchover.c, rule 25) */
	struct control *ctl;
	int64_t switch_epoch;	/* leader: the epoch of the switchover it handles (-1: none) */
	bool switch_target;	/* the promote due is a switchover's (reason switchover) */
	bool switch_promoting;	/* that promote runs: mark the request DONE when it ends */
	bool forced;		/* the promote due is a forced switchover's: no pause, no wait */
	bool switch_promoting_force;	/* that promote: mark the forced request DONE */
	char switch_text[SWITCHOVER_NOTE_MAX + 2 * ZNODE_ID_MAX + SWITCHOVER_BY_MAX];
	/* the maintenance pause (role_pause.c, rule 24) */
	struct pause_view pause;
	char pause_would[320];	/* what this node would do, held by the pause (said once) */
	bool pause_ending;	/* the pause ended: the next hooks carry reason pause-ended */
	bool repromote;		/* the leader runs promote again when the pause ends */
	bool hold_ok;		/* our breadcrumb, as last read, says we keep our service */
	/* fencing the last leader before a promote (role_fence.c, rule 26) */
	char fence_text[ZNODE_ID_MAX + 160];	/* what the state file says ("": nothing) */
	struct primary_record fence_target;	/* the breadcrumb being fenced */
	char fenced_id[ZNODE_ID_MAX + 1];	/* fenced (or given up on) in this election: */
	int64_t fenced_epoch;			/* the node, its epoch and our own epoch then */
	int64_t fenced_for;
	bool claim_sent;	/* our breadcrumb is written after a fence; no read since */
	bool unfenced_said;	/* no fence configured for an unclean breadcrumb: said once */
	/* the leader history (role_history.c) */
	char prev_leader[ZNODE_ID_MAX + 1];	/* who led when we were elected ("": nobody) */
	int64_t prev_epoch;
	char promote_why[32];	/* the reason of our last promote */
	int64_t led_epoch;	/* the epoch we last promoted with (-1: none since) */
	bool history_due;	/* our record waits for the exit note */
	bool history_ok;	/* and says the promote succeeded */
	enum reason demote_why;	/* the reason of the demote running or last run */
	int64_t amend_epoch;	/* we demoted for a lost connection at this epoch (-1: no) */
	int amend_tries;
	struct event *ev_amend;
	/* priorities and failback (role_priority.c) */
	bool prio_pending;	/* elected: the line's priorities decide before the promote */
	bool prio_alone_said;	/* priority 0, alone in line: said once */
	struct event *ev_failback;
	char failback_to[ZNODE_ID_MAX + ZNODE_GUID_LEN + ZNODE_SEQ_LEN + 8];	/* its znode */
	char failback_id[ZNODE_ID_MAX + 1];
	bool elected;		/* the election says we lead */
	bool promoted;		/* the last promote/demote started was a promote */
	enum reason lost;	/* why we stopped leading: the demote's reason */
	bool want_in;		/* we want a znode in the queue */
	bool in;		/* we asked to join and have not been put out since */
	bool leave_requested;
	bool leaving;
	enum then then;
	bool stopping;		/* shutdown in progress */
	bool ready_sent;

	/* [health] and [status] */
	struct health *health;
	struct status *status;
	bool healthy;		/* the check passes, or there is none */
	bool health_out;	/* out of the election because of the check */
	struct status_metrics m;

	/* the hook running, if any */
	struct hook *running;
	enum hook_kind running_kind;
	bool running_ended;	/* stop or kill already sent */
	bool follow_pending;
	int64_t follow_retry_ms;	/* the next retry's delay; 0: the last follow succeeded */

	/* the leader we know (ourselves when we lead) */
	char *leader_id, *leader_data, *leader_znode;
	int64_t leader_epoch;

	/* for the state file */
	int64_t since;
	unsigned long transitions;
	char last_hook[16];
	char last_hook_status[48];

	int exit_status;
	void (*stop_done)(void *arg, int status);
	void *stop_arg;
};

/* role.c: the decisions */
void role_reconcile(struct role *r);
void role_lose(struct role *r, enum reason why);
void role_leave_then(struct role *r, enum then then);
void role_open_election(struct role *r);
void role_finish_stop(struct role *r);
void role_start_health(struct role *r);
void role_on_health(void *arg, bool healthy);
enum role_name role_resting(const struct role *r);
void role_give_up(struct role *r, enum then then);
enum reason role_promote_reason(const struct role *r);

/* role_hook.c: running the hooks */
bool role_run_hook(struct role *r, enum hook_kind kind, enum reason why, enum role_name to);
void role_hook_start(struct role *r, enum hook_kind kind, char *const *argv, char *const *envp,
    int64_t timeout_ms, void (*done)(void *arg, const struct hook_result *res));
enum hook_kind role_hook_ended(struct role *r, const struct hook_result *res);
char **role_hook_env(struct role *r, enum hook_kind kind, enum reason why, enum role_name to,
    char *const *extra);
void role_follow_retry_cancel(struct role *r);
void role_on_follow_retry(evutil_socket_t fd, short what, void *arg);
char **role_health_env(void *arg);

/* role_report.c: what the node says about itself */
void role_set_role(struct role *r, enum role_name to);
void role_write_state(struct role *r);
void role_push_status(void *arg);
void role_on_state_retry(evutil_socket_t fd, short what, void *arg);

/* role_resume.c: resuming a saved session, the in-place upgrade */
bool role_resume_load(struct role *r);
void role_resume_begin(struct role *r);
void role_resume_connected(struct role *r, enum zk_event ev);
void role_resume_resolved(struct role *r, bool leader);
void role_resume_failed(struct role *r, const char *why);
void role_resume_abandon(struct role *r);
void role_session_save(struct role *r);
void role_session_forget(struct role *r);
void role_upgrade_check(struct role *r);
void role_upgrade_outcome(struct role *r, const char *what, const char *why);
void role_on_resume_bound(evutil_socket_t fd, short what, void *arg);

/* role_watchdog.c: the hardware watchdog while leading */
bool role_watchdog_arm(struct role *r);
void role_watchdog_disarm(struct role *r);
void role_watchdog_release(struct role *r);
void role_watchdog_boot_report(const struct role *r);
void role_on_kick(evutil_socket_t fd, short what, void *arg);

/* role_switchover.c: the operator's switchover request */
void role_on_switchover(void *arg, const struct switchover *req, int32_t version,
    const struct znode_name *line, size_t n);
void role_on_switchover_written(void *arg, const struct switchover *req, bool ok);
void role_on_switchover_deadline(evutil_socket_t fd, short what, void *arg);
void role_switchover_elected(struct role *r);
void role_switchover_promoted(struct role *r, bool ok);

/* role_pause.c: the maintenance pause and the breadcrumb */
void role_pause_load(struct role *r);
void role_on_pause(void *arg, const struct pause_record *rec, int64_t mzxid);
void role_on_pause_expiry(evutil_socket_t fd, short what, void *arg);
bool role_paused(const struct role *r);
bool role_pause_holds(struct role *r, enum hook_kind kind);
bool role_promote_blocked(struct role *r);
void role_breadcrumb_promote(struct role *r);
void role_breadcrumb_own(struct role *r, bool paused, struct primary_record *rec);
void role_breadcrumb_demoted(struct role *r, bool ok);
void role_on_primary(void *arg);
void role_on_primary_written(void *arg, bool ok);

/* role_fence.c: fencing the last leader */
bool role_fence_blocks(struct role *r);
void role_fence_read(struct role *r);

/* role_history.c: the leader history */
void role_history_elected(struct role *r);
void role_history_same_leader(struct role *r);
void role_history_promoting(struct role *r, enum reason why);
void role_history_promoted(struct role *r, bool ok);
void role_history_demoting(struct role *r, enum reason why);
void role_on_exit_read(void *arg);
void role_history_reconnected(struct role *r);
void role_on_amended(void *arg, bool found);
void role_on_amend_retry(evutil_socket_t fd, short what, void *arg);
/* how often a lost connection's amendment is tried, a session timeout apart */
#define HISTORY_AMEND_TRIES 10

/* role_priority.c: priorities and failback */
void role_priority_elected(struct role *r);
void role_priority_queued(struct role *r);
bool role_priority_blocked(const struct role *r);
void role_on_line(void *arg, const struct line_entry *line, size_t n);
void role_on_failback(evutil_socket_t fd, short what, void *arg);

/* role.c: start */
void role_start_fresh(struct role *r);

/* role_reload.c: a new configuration */
void role_apply_reload(struct role *r);
void role_on_reopen(evutil_socket_t fd, short what, void *arg);

#endif
