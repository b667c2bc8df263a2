"""The model-based check at scale (issue 11, item 7): N random mailbox histories, each played
against a fresh emulator with real syncs (some throttled, killed, stopped, or with expired
delta tokens) into a fresh SQLite file, and the entries compared with the reference model
(`tests/support/model/`). Prints one JSON object: `histories`, `divergences` (goal: 0),
`seeds` (the divergent ones, to replay), `seconds`, and the flags and size used; each
divergence's report (seed, diff, history) goes to stderr.

`.venv/bin/python bench/model_check_bench.py [--seeds 1000] [--jobs 2]`
`.venv/bin/python bench/model_check_bench.py --replay 17`   # one seed, its report on stdout
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # the project, and the harness in tests/support

from storage.db import make_engine, upgrade  # noqa: E402
from tests.support.model.generate import generate  # noqa: E402
from tests.support.model.harness import Outcome, run  # noqa: E402
from tests.support.model.reference import Flags  # noqa: E402

STEPS = 30


def _play(seed: int, template: Path, flags: Flags, steps: int) -> Outcome:
    """One history into a copy of the migrated SQLite file `template`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.db"
        shutil.copy(template, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            history = generate(seed, late_contacts=flags.late_contacts, steps=steps)
            return run(history, engine, flags)
        finally:
            engine.dispose()


def _worker(job: tuple[int, str, Flags, int]) -> tuple[int, bool, str]:
    logging.disable(logging.CRITICAL)  # the engine's retry warnings, tracebacks of kills
    seed, template, flags, steps = job
    try:
        outcome = _play(seed, Path(template), flags, steps)
    except Exception as exc:  # noqa: BLE001 (a harness failure is a divergence too: its seed)
        return seed, False, f"seed {seed}: {type(exc).__name__}: {exc}"
    return seed, outcome.ok, "" if outcome.ok else outcome.report()


def _migrated(directory: Path) -> Path:
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1000, help="histories: seeds 0..N-1")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--replay", type=int, help="play this one seed and print its report")
    parser.add_argument("--steps", type=int, default=STEPS, help="actions per history")
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    parser.add_argument("--no-upcoming", action="store_true",
                        help="item 2 off: meetings are entries as soon as seen")
    parser.add_argument("--no-late-contacts", action="store_true",
                        help="item 5 off: no contact is added during a history")
    args = parser.parse_args()
    flags = Flags(upcoming=not args.no_upcoming, late_contacts=not args.no_late_contacts)
    seeds = [args.replay] if args.replay is not None else list(
        range(args.first, args.first + args.seeds))
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        template = str(_migrated(Path(tmp)))
        jobs = [(seed, template, flags, args.steps) for seed in seeds]
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(_worker, jobs, chunksize=4))
    bad = [(seed, report) for seed, ok, report in results if not ok]
    for _, report in bad:
        print(report, file=sys.stdout if args.replay is not None else sys.stderr)
    print(json.dumps({
        "histories": len(seeds), "divergences": len(bad), "seeds": [s for s, _ in bad],
        "seconds": round(time.monotonic() - started, 1), "steps": args.steps,
        "flags": {"upcoming": flags.upcoming, "late_contacts": flags.late_contacts},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
