# The two commands (see README): `make demo` runs labshare on embedded defaults,
# `make test` runs every check the project has. Both set up what they need first.
.PHONY: demo test lint typecheck unit web-test setup clean

demo:
	@scripts/bootstrap.sh server,edge,bridge,demo
	@.venv/bin/labshare-demo

test:
	@scripts/test.sh

clean:
	rm -rf .venv web/node_modules web/dist .labshare-demo
