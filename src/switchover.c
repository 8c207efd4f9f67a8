/* switchover: the request's text and the pure decisions about it (switchover.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switchover.h"
#include "xmalloc.h"

#define SWITCHOVER_MAGIC "zkelectd-switchover 1\n"

static const char *const state_names[SW_COUNT] = {
	"requested", "moving", "demoting", "done", "refused", "cancelled", "failed",
};

static bool parse_state(const char *v, enum sw_state *out);
static bool parse_int(const char *v, int64_t *out);
static void copy_clean(char *dst, size_t size, const char *src, size_t len);
static bool set_field(struct switchover *s, const char *key, const char *v, size_t vlen);
static bool set_id(char *dst, size_t size, const char *v, size_t vlen);
static bool set_number(struct switchover *s, const char *key, const char *v, size_t vlen);

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
	copy_clean(to, sizeof(to), s->to, strnlen(s->to, sizeof(s->to)));
	copy_clean(from, sizeof(from), s->from, strnlen(s->from, sizeof(s->from)));
	copy_clean(by, sizeof(by), s->by, strnlen(s->by, sizeof(s->by)));
	copy_clean(note, sizeof(note), s->note, strnlen(s->note, sizeof(s->note)));
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
	size_t magic = strlen(SWITCHOVER_MAGIC);
	const char *p, *end, *nl, *eq, *next;
	char key[16];

	memset(s, 0, sizeof(*s));
	s->state = SW_COUNT;
	if (buf == NULL || len < magic || memcmp(buf, SWITCHOVER_MAGIC, magic) != 0) {
		snprintf(why, whylen, "not a switchover request (no \"zkelectd-switchover 1\")");
		return false;
	}
	end = buf + len;
	for (p = buf + magic; p < end; p = next) {
		nl = memchr(p, '\n', (size_t)(end - p));
		next = nl != NULL ? nl + 1 : end;	/* never a pointer past END */
		if (nl == NULL)
			nl = end;
		if ((eq = memchr(p, '=', (size_t)(nl - p))) == NULL || (size_t)(eq - p) >= sizeof(key))
			continue;	/* a line of a later version: ignored */
		memcpy(key, p, (size_t)(eq - p));
		key[eq - p] = '\0';
		if (!set_field(s, key, eq + 1, (size_t)(nl - eq - 1))) {
			snprintf(why, whylen, "bad %s in the switchover request", key);
			return false;
		}
	}
	if (s->state == SW_COUNT || !znode_valid_id(s->to)) {
		snprintf(why, whylen, "the switchover request has no %s",
		    s->state == SW_COUNT ? "state" : "valid target");
		return false;
	}
	return true;
}

/*
 * Store field KEY = V (VLEN bytes) of S; false when V is malformed. An unknown
 * key is a field of a later version: ignored, whatever its value.
 */
static bool
set_field(struct switchover *s, const char *key, const char *v, size_t vlen)
{
	if (strcmp(key, "to") == 0)
		return set_id(s->to, sizeof(s->to), v, vlen);
	if (strcmp(key, "from") == 0)
		return set_id(s->from, sizeof(s->from), v, vlen);
	if (strcmp(key, "by") == 0)
		copy_clean(s->by, sizeof(s->by), v, vlen);
	else if (strcmp(key, "note") == 0)
		copy_clean(s->note, sizeof(s->note), v, vlen);
	else if (strcmp(key, "state") == 0 || strcmp(key, "epoch") == 0 ||
	    strcmp(key, "wait_ms") == 0 || strcmp(key, "new_epoch") == 0 ||
	    strcmp(key, "force") == 0)
		return set_number(s, key, v, vlen);
	return true;
}

/*
 * A node id field: too long for DST (SIZE bytes) is malformed, as cutting it
 * could name another node; whether it is a valid id is the reader's question.
 */
static bool
set_id(char *dst, size_t size, const char *v, size_t vlen)
{
	if (vlen >= size)
		return false;
	copy_clean(dst, size, v, vlen);
	return true;
}

/* The state or a number field KEY = V (VLEN bytes, no NUL among them). */
static bool
set_number(struct switchover *s, const char *key, const char *v, size_t vlen)
{
	char tmp[32];
	int64_t f;

	if (vlen >= sizeof(tmp) || memchr(v, '\0', vlen) != NULL)
		return false;
	memcpy(tmp, v, vlen);
	tmp[vlen] = '\0';
	if (strcmp(key, "state") == 0)
		return parse_state(tmp, &s->state);
	if (strcmp(key, "epoch") == 0)
		return parse_int(tmp, &s->epoch);
	if (strcmp(key, "wait_ms") == 0)
		return parse_int(tmp, &s->wait_ms);
	if (strcmp(key, "new_epoch") == 0)
		return parse_int(tmp, &s->new_epoch);
	if (!parse_int(tmp, &f) || f > 1)	/* force */
		return false;
	s->force = f == 1;
	return true;
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

/* A non-negative decimal number. */
static bool
parse_int(const char *v, int64_t *out)
{
	char *end;
	long long n;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n < 0 || errno == ERANGE)
		return false;	/* junk, or too big: never read as the largest number */
	*out = n;
	return true;
}

/* Copy LEN bytes of SRC into DST (SIZE bytes), cut to fit, control characters made spaces. */
static void
copy_clean(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size; i++) {
		dst[i] = src[i];
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			dst[i] = ' ';
	}
	dst[i] = '\0';
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
	copy_clean(s->note, sizeof(s->note), note, strlen(note));
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
