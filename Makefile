# dpokit build, test and benchmark entry points.
# ONNX Runtime is loaded at run time; `make ort` fetches the pinned CPU library
# (version in ORT_VERSION) from the onnxruntime-node npm package.

ORT_VERSION := $(shell cat ORT_VERSION)
ORT_DIR     := third_party/onnxruntime
ORT_LIB     := $(ORT_DIR)/libonnxruntime.so.1
GO          ?= go
BIN         := bin/dpokit
export DPOKIT_ORT_LIB := $(abspath $(ORT_LIB))
export CGO_ENABLED := 1

.PHONY: all build ort deps test test-short bench bench-memory fuzz demo experiment experiment-quick lint clean

all: build ort

build:
	$(GO) build -o $(BIN) ./cmd/dpokit

ort: $(ORT_LIB)

$(ORT_LIB): ORT_VERSION
	@command -v npm >/dev/null || { echo "npm is needed to fetch ONNX Runtime: apt-get install -y npm"; exit 1; }
	rm -rf $(ORT_DIR).tmp && mkdir -p $(ORT_DIR).tmp
	cd $(ORT_DIR).tmp && npm pack --silent onnxruntime-node@$(ORT_VERSION) >/dev/null
	tar -xzf $(ORT_DIR).tmp/onnxruntime-node-$(ORT_VERSION).tgz -C $(ORT_DIR).tmp package/bin/napi-v6/linux/x64/libonnxruntime.so.1
	mkdir -p $(ORT_DIR)
	mv $(ORT_DIR).tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1 $(ORT_LIB)
	touch $(ORT_LIB)
	echo $(ORT_VERSION) > $(ORT_DIR)/VERSION
	rm -rf $(ORT_DIR).tmp

# System packages the tests need (installed when run as root, else the apt-get line is printed).
deps:
	bash scripts/deps.sh

# The README's test command.
test: deps ort
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 80m ./...

test-short: deps ort
	$(GO) test -short -count=1 ./...

# Every fuzz test for FUZZTIME each (default 30s); `make test` runs their
# seed corpora only.
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# Score the shipped tiny policy/reference pair on the shipped preference data.
demo: build ort
	./$(BIN) score --policy testdata/models/gpt2-policy --ref testdata/models/gpt2-ref \
		--data testdata/data/pairs.jsonl --out /tmp/dpokit-demo-pairs.jsonl --summary /tmp/dpokit-demo-summary.json

# The controlled experiment (scripts/experiment.sh): report in .cache/experiment/report/index.html.
experiment: ort
	bash scripts/experiment.sh

experiment-quick: ort
	bash scripts/experiment.sh --quick

bench: build ort
	bash scripts/bench.sh

# Peak memory of score, sample and train at their defaults (README table).
bench-memory: build ort
	bash scripts/bench-memory.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt would change the files above"; exit 1; }
	$(GO) vet ./...
	$(GO) mod tidy -diff

clean:
	rm -rf bin $(ORT_DIR)
