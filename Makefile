# zkelectd: a ZooKeeper leader-election sidecar.
#
#   make            build build/zkelectd and build/zkelectctl
#   make check      install missing packages, build, run every test suite
#   make demo       install missing packages, build, show an election and a failover
#   make chaos      a randomized fault run (DURATION=seconds), judged by the invariant checker
#   make fuzz       the libFuzzer harnesses (FUZZ_SECONDS each)
#   make bench      handover latency, footprint and scale figures (BENCH_JSON=file)
#   make pgdrill    the PostgreSQL failover drill: handover, resign, crash ROUNDS times each
#   make pgclient   what a PostgreSQL client sees: switchover, zkelectd kill, host crash (ROUNDS, default 5)
#   make install    PREFIX=/usr/local DESTDIR= (binaries, units, hooks, man pages, config)
#   make deb        the Debian package: build/deb/zkelectd_VERSION_ARCH.deb and its -dbgsym

PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
HOOKDIR ?= $(PREFIX)/share/zkelectd/hooks
UNITDIR ?= $(PREFIX)/lib/systemd/system
BUILD   ?= build
VERSION ?= 0.1.0

CC      ?= cc
WARN     = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
           -Wpointer-arith -Wcast-qual -Wformat=2 -Wno-format-nonliteral
ifdef WERROR
WARN    += -Werror
endif
CFLAGS  ?= -O2 -g
XCFLAGS  = $(CFLAGS) -std=c11 -D_GNU_SOURCE -DVERSION='"$(VERSION)"' $(WARN) -MMD -MP
PKGS     = libevent_core libevent_extra libevent_pthreads inih
CPPFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -DTHREADED
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lzookeeper_mt -lpthread

# The modules, in the order data flows through them (see README "Inside").
COMMON  = log xmalloc clock config znode state escape hook_command record switchover breadcrumb \
          pause history
DAEMON  = $(COMMON) timer zkrc zk election line session role role_hook role_report role_reload \
          role_resume role_watchdog role_switchover role_pause role_fence role_history \
          role_priority control names hook health status notify watchdog
CTL     = $(COMMON) zkrc zkhistory zkquery zkswitch zkpause

DAEMON_OBJ = $(DAEMON:%=$(BUILD)/%.o) $(BUILD)/zkelectd.o
CTL_OBJ    = $(CTL:%=$(BUILD)/%.o) $(BUILD)/zkelectctl.o

UNIT_TESTS = test_config test_znode test_state test_escape test_hook test_election test_role \
             test_session test_watchdog test_switchover test_history test_pause test_line \
             test_control
UNIT_BIN   = $(UNIT_TESTS:%=$(BUILD)/%)

all: $(BUILD)/zkelectd $(BUILD)/zkelectctl

$(BUILD)/zkelectd: $(DAEMON_OBJ)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/zkelectctl: $(CTL_OBJ)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(XCFLAGS) -Isrc -c -o $@ $<

$(BUILD)/test_%.o: test/unit/test_%.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(XCFLAGS) -Isrc -c -o $@ $<

$(BUILD)/test_%: $(BUILD)/test_%.o $(COMMON:%=$(BUILD)/%.o) $(BUILD)/hook.o $(BUILD)/timer.o
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# election.c on test/unit/fake_zk.c, the zk.h surface without a server.
ELECTION_UNIT = election timer zkrc $(COMMON)
$(BUILD)/test_election: $(BUILD)/test_election.o $(BUILD)/fake_zk.o $(ELECTION_UNIT:%=$(BUILD)/%.o)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# line.c on fake_zk.
$(BUILD)/test_line: $(BUILD)/test_line.o $(BUILD)/fake_zk.o $(BUILD)/line.o $(BUILD)/timer.o \
    $(BUILD)/zkrc.o $(COMMON:%=$(BUILD)/%.o)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# control.c (and the line it owns) on fake_zk.
$(BUILD)/test_control: $(BUILD)/test_control.o $(BUILD)/fake_zk.o $(BUILD)/control.o \
    $(BUILD)/line.o $(BUILD)/timer.o $(BUILD)/zkrc.o $(COMMON:%=$(BUILD)/%.o)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The session file and the watchdog device, each on its own.
