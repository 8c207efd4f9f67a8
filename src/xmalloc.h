/* xmalloc: allocation that cannot fail (it exits), so callers stay readable. */
#ifndef ZKELECT_XMALLOC_H
#define ZKELECT_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Free a NULL-terminated array of malloc'd strings, and the array (NULL is fine). */
void strv_free(char **v);

#endif
