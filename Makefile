# popauthd - plain Makefile (STYLE.md 7).
#
#   make            build popauthd/popauthd
#   make run        build, then run popauthd in the foreground on local paths (run/)
#   make check      every test: unit (Check), integration, end-to-end rig
#   make check-asan the unit and integration tests again under ASan+UBSan
#   make fuzz       libFuzzer targets for a bounded time (FUZZ_SECONDS)
#   make bench      benchmarks (bench/README)
#   make install    PREFIX=/usr DESTDIR=...
#
# Targets that need libraries call scripts/install-deps when one is missing.

CC      ?= cc
# Paths: the defaults a system install wants (PREFIX=/usr: /etc, /var, /run);
# any other PREFIX keeps everything under it.  They are compiled in (the
# config file and every path key's default), so a build for other paths gets
# its own object directory and never mixes with this tree's popauthd.
PREFIX  ?= /usr
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
RUNSTATEDIR ?= /run
SYSTEMDUNITDIR ?= /lib/systemd/system
else
SYSCONFDIR ?= $(PREFIX)/etc
LOCALSTATEDIR ?= $(PREFIX)/var
RUNSTATEDIR ?= $(PREFIX)/run
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
endif
DESTDIR ?=
PATHS    = $(SYSCONFDIR):$(LOCALSTATEDIR):$(RUNSTATEDIR)
PATHTAG  = $(if $(filter /etc:/var:/run,$(PATHS)),,-$(shell printf '%s' '$(PATHS)' | cksum | cut -d' ' -f1))

BUILD   ?= build
CPPFLAGS += -D_GNU_SOURCE -DPOPAUTHD_CONF='"$(SYSCONFDIR)/popauthd/popauthd.conf"' \
	    -DPOPAUTHD_SYSCONFDIR='"$(SYSCONFDIR)"' \
	    -DPOPAUTHD_LOCALSTATEDIR='"$(LOCALSTATEDIR)"' \
	    -DPOPAUTHD_RUNSTATEDIR='"$(RUNSTATEDIR)"' \
	    -DPOPAUTHD_VERSION='"$(VERSION)"'
WARN     = -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wpointer-arith -Wwrite-strings -Wundef \
	   -Wvla -fno-common
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 $(WARN)
HARDEN   = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
LDHARDEN = -pie -Wl,-z,relro,-z,now
LIBS     = -ldb -llmdb -lpcre2-8 -lesmtp -lip4tc -lip6tc -lnftables -lcap-ng -lcares -ljansson -lsystemd -lpq -lm

VERSION  = $(shell sed -n 's/^[0-9-]*  *Release \([0-9.]*\).*/\1/p' ChangeLog | head -1)

