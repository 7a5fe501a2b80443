# SPDX-License-Identifier: GPL-2.0
#
# make              module for KDIR, tools and the iproute2 plugin
# make check        deps, static checks, unit tests, VM selftests (6.1, 6.12)
# make deps         install what the build, tests and benchmarks need
# make fuzz         libFuzzer targets, FUZZ_TIME seconds each (default 60)
# make check-debug  VM selftests + kmemleak under a KASAN/lockdep kernel
# make check-storm  teredo_storm.sh at the issue's 100 rounds (long)
# make check-race   the race lane at full size, debug kernel by default
# make demo         a whole Teredo network in the VM, one line per step
# make bench-scale  a relay's peer table at 1k, 100k and 1M entries
# make bench-profile the tunnels' own code per packet, ours against sit+fou
# make bench-client-profile  the same on the client path, both ends
# make install      module (+ depmod), tools, plugin, unit, man pages;
#                   DESTDIR= stages; make uninstall; make dkms-install
# See README.md.

TOP := $(CURDIR)
CACHE ?= /var/cache/teredo
O ?= $(TOP)/build
export TEREDO_CACHE := $(CACHE)

-include $(CACHE)/env.mk

# Debian 12's default kernel, from the headers meta-package.
DEFAULT_KVER := $(or $(KVER_61),$(shell apt-cache depends linux-headers-amd64 \
		  2>/dev/null | sed -n 's/^ *Depends: linux-headers-//p'))
RUNNING_KDIR := $(wildcard /lib/modules/$(shell uname -r)/build)
KDIR ?= $(or $(RUNNING_KDIR),/lib/modules/$(DEFAULT_KVER)/build)
# /lib/modules/<release>/build names its release; elsewhere the dir does.
KREL = $(if $(filter /lib/modules/%/build,$(KDIR)),$(patsubst \
	/lib/modules/%/build,%,$(KDIR)),$(notdir $(abspath $(KDIR))))

.PHONY: all module modules-all tools deps check unit static vmtest clean bench \
	bench-client bench-profile bench-client-profile bench-server bench-scale fuzz debug-kernel check-debug check-storm \
	check-race \
	install install-module install-tools uninstall dkms-install \
	dkms-uninstall demo deb check-packages

all: module tools

module:
	tools/build-module.sh $(KDIR) $(O)/$(KREL) $(KBUILD_ARGS)

# Both Debian 12 kernels the tests boot.
modules-all:
	tools/build-module.sh /lib/modules/$(KVER_61)/build $(O)/$(KVER_61)
	tools/build-module.sh /lib/modules/$(KVER_612)/build $(O)/$(KVER_612)

tools:
	$(MAKE) -C tools/iproute2 O=$(O)/tools
	$(MAKE) -C tools/teredoctl O=$(O)/tools VERSION=$(VERSION)
	$(MAKE) -C tools/teredod O=$(O)/tools VERSION=$(VERSION)

deps:
	tools/vm/deps.sh

unit:
	$(MAKE) -C tools/tests O=$(O)/tests run

check:
	tools/check.sh

FUZZ_TIME ?= 60
fuzz:
	$(MAKE) -C tools/fuzz O=$(O)/fuzz FUZZ_TIME=$(FUZZ_TIME) run

# Built once into $(CACHE)/debug; rebuilt when tools/vm/debug.config changes.
debug-kernel:
	tools/vm/debug-kernel.sh build

check-debug:
	tools/vm/debug-kernel.sh check

# teredo_storm.sh at 100 rounds of each storm instead of CI's 6 and 3,
# on Debian's STORM_KERNEL (61 or 612); see README.md for how long.
STORM_KERNEL ?= 612
STORM_ROUNDS ?= 100
check-storm: modules-all tools
	tools/vm/run.sh --kernel $(STORM_KERNEL) --timeout 10800 -- env \
		STORM_ROUNDS=$(STORM_ROUNDS) TEREDOD_KILL_ROUNDS=$(STORM_ROUNDS) \
		selftests/teredo_storm.sh

# The race lane at full size: teredo_race.sh on RACE_KERNEL (default the
# debug kernel of make check-debug; 61 or 612 for Debian's), its hammer
# running RACE_SECONDS.
RACE_KERNEL ?= debug
RACE_SECONDS ?= 120
check-race: tools
	@if [ "$(RACE_KERNEL)" = debug ]; then \
		tools/vm/debug-kernel.sh build && \
		tools/build-module.sh "$$(tools/vm/debug-kernel.sh kdir)" \
			"$(O)/$$(tools/vm/debug-kernel.sh release)"; \
	else $(MAKE) modules-all; fi
	tools/vm/run.sh --kernel $(RACE_KERNEL) --timeout 3600 -- env \
		RACE_SECONDS=$(RACE_SECONDS) RPORT_SECONDS=$(RACE_SECONDS) \
		make -s -C selftests run_tests \
		TEST_PROGS="teredo_race.sh teredo_rport.sh"

