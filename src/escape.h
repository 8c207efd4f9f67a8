/*
 * escape: bytes that come from the network (a contender's id and data, an
 * announcement) made safe to show. One definition for zkelectctl's output and
 * the daemon's: `list` and `status` of zkelectctl print through escape_text,
 * JSON (the status endpoint, zkelectctl's --json) through escape_json.
 */
#ifndef ZKELECT_ESCAPE_H
#define ZKELECT_ESCAPE_H

#include <stddef.h>

/* The length (1..4) of the valid UTF-8 character at P, N bytes left; 0 when none starts there. */
size_t escape_utf8_len(const unsigned char *p, size_t n);

/*
 * LEN bytes of S for a terminal (malloc'd): \ as \\, tab \t, newline \n, other
 * control bytes (C0, DEL, C1) and bytes outside valid UTF-8 as \xHH; valid
 * UTF-8 text unchanged. Never longer than 4 * LEN + 1 bytes.
 */
char *escape_text(const char *s, size_t len);

/*
 * LEN bytes of S as a JSON string literal, quotes included (malloc'd): " and \
 * escaped, newline \n, tab \t, other control bytes \u00XX, a byte outside
 * valid UTF-8 as U+FFFD (JSON text is UTF-8, RFC 8259). The status endpoint's
 * and zkelectctl's --json output both use it.
 */
char *escape_json(const char *s, size_t len);

#endif
