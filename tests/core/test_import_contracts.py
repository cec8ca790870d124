"""The import contracts hold, and the check really fails on a violation."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_contracts_are_kept():
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("apps/emotion/bad_import.py", "import apps.music.api\n", "The service apps never import each other"),
        ("apps/gateway/bad_import.py", "import apps.accounts.models\n", "apps.accounts is used only through"),
        ("apps/core/bad_import.py", "import apps.accounts.api\n", "The shared kernel imports no app"),
        ("apps/music/bad_import.py", "import apps.core.events\n", "Emotion and music know nothing of jobs"),
        ("apps/emotion/bad_import.py", "import apps.storage.api\n", "Emotion and music know nothing of jobs"),
    ],
)
def test_a_deliberate_violation_is_caught(tmp_path, module, source, broken):
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "apps", copy / "apps", ignore=shutil.ignore_patterns("__pycache__", "artifacts", "data"))
    shutil.copytree(ROOT / "config", copy / "config", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    (copy / module).write_text(source)
    result = run_lint_imports(copy)
    assert result.returncode != 0
    assert broken in result.stdout
    assert "BROKEN" in result.stdout
