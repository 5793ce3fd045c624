# htr build configuration.  Override on the command line: make PREFIX=/opt/htr
PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
MODELDIR  = $(PREFIX)/share/htr/models

CC        = cc
CPPFLAGS  = -Ilib -I/usr/include/netpbm -I/usr/include/freetype2 -D_XOPEN_SOURCE=700 \
            -DHTR_MODELDIR='"$(MODELDIR)"'
CFLAGS    = -std=c11 -O2 -fvect-cost-model=dynamic -g -Wall -Wextra -pthread
LDFLAGS   = -pthread
LDLIBS    = -lnetpbm -lpng -ljpeg -lz -lopenblas -lm

# make DEBUG=1: no optimisation.  make SAN=1: address + undefined sanitizers.
ifeq ($(DEBUG),1)
CFLAGS   += -O0
endif
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
