/* record: "key=value" records (record.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

bool
record_parse(const char *buf, size_t len, const char *magic, record_fn *fn, void *out)
{
	size_t mlen = strlen(magic);
	const char *p, *end, *nl, *eq, *next;
	struct record_kv kv;

	if (buf == NULL || len < mlen || memcmp(buf, magic, mlen) != 0)
		return false;
	end = buf + len;
	for (p = buf + mlen; p < end; p = next) {
		nl = memchr(p, '\n', (size_t)(end - p));
		next = nl != NULL ? nl + 1 : end;	/* never a pointer past END */
		if (nl == NULL)
			nl = end;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL || (size_t)(eq - p) >= sizeof(kv.key))
			continue;	/* a line of a later version */
		memcpy(kv.key, p, (size_t)(eq - p));
		kv.key[eq - p] = '\0';
		kv.v = eq + 1;
		kv.vlen = (size_t)(nl - eq - 1);
		if (!fn(out, &kv))
			return false;
	}
	return true;
}

bool
record_number(const struct record_kv *kv, int64_t *out)
{
	char tmp[24], *end;
	long long n;

	if (kv->vlen == 0 || kv->vlen >= sizeof(tmp) || memchr(kv->v, '\0', kv->vlen) != NULL ||
	    kv->v[0] < '0' || kv->v[0] > '9')
		return false;
	memcpy(tmp, kv->v, kv->vlen);
	tmp[kv->vlen] = '\0';
	errno = 0;
	n = strtoll(tmp, &end, 10);
	if (*end != '\0' || n < 0 || errno == ERANGE)
		return false;	/* junk, or too big: never read as the largest number */
	*out = n;
	return true;
}

void
record_text(char *dst, size_t size, const struct record_kv *kv)
{
	record_clean(dst, size, kv->v, kv->vlen);
}

void
record_clean(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size; i++) {
		dst[i] = src[i];
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			dst[i] = ' ';
	}
	dst[i] = '\0';
}
