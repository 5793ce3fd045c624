# htr — handwriting recognition as a Unix pipeline.  See README.md.
include config.mk

LIB_SRC  = $(sort $(wildcard lib/*.c))
LIB_OBJ  = $(LIB_SRC:lib/%.c=build/lib/%.o)
BIN_SRC  = $(sort $(wildcard bin/htr*.c))
PROGS    = $(BIN_SRC:.c=)
TEST_SRC = $(sort $(wildcard tests/unit/test_*.c))
TESTS    = $(TEST_SRC:tests/unit/%.c=build/tests/%)
BENCH_SRC = $(sort $(wildcard bench/*.c))
BENCHES  = $(BENCH_SRC:bench/%.c=build/bench/%)
MAN      = $(sort $(wildcard man/*.[157]))

# Extra libraries of single programs (htr-synth needs FreeType, htr-serve
# libmicrohttpd): LDLIBS_<program> in config.mk or here.
LDLIBS_htr-synth = -lfreetype
LDLIBS_htr-serve = -lmicrohttpd

all: lib/libhtr.a $(PROGS)

# Everything is rebuilt when the compiler flags change (SAN=1, DEBUG=1).
FLAGS = $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
build/flags: FORCE
	@mkdir -p build
	@echo '$(FLAGS)' | cmp -s - $@ || echo '$(FLAGS)' > $@

build/lib/%.o: lib/%.c build/flags
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# htr-serve's upload page, embedded in the library as a C array.
lib/serve_page.c: web/index.html web/embed.sh
	sh web/embed.sh web/index.html > $@.tmp && mv $@.tmp $@

lib/libhtr.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

build/cli.o: bin/cli.c bin/cli.h lib/htr.h build/flags
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

bin/%: bin/%.c build/cli.o lib/libhtr.a build/flags
	$(CC) $(CPPFLAGS) -Ibin $(CFLAGS) -MMD -MP -MF build/$(@F).d $(LDFLAGS) \
	    -o $@ $< build/cli.o lib/libhtr.a $(LDLIBS_$(@F)) $(LDLIBS)

build/tests/%: tests/unit/%.c tests/unit/t.h tests/unit/toy.h lib/libhtr.a build/flags
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< \
	    lib/libhtr.a $(LDLIBS)

build/bench/%: bench/%.c $(wildcard bench/*.h) lib/libhtr.a build/flags
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/libhtr.a $(LDLIBS)

# Install the Debian packages the build and tests need (as root; no-op when
# everything is there).
deps:
	@scripts/deps.sh

check: all $(TESTS)
	@tests/run.sh $(TESTS)

bench: all $(BENCHES)
	@bench/run.sh

demo: all
	@examples/demo.sh

lint-man:
	mandoc -Tlint -W warning $(MAN)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MODELDIR)
	for m in 1 5 7; do mkdir -p $(DESTDIR)$(MANDIR)/man$$m; done
	cp $(PROGS) $(DESTDIR)$(BINDIR)/
	for f in $(MAN); do cp $$f $(DESTDIR)$(MANDIR)/man$${f##*.}/; done
	cp $(wildcard models/*.htrm models/*.htrl models/line-words*.txt) models/README \
	    $(DESTDIR)$(MODELDIR)/

uninstall:
	cd $(DESTDIR)$(BINDIR) && rm -f $(notdir $(PROGS))

clean:
	rm -rf build lib/libhtr.a $(PROGS) tests/out bench/out

FORCE:
.PHONY: all deps check bench demo lint-man install uninstall clean FORCE
.SECONDARY:
-include $(wildcard build/lib/*.d build/*.d build/tests/*.d)
