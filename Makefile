# mod_opentracing: distributed tracing for Apache httpd.
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
#   make            build build/mod_opentracing.so and build/tracer_*.so
#   make run        install missing packages, build, serve a demo on 127.0.0.1:$(PORT)
#   make view       the demo's spans as trace trees in the terminal (tools/ot-view)
#   make test       install missing packages, build with -Werror, run every test
#   make install    install the module, plugins, headers and Debian conf files
#   make fuzz       build and run the libFuzzer targets (clang), FUZZ_SECONDS
#                   each, FUZZ_JOBS at once
#   make soak       the long forms of the reliability tests (t/60: 1,000,000
#                   traced requests, restarts, a flapping collector; t/56; t/55)
#   make clean

APXS     ?= apxs
CC       ?= cc
PORT     ?= 8080
VERSION  := 0.1.0

APXS_INCLUDEDIR := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
APXS_LIBEXECDIR := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
APXS_LIBDIR     := $(shell $(APXS) -q LIBDIR 2>/dev/null)
APXS_PREFIX     := $(shell $(APXS) -q PREFIX 2>/dev/null)
APXS_CFLAGS     := $(shell $(APXS) -q EXTRA_CPPFLAGS 2>/dev/null)
APR_CONFIG      := $(shell $(APXS) -q APR_CONFIG 2>/dev/null || echo apr-1-config)
APU_CONFIG      := $(shell $(APXS) -q APU_CONFIG 2>/dev/null || echo apu-1-config)
APR_INCLUDES    := $(shell $(APR_CONFIG) --includes 2>/dev/null)
APR_CPPFLAGS    := $(shell $(APR_CONFIG) --cppflags 2>/dev/null)
APR_LIBS        := $(shell $(APR_CONFIG) --link-ld 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
OPT      ?= -O2 -g
SAN      ?=
# Link-time optimization of the module and the plugins, with gcc: the
# glue, the core and the SDK are many small files by design, and LTO
# inlines across them what one file would (README, Performance).  Fat
# objects: the libraries also hold ordinary code, which the unit tests
# link, and which alone is installed (libottracer.a: a plugin links it
# with any compiler).  LTO= builds without (the clang and ASan builds do;
# after make clean, for a tree built with it).
CC_IS_GCC := $(shell $(CC) -v 2>&1 | grep -q '^gcc version' && echo yes)
LTO      ?= $(if $(CC_IS_GCC),-flto=auto -ffat-lto-objects)
# The tree's headers first: an installed (older) ot_tracer.h must not win.
TREE_INC := -I. -Itracer -Itracer/core -Itracer/sdk
CFLAGS_ALL = -std=c11 $(OPT) $(WARN) $(SAN) -fPIC -fvisibility=hidden \
             -D_GNU_SOURCE -DOT_VERSION=\"$(VERSION)\" $(TREE_INC) \
             $(APXS_CFLAGS) $(APR_CPPFLAGS) $(APR_INCLUDES) -I$(APXS_INCLUDEDIR)
LDFLAGS_ALL = $(SAN)

B        := build
# make bench's programs; t/60's collector (bench/sink.c) too.
BENCH_DIR := $(B)/bench
# The layers (dependencies point down): the glue (mod_opentracing*.c) and
# the plugins (tracer/<name>/) on top; tracer/core/ (what only the module
# links) on tracer/sdk/ (what plugins link too: libottracer.a, installed);
# tracer/ot_tracer.h, the ABI, below all.
CORE_SRC := $(sort $(wildcard tracer/core/ot_*.c))
SDK_SRC  := $(sort $(wildcard tracer/sdk/ot_*.c))
CORE_OBJ := $(CORE_SRC:tracer/core/%.c=$(B)/obj/core/%.o)
SDK_OBJ  := $(SDK_SRC:tracer/sdk/%.c=$(B)/obj/sdk/%.o)
CORE_LIB := $(B)/libotcore.a
SDK_LIB  := $(B)/libottracer.a
GLUE_SRC := $(sort $(wildcard mod_opentracing*.c))
HEADERS  := $(wildcard tracer/*.h tracer/core/*.h tracer/sdk/*.h)
PLUGINS  := $(patsubst tracer/%/,%,$(sort $(dir $(wildcard tracer/*/tracer_*.c))))
PLUGIN_SO := $(PLUGINS:%=$(B)/tracer_%.so)
UNIT_SRC := $(sort $(wildcard t/unit/test_*.c))
FUZZ_TARGETS := $(patsubst t/fuzz/fuzz_%.c,%,$(wildcard t/fuzz/fuzz_*.c))
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(B)/unit/%)
LIBS     := $(APR_LIBS) -ljansson -lpthread
# The HTTP exporters, and the tests of the core, need libcurl and zlib too.
HTTP_LIBS := -lcurl -lz
PLUGIN_LIBS_otlp := $(HTTP_LIBS)
PLUGIN_LIBS_zipkin := $(HTTP_LIBS)

