"""Many soaks as tasks on Dask distributed (DESIGN.md section 10): the spec (spec.py), one soak as
a task (task.py) with its attempts (attempts.py), the engine that runs them (engine.py), the
closing table (table.py) and `soak sweep` (command.py). Imported only by `soak sweep`."""
