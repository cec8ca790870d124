# Two commands do everything: `make run` and `make test`. Only python3 and make are needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install run test lint superuser clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# Settings are the hardened production profile unless DJANGO_ENV=local: these targets are development.
run: install
	DJANGO_ENV=local $(PY) manage.py runstack

test: install
	DJANGO_ENV=local $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

superuser: install
	DJANGO_ENV=local $(PY) manage.py createsuperuser

clean:
	rm -rf var test-artifacts .pytest_cache
