# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing.
BUILD_DIR ?= build
DATA_DIR ?= ./data
JOBS ?= $(shell nproc)

.PHONY: all build run test bench clean deps test-deps format

all: build

deps:
	@scripts/setup.sh build

test-deps:
	@scripts/setup.sh test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/backbeat serve --listen 127.0.0.1:8080 --data-dir $(DATA_DIR) --log-format text --demo true

test: test-deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure

bench: build
	@scripts/setup.sh bench
	bench/http.sh
	bench/beats.sh
	bench/media.sh
	bench/purchases.sh
	bench/ws.sh
	bench/fanout.sh

clean:
	rm -rf $(BUILD_DIR)