$(BUILD)/test_session: $(BUILD)/test_session.o $(BUILD)/session.o $(COMMON:%=$(BUILD)/%.o)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/test_watchdog: $(BUILD)/test_watchdog.o $(BUILD)/watchdog.o $(COMMON:%=$(BUILD)/%.o)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The role module on test/unit/fake_election.c and fake_hook.c (no ZooKeeper, no children).
ROLE_UNIT = role role_hook role_report role_reload role_resume role_watchdog role_switchover \
            role_pause role_fence role_history role_priority watchdog session names health \
            status notify timer $(COMMON)
$(BUILD)/test_role: $(BUILD)/test_role.o $(BUILD)/fake_election.o $(BUILD)/fake_hook.o \
    $(BUILD)/fake_control.o $(ROLE_UNIT:%=$(BUILD)/%.o)
	$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/fake_zk.o $(BUILD)/fake_election.o $(BUILD)/fake_hook.o $(BUILD)/fake_control.o: $(BUILD)/%.o: test/unit/%.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(XCFLAGS) -Isrc -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)

# Test tools: unit tests; the fault proxy the integration tests put between a
# daemon and ZooKeeper; zktool (deletes behind the daemons' backs); hookrec
# (the hook that records each run); wdstandin (a watchdog device stand-in).
TEST_TOOLS = faultproxy zktool hookrec zkput spawnbench wdstandin

unit: $(UNIT_BIN) $(TEST_TOOLS:%=$(BUILD)/%) $(BUILD)/pgwriter

$(TEST_TOOLS:%=$(BUILD)/%): $(BUILD)/%: test/%.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(XCFLAGS) -o $@ $< $(LDLIBS)

# pgwriter, the PostgreSQL client of test/pg_client.sh: the only tool linked with libpq.
$(BUILD)/pgwriter: test/pgwriter.c | $(BUILD)
	$(CC) $(XCFLAGS) $(shell pkg-config --cflags libpq 2>/dev/null) -o $@ $< \
	    $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)

deps:
	./scripts/install-deps.sh

# One binary set for the plain run and one under AddressSanitizer + UBSan.
# The three builds use every core (make check must stay under 8 minutes on two).
BUILD_JOBS ?= $(shell nproc)
check: deps
	$(MAKE) build/zookeeper.jsa
	$(MAKE) -j$(BUILD_JOBS) WERROR=1 all unit
	$(MAKE) -j$(BUILD_JOBS) WERROR=1 BUILD=build/asan \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    all unit
	$(MAKE) -j$(BUILD_JOBS) tsan
	./test/run.sh

# The daemon under ThreadSanitizer, for test/integration/t_tsan.sh (the bridge
# between ZooKeeper's threads and the loop).
TSAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
tsan:
	$(MAKE) WERROR=1 BUILD=build/tsan CFLAGS="$(TSAN_CFLAGS)" build/tsan/zkelectd

# The unit tests alone, built and run: what the package build tests (no ZooKeeper, no root).
unit-test: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do ./$$t; done

# The static analysers: cppcheck and clang-tidy (.clang-tidy).
analyze:
	./test/analyze.sh

# Latency, footprint and scale figures (BENCHMARKS.md); not part of check.
bench: deps all unit
	./test/bench.sh

# libFuzzer harnesses (test/fuzz/), FUZZ_SECONDS per harness.
FUZZ_SECONDS ?= 300
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./test/fuzz/run.sh

# A randomized fault run against a 3-server ensemble and 5 daemons (DURATION seconds).
DURATION ?= 300
chaos: deps all unit
	DURATION=$(DURATION) ./test/chaos.sh

# Two real PostgreSQL clusters and three daemons; every round must rejoin (test/pg_drill.sh).
ROUNDS ?= 10
pgdrill: deps all unit
	ROUNDS=$(ROUNDS) ./test/pg_drill.sh

# What a PostgreSQL client sees (test/pg_client.sh): ROUNDS of each scenario, 5 unless given.
pgclient: deps all unit
	ROUNDS=$(if $(filter file,$(origin ROUNDS)),5,$(ROUNDS)) ./test/pg_client.sh

