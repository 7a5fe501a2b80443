# SPDX-License-Identifier: GPL-2.0
#
# make              module for KDIR, tools and the iproute2 plugin
# make check        deps, static checks, unit tests, VM selftests (6.1, 6.12)
# make deps         install what the build, tests and benchmarks need
# make fuzz         libFuzzer targets, FUZZ_TIME seconds each (default 60)
# make check-debug  VM selftests + kmemleak under a KASAN/lockdep kernel
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
	fuzz debug-kernel check-debug

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
	$(MAKE) -C tools/teredod O=$(O)/tools

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

bench: modules-all tools
	tools/vm/run.sh --kernel 61 --timeout 1500 -- bash bench/run.sh

clean:
	rm -rf $(O)
	$(MAKE) -C tools/iproute2 O=$(O)/tools clean
	$(MAKE) -C tools/teredoctl O=$(O)/tools clean
	$(MAKE) -C tools/fuzz O=$(O)/fuzz clean
	$(MAKE) -C tools/teredod O=$(O)/tools clean
