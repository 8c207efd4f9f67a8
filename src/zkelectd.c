/* zkelectd: the leader-election sidecar daemon. main() is short and linear. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "config.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "role.h"
#include "state.h"
#include "xmalloc.h"

#define EXIT_CONFIG 78		/* EX_CONFIG */
/* An in-place upgrade hands the PID file's locked descriptor to the new image here. */
#define PIDFD_ENV "ZKELECTD_PIDFILE_FD"
/* How long the new binary's -t may take before an upgrade gives up on it. */
#define CHECK_IMAGE_MS 2000

struct daemon {
	struct event_base *base;
	struct role *role;
	struct pidfile *pf;
	const char *config_file;
	char *const *argv;	/* as started: the new image gets the same */
	char exe[PATH_MAX];	/* the binary's path, executed again by an upgrade */
	bool verbose;
	int exit_status;
};

static void usage(FILE *f);
static struct config *load_config(const char *file, bool to_stdout);
static void print_warning(const char *msg);
static void check_dir(const char *what, const char *path);
static void check_not_dir(const char *what, const char *path);
static void on_signal(evutil_socket_t sig, short what, void *arg);
static void on_start(evutil_socket_t fd, short what, void *arg);
static void on_stopped(void *arg, int status);
static void reload(struct daemon *d);
static struct pidfile *take_pidfile(const char *path, bool *upgraded);
static bool upgrade_exec(void *arg, char *err, size_t errlen);
static bool check_new_image(const struct daemon *d, char *err, size_t errlen);

static void
usage(FILE *f)
{
	fprintf(f, "usage: zkelectd [-c FILE] [-t] [-v] [-V] [-h]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -t       check the configuration and exit\n"
	    "  -v       more logging (debug)\n"
	    "  -V       print the version\n"
	    "  -h       this help\n", CONFIG_DEFAULT_FILE);
}

