/* escape: bytes from the network made safe to show on a terminal or in a log line. */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "xmalloc.h"

/*
 * The length of the valid UTF-8 character at P (N bytes left), or 0 when P
 * does not start one: a stray continuation byte, an overlong form, a
 * surrogate, a code point above U+10FFFF, or a sequence cut short.
 */
size_t
escape_utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned int cp;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fU;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fU;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07U;
	} else
		return 0;	/* 0x80..0xc1 (continuation, overlong lead), 0xf5..0xff */
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fU);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * LEN bytes of S, malloc'd and NUL-terminated, with nothing a terminal would
 * act on: \ as \\, tab as \t, newline as \n, every other control byte (C0,
 * DEL, and the C1 controls U+0080..U+009F) and every byte that is not part of
 * valid UTF-8 as \xHH. Valid UTF-8 text passes unchanged, so names stay readable.
 */
char *
escape_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(len * 4 + 1);
	size_t o = 0, n;

	for (size_t i = 0; i < len; i += n) {
		n = escape_utf8_len(p + i, len - i);
		if (n == 1 && p[i] == '\\') {
			memcpy(out + o, "\\\\", 2);
			o += 2;
		} else if (n == 1 && p[i] == '\t') {
			memcpy(out + o, "\\t", 2);
			o += 2;
		} else if (n == 1 && p[i] == '\n') {
			memcpy(out + o, "\\n", 2);
			o += 2;
		} else if ((n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			for (size_t k = 0; k < n; k++)
				o += (size_t)snprintf(out + o, 5, "\\x%02x", p[i + k]);
		} else if (n == 0) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", p[i]);
			n = 1;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}

char *
escape_json(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, len;
	char *out = xmalloc(n * 6 + 3);

	out[o++] = '"';
	for (size_t i = 0; i < n; i += len) {
		if ((len = escape_utf8_len(p + i, n - i)) == 0) {
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
			len = 1;
		} else if (len > 1) {
			memcpy(out + o, p + i, len);
			o += len;
		} else if (p[i] == '"' || p[i] == '\\') {
			out[o++] = '\\';
			out[o++] = (char)p[i];
		} else if (p[i] == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (p[i] == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			o += (size_t)snprintf(out + o, 7, "\\u%04x", p[i]);
		} else
			out[o++] = (char)p[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
