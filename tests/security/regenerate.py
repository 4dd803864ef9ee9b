"""Regenerate tests/security/role_matrix.json from the app as it is (then review the diff)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys


def main() -> None:
    env = {**os.environ, "JOBPATH_WRITE_ROLE_MATRIX": "1"}
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "-q", "tests/security/test_role_matrix.py", "-k",
         "every_operation"],
        env=env,
    )  # fmt: skip
    raise SystemExit(code)


if __name__ == "__main__":
    asyncio.run(asyncio.sleep(0))
    main()
