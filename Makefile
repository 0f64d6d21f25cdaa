# tiercard: `make run` serves a demo at http://127.0.0.1:8000, `make test` runs every check.
# Needs only python3 (with venv); everything else goes into .venv.

HOST ?= 127.0.0.1
PORT ?= 8000
CUSTOMERS ?= 2000

.PHONY: run test venv

venv:
	@scripts/ensure-venv

run: venv
	.venv/bin/tiercard setup_demo --customers $(CUSTOMERS) --host $(HOST) --port $(PORT)
	.venv/bin/tiercard serve --host $(HOST) --port $(PORT)

test:
	scripts/test
