# SPDX-License-Identifier: MIT
# The two set-up commands of README.md:
#   make demo   install missing packages, build, run the default tour
#   make test   install missing packages, build (plain and ASan+UBSan), run every test
BUILD ?= build
ASAN_BUILD ?= build-asan
WERROR ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS = -DMSC_WERROR=$(if $(filter 1,$(WERROR)),ON,OFF)

.PHONY: all deps build build-asan test test-plain test-asan demo bench format clean

all: build

deps:
	@tools/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMSC_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-plain: build
	-cd $(BUILD) && ctest --no-tests=error --output-on-failure -j $(JOBS) --output-junit junit.xml

test-asan: build-asan
	-cd $(ASAN_BUILD) && ctest --no-tests=error --output-on-failure -j $(JOBS) -LE "lint|fuzz" --output-junit junit.xml

test: test-plain test-asan
	@tools/test-summary.sh $(BUILD)/junit.xml $(ASAN_BUILD)/junit.xml

# The demo's short tour of the scenario library: three teaching scenarios, KVM's
# root cache and a history pair (when they exist; else the first three of
# scenarios/teaching/).
DEMO_SCENARIOS ?= $(or $(wildcard $(addprefix scenarios/,\
	teaching/04-paging-4level.json teaching/09-smap.json teaching/14-stale-tlb.json \
	mmu/01-cr3-root-cache.json history/05-write-track-smm-before.json \
	history/05-write-track-smm-after.json)),\
	$(wordlist 1,3,$(sort $(wildcard scenarios/teaching/*.json))))

demo: build
	$(BUILD)/mmuscope tour
	$(BUILD)/mmuscope list
	$(BUILD)/mmuscope list --history
	@for f in $(DEMO_SCENARIOS); do \
		echo; echo "== mmuscope run --trace $$f"; \
		$(BUILD)/mmuscope run --trace $$f || exit $$?; \
	done
	@echo; echo "== mmuscope render scenarios/mmu/01-cr3-root-cache.json --step 12 -o $(BUILD)/demo.png"
	$(BUILD)/mmuscope render scenarios/mmu/01-cr3-root-cache.json --step 12 -o $(BUILD)/demo.png
	@echo; echo "== mmuscope host scenarios/teaching/04-paging-4level.json (QEMU TCG)"
	@$(BUILD)/mmuscope host --quiet scenarios/teaching/04-paging-4level.json; \
		rc=$$?; [ $$rc = 0 ] || [ $$rc = 77 ] || exit $$rc

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

format:
	git ls-files -co --exclude-standard -- '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
