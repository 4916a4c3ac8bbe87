# The two commands the README leads with: `make run` and `make test`.
# Both set up what they need (a Docker daemon) on a fresh Debian machine.
GO ?= go
SOCKET ?= /run/xcsproxy/docker.sock

.PHONY: run test build lint docker-up bench image fuzz

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/xcsproxy ./cmd/xcsproxy

docker-up:
	bash .ci/docker-up

# xcsproxy in front of the local daemon with the embedded default policy.
run: docker-up build
	@echo "point clients at: DOCKER_HOST=unix://$(SOCKET)"
	./bin/xcsproxy serve --listen unix://$(SOCKET)

lint:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: docker-up lint fuzz
	$(GO) run ./cmd/xcsproxy policy test policies
	$(GO) run ./cmd/xcsproxy policy check policies
	$(GO) test -race -count=1 -timeout 20m ./...

# Each fuzz target briefly; a finding fails the run and lands in testdata/fuzz.
# A count of inputs, not a duration: Go 1.26's fuzzer can fail a run at a
# -fuzztime deadline on a loaded machine with nothing found (golang/go#75804).
FUZZTIME ?= 25000x
fuzz:
	$(GO) test ./proxy -run XXX -fuzz FuzzParseTarget -fuzztime $(FUZZTIME)
	$(GO) test ./proxy -run XXX -fuzz FuzzCreateBody -fuzztime $(FUZZTIME)
	$(GO) test ./proxy -run XXX -fuzz FuzzReadAnswer -fuzztime $(FUZZTIME)
	$(GO) test ./commands -run XXX -fuzz FuzzResolve -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run XXX -fuzz FuzzVerifyLine -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run XXX -fuzz FuzzRedaction -fuzztime $(FUZZTIME)
	$(GO) test ./canonjson -run XXX -fuzz FuzzAppendString -fuzztime $(FUZZTIME)
	$(GO) test ./canonjson -run XXX -fuzz FuzzAppendNumber -fuzztime $(FUZZTIME)
	$(GO) test ./http1 -run XXX -fuzz FuzzServeConn -fuzztime $(FUZZTIME)

bench: docker-up
	$(GO) run ./bench

# The container image (Dockerfile): FROM scratch around the static binary.
image: docker-up build
	docker build -t xcsproxy:latest .
