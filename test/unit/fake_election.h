/*
 * fake_election: the election.h surface with no ZooKeeper, for the unit tests
 * of the role module. It records what role asks for (joins, leaves, closes)
 * and lets the test report what an election would: elected, out, a leader...
 */
#ifndef ZKELECT_FAKE_ELECTION_H
#define ZKELECT_FAKE_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "election.h"

struct fake_election_log {
	int created, joins, leaves, closes, freed;
	bool leaving;		/* a leave waits for fe_left() */
	bool entitled;		/* what election_entitled answers */
	int64_t resume_id;	/* the session the last election was asked to resume */
	char pred[256];		/* what election_predecessor answers ("": none) */
	char leave_also[256];	/* the last leave's other znode ("": none) */
	int32_t leave_also_version;
};

/* What the role module asked of its elections so far (all of them). */
extern struct fake_election_log fe;

/* Reports, as the election would make them, to the election created last. */
void fe_elected(int64_t epoch);
void fe_unelected(enum election_loss why);
void fe_out(enum election_loss why);
void fe_joined(void);
void fe_behind(void);
void fe_leader(const char *id, int64_t epoch);
void fe_session(enum zk_event ev);
/* The leave asked for is done (the znode deleted). */
void fe_left(void);
/* Forget everything recorded. */
void fe_reset(void);

#endif
