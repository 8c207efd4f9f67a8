/* switchover: the request's text and the pure decisions about it (switchover.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "switchover.h"
#include "xmalloc.h"

#define SWITCHOVER_MAGIC "zkelectd-switchover 1\n"

static const char *const state_names[SW_COUNT] = {
	"requested", "moving", "demoting", "done", "refused", "cancelled", "failed",
};

/* A request being decoded, and the key found malformed. */
struct decoding {
	struct switchover *s;
	char bad[16];
};

static bool parse_state(const char *v, enum sw_state *out);
static bool set_field(void *arg, const struct record_kv *kv);
static bool set_id(char *dst, size_t size, const struct record_kv *kv);
static bool set_force(bool *force, const struct record_kv *kv);
static bool set_state(enum sw_state *out, const struct record_kv *kv);

const char *
switchover_state_name(enum sw_state s)
{
	return s < SW_COUNT ? state_names[s] : "?";
}

bool
switchover_final(enum sw_state s)
{
	return s == SW_DONE || s == SW_REFUSED || s == SW_CANCELLED || s == SW_FAILED;
}

char *
switchover_encode(const struct switchover *s, size_t *len)
{
	char to[sizeof(s->to)], from[sizeof(s->from)], by[sizeof(s->by)], note[sizeof(s->note)];
	char *buf;

	/* cleaned as decode cleans them: a newline in a field cannot forge a line */
	record_clean(to, sizeof(to), s->to, strnlen(s->to, sizeof(s->to)));
	record_clean(from, sizeof(from), s->from, strnlen(s->from, sizeof(s->from)));
	record_clean(by, sizeof(by), s->by, strnlen(s->by, sizeof(s->by)));
	record_clean(note, sizeof(note), s->note, strnlen(s->note, sizeof(s->note)));
	buf = xasprintf(SWITCHOVER_MAGIC "state=%s\nto=%s\nfrom=%s\nepoch=%" PRId64 "\n"
	    "wait_ms=%" PRId64 "\nforce=%d\nnew_epoch=%" PRId64 "\nby=%s\nnote=%s\n",
	    switchover_state_name(s->state), to, from, s->epoch, s->wait_ms,
	    s->force ? 1 : 0, s->new_epoch, by, note);
	*len = strlen(buf);
	return buf;
}

bool
switchover_decode(const char *buf, size_t len, struct switchover *s, char *why, size_t whylen)
{
	struct decoding d = { s, "" };

	memset(s, 0, sizeof(*s));
	s->state = SW_COUNT;
	if (!record_parse(buf, len, SWITCHOVER_MAGIC, set_field, &d)) {
		if (d.bad[0] != '\0')
			snprintf(why, whylen, "bad %s in the switchover request", d.bad);
		else
			snprintf(why, whylen, "not a switchover request (no \"zkelectd-switchover 1\")");
		return false;
	}
	if (s->state == SW_COUNT || !znode_valid_id(s->to)) {
		snprintf(why, whylen, "the switchover request has no %s",
		    s->state == SW_COUNT ? "state" : "valid target");
		return false;
	}
	return true;
}

/*
 * Store field KV of the request being decoded; false (naming the key) when it
 * is malformed. An unknown key is a field of a later version: ignored,
 * whatever its value.
 */
static bool
set_field(void *arg, const struct record_kv *kv)
{
	struct decoding *d = arg;
	struct switchover *s = d->s;
	bool ok = true;

	if (strcmp(kv->key, "to") == 0)
		ok = set_id(s->to, sizeof(s->to), kv);
	else if (strcmp(kv->key, "from") == 0)
		ok = set_id(s->from, sizeof(s->from), kv);
	else if (strcmp(kv->key, "by") == 0)
		record_text(s->by, sizeof(s->by), kv);
	else if (strcmp(kv->key, "note") == 0)
		record_text(s->note, sizeof(s->note), kv);
	else if (strcmp(kv->key, "state") == 0)
		ok = set_state(&s->state, kv);
	else if (strcmp(kv->key, "epoch") == 0)
		ok = record_number(kv, &s->epoch);
	else if (strcmp(kv->key, "wait_ms") == 0)
		ok = record_number(kv, &s->wait_ms);
	else if (strcmp(kv->key, "new_epoch") == 0)
		ok = record_number(kv, &s->new_epoch);
	else if (strcmp(kv->key, "force") == 0)
		ok = set_force(&s->force, kv);
	if (!ok)
		snprintf(d->bad, sizeof(d->bad), "%s", kv->key);
	return ok;
}

/*
 * A node id field: too long for DST (SIZE bytes) is malformed, as cutting it
 * could name another node; whether it is a valid id is the reader's question.
 */
static bool
set_id(char *dst, size_t size, const struct record_kv *kv)
{
	if (kv->vlen >= size)
		return false;
	record_text(dst, size, kv);
	return true;
}

/* force=0 or 1. */
static bool
set_force(bool *force, const struct record_kv *kv)
{
	int64_t f;

	if (!record_number(kv, &f) || f > 1)
		return false;
	*force = f == 1;
	return true;
}

/* state=NAME (no NUL among its bytes). */
static bool
set_state(enum sw_state *out, const struct record_kv *kv)
{
	char tmp[32];

	if (kv->vlen >= sizeof(tmp) || memchr(kv->v, '\0', kv->vlen) != NULL)
		return false;
	memcpy(tmp, kv->v, kv->vlen);
	tmp[kv->vlen] = '\0';
	return parse_state(tmp, out);
}

static bool
parse_state(const char *v, enum sw_state *out)
{
	for (int i = 0; i < SW_COUNT; i++) {
		if (strcmp(v, state_names[i]) == 0) {
			*out = (enum sw_state)i;
			return true;
		}
	}
	return false;
}

void
switchover_set(struct switchover *s, enum sw_state state, const char *fmt, ...)
{
	va_list ap;
	char note[SWITCHOVER_NOTE_MAX];

	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	s->state = state;
	record_clean(s->note, sizeof(s->note), note, strlen(note));
}

int
switchover_position(const struct znode_name *line, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(line[i].id, id) == 0)
			return (int)i;
	}
	return -1;
}

bool
switchover_check(const struct switchover *s, const char *leader_id, int64_t epoch,
    const struct znode_name *line, size_t n, char *why, size_t whylen)
{
	int pos = switchover_position(line, n, s->to);

	if (strcmp(s->from, leader_id) != 0 || s->epoch != epoch) {
		snprintf(why, whylen, "meant for %s (epoch %" PRId64 "), but %s leads (epoch %"
		    PRId64 ")", s->from, s->epoch, leader_id, epoch);
		return false;
	}
	if (pos == 0) {
		snprintf(why, whylen, "%s already leads", s->to);
		return false;
	}
	if (pos < 0) {
		snprintf(why, whylen, "%s is not in line (an observer, withdrawn, unhealthy, "
		    "stopped or unknown id)", s->to);
		return false;
	}
	return true;
}

enum sw_step
switchover_step(const struct switchover *s, const struct znode_name *line, size_t n,
    const char *own)
{
	int target = switchover_position(line, n, s->to);
	int me = -1;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(line[i].name, own) == 0)
			me = (int)i;
	}
	if (s->state != SW_MOVING || me < 0 || strcmp(line[me].id, s->to) == 0)
		return SW_STEP_NONE;
	if (me == 0) {
		if (target < 0)
			return SW_STEP_CANCEL;
		return target == 1 ? SW_STEP_DEMOTE : SW_STEP_WAIT;
	}
	return target > me ? SW_STEP_BACK : SW_STEP_NONE;
}
