# sysconf — conventional targets running plain go commands.
PREFIX  ?= /usr/local
DESTDIR ?=
GO      ?= go

# The runit programs, one static binary each as runit ships them
# (cmd/<program>), and the names linked to each in bin/: PROGRAM_LINKS.
# internal/runitnames.Programs is the list, and TestMakefileNames keeps
# this copy equal to it.
RUNIT_PROGRAMS = runit runsv runsvdir runsvchdir sv chpst svlogd
runit_LINKS = runit-init
chpst_LINKS = envdir envuidgid pgrphack setuidgid softlimit setlock

# Every runit name: each program, then its links.
RUNIT_NAMES = $(foreach p,$(RUNIT_PROGRAMS),$(p) $($(p)_LINKS))

.PHONY: build test check fuzz lint bench man install demo clean

# A name in bin/ that is a link from an earlier build goes first: go build
# would write a program through it, into the file it leads to.
build:
	@for n in $(RUNIT_NAMES); do if [ -L bin/$$n ]; then rm bin/$$n; fi; done
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -trimpath -ldflags='-s -w' -o bin/ ./cmd/...
	cd bin $(foreach p,$(RUNIT_PROGRAMS),$(foreach n,$($(p)_LINKS),&& ln -sfn $(p) $(n)))

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) fuzz

# Every fuzz target, found by go test -list, runs FUZZTIME beyond its seeds
# (which plain go test runs): enough to catch what a change breaks at the
# edges, short enough for every test run. A count of inputs rather than a
# duration: go test -fuzz's timer can end a slow target's run with "context
# deadline exceeded" and no failing input.
FUZZTIME ?= 5000x
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# The README's second command and CI's: installs what the tests need on a
# Debian machine (apt-get, as root, only what is missing), fetches a kernel
# for the VM boot test, then runs lint and every test with the boot on.
check:
	./.ci/check

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Benchmarks run ours and Debian's runit side by side and print ratios.
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=1x -timeout 60m ./...

# The manual pages: sysconf(8) and a page per subcommand from the text
# --help prints, the runit programs' pages from their packages' doc
# comments (runit/*/doc.go), all by sysconf's hidden man command.
man: build
	rm -rf bin/man
	bin/sysconf man --src . bin/man

# Installs the programs, the man pages and sysconf's shell completions
# under $(DESTDIR)$(PREFIX), where each shell looks for them.
install: build man
	install -d $(DESTDIR)$(PREFIX)/bin
	for p in $(RUNIT_PROGRAMS); do install -m 0755 bin/$$p $(DESTDIR)$(PREFIX)/bin/$$p || exit 1; done
	cd $(DESTDIR)$(PREFIX)/bin $(foreach p,$(RUNIT_PROGRAMS),$(foreach n,$($(p)_LINKS),&& ln -sfn $(p) $(n)))
	install -m 0755 bin/sysconf $(DESTDIR)$(PREFIX)/bin/sysconf
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 bin/man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	bin/sysconf completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sysconf
	bin/sysconf completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_sysconf
	bin/sysconf completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sysconf.fish

# The README's first command: a sandbox under a temporary --root, supervised
# by our runit, never the host's /service.
demo: build
	./examples/demo.sh

clean:
	rm -rf bin