.PHONY: all deps run view test unit integration integration-mpm integration-h2 integration-asan soak install fuzz fuzz-build fuzz-replay \
        clean cppcheck valgrind asan clang
all: $(B)/mod_opentracing.so $(PLUGIN_SO)

$(B)/obj/core/%.o: tracer/core/%.c $(HEADERS) | $(B)/obj/core
	$(CC) $(CFLAGS_ALL) $(LTO) -c $< -o $@
$(B)/obj/sdk/%.o: tracer/sdk/%.c $(HEADERS) | $(B)/obj/sdk
	$(CC) $(CFLAGS_ALL) $(LTO) -c $< -o $@

$(B)/obj/core $(B)/obj/sdk $(B)/unit $(B)/fuzz $(B)/fuzz/obj:
	mkdir -p $@

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^
$(SDK_LIB): $(SDK_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/mod_opentracing.so: $(GLUE_SRC) mod_opentracing.h mod_opentracing_private.h $(CORE_LIB) $(SDK_LIB) conf/module.map
	$(CC) $(CFLAGS_ALL) $(LTO) -shared -o $@ $(GLUE_SRC) $(CORE_LIB) $(SDK_LIB) $(LDFLAGS_ALL) \
	    -Wl,--version-script=conf/module.map $(LIBS)

# tracer/<name>/*.c make build/tracer_<name>.so
.SECONDEXPANSION:
$(B)/tracer_%.so: $$(wildcard tracer/%/*.c) $(SDK_LIB) conf/plugin.map
	$(CC) $(CFLAGS_ALL) $(LTO) -Itracer/$* -shared -o $@ $(wildcard tracer/$*/*.c) $(SDK_LIB) \
	    $(LDFLAGS_ALL) \
	    -Wl,--version-script=conf/plugin.map $(LIBS) $(PLUGIN_LIBS_$*)

UNIT_SO  := $(patsubst t/unit/%.c,$(B)/unit/%.so,$(wildcard t/unit/plugin_*.c))
$(B)/unit/%.so: t/unit/%.c tracer/ot_tracer.h | $(B)/unit
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -shared -o $@ $<

$(B)/unit/%: t/unit/%.c $(CORE_LIB) $(SDK_LIB) | $(B)/unit
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(CORE_LIB) $(SDK_LIB) $(LDFLAGS_ALL) $(LIBS) \
	    $(HTTP_LIBS) -lcmocka

# Install what is missing (Debian): build and test dependencies.
deps:
	@sh .ci/deps.sh

run: deps all
	@sh conf/run-demo.sh $(PORT)

# The spans `make run` wrote, as trace trees (VIEW_ARGS: --slowest 5,
# --errors, --trace ID...).
view:
	@perl tools/ot-view $(VIEW_ARGS) $(B)/demo/spans.jsonl

unit: $(UNIT_BIN) $(UNIT_SO) $(PLUGIN_SO)
	@sh t/run-unit.sh $(UNIT_BIN)

# The independent implementations the tests check against, from npm: the
# OTLP protobuf decoder (t/tools/otlp-decode.js) and the OpenTelemetry
# propagators (t/tools/propagators.js).  One install of versions that
# resolve together (otlp-transformer 0.52.1 pins core 1.25.1); the list
# written to $(NPM_STAMP) makes a changed list install again.
NPM_DIR := $(B)/npm
NPM_PACKAGES := @opentelemetry/otlp-transformer@0.52.1 @opentelemetry/api@1.9.0 \
                @opentelemetry/core@1.25.1 @opentelemetry/propagator-b3@1.25.1 \
                @opentelemetry/propagator-jaeger@1.25.1
NPM_STAMP := $(NPM_DIR)/packages.txt
ifneq ($(shell cat $(NPM_STAMP) 2>/dev/null),$(strip $(NPM_PACKAGES)))
.PHONY: $(NPM_STAMP)
endif
$(NPM_STAMP):
	npm install --prefix $(NPM_DIR) --no-audit --no-fund --no-save --silent $(NPM_PACKAGES)
	echo '$(strip $(NPM_PACKAGES))' > $@

# t/25 runs build/unit/test_otlp_proto; t/60 build/bench/sink.
INTEGRATION_TOOLS := $(B)/unit/test_otlp_proto $(BENCH_DIR)/sink
integration: all $(UNIT_SO) $(NPM_STAMP) $(INTEGRATION_TOOLS)
	@prove -I t/lib -v t/*.t

# The whole integration suite under each MPM (OT_MPM is the MPM of every
# test that does not choose one); MPMS=prefork runs one, MPM_TESTS picks
# tests.
MPMS ?= prefork worker event
MPM_TESTS ?= t/*.t
integration-mpm: all $(UNIT_SO) $(NPM_STAMP) $(INTEGRATION_TOOLS)
	@for m in $(MPMS); do \
	    echo "== integration suite under mpm_$$m"; \
	    OT_MPM=$$m prove -I t/lib $(MPM_TESTS) || exit 1; \
	done

# The whole integration suite over HTTP/2 (OT_H2=1, t/lib/OTTest.pm):
# every server loads mod_http2 with "Protocols h2c http/1.1" and the
# tests' requests (OTTest's get, request, raw_get) go over h2c with prior
# knowledge, through curl, on H2_MPM (event; worker too; not prefork,
# where mod_http2 serves nothing: a server a test runs under prefork
# stays HTTP/1.1).  Raw-socket and keep-alive tests stay HTTP/1.1 by
# nature.  H2_TESTS picks tests.  CI runs the process-model tests (but
# t/55) this way under worker (.ci/run); the whole suite is this target.
H2_MPM ?= event
H2_TESTS ?= t/*.t
integration-h2: all $(UNIT_SO) $(NPM_STAMP) $(INTEGRATION_TOOLS)
	@echo "== integration suite over HTTP/2 (h2c), mpm_$(H2_MPM)"
	@OT_H2=1 OT_MPM=$(H2_MPM) prove -I t/lib $(H2_TESTS)

# Every test: unit, the unit tests again under ASan/UBSan and valgrind,
# cppcheck, a short fuzz run of every parser, the integration suite.
# SANITIZE=1: the module, plugins and unit tests built with ASan+UBSan,
# the unit tests and the integration suite run against that build.
ifeq ($(SANITIZE),1)
test: deps
	$(MAKE) asan
	$(MAKE) integration-asan
else
test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) clang
	$(MAKE) asan
	$(MAKE) valgrind
	$(MAKE) cppcheck
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) integration
endif

# The same -Werror build with clang, in a tree of its own.
clang:
	$(MAKE) B=$(B)/clang CC=clang all $(B)/clang/unit/test_ids

# The unit tests built with AddressSanitizer and UBSan, in a tree of their own.
asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/t/unit/lsan.supp:print_suppressions=0 \
	$(MAKE) B=$(B)/asan CC=$(CC) OPT="-O1 -g -fno-omit-frame-pointer" LTO= \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all unit

# The integration suite against the ASan build (apache2 with the runtimes
# preloaded: t/tools/asan-apache2); fails on any ASan or UBSan report.
# t/30 (valgrind) skips itself.  ASAN_TESTS picks tests.
ASAN_REPORTS := $(CURDIR)/$(B)/asan/reports
ASAN_TESTS ?= t/*.t
integration-asan: $(NPM_STAMP) $(BENCH_DIR)/sink
	@rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS) && chmod 1777 $(ASAN_REPORTS)
	OT_BUILD_DIR=$(B)/asan APACHE2=$(CURDIR)/t/tools/asan-apache2 \
	    OT_ASAN_REPORTS=$(ASAN_REPORTS) prove -I t/lib $(ASAN_TESTS)
	@if [ -n "$$(ls -A $(ASAN_REPORTS))" ]; then \
	    cat $(ASAN_REPORTS)/*; echo "ASan/UBSan reports in $(ASAN_REPORTS)"; exit 1; fi

VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite
valgrind: $(UNIT_BIN) $(UNIT_SO) $(PLUGIN_SO) $(FUZZ_TARGETS:%=$(B)/fuzz/replay_%)
	@sh t/run-unit.sh $(foreach t,$(UNIT_BIN),"$(VALGRIND) $(t)")
	@for t in $(FUZZ_TARGETS); do \
	    seeds=t/fuzz/corpus/$$t; \
	    $(VALGRIND) $(B)/fuzz/replay_$$t $$seeds || exit 1; \
	done

# libFuzzer targets (clang), each run for FUZZ_SECONDS on its corpus,
# FUZZ_JOBS of them at once (default: one per CPU; make test runs them
# before the integration suite, never beside it).  CI runs make test with
# FUZZ_SECONDS=60: the 20 targets for 60 s each, two at a time on its
# 2 cores, take 10.5 minutes (10 min 38 s on a shared 2-core machine).
FUZZ_SECONDS ?= 20
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_CFLAGS = -std=c11 -g -O1 -D_GNU_SOURCE -DOT_VERSION=\"$(VERSION)\" $(APR_CPPFLAGS) \
              $(APR_INCLUDES) $(TREE_INC)
# The core and the SDK, instrumented once for every target.
FUZZ_OBJ := $(CORE_SRC:tracer/core/%.c=$(B)/fuzz/obj/%.o) $(SDK_SRC:tracer/sdk/%.c=$(B)/fuzz/obj/%.o)
$(B)/fuzz/obj/%.o: tracer/core/%.c $(HEADERS) | $(B)/fuzz/obj
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(B)/fuzz/obj/%.o: tracer/sdk/%.c $(HEADERS) | $(B)/fuzz/obj
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(B)/fuzz/libfuzzcore.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/fuzz/fuzz_%: t/fuzz/fuzz_%.c $(wildcard t/fuzz/*.h) $(B)/fuzz/libfuzzcore.a | $(B)/fuzz
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(B)/fuzz/libfuzzcore.a $(LIBS) $(HTTP_LIBS)
$(B)/fuzz/replay_%: t/fuzz/fuzz_%.c t/fuzz/replay.c $(wildcard t/fuzz/*.h) $(CORE_LIB) $(SDK_LIB) | $(B)/fuzz
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< t/fuzz/replay.c $(CORE_LIB) $(SDK_LIB) $(LIBS) $(HTTP_LIBS)
fuzz-build: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
fuzz: fuzz-build
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) $(FUZZ_TARGETS:%=fuzz-run-%)
# One target: its log in build/fuzz/<target>.log, what it found in
# build/fuzz/corpus-<target>; one line (its last count of runs) when done.
fuzz-run-%: $(B)/fuzz/fuzz_%
	@mkdir -p $(B)/fuzz/corpus-$*
	@$(B)/fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/corpus-$* \
	    t/fuzz/corpus/$* > $(B)/fuzz/$*.log 2>&1 \
	    || { echo "fuzz $*: FAILED"; tail -n 40 $(B)/fuzz/$*.log; exit 1; }
	@echo "fuzz $* ($(FUZZ_SECONDS) s): $$(grep -E '^#[0-9]+.*(DONE|pulse)' $(B)/fuzz/$*.log | tail -n 1)"
# The tracer SDK for third-party plugins: ot_tracer.h, the SDK headers in
# INCLUDEDIR/ottracer, libottracer.a and ottracer.pc in apxs's LIBDIR.
SDK_INCDIR := $(APXS_INCLUDEDIR)/ottracer
PC_DIR     := $(APXS_LIBDIR)/pkgconfig
install: all
	install -d $(DESTDIR)$(APXS_LIBEXECDIR) $(DESTDIR)$(APXS_INCLUDEDIR) \
	    $(DESTDIR)$(SDK_INCDIR) $(DESTDIR)$(PC_DIR)
	install -m 644 $(B)/mod_opentracing.so $(PLUGIN_SO) $(DESTDIR)$(APXS_LIBEXECDIR)/
	install -m 644 mod_opentracing.h tracer/ot_tracer.h $(DESTDIR)$(APXS_INCLUDEDIR)/
	install -m 644 tracer/sdk/*.h $(DESTDIR)$(SDK_INCDIR)/
	objcopy -R '.gnu.lto_*' -R '.gnu.debuglto_*' $(SDK_LIB) $(B)/libottracer-plain.a
	install -m 644 $(B)/libottracer-plain.a $(DESTDIR)$(APXS_LIBDIR)/libottracer.a
	sed -e 's|@PREFIX@|$(APXS_PREFIX)|' -e 's|@INCLUDEDIR@|$(APXS_INCLUDEDIR)|' \
	    -e 's|@LIBDIR@|$(APXS_LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    conf/ottracer.pc.in > $(B)/ottracer.pc
	install -m 644 $(B)/ottracer.pc $(DESTDIR)$(PC_DIR)/ottracer.pc
	if [ -d $(DESTDIR)/etc/apache2/mods-available ]; then \
	    for f in opentracing.load opentracing.conf; do \
	        sed 's|@LIBEXECDIR@|$(APXS_LIBEXECDIR)|g' conf/$$f > $(B)/$$f; \
	        install -m 644 $(B)/$$f $(DESTDIR)/etc/apache2/mods-available/$$f; \
	    done; \
	    install -d $(DESTDIR)/etc/apache2/opentracing; \
	    [ -e $(DESTDIR)/etc/apache2/opentracing/file.json ] || \
	        install -m 644 conf/file.json $(DESTDIR)/etc/apache2/opentracing/file.json; \
	fi

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --inline-suppr --std=c11 $(TREE_INC) --suppress=missingIncludeSystem \
	    --suppress=missingInclude -DOT_VERSION=\"$(VERSION)\" \
	    $(GLUE_SRC) tracer t/unit t/fuzz

# The long forms of the fault tests (not part of make test): 1,000,000
# traced requests with a graceful restart every 90 s and a flapping
# collector (make test runs t/60 with 30,000 and a restart every 4 s),
# 200 graceful restarts under load with a hung collector, 3,000 timed
# requests per collector fault.
SOAK_REQUESTS ?= 1000000
soak: all $(UNIT_SO) $(BENCH_DIR)/sink
	OT_SOAK_REQUESTS=$(SOAK_REQUESTS) OT_SOAK_RESTART_S=90 prove -I t/lib -v t/60-soak.t
	OT_RESTARTS=200 prove -I t/lib -v t/56-restarts.t
	OT_FAULT_REQUESTS=3000 prove -I t/lib -v t/55-collector-faults.t

# The overhead benchmark (not part of make test): six httpd configurations
# under wrk, callgrind instructions per request, micro-benchmarks of the
# core.  Writes build/bench/results.md and results.json.  See bench/run
# for BENCH_ROUNDS, BENCH_DURATION, BENCH_SOAK...
$(BENCH_DIR)/sink: bench/sink.c
	@mkdir -p $(BENCH_DIR)
	$(CC) -O2 -Wall -Wextra -pthread -o $@ $<
$(BENCH_DIR)/micro: bench/micro.c $(CORE_LIB) $(SDK_LIB) $(HEADERS)
	@mkdir -p $(BENCH_DIR)
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(CORE_LIB) $(SDK_LIB) $(LDFLAGS_ALL) \
	    $(LIBS) $(HTTP_LIBS)
.PHONY: bench
bench: all $(BENCH_DIR)/sink $(BENCH_DIR)/micro
	@command -v wrk >/dev/null || apt-get install -y wrk
	@command -v ab >/dev/null || apt-get install -y apache2-utils
	@command -v valgrind >/dev/null || apt-get install -y valgrind
	OT_BUILD_DIR=$(B) perl bench/run

clean:
	rm -rf $(B)
