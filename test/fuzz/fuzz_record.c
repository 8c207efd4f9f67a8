/*
 * fuzz_record: libFuzzer harness for the records zkelectd reads from
 * ZooKeeper beside the election (src/record.c and its users): the switchover
 * request (switchover.c), the pause and the breadcrumb (pause.c), the exit
 * note and the history records (history.c), and a contender's data header
 * (znode.c). Whoever may write under the election path can write anything
 * there, so each decoder gets the whole input. The harness aborts when a
 * promise breaks: a decoded record whose encoding does not decode and encode
 * again to the same text, a text field with a control character in it, an id
 * that is not NUL-terminated within its field, or a contender header that
 * points past the data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "pause.h"
#include "switchover.h"
#include "znode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort (a crash for libFuzzer) with WHAT when OK is false. */
static void
check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_record: broken: %s\n", what);
	abort();
}

/* True when S (within SIZE bytes) is NUL-terminated and has no control character. */
static int
clean(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* True when the two encodings A (ALEN) and B (BLEN) are the same text. */
static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* The switchover request: decoded, clean, and the same after a round trip. */
static void
fuzz_switchover(const char *buf, size_t size)
{
	struct switchover s, t;
	char why[128], *enc, *enc2;
	size_t len, len2;

	if (!switchover_decode(buf, size, &s, why, sizeof(why)))
		return;
	check(clean(s.to, sizeof(s.to)) && clean(s.from, sizeof(s.from)) &&
	    clean(s.by, sizeof(s.by)) && clean(s.note, sizeof(s.note)), "switchover: unclean text");
	enc = switchover_encode(&s, &len);
	check(switchover_decode(enc, len, &t, why, sizeof(why)), "switchover: round trip decode");
	enc2 = switchover_encode(&t, &len2);
	check(same(enc, len, enc2, len2), "switchover: round trip differs");
	free(enc);
	free(enc2);
}

/* The pause and the breadcrumb. */
static void
fuzz_pause(const char *buf, size_t size)
{
	struct pause_record p, q;
	struct primary_record a, b;
	char *enc, *enc2;
	size_t len, len2;

	if (pause_decode(buf, size, &p)) {
		check(clean(p.by, sizeof(p.by)) && clean(p.reason, sizeof(p.reason)),
		    "pause: unclean text");
		enc = pause_encode(&p, &len);
		check(pause_decode(enc, len, &q), "pause: round trip decode");
		enc2 = pause_encode(&q, &len2);
		check(same(enc, len, enc2, len2), "pause: round trip differs");
		free(enc);
		free(enc2);
	}
	if (primary_decode(buf, size, &a)) {
		check(clean(a.id, sizeof(a.id)), "primary: unclean id");
		enc = primary_encode(&a, &len);
		check(primary_decode(enc, len, &b), "primary: round trip decode");
		enc2 = primary_encode(&b, &len2);
		check(same(enc, len, enc2, len2), "primary: round trip differs");
		free(enc);
		free(enc2);
	}
}

/* The exit note and a history record. */
static void
fuzz_history(const char *buf, size_t size)
{
	struct exit_note x, y;
	struct history_record h, k;
	char *enc, *enc2;
	size_t len, len2;

	if (exit_decode(buf, size, &x)) {
		check(clean(x.id, sizeof(x.id)) && clean(x.reason, sizeof(x.reason)),
		    "exit: unclean text");
		enc = exit_encode(&x, &len);
		check(exit_decode(enc, len, &y), "exit: round trip decode");
		enc2 = exit_encode(&y, &len2);
		check(same(enc, len, enc2, len2), "exit: round trip differs");
		free(enc);
		free(enc2);
	}
	if (history_decode(buf, size, &h)) {
		check(clean(h.leader, sizeof(h.leader)) && clean(h.previous, sizeof(h.previous)) &&
		    clean(h.cause, sizeof(h.cause)) && clean(h.by, sizeof(h.by)),
		    "history: unclean text");
		enc = history_encode(&h, &len);
		check(history_decode(enc, len, &k), "history: round trip decode");
		enc2 = history_encode(&k, &len2);
		check(same(enc, len, enc2, len2), "history: round trip differs");
		free(enc);
		free(enc2);
		(void)history_leaderless_ms(&h);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off;
	int prio;

	fuzz_switchover(buf, size);
	fuzz_pause(buf, size);
	fuzz_history(buf, size);
	prio = contender_decode(buf, size, &off);
	check(prio >= 0 && prio <= CONTENDER_PRIORITY_MAX && off <= size, "contender header");
	return 0;
}
