# sysconf — conventional targets running plain go commands.
PREFIX  ?= /usr/local
DESTDIR ?=
GO      ?= go

# Every name the multi-call runit binary answers to (bin/runit itself is the
# binary; the others are links to it). internal/testenv.RunitNames is the
# same list, and TestMakefileNames keeps the two equal.
RUNIT_LINKS = runit-init runsv runsvdir runsvchdir sv chpst svlogd \
	envdir envuidgid pgrphack setuidgid softlimit setlock

.PHONY: build test lint bench install demo clean

build:
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -trimpath -ldflags='-s -w' -o bin/ ./cmd/...
	cd bin && for n in $(RUNIT_LINKS); do ln -sfn runit $$n; done

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Benchmarks run ours and Debian's runit side by side and print ratios.
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=1x -timeout 60m ./...

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 bin/runit $(DESTDIR)$(PREFIX)/bin/runit
	for n in $(RUNIT_LINKS); do ln -sfn runit $(DESTDIR)$(PREFIX)/bin/$$n; done
	test ! -f bin/sysconf || install -m 0755 bin/sysconf $(DESTDIR)$(PREFIX)/bin/sysconf

# The README's first command: a sandbox under a temporary --root, supervised
# by our runit, never the host's /service.
demo: build
	./examples/demo.sh

clean:
	rm -rf bin
