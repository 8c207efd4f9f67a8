/*
 * fuzz_config: libFuzzer harness for the configuration parser (src/config.c).
 *
 * Each input is a whole configuration file: it is written to a memfd and loaded
 * through /proc/self/fd/N with every check, as `zkelectd -t` would. The same
 * bytes, as a string, also go to config_parse_duration and command_split.
 * Besides the sanitizers' findings, the harness aborts when an answer breaks
 * the contract: a configuration and errors at once, an error that is not
 * "FILE:LINE: message", a duration that came from a malformed string, a
 * command word that is empty or holds a blank.
 */
#include <sys/mman.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what);
static const char *input_path(const uint8_t *data, size_t size);
static void check_errors(const char *path, const struct config_error *errs);
static void check_config(const struct config *cfg);
static void ignore_warning(const char *msg);
static void fuzz_load(const uint8_t *data, size_t size);
static void fuzz_duration(const char *s);
static void fuzz_command(const char *s);

/* Abort (a crash for libFuzzer) with WHAT when OK is false. */
static void
check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_config: broken: %s\n", what);
	abort();
}

/* Put the input into the one memfd; return a path that opens it from the start. */
static const char *
input_path(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd == -1) {
		fd = memfd_create("fuzz_config", 0);
		check(fd != -1, "memfd_create");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	check(ftruncate(fd, 0) == 0, "ftruncate");
	check(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size, "pwrite");
	return path;
}

/* Every error is "PATH:LINE: message" with a decimal LINE and a message. */
static void
check_errors(const char *path, const struct config_error *errs)
{
	size_t n = strlen(path);
	const char *p;

	for (; errs != NULL; errs = errs->next) {
		check(strncmp(errs->text, path, n) == 0 && errs->text[n] == ':',
		    "an error does not start with FILE:");
		p = errs->text + n + 1;
		check(isdigit((unsigned char)*p), "an error has no line number");
		while (isdigit((unsigned char)*p))
			p++;
		check(p[0] == ':' && p[1] == ' ' && p[2] != '\0', "an error has no message");
	}
}

/* A configuration that loaded has what config.h promises. */
static void
check_config(const struct config *cfg)
{
	struct command copy;
	char buf[32];

	check(cfg->hosts != NULL && cfg->path != NULL && cfg->path[0] == '/', "hosts or path");
	check(cfg->id != NULL && cfg->data != NULL, "id or data");
	check(cfg->pid_file != NULL && cfg->state_file != NULL, "pid or state file");
	check(cfg->disconnect_grace_ms * 3 < cfg->session_timeout_ms, "disconnect_grace rule");
	check(cfg->mode == MODE_OBSERVER || cfg->promote.argv != NULL, "a candidate without promote");
	if (cfg->promote.argv != NULL) {
		check(cfg->promote.argv[0][0] == '/', "a relative promote command");
		command_copy(&copy, &cfg->promote);
		check(command_equal(&copy, &cfg->promote), "command_copy differs");
		command_free(&copy);
	}
	config_format_duration(cfg->session_timeout_ms, buf, sizeof(buf));
	check(strlen(buf) < sizeof(buf) - 1, "a formatted duration filled its buffer");
	config_warnings(cfg, ignore_warning);
}

/* config_warnings' callback: the message must be a string. */
static void
ignore_warning(const char *msg)
{
	check(msg != NULL && strlen(msg) > 0, "an empty warning");
}

/* Load the input as a file: a configuration or errors, never both, never neither. */
static void
fuzz_load(const uint8_t *data, size_t size)
{
	struct config_error *errs = NULL;
	const char *path = input_path(data, size);
	struct config *cfg = config_load(path, CONFIG_CHECK_COMMANDS, &errs);

	check((cfg == NULL) != (errs == NULL), "config_load: a configuration and errors");
	check_errors(path, errs);
	if (cfg != NULL)
		check_config(cfg);
	config_free(cfg);
	config_errors_free(errs);
}

/* A duration is digits and one unit of "", ms, s, m, h, or it is -1. */
static void
fuzz_duration(const char *s)
{
	int64_t ms = config_parse_duration(s);
	size_t digits = strspn(s, "0123456789");
	const char *unit = s + digits;
	char buf[32];

	if (ms < 0) {
		check(ms == -1, "a negative duration other than -1");
		return;
	}
	check(digits > 0, "a duration without digits");
	check(strcmp(unit, "") == 0 || strcmp(unit, "ms") == 0 || strcmp(unit, "s") == 0 ||
	    strcmp(unit, "m") == 0 || strcmp(unit, "h") == 0, "a duration with a bad unit");
	config_format_duration(ms, buf, sizeof(buf));
	check(buf[0] != '\0', "an empty formatted duration");
}

/* command_split: the words, in order, are exactly the runs of non-blanks. */
static void
fuzz_command(const char *s)
{
	struct command cmd;
	size_t total = 0, blanks = strspn(s, " \t");
	int words = 0;

	for (const char *p = s + blanks; *p != '\0'; p += strspn(p, " \t")) {
		p += strcspn(p, " \t");
		words++;
	}
	command_split(s, &cmd);
	check(cmd.argc == words, "command_split: a wrong word count");
	check(words == 0 ? cmd.argv == NULL : cmd.argv[cmd.argc] == NULL, "argv not NULL-ended");
	for (int i = 0; i < cmd.argc; i++) {
		check(cmd.argv[i][0] != '\0', "an empty word");
		check(strpbrk(cmd.argv[i], " \t") == NULL, "a word with a blank");
		check(strstr(s, cmd.argv[i]) != NULL, "a word not in the input");
		total += strlen(cmd.argv[i]);
	}
	check(total <= strlen(s), "more bytes in the words than in the input");
	command_free(&cmd);
	check(cmd.argv == NULL && cmd.argc == 0, "command_free left words behind");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	check(s != NULL, "malloc");
	fuzz_load(data, size);
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_duration(s);
	fuzz_command(s);
	free(s);
	return 0;
}
