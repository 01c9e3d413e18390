# aspen — build, test, bench, install.
#
#   make            build ./aspen (warnings are errors)
#   make deps       install the Debian packages aspen builds and tests with
#   make test       build and run every test suite (unit, kernel, end-to-end)
#   make test SAN=1 the same suite under AddressSanitizer + UBSan
#   make test-scale 1000 namespace nodes applied and destroyed, nothing left
#                   (root; minutes; tests/scale/, not part of make test)
#   make bench      benchmarks: prints figures and comparisons, asserts nothing
#   make stat-check the statistical / timing e2e tests 50 times each under load
#                   (root; STAT_RUNS= to change, bench/stat-check.sh)
#   make heal-check e2e/fault_heal with the full 20 rounds per fault kind (root)
#   make demo       the namespace example end to end, in a private sandbox (root)
#   make crash-matrix  SIGKILL each command at each mutating system call (root;
#                   docs/crash-matrix.md); make test runs a sample
#   make install    bin, man page, bash completion, JSON schema, API description; PREFIX=/usr/local
#                   DESTDIR= honoured (make uninstall removes them)
#
# Libraries are found with pkg-config; packagers without it pass PKG_CONFIG=
# (Debian's include paths are then assumed) and may add their own CFLAGS,
# CPPFLAGS, LDFLAGS and LDLIBS, which are always honoured.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share
MANDIR    ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
CC        ?= cc
PKG_CONFIG ?= pkg-config

# pkg-config name -> Debian package, for the "missing library" message.
LIBS_PKGS := yaml-0.1:libyaml-dev libcjson:libcjson-dev libcurl:libcurl4-openssl-dev \
             libnl-3.0:libnl-3-dev libnl-route-3.0:libnl-route-3-dev libmnl:libmnl-dev \
             libnftables:libnftables-dev libmicrohttpd:libmicrohttpd-dev
TEST_PKGS := cmocka:libcmocka-dev
DEB_PKGS  := build-essential pkg-config $(foreach p,$(LIBS_PKGS) $(TEST_PKGS),$(word 2,$(subst :, ,$(p)))) \
             iproute2 iputils-ping nftables util-linux procps valgrind clang libclang-rt-14-dev \
             curl jq groff-base man-db bash-completion graphviz strace time

pc_names  = $(foreach p,$(1),$(word 1,$(subst :, ,$(p))))

# pkg-config itself may be missing on a fresh machine (make deps installs
# it): then every probe below would print "pkg-config: not found", so none
# runs, and check-deps says what to do in one line.
HAVE_PKG_CONFIG := $(if $(PKG_CONFIG),$(shell command -v $(PKG_CONFIG) 2>/dev/null))

ifneq ($(HAVE_PKG_CONFIG),)
  # One line per missing library, naming the package that provides it.
  MISSING := $(foreach p,$(LIBS_PKGS) $(TEST_PKGS),$(if $(shell $(PKG_CONFIG) --exists $(word 1,$(subst :, ,$(p))) && echo y),,$(p)))
  DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(call pc_names,$(LIBS_PKGS)) 2>/dev/null)
  # libcurl's, libmicrohttpd's and libnftables' headers only: they are
  # loaded with dlopen at first use (runtime/curl.h, api/mhd.h, runtime/nftlib.h).
  DEP_LIBS   := $(shell $(PKG_CONFIG) --libs $(filter-out libcurl libmicrohttpd libnftables,$(call pc_names,$(LIBS_PKGS))) 2>/dev/null)
  TEST_LIBS  := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