# The relay bench, the client bench and the server's RS/s, in one boot.
# bench/hostload.sh keeps the host's load where the guest can read it.
HOSTLOAD = bench/hostload.sh $(TOP)/build/vm/$(KVER_61)/hostload
bench: modules-all tools $(O)/bench/rsflood
	$(HOSTLOAD) env TEREDO_VM_TSPIN=0 tools/vm/run.sh --kernel 61 --timeout 4500 -- bash -c \
		'bash bench/run.sh; rc=$$?; bash bench/client.sh || rc=1; \
		 bash bench/server.sh $(SERVER_BENCH_ARGS) || rc=1; exit $$rc'

# The tunnels' own code timed per packet, ours against sit+fou
# (bench/profile.py).
bench-profile: modules-all tools
	$(HOSTLOAD) env TEREDO_VM_TSPIN=0 tools/vm/run.sh --kernel 61 --timeout 900 -- \
		bash bench/run.sh --profile $(PROFILE_ARGS)

# The same for the client path, both tunnel ends (bench/client.sh).
bench-client-profile: modules-all tools
	$(HOSTLOAD) env TEREDO_VM_TSPIN=0 tools/vm/run.sh --kernel 61 --timeout 1200 -- \
		bash bench/client.sh --profile $(PROFILE_ARGS)

bench-client: modules-all tools
	$(HOSTLOAD) env TEREDO_VM_TSPIN=0 tools/vm/run.sh --kernel 61 --timeout 1200 -- bash bench/client.sh

# e.g. make bench-server SERVER_BENCH_ARGS="--time 8 --reps 3"
bench-server: modules-all tools $(O)/bench/rsflood
	$(HOSTLOAD) env TEREDO_VM_TSPIN=0 tools/vm/run.sh --kernel 61 --timeout 1800 -- \
		bash bench/server.sh \
		$(SERVER_BENCH_ARGS)

# The peer table at 1k, 100k and 1M entries (bench/scale.sh), one boot;
# e.g. make bench-scale SCALE_ARGS="--sizes '1000 10000' --time 2"
SCALE_ARGS ?=
bench-scale: modules-all tools
	$(HOSTLOAD) env TEREDO_VM_TSPIN=0 tools/vm/run.sh --kernel 61 --timeout 3600 -- \
		bash bench/scale.sh $(SCALE_ARGS)

$(O)/bench/rsflood: bench/rsflood.c
	mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -o $@ $<

clean:
	rm -rf $(O)
	$(MAKE) -C tools/iproute2 O=$(O)/tools clean
	$(MAKE) -C tools/teredoctl O=$(O)/tools clean
	$(MAKE) -C tools/fuzz O=$(O)/fuzz clean
	$(MAKE) -C tools/teredod O=$(O)/tools clean

# A whole Teredo network in the VM, one line per step (tools/demo/demo.sh);
# only the demo's lines reach the terminal (tools/demo/play.sh).
# deps first on its own: it writes $(CACHE)/env.mk, which names the
# kernels modules-all builds for.
demo:
	$(MAKE) deps
	$(MAKE) modules-all tools
	tools/demo/play.sh $(O)/demo

# ---------------------------------------------------------- packages
# teredo-dkms and teredo-tools in build/deb (tools/deb.sh), lintian clean.
deb:
	tools/deb.sh $(O)/deb

# The packages built, linted, installed into the VM's overlay, used and
# purged (tools/check-packages.sh; make check runs it).
check-packages:
	tools/check-packages.sh

# ---------------------------------------------------------- install
# DESTDIR stages (packaging, tools/install-test.sh); depmod, dkms and
# systemctl only touch the live system when DESTDIR is empty.
# 0.2.N: N commits since the tag v0.2 (tools/version.sh).
VERSION ?= $(shell $(TOP)/tools/version.sh)
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/teredo
# Debian builds iproute2 with a multiarch LIBDIR: its ip(8) loads
# link_*.so from /usr/lib/<triplet>/ip (IP_LIB_DIR overrides it);
# upstream's default is /usr/lib/ip.
MULTIARCH := $(shell $(or $(CC),cc) -print-multiarch 2>/dev/null)
IPLIBDIR ?= $(PREFIX)/lib/$(if $(MULTIARCH),$(MULTIARCH)/)ip
UNITDIR ?= $(or $(shell pkg-config systemd \
	     --variable=systemdsystemunitdir 2>/dev/null),/lib/systemd/system)