# The source tree is layered (README "Source map"; scripts/check-layers checks
# that no file includes from a layer above its own).  Every .c except the
# programs' mains goes into the library the tests link.
LAYERS   = base conf input state out rules cluster track engine ctl
SRCDIRS  = popauthd $(addprefix popauthd/,$(LAYERS))
INCS     = $(addprefix -I,$(SRCDIRS))
PGINC   ?= /usr/include/postgresql
CPPFLAGS += $(INCS) -I$(PGINC)
HDRS     = $(wildcard $(addsuffix /*.h,$(SRCDIRS)))
MAINS    = popauthd/main.c popauthd/popauthctl.c
LIBSRC   = $(filter-out $(MAINS),$(wildcard $(addsuffix /*.c,$(SRCDIRS))))
vpath %.c $(SRCDIRS)
MODE    ?= release
OBJDIR   = $(BUILD)/$(MODE)$(PATHTAG)
LIBOBJ   = $(addprefix $(OBJDIR)/,$(notdir $(LIBSRC:.c=.o)))
UNITSRC  = $(wildcard test/unit/check_*.c)
UNITBIN  = $(UNITSRC:test/unit/%.c=$(OBJDIR)/%)

ifeq ($(MODE),asan)
MODEFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
MODEFLAGS = $(HARDEN)
MODELD    = $(LDHARDEN)
endif

.PHONY: all deps run check check-unit check-integration check-e2e check-asan check-valgrind \
	fuzz bench install format format-check clean

all: deps popauthd/popauthd popauthd/popauthctl

deps:
	@scripts/install-deps

popauthd/popauthd: $(OBJDIR)/popauthd
	cp $< $@.tmp.$$$$ && mv -f $@.tmp.$$$$ $@

popauthd/popauthctl: $(OBJDIR)/popauthctl
	cp $< $@.tmp.$$$$ && mv -f $@.tmp.$$$$ $@

$(OBJDIR)/popauthd: $(OBJDIR)/main.o $(OBJDIR)/libpopauthd.a
	$(CC) $(CFLAGS) $(MODEFLAGS) $(MODELD) -o $@ $^ $(LIBS)

$(OBJDIR)/popauthctl: $(OBJDIR)/popauthctl.o $(OBJDIR)/libpopauthd.a
	$(CC) $(CFLAGS) $(MODEFLAGS) $(MODELD) -o $@ $^ $(LIBS)

$(OBJDIR)/libpopauthd.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $^

$(OBJDIR)/%.o: %.c $(HDRS) | $(OBJDIR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(MODEFLAGS) -c -o $@ $<

$(OBJDIR)/check_%: test/unit/check_%.c test/unit/*.h $(OBJDIR)/libpopauthd.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(MODEFLAGS) -Wno-missing-prototypes \
	    -o $@ $< $(OBJDIR)/libpopauthd.a $(LIBS) $$(pkg-config --libs check)

$(OBJDIR):
	mkdir -p $@

# make run: the daemon's main job on an embedded default: local paths under run/,
# a FIFO it creates, no root, firewall off.  Write log lines into run/maillog.fifo.
RUNDIR = $(CURDIR)/run
run: all
	mkdir -p $(RUNDIR)/data $(RUNDIR)/maps
	@echo "popauthd: feed mail log lines into $(RUNDIR)/maillog.fifo;" \
	      "maps in $(RUNDIR)/maps; Ctrl-C stops"
	popauthd/popauthd -f -c etc/popauthd.conf \
	    -o fifo_path=$(RUNDIR)/maillog.fifo -o data_directory=$(RUNDIR)/data \
	    -o map_directory=$(RUNDIR)/maps -o rules_directory=$(CURDIR)/etc/rules \
	    -o log_file=$(RUNDIR)/popauthd.log -o pid_file=$(RUNDIR)/popauthd.pid \
	    -o whitelist_file=$(CURDIR)/etc/whitelist \
	    -o control_socket=$(RUNDIR)/control.sock -o firewall_backend=none \
	    -o run_as_user= $(RUN_ARGS)

# make check: everything CI runs (~10 minutes on 2 cores)
check: all
	$(MAKE) format-check
	$(MAKE) check-unit check-integration
	$(MAKE) check-e2e
	$(MAKE) check-asan
	$(MAKE) check-valgrind
	$(MAKE) fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	@echo "check: all suites passed"

CHECK_FUZZ_SECONDS ?= 30

check-unit: deps $(UNITBIN)
	@set -e; for t in $(UNITBIN); do echo "== $$t"; $$t; done

check-integration: all
	test/run-integration $(TESTS)

check-e2e: all
	@if [ -x test/e2e/run ]; then test/e2e/run; else echo "SKIP: no e2e rig"; fi

check-asan:
	$(MAKE) MODE=asan check-unit
	$(MAKE) MODE=asan $(BUILD)/asan/popauthd
	POPAUTHD=$(CURDIR)/$(BUILD)/asan/popauthd \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/test/lsan.supp \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 test/run-integration $(TESTS)

# one integration run under valgrind: no errors, no definite leaks
check-valgrind: all
	POPAUTHD=$(CURDIR)/test/valgrind-popauthd test/run-integration 004 008 020

FUZZ_SECONDS ?= 60
fuzz: deps
	@if [ -x test/fuzz/run ]; then test/fuzz/run $(FUZZ_SECONDS); else echo "no fuzz targets"; fi

bench: all
	@if [ -x bench/run ]; then bench/run; else echo "no benchmarks yet"; fi

format:
	clang-format -i $(addsuffix /*.[ch],$(SRCDIRS)) test/unit/*.[ch]

format-check:
	clang-format --dry-run -Werror $(addsuffix /*.[ch],$(SRCDIRS)) test/unit/*.[ch]
	scripts/check-layers

# sed for the files that name paths: the unit, logrotate's file, the config
INSTALL_SED = -e 's|/usr/sbin/|$(PREFIX)/sbin/|g' \
	-e 's|/etc/popauthd/|$(SYSCONFDIR)/popauthd/|g' \
	-e 's|/etc/postfix/|$(SYSCONFDIR)/postfix/|g' \
	-e 's|/etc/mail/|$(SYSCONFDIR)/mail/|g' \
	-e 's|/var/log/|$(LOCALSTATEDIR)/log/|g' \
	-e 's|/var/lib/|$(LOCALSTATEDIR)/lib/|g' \
	-e 's|/run/|$(RUNSTATEDIR)/|g'

# install from this PREFIX's own build (never the tree's popauthd/popauthd)
install: deps $(OBJDIR)/popauthd $(OBJDIR)/popauthctl
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSCONFDIR)/popauthd/rules
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/popauthd
	install -m 755 $(OBJDIR)/popauthd $(DESTDIR)$(PREFIX)/sbin/popauthd
	install -m 755 $(OBJDIR)/popauthctl $(DESTDIR)$(PREFIX)/sbin/popauthctl
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 644 man/popauthd.8 man/popauthctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 man/popauthd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -d $(DESTDIR)$(PREFIX)/share/doc/popauthd
	install -m 644 etc/popauthd.sql maps/pgsql-popauth.cf maps/pgsql-rbl.cf \
	    $(DESTDIR)$(PREFIX)/share/doc/popauthd/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	sed $(INSTALL_SED) etc/popauthd.service >$(DESTDIR)$(SYSTEMDUNITDIR)/popauthd.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/popauthd.service
	sed $(INSTALL_SED) etc/popauthd.socket >$(DESTDIR)$(SYSTEMDUNITDIR)/popauthd.socket
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/popauthd.socket
	sed $(INSTALL_SED) etc/popauthd.logrotate >$(DESTDIR)$(SYSCONFDIR)/logrotate.d/popauthd
	chmod 644 $(DESTDIR)$(SYSCONFDIR)/logrotate.d/popauthd
	install -m 644 etc/rules/*.rules $(DESTDIR)$(SYSCONFDIR)/popauthd/rules/
	test -e $(DESTDIR)$(SYSCONFDIR)/popauthd/popauthd.conf || { \
	    sed $(INSTALL_SED) etc/popauthd.conf >$(DESTDIR)$(SYSCONFDIR)/popauthd/popauthd.conf && \
	    chmod 644 $(DESTDIR)$(SYSCONFDIR)/popauthd/popauthd.conf; }
	test -e $(DESTDIR)$(SYSCONFDIR)/popauthd/whitelist || \
	    install -m 644 etc/whitelist $(DESTDIR)$(SYSCONFDIR)/popauthd/whitelist

clean:
	rm -rf $(BUILD) popauthd/popauthd popauthd/popauthctl
