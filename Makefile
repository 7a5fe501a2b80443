# SPDX-License-Identifier: GPL-2.0
#
# make              module for KDIR, tools and the iproute2 plugin
# make check        deps, static checks, unit tests, VM selftests (6.1, 6.12)
# make deps         install what the build, tests and benchmarks need
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
	bench-server

all: module tools

module:
	tools/build-module.sh $(KDIR) $(O)/$(KREL) $(KBUILD_ARGS)

# Both Debian 12 kernels the tests boot.
modules-all:
	tools/build-module.sh /lib/modules/$(KVER_61)/build $(O)/$(KVER_61)
	tools/build-module.sh /lib/modules/$(KVER_612)/build $(O)/$(KVER_612)

tools:
	$(MAKE) -C tools/iproute2 O=$(O)/tools
	$(MAKE) -C tools/teredoctl O=$(O)/tools

deps:
	tools/vm/deps.sh

unit:
	$(MAKE) -C tools/tests O=$(O)/tests run

check:
	tools/check.sh

# Relay throughput (bench/run.sh), then server RS/s (bench/server.sh),
# in one boot.
bench: modules-all tools $(O)/bench/rsflood
	tools/vm/run.sh --kernel 61 --timeout 1800 -- bash -c \
		'bash bench/run.sh; rc=$$?; bash bench/server.sh || rc=1; exit $$rc'

bench-server: modules-all tools $(O)/bench/rsflood
	tools/vm/run.sh --kernel 61 --timeout 600 -- bash bench/server.sh

$(O)/bench/rsflood: bench/rsflood.c
	mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -o $@ $<

clean:
	rm -rf $(O)
	$(MAKE) -C tools/iproute2 O=$(O)/tools clean
	$(MAKE) -C tools/teredoctl O=$(O)/tools clean
