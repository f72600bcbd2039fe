"""The on-disk contract of a run (DESIGN.md section 7), in both directions: where runs live and
what their files are called (layout), atomic writes and bounded reads (jsonio), the writer of one
run (writer), the one read-side shape of an iteration (views), finding and reading runs
(discovery, legacy), following them as they change (watcher, follow).

Nothing here imports the engine: watching needs no simulator.
"""