# A class-data archive of a ZooKeeper member's start (scripts/zk-local.sh cds):
# the private ZooKeeper servers of the tests start on about a third less CPU.
build/zookeeper.jsa: scripts/zk-local.sh
	./scripts/zk-local.sh cds $@

demo: deps all
	./scripts/demo.sh

# The floating-IP hooks, installed once they are in the tree.
VIP_HOOK = $(wildcard scripts/hooks/vip/vip)
VIP_DOCS = $(wildcard scripts/hooks/vip/README.md scripts/hooks/vip/vip.env.example)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 755 $(BUILD)/zkelectd $(DESTDIR)$(SBINDIR)/zkelectd
	install -m 755 $(BUILD)/zkelectctl $(DESTDIR)$(BINDIR)/zkelectctl
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/zkelectd.service > $(DESTDIR)$(UNITDIR)/zkelectd.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/zkelectd@.service > $(DESTDIR)$(UNITDIR)/zkelectd@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/zkelectd.service $(DESTDIR)$(UNITDIR)/zkelectd@.service
	install -d $(DESTDIR)$(HOOKDIR)/postgresql
	install -m 755 scripts/hooks/example-hook $(DESTDIR)$(HOOKDIR)/
	install -m 644 systemd/hardening-strict.conf $(DESTDIR)$(PREFIX)/share/zkelectd/
	install -m 755 scripts/hooks/postgresql/promote scripts/hooks/postgresql/demote \
	    scripts/hooks/postgresql/follow scripts/hooks/postgresql/health \
	    $(DESTDIR)$(HOOKDIR)/postgresql/
	install -m 644 scripts/hooks/postgresql/common.sh scripts/hooks/postgresql/README.md \
	    $(DESTDIR)$(HOOKDIR)/postgresql/
ifneq ($(VIP_HOOK),)
	install -d $(DESTDIR)$(HOOKDIR)/vip
	install -m 755 $(VIP_HOOK) $(DESTDIR)$(HOOKDIR)/vip/
	install -m 644 $(VIP_DOCS) $(DESTDIR)$(HOOKDIR)/vip/
endif
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 644 man/zkelectctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/zkelectd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/zkelectd.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(SYSCONFDIR)/zkelectd/hooks
	[ -e $(DESTDIR)$(SYSCONFDIR)/zkelectd/zkelectd.conf ] || \
	    install -m 640 conf/zkelectd.conf $(DESTDIR)$(SYSCONFDIR)/zkelectd/zkelectd.conf

# The Debian package (debian/): dpkg-buildpackage -b in a clean copy of the tree
# (what is listed in DEB_SRC, nothing built), so the results land in DEB_DIR:
# zkelectd_VERSION_ARCH.deb, zkelectd-dbgsym_..., .buildinfo, .changes.
# DEB_BUILD_OPTIONS=nocheck skips the unit tests the package build runs. The
# build dependencies (debian/control) are among what "make deps" installs;
# dpkg-buildpackage names any that are missing.
DEB_DIR ?= build/deb
DEB_SRC  = Makefile README.md BENCHMARKS.md conf debian docs man scripts src systemd test/unit
DEB_BUILD_OPTIONS ?= parallel=$(shell nproc)
deb:
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$${v%-*}" = "$(VERSION)" ] || \
	    { echo "debian/changelog is at $$v, the Makefile's VERSION is $(VERSION): add an entry" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/zkelectd-$(VERSION)
	tar -cf - --exclude=__pycache__ $(DEB_SRC) | tar -xf - -C $(DEB_DIR)/zkelectd-$(VERSION)
	cd $(DEB_DIR)/zkelectd-$(VERSION) && \
	    DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" dpkg-buildpackage -b -us -uc
	rm -rf $(DEB_DIR)/zkelectd-$(VERSION)
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf build

.PHONY: all unit unit-test deps check chaos tsan analyze fuzz bench pgdrill pgclient demo install deb clean

-include $(wildcard $(BUILD)/*.d)
