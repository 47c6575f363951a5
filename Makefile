# SPDX-License-Identifier: GPL-2.0
#
# mobj: every target.  "make help" lists them.

ifneq ($(KERNELRELEASE),)
# Called back by the kernel build system: Kbuild says what to build.
include $(src)/Kbuild
else

TOP := $(CURDIR)
BUILD ?= $(TOP)/build
KVER ?= $(shell uname -r)
# Native builds use the running kernel's build tree when it has one,
# otherwise Debian's linux-headers-amd64.
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
	$(wildcard /usr/src/linux-headers-$(shell scripts/kver.sh 2>/dev/null)))

CC ?= cc
CFLAGS ?= -O2 -g
export CC CFLAGS

.PHONY: all module lib selftests tools deps check demo bench stress lint \
	clean help

all: module lib selftests tools

help:
	@echo "make            build mobj.ko (KDIR=...), libmobj and the selftests"
	@echo "make demo       boot the VM, load mobj.ko, run the seed_cycle example"
	@echo "make check      all tests in the VM, stock and debug kernels"
	@echo "make check NATIVE=1   the selftests against the running kernel"
	@echo "make bench      benchmarks in the VM (bench/README.md)"
	@echo "make stress     the reliability tests, longer, on the debug kernel"
	@echo "make lint       checkpatch --strict, W=1 and sparse"
	@echo "make install    libmobj, headers, mobjctl, man pages, udev rule, module"
	@echo "make dkms-install   register the module with DKMS"

deps:
	@scripts/deps.sh

module:
	$(MAKE) -C $(KDIR) M=$(TOP) modules

lib:
	$(MAKE) -C userlib

selftests: lib
	$(MAKE) -C selftests

tools: lib
	$(MAKE) -C tools/mobjctl

ifeq ($(NATIVE),1)
check: all
	scripts/run-tests.sh --native $(TOP)/mobj.ko
else
check: deps
	scripts/check.sh
endif

demo: deps
	scripts/demo.sh

bench: deps
	scripts/bench.sh

stress: deps
	scripts/stress.sh

lint: deps
	scripts/lint.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
	$(MAKE) -C userlib clean
	$(MAKE) -C selftests clean
	$(MAKE) -C tools/mobjctl clean
	$(MAKE) -C bench clean
	rm -rf $(BUILD)

include mk/install.mk

endif
