# The two commands of the README: `make run` and `make test`. Everything else is a convenience.
.PHONY: run test lint format bench install lock

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

install:
	bash scripts/bootstrap.sh run

# After a change to requirements*.in: both locks again, with hashes.
lock:
	bash scripts/lock.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
