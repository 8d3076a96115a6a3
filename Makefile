# klab: the front door. Everything real lives in CMakeLists.txt and scripts/.
#   make setup   install the Debian packages, fetch the Debian kernels, build klab's debug kernel
#   make         build klab (build/release)
#   make serve   set up what serving needs, build klab (not the tests), serve http://127.0.0.1:8080
#   make test    set up what is missing, build with ASan+UBSan, run the whole suite
#   make install PREFIX=DIR   klab in DIR/bin, its data in DIR/share/klab (default /usr/local)
BUILD   ?= build/release
TBUILD  ?= build/test
JOBS    ?= $(shell nproc)
CTEST_ARGS ?=
PREFIX  ?= /usr/local

.PHONY: all setup serve test bench clean install

all: $(BUILD)/klab

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(BUILD)/klab: FORCE | $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)

setup:
	scripts/setup.sh

serve:
	scripts/setup.sh --quiet --serve
	$(MAKE) $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS) --target klab klab_init klab_diagrams
	$(BUILD)/klab serve $(ARGS)

test:
	scripts/setup.sh --quiet
	cmake -S . -B $(TBUILD) -DCMAKE_BUILD_TYPE=Debug -DKLAB_SANITIZE=ON
	cmake --build $(TBUILD) -j$(JOBS)
	cd $(TBUILD) && ctest --output-on-failure -j2 $(CTEST_ARGS)

install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: all
	tests/bench/lab-cycle

clean:
	rm -rf build

FORCE:
