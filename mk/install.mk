# SPDX-License-Identifier: GPL-2.0
#
# Installing mobj: included by the top-level Makefile.
#
#   make install              everything below but dkms-install
#   make install-lib          libmobj.so.1 and its links, libmobj.a, mobj.pc
#   make install-headers      <mobj.h> and <linux/mobj.h>
#   make install-man          mobj(4), the libmobj(3) pages, mobjctl(8)
#   make install-tools        mobjctl
#   make install-udev         the udev rule and the "mobj" group (sysusers.d)
#   make install-python       the Python package "mobj"
#   make install-module       mobj.ko through the kernel's modules_install
#   make dkms-install         the sources to /usr/src/mobj-VERSION, then
#                             "dkms add" and "dkms install" for every kernel
#                             with headers (only the copy when DESTDIR is set)
#   make dkms-uninstall       "dkms remove" and the sources in /usr/src
#   make dkms-build-check     "dkms build" against Debian's stock headers, in
#                             a throwaway DKMS tree (scripts/dkms-check.sh)
#
# Variables: DESTDIR (staging root), PREFIX (/usr/local), SBINDIR,
# LIBDIR, INCLUDEDIR, PKGCONFIGDIR, MANDIR, PYTHONDIR, UDEVRULESDIR,
# SYSUSERSDIR; KDIR and MODDIR for the module: the kernel build tree and
# the directory mobj.ko was built in (the source tree for "make module";
# build/stock for scripts/build-module.sh).

ifndef MOBJ_INSTALL_MK
MOBJ_INSTALL_MK := 1

TOP ?= $(CURDIR)
KVER ?= $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
	$(wildcard /usr/src/linux-headers-$(shell $(TOP)/scripts/kver.sh 2>/dev/null)))
MODDIR ?= $(TOP)

MOBJ_VERSION := $(shell cat $(TOP)/VERSION)

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
# Debian's python3 looks in /usr/lib/python3/dist-packages and, for local
# installs, /usr/local/lib/python3.X/dist-packages.
PYTHON ?= python3
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/$(shell \
	$(PYTHON) -c 'import sys; print("python%d.%d" % sys.version_info[:2])')/dist-packages)
# Once, not at every use: python3 starts slowly in the test VM.
PYTHONDIR := $(PYTHONDIR)
# udev and systemd-sysusers read /usr/lib for packages and /etc for the
# administrator: /usr/local has no directory of theirs.
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,/etc/udev/rules.d)
SYSUSERSDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/sysusers.d,/etc/sysusers.d)

INSTALL ?= install
INSTALL_DATA ?= $(INSTALL) -m 0644

