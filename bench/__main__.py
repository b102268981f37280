"""``python -m bench``: run the benchmark suite and write the report (see bench/run.py)."""

from bench.run import main

raise SystemExit(main())
