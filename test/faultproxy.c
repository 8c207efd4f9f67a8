/*
 * faultproxy: a TCP proxy for fault tests, between one daemon and ZooKeeper.
 *
 *   faultproxy LISTEN_PORT TARGET_PORT[,PORT...] STATE_FILE     (all on 127.0.0.1)
 *
 * Each new connection goes to the next target in turn, so a client whose
 * server is down reaches another member of the ensemble on its next try.
 *
 * Modes, switched by signals and confirmed by rewriting STATE_FILE with the
 * mode's name once it is in force:
 *   SIGHUP   pass       forward both ways (and listen again after a reset)
 *   SIGUSR1  blackhole  forward nothing either way; keep every socket open, so
 *                       only silence tells; new connections are held silent
 *   SIGUSR2  reset      close every connection (RST) and refuse new ones
 *   SIGTERM             exit
 * LISTEN_PORT 0 picks a free port; the port is written to STATE_FILE.port.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

enum mode { PASS, BLACKHOLE, RESET };
static const char *const mode_names[] = { "pass", "blackhole", "reset" };

struct link {
	struct bufferevent *client, *server;
	struct link *next;
};

static struct event_base *base;
static struct evconnlistener *listener;
#define MAX_TARGETS 16
static struct sockaddr_in listen_addr, targets[MAX_TARGETS];
static int ntargets, next_target;
static struct link *links;
static enum mode mode = PASS;
static const char *state_file;

static void set_mode(enum mode m);
static void write_state(void);
static void open_listener(void);
static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg);
static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void link_close(struct link *lk, bool rst);
static void on_signal(evutil_socket_t sig, short what, void *arg);

/* Write the mode in force to STATE_FILE, atomically. */
static void
write_state(void)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", state_file);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "%s\n", mode_names[mode]);
	fclose(f);
	rename(tmp, state_file);
}

/* Listen on LISTEN_ADDR (again). */
static void
open_listener(void)
{
	listener = evconnlistener_new_bind(base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64, (struct sockaddr *)&listen_addr,
	    sizeof(listen_addr));
	if (listener == NULL) {
		perror("faultproxy: listen");
		exit(1);
	}
}

/* A client connected: connect to the target and forward (or hold it, in blackhole). */
static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	struct link *lk = calloc(1, sizeof(*lk));

	(void)l;
	(void)sa;
	(void)len;
	(void)arg;
	lk->client = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	lk->server = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(lk->client, on_read, NULL, on_event, lk);
	bufferevent_setcb(lk->server, on_read, NULL, on_event, lk);
	next_target = (next_target + 1) % ntargets;
	if (bufferevent_socket_connect(lk->server, (struct sockaddr *)&targets[next_target],
	    sizeof(targets[next_target])) == -1) {
		bufferevent_free(lk->client);
		bufferevent_free(lk->server);
		free(lk);
		return;
	}
	lk->next = links;
	links = lk;
	if (mode == PASS) {
		bufferevent_enable(lk->client, EV_READ | EV_WRITE);
		bufferevent_enable(lk->server, EV_READ | EV_WRITE);
	} else {
		bufferevent_disable(lk->client, EV_READ | EV_WRITE);
		bufferevent_disable(lk->server, EV_READ | EV_WRITE);
	}
}

/* Data from one side goes to the other. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct link *lk = arg;
	struct bufferevent *to = bev == lk->client ? lk->server : lk->client;

	if (mode != PASS)
		return;
	bufferevent_write_buffer(to, bufferevent_get_input(bev));
}

/* One side closed or failed: close the link. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		link_close(arg, false);
}

/* Close both sockets of LK (with RST when RST), unlink and free it. */
static void
link_close(struct link *lk, bool rst)
{
	struct link **pp;
	struct linger lg = { 1, 0 };

	for (pp = &links; *pp != NULL && *pp != lk; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = lk->next;
	if (rst) {
		setsockopt(bufferevent_getfd(lk->client), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		setsockopt(bufferevent_getfd(lk->server), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	bufferevent_free(lk->client);
	bufferevent_free(lk->server);
	free(lk);
}

/* Put mode M in force, then say so in the state file. */
static void
set_mode(enum mode m)
{
	struct link *lk;

	mode = m;
	if (m == RESET) {
		while (links != NULL)
			link_close(links, true);
		if (listener != NULL) {
			evconnlistener_free(listener);
			listener = NULL;
		}
	} else {
		if (listener == NULL)
			open_listener();
		for (lk = links; lk != NULL; lk = lk->next) {
			if (m == PASS) {
				bufferevent_enable(lk->client, EV_READ | EV_WRITE);
				bufferevent_enable(lk->server, EV_READ | EV_WRITE);
				/* what arrived before the blackhole began */
				bufferevent_write_buffer(lk->server, bufferevent_get_input(lk->client));
				bufferevent_write_buffer(lk->client, bufferevent_get_input(lk->server));
			} else {
				bufferevent_disable(lk->client, EV_READ | EV_WRITE);
				bufferevent_disable(lk->server, EV_READ | EV_WRITE);
			}
		}
	}
	write_state();
}

/* Signals switch the mode (they run in the loop: libevent's signal events). */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGHUP)
		set_mode(PASS);
	else if (sig == SIGUSR1)
		set_mode(BLACKHOLE);
	else if (sig == SIGUSR2)
		set_mode(RESET);
	else
		event_base_loopbreak(base);
}

int
main(int argc, char *argv[])
{
	static const int sigs[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT };
	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	char portfile[4096];
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: faultproxy LISTEN_PORT TARGET_PORT[,PORT...] STATE_FILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	state_file = argv[3];
	listen_addr.sin_family = AF_INET;
	listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_addr.sin_port = htons((uint16_t)atoi(argv[1]));
	for (char *p = strtok(argv[2], ","); p != NULL && ntargets < MAX_TARGETS;
	    p = strtok(NULL, ",")) {
		targets[ntargets].sin_family = AF_INET;
		targets[ntargets].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		targets[ntargets].sin_port = htons((uint16_t)atoi(p));
		ntargets++;
	}
	if (ntargets == 0) {
		fprintf(stderr, "faultproxy: no target port\n");
		return 2;
	}
	base = event_base_new();
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		evsignal_add(evsignal_new(base, sigs[i], on_signal, NULL), NULL);
	open_listener();
	getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&bound, &blen);
	listen_addr.sin_port = bound.sin_port;	/* a reset then listens again on the same port */
	snprintf(portfile, sizeof(portfile), "%s.port", state_file);
	if ((f = fopen(portfile, "w")) != NULL) {
		fprintf(f, "%d\n", ntohs(bound.sin_port));
		fclose(f);
	}
	write_state();
	event_base_dispatch(base);
	return 0;
}
