"""Run a few statements in a new Python process with Django set up: what a module import loads is only
visible in a process that has not imported it yet."""

from __future__ import annotations

import subprocess
import sys


def last_line_printed(statements: str, timeout: int = 180) -> str:
    """The last line that `statements` (after django.setup()) printed in a fresh interpreter."""
    code = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        + statements
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=True)
    return result.stdout.strip().splitlines()[-1]
