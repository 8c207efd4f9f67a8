/*
 * record: the text of the small records zkelectd keeps in ZooKeeper and in
 * its runtime directory (switchover.h, pause.h): a magic first line, then
 * "key=value" lines. Lines of a later version (unknown keys, no '=') are
 * skipped; values are never trusted: numbers are checked, text is cut to
 * size and control characters become spaces.
 */
#ifndef ZKELECT_RECORD_H
#define ZKELECT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One "key=value" line: KEY (NUL-terminated) and its value (V, VLEN bytes). */
struct record_kv {
	char key[16];
	const char *v;
	size_t vlen;
};

typedef bool record_fn(void *out, const struct record_kv *kv);

/* Call FN(OUT, kv) for each line after MAGIC; false when MAGIC is missing or FN said so. */
bool record_parse(const char *buf, size_t len, const char *magic, record_fn *fn, void *out);
/* KV's value as a non-negative decimal number; false when it is not one (or too big). */
bool record_number(const struct record_kv *kv, int64_t *out);
/* KV's value, or LEN bytes of SRC, into DST (SIZE bytes): cut, control characters made spaces. */
void record_text(char *dst, size_t size, const struct record_kv *kv);
void record_clean(char *dst, size_t size, const char *src, size_t len);

#endif
