"""Run every benchmark: each bench/bench_*.py module's main(), with the arguments given here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    status = 0
    for path in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}", flush=True)
        status = max(status, int(module.main(sys.argv[1:]) or 0))
    return status


if __name__ == "__main__":
    sys.exit(main())
