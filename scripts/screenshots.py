#!/usr/bin/env python3
"""Saves the README's pictures of the admin tool (docs/screenshots/*.png) by running the browser story tests.

The pictures are the pages the story tests check, at the moment they check them: a 1280x900 window of
Debian's Chromium (``scripts/bootstrap.sh --tests`` installs it and axe-core). If ``pngquant`` is on the
machine each picture is made smaller with it (``apt-get install pngquant``); without it they are kept as
Chromium saved them.

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "screenshots"
STORIES = ["tests/browser/test_a_child_to_a_plan.py", "tests/browser/test_common_mistakes.py"]


def main() -> int:
    FOLDER.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CPJ_SCREENSHOTS=str(FOLDER))
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *STORIES], cwd=ROOT, env=env)
    if ran.returncode != 0:
        return ran.returncode
    pngquant = shutil.which("pngquant")
    for picture in sorted(FOLDER.glob("*.png")):
        if pngquant:
            subprocess.run([pngquant, "--force", "--skip-if-larger", "--strip", "--quality=70-95", "--ext", ".png",
                            str(picture)], check=False)
        print(f"{picture.relative_to(ROOT)}: {picture.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
