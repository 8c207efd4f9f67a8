/* Unit tests for escape: what zkelectctl prints of a contender's id and data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"

static void expect_escape(const char *in, size_t len, const char *want);

/* Fail unless escape_text turns the LEN bytes of IN into exactly WANT. */
static void
expect_escape(const char *in, size_t len, const char *want)
{
	char *got = escape_text(in, len);

	assert_string_equal(got, want);
	assert_true(strlen(got) <= len * 4);
	free(got);
}

/* Plain text and UTF-8 pass unchanged; \, tab and newline as before. */
static void
test_plain(void **state)
{
	(void)state;
	expect_escape("", 0, "");
	expect_escape("host=10.0.0.5 port=5432", 23, "host=10.0.0.5 port=5432");
	expect_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_escape("a\\b\tc\nd", 7, "a\\\\b\\tc\\nd");
	expect_escape("it's \"q\" $(x)", 13, "it's \"q\" $(x)");
}

/* Terminal control: ESC [ 31m, BEL, CR, DEL, NUL, and the C1 CSI (U+009B). */
static void
test_controls(void **state)
{
	(void)state;
	expect_escape("\x1b[31mred\x1b[0m", 12, "\\x1b[31mred\\x1b[0m");
	expect_escape("a\ab\rc\x7f", 6, "a\\x07b\\x0dc\\x7f");
	expect_escape("a\0b", 3, "a\\x00b");
	expect_escape("\xc2\x9b" "31m", 5, "\\xc2\\x9b31m");
	expect_escape("\xc2\x85", 2, "\\xc2\\x85");
	expect_escape("\xc2\xa0", 2, "\xc2\xa0");	/* U+00A0 is text, not control */
}

/* Bytes outside valid UTF-8, each as \xHH, the text around them kept. */
static void
test_not_utf8(void **state)
{
	(void)state;
	expect_escape("\xff", 1, "\\xff");
	expect_escape("a\xff" "b", 3, "a\\xffb");
	expect_escape("\x80", 1, "\\x80");			/* a stray continuation */
	expect_escape("\xc0\xaf", 2, "\\xc0\\xaf");		/* overlong '/' */
	expect_escape("\xe0\x80\xaf", 3, "\\xe0\\x80\\xaf");	/* overlong, 3 bytes */
	expect_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");	/* a surrogate */
	expect_escape("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");	/* above U+10FFFF */
	expect_escape("\xe2\x82", 2, "\\xe2\\x82");		/* cut short at the end */
	expect_escape("\xe2\x82z", 3, "\\xe2\\x82z");		/* cut short by ASCII */
	expect_escape("\xf8\x88\x80\x80\x80", 5, "\\xf8\\x88\\x80\\x80\\x80");
}

/* escape_utf8_len: the length of each valid character, 0 elsewhere. */
static void
test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(escape_utf8_len((const unsigned char *)"", 0), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"a", 1), 1);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\x1b", 1), 1);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xc3\xa9", 1), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xef\xbf\xbd", 3), 3);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xff", 1), 0);
}

/* JSON: quotes, backslashes, control bytes (a NUL too: the length is given), bad UTF-8. */
static void
test_json(void **state)
{
	static const char in[] = "a\"b\\c\n\t\x01\0\xff\xc3\xa9";
	char *j;

	(void)state;
	j = escape_json(in, sizeof(in) - 1);
	assert_string_equal(j, "\"a\\\"b\\\\c\\n\\t\\u0001\\u0000\\ufffd\xc3\xa9\"");
	free(j);
	j = escape_json("", 0);
	assert_string_equal(j, "\"\"");
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_utf8_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
