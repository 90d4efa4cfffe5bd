# lode — quick start: `make run` (deps, build, serve ./data) and `make test` (deps, build, all tests).
MAKEFLAGS += --no-print-directory
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
HTTP       ?= 127.0.0.1:9428
DATA       ?= ./data

.PHONY: all deps build run test asan-test fuzz-smoke bench format format-check clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > /dev/null

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	@mkdir -p $(DATA)
	@echo "Send a line:   curl -s -XPOST http://$(HTTP)/ingest/ndjson --data-binary '{\"level\":\"info\",\"message\":\"hello lode\"}'"
	@echo "Search it:     curl -s 'http://$(HTTP)/api/v1/query?q=hello'"
	@echo "Or the CLI:    $(BUILD)/lode query --data $(DATA) hello"
	@exec $(BUILD)/lode serve --data $(DATA) --http $(HTTP)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer (as CI does).
asan-test: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLODE_SANITIZE=ON -DLODE_BUILD_BENCH=OFF > /dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS)

# libFuzzer targets (tests/fuzz) built with clang, each run briefly (FUZZ_SECONDS) from an
# empty corpus: a smoke test that every parser survives arbitrary input.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 15
FUZZ_TARGETS := query_parser_fuzz line_parser_fuzz segment_reader_fuzz
fuzz-smoke: deps
	@CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLODE_FUZZ=ON \
	  -DLODE_BUILD_TESTS=OFF -DLODE_BUILD_BENCH=OFF > /dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  $(FUZZ_BUILD)/tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -artifact_prefix=$(FUZZ_BUILD)/$$t- \
	    $(FUZZ_BUILD)/corpus/$$t 2> $(FUZZ_BUILD)/$$t.log \
	    || { tail -50 $(FUZZ_BUILD)/$$t.log; echo "fuzz: $$t failed"; exit 1; }; \
	  echo "fuzz: $$t: $$(grep -o 'Done [0-9]* runs' $(FUZZ_BUILD)/$$t.log), no crash"; \
	done

bench: build
	@bash bench/run.sh

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
