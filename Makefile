# dsmr-api: `make run` runs the firmware on this PC against a simulated meter,
# `make test` runs every test. Both create .venv from requirements.txt first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MP     := $(BIN)/micropython

.PHONY: run test test-deps bench venv sim build deploy deploy-dry ota clean

PORT ?= /dev/ttyUSB0
# The yardstick: MicroPython built 32-bit, float32, with the esp32 port's split heap
# (../shared/tools/README.md). `make test` runs the firmware's tests on it a second time.
ESP32LIKE ?= $(or $(DSMR_ESP32LIKE),$(abspath ../shared/tools/micropython-esp32like))
HOST ?= dsmr-api.local
ARCH ?= xtensawin

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	# MicroPython's ESP32 stubs for pyright, in a folder of their own (not the test venv)
	$(BIN)/pip install --quiet --disable-pip-version-check --target .stubs micropython-esp32-stubs==1.29.0.post1
	touch $@

run: venv
	@echo "dsmr-api: the web page at http://127.0.0.1:$${DSMR_HTTP_PORT:-8080}/ (simulated meter unless DSMR_P1 is set)"
	@echo "  the API: http://127.0.0.1:$${DSMR_HTTP_PORT:-8080}/api/v1/sm/actual   raw telegrams: tcp port 2002   Ctrl-C stops"
	$(MP) main.py

test: venv test-deps
	$(BIN)/pytest -q tests
	@if [ -x "$(ESP32LIKE)" ]; then \
	  echo "== again on the yardstick: $(ESP32LIKE), the .mpy build (x86)"; \
	  DSMR_TEST_TARGET=esp32like DSMR_ESP32LIKE="$(ESP32LIKE)" $(BIN)/pytest -q -m "not cpython_only" tests; \
	else \
	  echo "skipped: the yardstick run (no $(ESP32LIKE): ../shared/ is missing; DSMR_ESP32LIKE=path names it)"; \
	fi

# The MQTT tests need a real broker, the web page tests a real browser and
# pyright needs Node.js: Debian's mosquitto, chromium and nodejs, installed
# here when we may (as root).
test-deps:
	@missing=""; \
	[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || missing="$$missing mosquitto"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: apt-get install$$missing to run all tests (those needing them are skipped)"; fi; \
	fi

bench: venv
	@command -v wrk >/dev/null || echo "note: wrk is not installed (apt-get install wrk); the slower Python load client is used"
	$(BIN)/python tools/bench.py

build: venv
	$(BIN)/python tools/build.py --arch xtensawin

deploy: venv
	$(BIN)/python tools/deploy.py --port $(PORT)

deploy-dry: venv
	$(BIN)/python tools/deploy.py --port $(PORT) --dry-run

# over Wi-Fi: the admin password from PASSWORD=.. or a prompt (tools/ota.py)
ota: venv
	$(BIN)/python tools/ota.py --host $(HOST) --arch $(ARCH)

sim: venv
	$(BIN)/python tools/p1sim.py --port $${PORT:-2001}

clean:
	rm -rf $(VENV) .stubs build .pytest_cache .hypothesis
