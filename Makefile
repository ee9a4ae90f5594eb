# Setup, tests and the demo. Every target builds .venv/ from nothing when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo clean chromium

install: $(STAMP)

# torch first, from the pinned CPU build; then everything else constrained to it,
# so no dependency can pull a CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,bench]"
	@if $(BIN)/pip list 2>/dev/null | grep -qi nvidia; then echo "error: a CUDA package was installed" >&2; exit 1; fi
	touch $(STAMP)

# The report test renders report.html in headless Chromium (Debian's package; we are root here).
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Two workers (pytest-xdist), one per core; each test keeps one torch thread (tests/conftest.py).
test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -n 2

DEMO_OUT ?= runs/demo-ring8
demo: $(STAMP)
	$(BIN)/ganforge train --data ring8 --out $(DEMO_OUT) --overwrite $(DEMO_ARGS)

clean:
	rm -rf $(VENV) runs