else
  DEP_CFLAGS := -I/usr/include/libnl3 -I/usr/include/cjson
  DEP_LIBS   := -lyaml -lcjson -lnl-route-3 -lnl-3 -lmnl
  TEST_LIBS  := -lcmocka
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wvla -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -I. $(DEP_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
# The user's LDLIBS (even one given on the command line) come first, then ours.
ALL_LDLIBS := $(LDLIBS) $(DEP_LIBS) -lpthread -lm

ifeq ($(SAN),1)
  B := build-san
  ALL_CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  ALL_LDFLAGS += -fsanitize=address,undefined
else
  B := build
endif

LIB_SRC  := $(sort $(wildcard compiler/*.c runtime/*.c api/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
KERN_SRC := $(sort $(wildcard tests/kernel/test_*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
KERN_BIN := $(KERN_SRC:tests/kernel/%.c=$(B)/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
# The Cloud Hypervisor API double: several files, one binary (tests/chdouble/chd.h).
CHD_SRC  := $(sort $(wildcard tests/chdouble/*.c))
CHD_OBJ  := $(CHD_SRC:%.c=$(B)/%.o)
TOOL_BIN += $(if $(CHD_SRC),$(B)/tools/ch-double)

ASPEN := $(if $(filter 1,$(SAN)),$(B)/aspen,aspen)

ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-5s %s\n' $(1) $(2)
endif

.PHONY: all deps ensure-deps check-deps test test-scale run-tests unit bench fuzz install uninstall clean demo \
	stat-check heal-check
all: check-deps $(ASPEN)

check-deps:
ifneq ($(PKG_CONFIG),)
ifeq ($(HAVE_PKG_CONFIG),)
	@echo "aspen: $(PKG_CONFIG) is not installed: run 'make deps' (as root), or pass PKG_CONFIG= to use Debian's paths" >&2; exit 1
endif
	@$(if $(strip $(MISSING)),$(foreach p,$(MISSING),echo "aspen: missing library $(word 1,$(subst :, ,$(p))): install it with 'apt-get install $(word 2,$(subst :, ,$(p)))' (or 'make deps')" >&2;) exit 1,true)
endif

deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (apt-get install)" >&2; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

# Install only what is missing, so `make test` and `make demo` work on a
# fresh machine and cost nothing on a prepared one.
ensure-deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then echo "installing:" $$missing; $(MAKE) --no-print-directory deps; \
		else echo "aspen: missing packages:" $$missing "(run 'sudo make deps')" >&2; exit 1; fi; \
	fi

# The commit the binary is built from goes into its version (cli/version.c):
# multi-host parts refuse a host whose aspen differs. build-id changes only
# when the commit does, so version.o is rebuilt only then.
BUILD_ID := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(B)/build-id: FORCE
	@mkdir -p $(B); echo '$(BUILD_ID)' | cmp -s - $@ || echo '$(BUILD_ID)' > $@
$(B)/cli/version.o: $(B)/build-id
$(B)/cli/version.o: ALL_CFLAGS += -DASPEN_BUILD='"$(BUILD_ID)"'
.PHONY: FORCE
FORCE:

$(B)/%.o: %.c $(wildcard compiler/*.h runtime/*.h api/*.h cli/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libaspen.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ASPEN): $(CLI_OBJ) $(B)/libaspen.a
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libaspen.a $(ALL_LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libaspen.a tests/testutil.h $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(call say,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libaspen.a $(ALL_LDLIBS) $(TEST_LIBS)

$(B)/tests/%: tests/kernel/%.c $(B)/libaspen.a tests/testutil.h
	@mkdir -p $(dir $@)
	$(call say,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libaspen.a $(ALL_LDLIBS) $(TEST_LIBS)

# Tools link the whole library: a tool may reference a symbol weakly (to
# build before that part of the library exists), and a weak reference alone
# does not pull an object out of an archive.
$(B)/tools/%: tests/tools/%.c $(B)/libaspen.a
	@mkdir -p $(dir $@)
	$(call say,TOOL,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -Wl,--whole-archive $(B)/libaspen.a -Wl,--no-whole-archive $(ALL_LDLIBS)

$(CHD_OBJ): $(wildcard tests/chdouble/*.h)
$(B)/tools/ch-double: $(CHD_OBJ) $(B)/libaspen.a
	@mkdir -p $(dir $@)
	$(call say,TOOL,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CHD_OBJ) $(B)/libaspen.a $(ALL_LDLIBS)

# `make test` first installs whatever Debian packages are missing (a fresh
# machine needs nothing else), then runs every suite; the runner prints
# "N passed, N failed" and exits non-zero on any failure.
test: ensure-deps
	@$(MAKE) --no-print-directory run-tests

run-tests: check-deps $(ASPEN) $(UNIT_BIN) $(KERN_BIN) $(TOOL_BIN)
	ASPEN=$(abspath $(ASPEN)) BUILD=$(abspath $(B)) SAN=$(SAN) tests/run-tests.sh

test-scale: check-deps $(ASPEN)
	@for t in tests/scale/*.sh; do echo "== $$t"; \
	  ASPEN=$(abspath $(ASPEN)) BUILD=$(abspath $(B)) ASPEN_TESTS=$(abspath tests) \
	    tests/sandbox.sh sh $$t || exit 1; done

unit: check-deps $(UNIT_BIN)
	ASPEN=$(abspath $(ASPEN)) BUILD=$(abspath $(B)) ONLY=unit tests/run-tests.sh

bench: check-deps $(ASPEN) $(TOOL_BIN)
	ASPEN=$(abspath $(ASPEN)) BUILD=$(abspath $(B)) bench/run-bench.sh

stat-check: check-deps $(ASPEN) $(TOOL_BIN)
	ASPEN=$(abspath $(ASPEN)) BUILD=$(abspath $(B)) bench/stat-check.sh

heal-check: check-deps $(ASPEN) $(TOOL_BIN)
	HEAL_RUNS=20 ASPEN=$(abspath $(ASPEN)) BUILD=$(abspath $(B)) ASPEN_TESTS=$(abspath tests) \
		tests/sandbox.sh sh tests/e2e/fault_heal.sh

# `make demo` (root): install what is missing, build, then demo/demo.sh on
# topologies/cluster3-netns.yaml inside tests/sandbox.sh, so the demo never
# touches this machine's interfaces.
demo: ensure-deps
	@if [ "$$(id -u)" != 0 ]; then echo "make demo: run as root (it creates namespaces and bridges, in a private sandbox)" >&2; exit 1; fi
	@$(MAKE) --no-print-directory all
	@tests/sandbox.sh sh demo/demo.sh $(abspath $(ASPEN))

install: $(ASPEN)
	install -D -m 0755 $(ASPEN) $(DESTDIR)$(BINDIR)/aspen
	install -D -m 0644 docs/aspen.1 $(DESTDIR)$(MANDIR)/man1/aspen.1
	install -D -m 0644 completions/aspen.bash $(DESTDIR)$(BASHCOMPDIR)/aspen
	install -D -m 0644 schemas/aspen-v1.schema.json $(DESTDIR)$(DATADIR)/aspen/aspen-v1.schema.json
	install -D -m 0644 schemas/aspen-api-v1.openapi.yaml $(DESTDIR)$(DATADIR)/aspen/aspen-api-v1.openapi.yaml

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/aspen $(DESTDIR)$(MANDIR)/man1/aspen.1 \
	      $(DESTDIR)$(BASHCOMPDIR)/aspen $(DESTDIR)$(DATADIR)/aspen/aspen-v1.schema.json \
	      $(DESTDIR)$(DATADIR)/aspen/aspen-api-v1.openapi.yaml
	rmdir $(DESTDIR)$(DATADIR)/aspen 2>/dev/null || true

clean:
	rm -rf build build-san aspen

# The syscall-level crash matrix (docs/crash-matrix.md), as root, inside
# tests/sandbox.sh: every mutating system call of apply, destroy, fault,
# heal, a schedule and run, killed in turn. `make test` runs a sample
# (tests/e2e/crash_matrix.sh). CRASH_ONLY=apply3,heal limits the scenarios,
# CRASH_SAMPLE=K runs K points per scenario, CRASH_KNOWN=FILE tolerates the
# failures FILE lists (printed). One point, with every command's output:
#   make crash-point SCENARIO=apply3 POINT='rename:/run/aspen/netns/aspen-cluster3n-node1.owner.tmp#1'
CRASH_ENV = ASPEN=$(abspath $(ASPEN)) BUILD=$(abspath $(B)) ASPEN_TESTS=$(abspath tests)
.PHONY: crash-matrix crash-point
crash-matrix: check-deps $(ASPEN) $(TOOL_BIN)
	$(CRASH_ENV) tests/sandbox.sh sh tests/crash/matrix.sh $(if $(CRASH_ONLY),--only $(CRASH_ONLY)) \
		$(if $(CRASH_SAMPLE),--sample $(CRASH_SAMPLE)) $(if $(CRASH_KNOWN),--known $(abspath $(CRASH_KNOWN)))

crash-point: check-deps $(ASPEN) $(TOOL_BIN)
	@if [ -z "$(SCENARIO)" ] || [ -z "$(POINT)" ]; then echo "usage: make crash-point SCENARIO=NAME POINT='SYSCALL:DETAIL#K'" >&2; exit 64; fi
	$(CRASH_ENV) tests/sandbox.sh sh tests/crash/matrix.sh --point $(SCENARIO) '$(POINT)'
