/* log: one line per event on stderr, with a level; thread-safe (one write per line). */
#ifndef ZKELECT_LOG_H
#define ZKELECT_LOG_H

#include <stdarg.h>
#include <syslog.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* Start logging as PROGNAME at LEVEL (a syslog level: LOG_ERR ... LOG_DEBUG). */
void log_init(const char *progname, int level);
void log_setlevel(int level);
int log_getlevel(void);
/* The syslog level named by S (debug, info, notice, warning, error), or -1. */
int log_level_parse(const char *s);

void log_warn(const char *fmt, ...) LOG_FMT(1, 2);   /* warning + strerror(errno) */
void log_warnx(const char *fmt, ...) LOG_FMT(1, 2);  /* warning */
void log_errorx(const char *fmt, ...) LOG_FMT(1, 2); /* error, keeps running */
void log_notice(const char *fmt, ...) LOG_FMT(1, 2);
void log_info(const char *fmt, ...) LOG_FMT(1, 2);
void log_debug(const char *fmt, ...) LOG_FMT(1, 2);
void log_at(int level, const char *fmt, ...) LOG_FMT(2, 3);
void log_vat(int level, const char *fmt, va_list ap) LOG_FMT(2, 0);
/* Log at error level (+ strerror for fatal) and exit 1. */
void fatal(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif
