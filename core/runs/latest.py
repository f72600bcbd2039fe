"""`<root>/latest`: a real directory holding copies of the newest run's files (DESIGN.md section 7).

The older soak tool and its post-soak scripts read `artifacts/soak/latest/` as one flat run. A
symlink there breaks that tool: a run of it begins with `shutil.rmtree(latest)`, which refuses a
symlink ("OSError: Cannot call rmtree on a symbolic link"), and with `--run-isolated` it writes
its ITER_SUMMARY files through the link into our run, over ours. A directory of copies can be
deleted and rewritten by that tool without touching any run of ours.

A marker file names the run a `latest` directory mirrors: readers follow it to the run itself
(`mirrored_run`). A `latest` that is not ours (no marker, or files we did not put there: the older
tool's run, or the reports its scripts wrote beside our copies) is left untouched, and the run says
so in one line (`LatestMirror.take`).

Each run writes its copies through a descriptor of the directory it made, so when a newer run
takes `latest` over, the older one's copies land in its own directory (moved aside by the newer
run, and removed), never among the newer run's.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
import time
from pathlib import Path

from core.errors import ArtifactError
from core.runs.jsonio import atomic_write_at, encode_json
from core.runs.layout import ITER_FILE_RE, LATEST_LINK, OVERRIDES_FILE, RUNS_DIR, TUNING_REPORT_FILE

MARKER = ".mm-soak-latest.json"  # {"run_id": ...}; hidden, so watchers and globs pass it by
MIRRORED = (TUNING_REPORT_FILE, OVERRIDES_FILE)  # besides ITER_SUMMARY_<i>.json
TAKE_ATTEMPTS = 100  # against other runs taking `latest` at the same moment
LEFTOVER_AGE_S = 60.0  # a directory moved aside longer ago than this is nobody's business now
REMOVE_ATTEMPTS = 5


def is_mirrored(name: str) -> bool:
    """Whether a run's file of this name is copied into `latest`."""
    return name in MIRRORED or ITER_FILE_RE.match(name) is not None


def mirrored_run(directory: Path) -> Path | None:
    """The run directory `directory` mirrors, when it is a `latest` of ours; else None."""
    run_id = _marker_run_id(directory)
    if run_id is None:
        return None
    run = directory.parent / RUNS_DIR / run_id
    return run if run.is_dir() else None


def _marker_run_id(directory: Path) -> str | None:
    try:
        with open(directory / MARKER, encoding="utf-8") as marker:
            run_id = json.load(marker).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(run_id, str) or not run_id or "/" in run_id or run_id in (".", ".."):
        return None
    return run_id


def foreign_entries(latest: Path) -> list[str] | None:
    """What in `latest` this tool did not put there (everything, when it has no marker); None
    when it is gone (another run is swapping it just now)."""
    try:
        names = sorted(os.listdir(latest))
    except FileNotFoundError:
        return None
    except OSError:  # a file, or unreadable: not ours either way
        return [latest.name]
    if MARKER not in names:
        return names or ["no mm-soak marker"]
    return [name for name in names if name != MARKER and not is_mirrored(name) and not _is_temporary(name)]


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")  # an atomic write under way


def _ours(latest: Path) -> bool | None:
    """Whether `latest` is a mirror of ours (or the link mm-soak made before); None when it is gone."""
    try:
        if latest.is_symlink():  # how mm-soak made `latest` before: runs/<run_id>
            target = Path(os.readlink(latest))
            return not target.is_absolute() and len(target.parts) == 2 and target.parts[0] == RUNS_DIR
    except FileNotFoundError:
        return None
    foreign = foreign_entries(latest)
    return None if foreign is None else not foreign


def not_ours_notice(latest: Path, run_dir: Path) -> str:
    shown = (foreign_entries(latest) if not latest.is_symlink() else None) or [latest.name]
    listed = ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")
    return (
        f"{latest} was not written by mm-soak (it holds {listed}: the older soak tool's run?), so it is "
        f"left untouched and still shows that; this run is in {run_dir}. For latest to follow mm-soak's "
        f"runs, move it away: mv {latest} {latest}.old"
    )


class LatestMirror:
    """This run's copies in <root>/latest, written through the directory's descriptor."""

    def __init__(self, root: Path, fd: int, path: Path) -> None:
        self.root, self.latest = root, root / LATEST_LINK
        self.path = path  # where the directory is (until a newer run moves it aside)
        self._fd: int | None = fd

    @classmethod
    def take(cls, root: Path, run_id: str) -> tuple[LatestMirror | None, str | None]:
        """Make <root>/latest this run's (empty) mirror: (mirror, None); or (None, the one line to
        say) when a `latest` that is not ours is in the way, which stays as it is."""
        latest = root / LATEST_LINK
        _remove_leftovers(root)
        for _ in range(TAKE_ATTEMPTS):
            seen = _lstat(latest)
            if seen is not None:
                ours = _ours(latest)
                if ours is None or not _same(_lstat(latest), seen):  # mid-swap by another run: look again
                    continue
                if not ours:
                    return None, not_ours_notice(latest, root / RUNS_DIR / run_id)
            mirror = cls._fresh(root, run_id)
            try:
                placed = _swap_in(mirror.path, latest, seen)
            except FileExistsError:  # another run put its own there just now: look again
                placed = False
            except OSError as err:
                mirror.discard()
                raise ArtifactError(latest, err.strerror or str(err)) from err
            if placed:
                mirror.path = latest
                return mirror, None
            mirror.discard()
        raise ArtifactError(latest, f"other runs kept replacing it ({TAKE_ATTEMPTS} attempts)")

    @classmethod
    def _fresh(cls, root: Path, run_id: str) -> LatestMirror:
        temp = root / f".{LATEST_LINK}.{secrets.token_hex(4)}.tmp"
        try:
            os.mkdir(temp)
            fd = os.open(temp, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as err:
            raise ArtifactError(temp, err.strerror or str(err)) from err
        mirror = cls(root, fd, temp)
        try:
            atomic_write_at(fd, MARKER, encode_json(temp / MARKER, {"run_id": run_id, "tool": "mm-soak"}, 2))
        except OSError as err:
            mirror.discard()
            raise ArtifactError(temp / MARKER, err.strerror or str(err)) from err
        return mirror

    def write(self, name: str, data: bytes) -> None:
        """Copy one file of the run in, atomically. Once a newer run has taken `latest`, copies
        stop: they would show an older run there."""
        if self._fd is None:
            return
        if not self._in_place():
            self.close()
            return
        try:
            # Atomic, not fsynced: a copy, which a power cut may lose; the run's own file stays.
            atomic_write_at(self._fd, name, data, durable=False)
        except OSError as err:
            if err.errno == errno.ENOENT:  # removed under us by a newer run
                self.close()
                return
            self._withdraw()
            raise ArtifactError(self.latest / name, err.strerror or str(err)) from err

    def _withdraw(self) -> None:
        """A copy failed (a full disk): no half copy of this run is left for scripts to read."""
        if self._fd is not None and self._in_place():
            aside = _aside(self.root)
            with contextlib.suppress(OSError):
                os.rename(self.latest, aside)
                _remove(aside)
        self.close()

    def close(self) -> None:
        """Done copying. (A newer run that moved our directory aside removes it.)"""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """A directory that never became `latest`."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def _in_place(self) -> bool:
        assert self._fd is not None
        try:
            return os.path.samestat(os.fstat(self._fd), os.stat(self.latest))
        except OSError:
            return False


def _aside(root: Path) -> Path:
    return root / f".{LATEST_LINK}.{secrets.token_hex(6)}.old"


def _is_aside(name: str) -> bool:
    return name.startswith(f".{LATEST_LINK}.") and name.endswith(".old")


def _swap_in(fresh: Path, latest: Path, seen: os.stat_result | None) -> bool:
    """Put `fresh` at `latest`, moving aside and removing what was there: the very directory that
    was found to be ours (`seen`), or nothing. False: something else is there now, look again."""
    if seen is not None and stat.S_ISLNK(seen.st_mode):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(latest)
    elif seen is not None:
        aside = _aside(latest.parent)
        try:
            os.rename(latest, aside)  # to a new name: never over anything
        except FileNotFoundError:  # another run moved it aside first
            return False
        if not _same(_lstat(aside), seen) and not os.path.exists(aside / MARKER):
            # Not what was looked at, nor another run's copies: someone else's since. Put it back.
            with contextlib.suppress(OSError):
                _rename_no_replace(aside, latest)
            return False
        _remove(aside)
    _rename_no_replace(fresh, latest)
    return True


def _remove(aside: Path) -> None:
    """The run whose copies these are stops once it sees they are not in `latest`; one copy of
    its may be under way as they are removed, so look again."""
    for _ in range(REMOVE_ATTEMPTS):
        shutil.rmtree(aside, ignore_errors=True)
        if not os.path.lexists(aside):
            return
        time.sleep(0.001)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _same(one: os.stat_result | None, other: os.stat_result | None) -> bool:
    return one is not None and other is not None and os.path.samestat(one, other)


def _rename_no_replace(source: Path, target: Path) -> None:
    try:
        # A directory renamed over a non-empty one fails, so a run of the older tool's is never
        # replaced; over an empty one created in the same instant it succeeds (rename(2) has no
        # no-replace flag in Python), a window of microseconds that is left open.
        os.rename(source, target)
    except OSError as err:
        if err.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
            raise FileExistsError(err.errno, err.strerror, str(target)) from err
        raise


def _remove_leftovers(root: Path) -> None:
    """Directories a killed run left behind, made or moved aside: not one another run made or
    moved aside a moment ago and is about to place or remove (or, when not ours, to put back)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            left = Path(entry.path)
            ours_by_name = _is_aside(entry.name) or (
                entry.name.startswith(f".{LATEST_LINK}.") and _is_temporary(entry.name)
            )
            if ours_by_name and now - entry.stat().st_ctime > LEFTOVER_AGE_S and _ours(left):
                shutil.rmtree(left, ignore_errors=True)