int
main(int argc, char *argv[])
{
	struct daemon d = { .config_file = CONFIG_DEFAULT_FILE, .argv = argv };
	struct event *sigev[5], *start;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
	struct config *cfg;
	struct timeval zero = { 0, 0 };
	char err[512];
	bool check_only = false, upgraded = false;
	ssize_t n;
	int ch;

	while ((ch = getopt(argc, argv, "c:tvVh")) != -1) {
		switch (ch) {
		case 'c': d.config_file = optarg; break;
		case 't': check_only = true; break;
		case 'v': d.verbose = true; break;
		case 'V': printf("zkelectd %s\n", VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("zkelectd", d.verbose ? LOG_DEBUG : LOG_INFO);

	if ((cfg = load_config(d.config_file, check_only)) == NULL)
		return EXIT_CONFIG;
	config_warnings(cfg, print_warning);
	if (check_only) {
		printf("configuration OK\n");
		config_free(cfg);
		return 0;
	}
	log_setlevel(d.verbose ? LOG_DEBUG : cfg->log_level);

	check_dir("pid_file", cfg->pid_file);
	check_dir("state_file", cfg->state_file);
	check_not_dir("state_file", cfg->state_file);
	check_dir("session_file", cfg->session_file);
	check_not_dir("session_file", cfg->session_file);
	d.pf = take_pidfile(cfg->pid_file, &upgraded);
	if ((n = readlink("/proc/self/exe", d.exe, sizeof(d.exe) - 1)) <= 0)
		fatal("readlink(/proc/self/exe)");
	d.exe[n] = '\0';

	/* A hook or a peer closing a pipe must not kill the daemon. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal(SIGPIPE)");
	if ((d.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	hook_init(d.base);
	notify_init(d.base);
	if ((d.role = role_new(d.base, cfg, on_stopped, &d, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	role_set_upgrade(d.role, upgrade_exec, &d);

	/* Signals go through libevent, so their handlers run in the loop and may do real work. */
	for (size_t i = 0; i < 5; i++) {
		sigev[i] = evsignal_new(d.base, sigs[i], on_signal, &d);
		evsignal_add(sigev[i], NULL);
	}
	/* Start from a zero-timeout timer, once the loop runs. */
	start = evtimer_new(d.base, on_start, &d);
	evtimer_add(start, &zero);

	log_notice("zkelectd %s starting (id %s, election %s%s)", VERSION, cfg->id, cfg->path,
	    upgraded ? "; upgraded in place, same pid" : "");
	event_base_dispatch(d.base);

	role_free(d.role);
	for (size_t i = 0; i < 5; i++)
		event_free(sigev[i]);
	event_free(start);
	notify_shutdown();
	hook_shutdown();
	event_base_free(d.base);
	pidfile_close(d.pf);
	log_notice("zkelectd stopped");
	return d.exit_status;
}

/* Load FILE with every check; print each problem as FILE:LINE: message. */
static struct config *
load_config(const char *file, bool to_stdout)
{
	struct config_error *errs = NULL, *e;
	struct config *cfg = config_load(file, CONFIG_CHECK_COMMANDS, &errs);

	for (e = errs; e != NULL; e = e->next) {
		if (to_stdout)
			fprintf(stderr, "%s\n", e->text);
		else
			log_errorx("%s", e->text);
	}
	config_errors_free(errs);
	return cfg;
}

static void
print_warning(const char *msg)
{
	log_warnx("%s", msg);
}

/* The directory of PATH must exist and be writable: else exit 1 saying so. */
static void
check_dir(const char *what, const char *path)
{
	char *copy = xstrdup(path), *dir = dirname(copy);

	if (access(dir, W_OK) == -1)
		fatal("%s %s: cannot write in %s (create it, or let systemd's "
		    "RuntimeDirectory= do so)", what, path, dir);
	free(copy);
}

/* PATH must not be a directory (we replace it as a file): else exit 1 saying so. */
static void
check_not_dir(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		fatalx("%s %s is a directory: give the path of a file in [daemon] %s", what, path,
		    what);
}

/* The loop runs: start the role machine. */
static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	role_start(d->role);
}

/*
 * The PID file: taken over from the previous image after an in-place upgrade
 * (*UPGRADED), else locked afresh. Exits when another instance holds it.
 */
static struct pidfile *
take_pidfile(const char *path, bool *upgraded)
{
	const char *inherited = getenv(PIDFD_ENV);
	struct pidfile *pf;
	char err[512];

	if (inherited != NULL) {
		char *end;
		long fd = strtol(inherited, &end, 10);

		*upgraded = true;
		if (*end != '\0' || fd < 3 || fd > INT_MAX)
			fatalx("%s=%s: not a descriptor handed over by an upgrade", PIDFD_ENV,
			    inherited);
		pf = pidfile_adopt(path, (int)fd, err, sizeof(err));
		unsetenv(PIDFD_ENV);	/* not for the hooks */
	} else
		pf = pidfile_open(path, err, sizeof(err));
	if (pf == NULL)
		fatalx("%s", err);
	return pf;
}

/*
 * Before the exec: the new binary must accept the configuration (its -t).
 * A new image that exits 78 at start would leave no daemon at all; this way
 * the old one goes on and says why. Run in the loop, but -t is quick.
 */
static bool
check_new_image(const struct daemon *d, char *err, size_t errlen)
{
	char out[256] = "";
	size_t len = 0;
	ssize_t n;
	int p[2], status, ready = 1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "cannot check the new binary: pipe: %s", strerror(errno));
		return false;
	}
	if ((pid = fork()) == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execl(d->exe, d->exe, "-t", "-c", d->config_file, (char *)NULL);
		_exit(126);
	}
	close(p[1]);
	/* bounded: the loop (the leader's clock, the watchdog's kicks) waits meanwhile */
	while (pid > 0 && (ready = poll(&(struct pollfd){ .fd = p[0], .events = POLLIN }, 1,
	    CHECK_IMAGE_MS)) == 1 && (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	if (pid > 0 && ready == 0) {
		kill(pid, SIGKILL);	/* silent for CHECK_IMAGE_MS: not answering */
		len = (size_t)snprintf(out, sizeof(out), "no answer within %d ms", CHECK_IMAGE_MS);
	}
	close(p[0]);
	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (pid == -1 || waitpid(pid, &status, 0) == -1) {
		snprintf(err, errlen, "cannot check the new binary: %s", strerror(errno));
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		snprintf(err, errlen, "cannot execute %s (not executable, or not a program)", d->exe);
	else
		snprintf(err, errlen, "%s -t rejects %s: %.150s", d->exe, d->config_file, out);
	return false;
}

/*
 * Upgrade in place: execute the binary again in this process (same PID, so
 * systemd keeps following it). Every descriptor but the PID file's closes on
 * exec (the ZooKeeper connection too: the session lives on in the server and
 * the session file); the lock is handed over. Returns only on failure.
 */
static bool
upgrade_exec(void *arg, char *err, size_t errlen)
{
	struct daemon *d = arg;
	int fd = pidfile_fd(d->pf);
	char num[16];

	if (!check_new_image(d, err, errlen))
		return false;
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv(PIDFD_ENV, num, 1) == -1 ||
	    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1 || fcntl(fd, F_SETFD, 0) == -1) {
		snprintf(err, errlen, "cannot prepare the exec: %s", strerror(errno));
	} else {
		log_notice("upgrade: executing %s", d->exe);
		execv(d->exe, d->argv);
		snprintf(err, errlen, "cannot execute %s: %s", d->exe, strerror(errno));
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	unsetenv(PIDFD_ENV);
	return false;
}

/* TERM/INT: stop gracefully. HUP: reload. USR1: resign. USR2: upgrade in place. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_notice("received %s: stopping", strsignal((int)sig));
		role_shutdown(d->role, 0);
		break;
	case SIGHUP:
		log_notice("received SIGHUP: reloading %s", d->config_file);
		reload(d);
		break;
	case SIGUSR1:
		log_notice("received SIGUSR1: resigning");
		role_resign(d->role);
		break;
	case SIGUSR2:
		log_notice("received SIGUSR2: upgrading in place");
		role_upgrade(d->role);
		break;
	}
}

/* Parse and validate anew; keep the old settings when the new ones are invalid. */
static void
reload(struct daemon *d)
{
	struct config *cfg = load_config(d->config_file, false);

	if (cfg == NULL) {
		log_errorx("reload: %s is invalid; keeping the current configuration",
		    d->config_file);
		return;
	}
	config_warnings(cfg, print_warning);
	if (d->verbose)
		cfg->log_level = LOG_DEBUG;
	role_reload(d->role, cfg);
}

/* Everything is down: leave the loop. */
static void
on_stopped(void *arg, int status)
{
	struct daemon *d = arg;

	d->exit_status = status;
	event_base_loopbreak(d->base);
}
