# mod_opentracing: distributed tracing for Apache httpd.
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
#   make            build build/mod_opentracing.so and build/tracer_*.so
#   make run        install missing packages, build, serve a demo on 127.0.0.1:$(PORT)
#   make test       install missing packages, build with -Werror, run every test
#   make install    install the module, plugins, headers and Debian conf files
#   make fuzz       build and briefly run the libFuzzer targets (clang)
#   make clean

APXS     ?= apxs
CC       ?= cc
PORT     ?= 8080
VERSION  := 0.1.0

APXS_INCLUDEDIR := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
APXS_LIBEXECDIR := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
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
CFLAGS_ALL = -std=c11 $(OPT) $(WARN) $(SAN) -fPIC -fvisibility=hidden \
             -D_GNU_SOURCE -DOT_VERSION=\"$(VERSION)\" \
             $(APXS_CFLAGS) $(APR_CPPFLAGS) $(APR_INCLUDES) -I$(APXS_INCLUDEDIR) -Itracer
LDFLAGS_ALL = $(SAN)

B        := build
CORE_SRC := $(sort $(wildcard tracer/ot_*.c))
CORE_OBJ := $(CORE_SRC:tracer/%.c=$(B)/obj/%.o)
CORE_LIB := $(B)/libotcore.a
PLUGINS  := $(patsubst tracer/%/,%,$(sort $(dir $(wildcard tracer/*/tracer_*.c))))
PLUGIN_SO := $(PLUGINS:%=$(B)/tracer_%.so)
UNIT_SRC := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(B)/unit/%)
LIBS     := $(APR_LIBS) -ljansson -lpthread

.PHONY: all deps run test unit integration install fuzz fuzz-build clean cppcheck valgrind asan
all: $(B)/mod_opentracing.so $(PLUGIN_SO)

$(B)/obj/%.o: tracer/%.c $(wildcard tracer/*.h) | $(B)/obj
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(B)/obj $(B)/unit $(B)/fuzz:
	mkdir -p $@

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/mod_opentracing.so: mod_opentracing.c mod_opentracing.h mod_opentracing_private.h $(CORE_LIB) conf/module.map
	$(CC) $(CFLAGS_ALL) -shared -o $@ mod_opentracing.c $(CORE_LIB) $(LDFLAGS_ALL) \
	    -Wl,--version-script=conf/module.map $(LIBS)

# tracer/<name>/*.c make build/tracer_<name>.so
.SECONDEXPANSION:
$(B)/tracer_%.so: $$(wildcard tracer/%/*.c) $(CORE_LIB) conf/plugin.map
	$(CC) $(CFLAGS_ALL) -Itracer/$* -shared -o $@ $(wildcard tracer/$*/*.c) $(CORE_LIB) $(LDFLAGS_ALL) \
	    -Wl,--version-script=conf/plugin.map $(LIBS) $(PLUGIN_LIBS_$*)

UNIT_SO  := $(B)/unit/plugin_bad_abi.so $(B)/unit/plugin_none.so
$(B)/unit/%.so: t/unit/%.c tracer/ot_tracer.h | $(B)/unit
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -shared -o $@ $<

$(B)/unit/%: t/unit/%.c $(CORE_LIB) | $(B)/unit
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(CORE_LIB) $(LDFLAGS_ALL) $(LIBS) -lcmocka

# Install what is missing (Debian): build and test dependencies.
deps:
	@sh .ci/deps.sh

run: deps all
	@sh conf/run-demo.sh $(PORT)

unit: $(UNIT_BIN) $(UNIT_SO) $(PLUGIN_SO)
	@sh t/run-unit.sh $(UNIT_BIN)

integration: all
	@prove -I t/lib -v t/*.t

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration

install: all
	install -d $(DESTDIR)$(APXS_LIBEXECDIR) $(DESTDIR)$(APXS_INCLUDEDIR)
	install -m 644 $(B)/mod_opentracing.so $(PLUGIN_SO) $(DESTDIR)$(APXS_LIBEXECDIR)/
	install -m 644 mod_opentracing.h tracer/ot_tracer.h $(DESTDIR)$(APXS_INCLUDEDIR)/
	if [ -d $(DESTDIR)/etc/apache2/mods-available ]; then \
	    install -m 644 conf/opentracing.load conf/opentracing.conf $(DESTDIR)/etc/apache2/mods-available/; \
	    install -d $(DESTDIR)/etc/apache2/opentracing; \
	    [ -e $(DESTDIR)/etc/apache2/opentracing/file.json ] || \
	        install -m 644 conf/file.json $(DESTDIR)/etc/apache2/opentracing/file.json; \
	fi

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --inline-suppr --std=c11 -Itracer -I$(APXS_INCLUDEDIR) --suppress=missingIncludeSystem \
	    mod_opentracing.c tracer

clean:
	rm -rf $(B)
