"""Run every benchmark, each in its own process, printing one JSON line per benchmark.

make bench                       # SQLite
DATABASE_URL=postgres://... make bench
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "simulate.py",
    "import_export.py",
    "export_api.py",
    "review_pages.py",
    "label_throughput.py",
    "label_scaling.py",
    "model_quality.py",
    "demo_model.py",
    "failure_points.py",
    "teachable.py",
    "preference_resolution.py",
    "rewrites.py",
]


def main() -> int:
    failed = 0
    for name in BENCHMARKS:
        result = subprocess.run([sys.executable, str(HERE / name)], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
