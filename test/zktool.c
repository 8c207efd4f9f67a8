/*
 * zktool: what the tests need to do to ZooKeeper behind the daemons' backs,
 * quicker than starting zkCli's JVM.
 *
 *   zktool HOSTS delete PATH       delete one znode (exit 0, or 1 with the error)
 *   zktool HOSTS deleteall PATH    delete PATH and everything below it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

static void collect(zhandle_t *zh, const char *path, char ***paths, int *n, int *rc);
static int delete_all(zhandle_t *zh, const char *path);

/* Add PATH's descendants, then PATH, to *PATHS (children before parents). */
static void
collect(zhandle_t *zh, const char *path, char ***paths, int *n, int *rc)
{
	struct String_vector sv;
	char child[1024];
	int r;

	if ((r = zoo_get_children(zh, path, 0, &sv)) != ZOK) {
		if (r != ZNONODE)
			*rc = r;
		return;
	}
	for (int i = 0; i < sv.count && *rc == ZOK; i++) {
		snprintf(child, sizeof(child), "%s/%s", path, sv.data[i]);
		collect(zh, child, paths, n, rc);
	}
	deallocate_String_vector(&sv);
	*paths = realloc(*paths, sizeof(char *) * (size_t)(*n + 1));
	(*paths)[(*n)++] = strdup(path);
}

/* Delete PATH and all below it in one atomic multi, as an operator's deleteall does. */
static int
delete_all(zhandle_t *zh, const char *path)
{
	char **paths = NULL;
	int n = 0, rc = ZOK;
	zoo_op_t *ops;
	zoo_op_result_t *res;

	collect(zh, path, &paths, &n, &rc);
	if (rc != ZOK || n == 0)
		return rc;
	ops = calloc((size_t)n, sizeof(*ops));
	res = calloc((size_t)n, sizeof(*res));
	for (int i = 0; i < n; i++)
		zoo_delete_op_init(&ops[i], paths[i], -1);
	rc = zoo_multi(zh, n, ops, res);
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(ops);
	free(res);
	return rc;
}

int
main(int argc, char *argv[])
{
	zhandle_t *zh;
	int rc, tries;

	if (argc != 4 || (strcmp(argv[2], "delete") != 0 && strcmp(argv[2], "deleteall") != 0)) {
		fprintf(stderr, "usage: zktool HOSTS delete|deleteall PATH\n");
		return 2;
	}
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	if ((zh = zookeeper_init(argv[1], NULL, 10000, NULL, NULL, 0)) == NULL) {
		perror("zktool: zookeeper_init");
		return 1;
	}
	for (tries = 0; zoo_state(zh) != ZOO_CONNECTED_STATE && tries < 500; tries++)
		usleep(10000);
	if (strcmp(argv[2], "delete") == 0)
		rc = zoo_delete(zh, argv[3], -1);
	else	/* contenders may queue again between the listing and the multi: retry */
		for (tries = 0; (rc = delete_all(zh, argv[3])) != ZOK && tries < 50; tries++)
			;
	zookeeper_close(zh);
	if (rc != ZOK) {
		fprintf(stderr, "zktool: %s %s: %s\n", argv[2], argv[3], zerror(rc));
		return 1;
	}
	return 0;
}
