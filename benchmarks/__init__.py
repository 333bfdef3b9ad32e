"""Performance benchmarks for flopcast (not part of `make test`; run `make bench` or `python -m benchmarks.run`)."""
