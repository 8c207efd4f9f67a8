/* log: one line per event on stderr, with a level. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static void log_verrno(int level, int err, const char *fmt, va_list ap) LOG_FMT(3, 0);

static const char *log_progname = "zkelectd";
/* atomic: libzookeeper_mt's threads log (src/zk.c) while a reload may change it */
static _Atomic int log_level = LOG_INFO;
static int log_journal;	/* stderr is the journal: use <N> priority prefixes */

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* Set the program name and level; detect whether stderr goes to the journal. */
void
log_init(const char *progname, int level)
{
	log_progname = progname;
	log_level = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

/* The syslog level for a configuration word, or -1. */
int
log_level_parse(const char *s)
{
	static const int levels[] = { LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR };

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s, level_names[levels[i]]) == 0)
			return levels[i];
	return -1;
}

/* Format one line and write it with a single write(2), so threads never interleave. */
void
log_vat(int level, const char *fmt, va_list ap)
{
	char line[4096];
	size_t n = 0;
	struct timespec ts;
	struct tm tm;

	if (level > log_level)
		return;
	if (log_journal) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>%s: ", level, level_names[level]);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n, ".%06ldZ %s[%ld] %s: ",
		    ts.tv_nsec / 1000, log_progname, (long)getpid(), level_names[level]);
	}
	if (n < sizeof(line))
		n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	while (n > 0 && line[n - 1] == '\n')
		n--;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

void
log_at(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(level, fmt, ap);
	va_end(ap);
}

/* Log at LEVEL with the text of ERR appended. */
static void
log_verrno(int level, int err, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_at(level, "%s: %s", msg, strerror(err));
}

/* A warning with the text of errno appended. */
void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
}

#define LOG_FN(name, level)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	log_vat(level, fmt, ap);			\
	va_end(ap);					\
}
LOG_FN(log_warnx, LOG_WARNING)
LOG_FN(log_errorx, LOG_ERR)
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)

/* Log an error with strerror(errno) and exit 1. */
void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
