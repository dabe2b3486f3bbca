# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
export FLASK_APP := wsgi.py

.PHONY: run test setup install db lint e2e test-postgres translations bench-excel bench-load clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)
	bash .ci/pdf-deps

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty

setup: db

# The web server and a background worker (下载中心's jobs, on the Redis of JOBS_REDIS_URL), stopped together.
run: setup
	$(BIN)/flask worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Unit + integration tests (SQLite unless TEST_DATABASE_URL is set; each test makes its own database,
# so the development database in instance/ is neither created nor seeded). Browser tests: `make e2e`.
test: install lint
	$(BIN)/python -m pytest -m "not e2e"

test-postgres: install
	bash .ci/postgres-suite

e2e: install
	$(BIN)/python -m pytest -m e2e tests/e2e

bench-excel: install
	$(BIN)/python bench/excel_bench.py

bench-load: install
	$(BIN)/python bench/load_test.py

translations: install
	$(BIN)/python -c "from babel.messages.pofile import read_po; from babel.messages.mofile import write_mo; d='admin_app/translations/zh_Hans_CN/LC_MESSAGES/'; write_mo(open(d+'admin.mo','wb'), read_po(open(d+'admin.po','rb'), locale='zh_Hans_CN'))"

clean:
	rm -rf $(VENV) instance/gongkao.db