UDEVDIR ?= $(or $(shell pkg-config udev --variable=udevdir 2>/dev/null),/lib/udev)
LIBEXECDIR ?= $(PREFIX)/lib/teredo
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSCONFDIR ?= /etc
MODDIR = /lib/modules/$(KREL)/extra
DKMSDIR = /usr/src/teredo-$(VERSION)
MANPAGES := Documentation/man/teredod.8 Documentation/man/teredoctl.8
MAN5PAGES := Documentation/man/teredo.conf.5
UNITS := teredod@.service teredo@.service
# What install-tools installs (uninstall removes these, and packages
# hold them: debian/).
TOOL_FILES := $(SBINDIR)/teredod $(SBINDIR)/teredoctl \
	$(IPLIBDIR)/link_teredo.so $(addprefix $(UNITDIR)/,$(UNITS)) \
	$(UDEVDIR)/rules.d/60-teredo.rules $(LIBEXECDIR)/teredo-link \
	$(SYSUSERSDIR)/teredo.conf $(TMPFILESDIR)/teredo.conf \
	$(addprefix $(MANDIR)/man8/,$(notdir $(MANPAGES))) \
	$(addprefix $(MANDIR)/man5/,$(notdir $(MAN5PAGES))) \
	$(DOCDIR)/examples/teredo0.conf

install: install-module install-tools

install-module: module
	install -D -m 0644 $(O)/$(KREL)/kernel/teredo.ko \
		$(DESTDIR)$(MODDIR)/teredo.ko
	[ -n "$(DESTDIR)" ] || depmod -a $(KREL)

# Everything but the module (the teredo-tools package).  On the live
# system: the user teredo, /var/lib/teredo, udev and systemd reloaded.
install-tools: tools
	install -D -m 0755 $(O)/tools/teredod $(DESTDIR)$(SBINDIR)/teredod
	install -D -m 0755 $(O)/tools/teredoctl $(DESTDIR)$(SBINDIR)/teredoctl
	install -D -m 0644 $(O)/tools/link_teredo.so \
		$(DESTDIR)$(IPLIBDIR)/link_teredo.so
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/teredo
	for u in $(UNITS); do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		    -e 's|@LIBDIR@|$(LIBEXECDIR)|g' tools/systemd/$$u.in \
			> $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -D -m 0755 tools/systemd/teredo-link \
		$(DESTDIR)$(LIBEXECDIR)/teredo-link
	install -D -m 0644 tools/systemd/60-teredo.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-teredo.rules
	install -D -m 0644 tools/systemd/teredo.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/teredo.conf
	install -D -m 0644 tools/systemd/teredo.tmpfiles \
		$(DESTDIR)$(TMPFILESDIR)/teredo.conf
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN5PAGES) $(DESTDIR)$(MANDIR)/man5/
	install -D -m 0644 tools/systemd/teredo0.conf.example \
		$(DESTDIR)$(DOCDIR)/examples/teredo0.conf
	[ -n "$(DESTDIR)" ] || { systemd-sysusers teredo.conf && \
		systemd-tmpfiles --create teredo.conf; }
	[ -n "$(DESTDIR)" ] || udevadm control --reload 2>/dev/null || true
	[ -n "$(DESTDIR)" ] || [ ! -d /run/systemd/system ] || \
		systemctl daemon-reload

# /etc/teredo and the user teredo stay: they may hold the admin's files.
uninstall:
	rm -f $(DESTDIR)$(MODDIR)/teredo.ko $(addprefix $(DESTDIR),$(TOOL_FILES))
	-rmdir $(DESTDIR)$(SYSCONFDIR)/teredo 2>/dev/null
	[ -n "$(DESTDIR)" ] || depmod -a $(KREL)
	[ -n "$(DESTDIR)" ] || [ ! -d /run/systemd/system ] || \
		systemctl daemon-reload

# The module's sources in /usr/src/teredo-VERSION, then dkms builds and
# installs it for the running kernel and every later one.
dkms-install:
	rm -rf $(DESTDIR)$(DKMSDIR)
	install -d $(DESTDIR)$(DKMSDIR)/kernel/uapi/linux
	install -m 0644 Kbuild $(DESTDIR)$(DKMSDIR)/
	install -m 0644 kernel/Kbuild kernel/*.c kernel/*.h \
		$(DESTDIR)$(DKMSDIR)/kernel/
	install -m 0644 kernel/uapi/linux/*.h \
		$(DESTDIR)$(DKMSDIR)/kernel/uapi/linux/
	printf '#define TEREDO_VERSION "%s"\n' $(VERSION) \
		> $(DESTDIR)$(DKMSDIR)/kernel/version.h
	sed 's/@VERSION@/$(VERSION)/' dkms.conf > $(DESTDIR)$(DKMSDIR)/dkms.conf
	[ -n "$(DESTDIR)" ] || { dkms remove teredo/$(VERSION) --all \
		>/dev/null 2>&1; dkms add teredo/$(VERSION) && \
		dkms build teredo/$(VERSION) && dkms install teredo/$(VERSION); }

dkms-uninstall:
	[ -n "$(DESTDIR)" ] || dkms remove teredo/$(VERSION) --all
	rm -rf $(DESTDIR)$(DKMSDIR)
