"""cashmatch engine: pure computation over Arrow tables, no file or network I/O."""