LIB_SONAME := libmobj.so.1
LIB_REALNAME := libmobj.so.1.0.0
MAN3_PAGES := $(wildcard $(TOP)/man/man3/*.3)
MAN4_PAGES := $(wildcard $(TOP)/man/man4/*.4)
MAN8_PAGES := $(wildcard $(TOP)/man/man8/*.8)
MOBJCTL_DIR := $(TOP)/tools/mobjctl
MOBJCTL := $(MOBJCTL_DIR)/mobjctl
PY_FILES := $(wildcard $(TOP)/python/mobj/*.py) $(TOP)/python/mobj/py.typed

# The module's sources as DKMS builds them: Kbuild, kmod/, the uapi header.
DKMS_NAME := mobj
DKMS_SRCDIR ?= /usr/src/$(DKMS_NAME)-$(MOBJ_VERSION)
DKMS_FILES := Kbuild VERSION $(patsubst $(TOP)/%,%,$(wildcard \
	$(TOP)/kmod/*.c $(TOP)/kmod/*.h)) uapi/linux/mobj.h
DKMS ?= dkms

# Kernel trees without the signing key (Debian's headers): install the
# module unsigned instead of printing sign-file's errors.
MODULES_INSTALL_ARGS = INSTALL_MOD_PATH=$(DESTDIR) \
	$(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)

.PHONY: install install-lib install-headers install-man install-tools \
	install-udev install-python install-module dkms-source dkms-install \
	dkms-uninstall dkms-build-check

install: install-lib install-headers install-man install-tools \
	install-udev install-python install-module

install-lib: lib
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 0755 $(TOP)/userlib/$(LIB_REALNAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(LIB_REALNAME) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmobj.so
	$(INSTALL_DATA) $(TOP)/userlib/libmobj.a $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(MOBJ_VERSION)|' \
		$(TOP)/packaging/mobj.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/mobj.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/mobj.pc
	$(if $(DESTDIR),,-ldconfig)

install-headers:
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/linux
	$(INSTALL_DATA) $(TOP)/userlib/include/mobj.h $(DESTDIR)$(INCLUDEDIR)/mobj.h
	$(INSTALL_DATA) $(TOP)/uapi/linux/mobj.h $(DESTDIR)$(INCLUDEDIR)/linux/mobj.h

install-man:
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man4 \
		$(DESTDIR)$(MANDIR)/man8
	$(INSTALL_DATA) $(MAN3_PAGES) $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL_DATA) $(MAN4_PAGES) $(DESTDIR)$(MANDIR)/man4/
	$(INSTALL_DATA) $(MAN8_PAGES) $(DESTDIR)$(MANDIR)/man8/

# Built here only when missing: "make" builds it, and the test VM's
# source tree is read-only.
install-tools:
	@if [ ! -e $(MOBJCTL) ] && [ -e $(MOBJCTL_DIR)/Makefile ]; then \
		$(MAKE) -C $(MOBJCTL_DIR); \
	fi
	@if [ -f $(MOBJCTL) ] && [ -x $(MOBJCTL) ]; then \
		echo "$(INSTALL) -D -m 0755 $(MOBJCTL) $(DESTDIR)$(SBINDIR)/mobjctl"; \
		$(INSTALL) -D -m 0755 $(MOBJCTL) $(DESTDIR)$(SBINDIR)/mobjctl; \
	else \
		echo "install-tools: $(MOBJCTL) is not built: nothing to install"; \
	fi

install-udev:
	$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR)
	$(INSTALL_DATA) $(TOP)/packaging/60-mobj.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(INSTALL_DATA) $(TOP)/packaging/mobj.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/mobj.conf
ifeq ($(DESTDIR),)
	-systemd-sysusers $(SYSUSERSDIR)/mobj.conf 2>/dev/null || \
		getent group mobj >/dev/null || groupadd --system mobj
	-udevadm control --reload 2>/dev/null
endif

# The package needs no library (it calls ioctl() itself); it learns its
# version from mobj/_version.py, as in a wheel.  In a venv, prefer
# "pip install ./python" (python/README.md).
install-python:
	$(INSTALL) -d $(DESTDIR)$(PYTHONDIR)/mobj
	$(INSTALL_DATA) $(PY_FILES) $(DESTDIR)$(PYTHONDIR)/mobj/
	printf '# Written by "make install".\nVERSION = "%s"\n' \
		'$(MOBJ_VERSION)' >$(DESTDIR)$(PYTHONDIR)/mobj/_version.py
	chmod 0644 $(DESTDIR)$(PYTHONDIR)/mobj/_version.py

install-module:
	@test -e $(MODDIR)/mobj.ko || \
		{ echo "install-module: no $(MODDIR)/mobj.ko: run 'make module' (or set MODDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(MODDIR) $(MODULES_INSTALL_ARGS) modules_install

define dkms_source
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	$(INSTALL) -d $(DESTDIR)$(DKMS_SRCDIR)
	cd $(TOP) && for f in $(DKMS_FILES); do \
		$(INSTALL_DATA) -D $$f $(DESTDIR)$(DKMS_SRCDIR)/$$f || exit 1; \
	done
	sed 's|@VERSION@|$(MOBJ_VERSION)|' $(TOP)/dkms.conf \
		>$(DESTDIR)$(DKMS_SRCDIR)/dkms.conf
endef

dkms-source:
	$(dkms_source)

# The current sources replace an installed copy of the same version; then
# "dkms install" builds and installs for each kernel that has headers,
# and AUTOINSTALL rebuilds for each kernel installed later.
dkms-install:
ifeq ($(DESTDIR),)
	if $(DKMS) status -m $(DKMS_NAME) -v $(MOBJ_VERSION) | grep -q .; then \
		$(DKMS) remove -m $(DKMS_NAME) -v $(MOBJ_VERSION) --all; \
	fi
endif
	$(dkms_source)
ifeq ($(DESTDIR),)
	$(DKMS) add -m $(DKMS_NAME) -v $(MOBJ_VERSION)
	for k in $$(ls /lib/modules); do \
		test -e /lib/modules/$$k/build/Makefile || continue; \
		$(DKMS) install -m $(DKMS_NAME) -v $(MOBJ_VERSION) -k $$k || exit 1; \
	done
endif

dkms-uninstall:
	if $(DKMS) status -m $(DKMS_NAME) -v $(MOBJ_VERSION) | grep -q .; then \
		$(DKMS) remove -m $(DKMS_NAME) -v $(MOBJ_VERSION) --all; \
	fi
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)

dkms-build-check:
	$(TOP)/scripts/dkms-check.sh

endif
