"""``manage.py runstack``: migrate, load starter data and run the whole stack in the foreground.

With REDIS_URL unset, manage.py has already started the embedded redis-server for
this command (before settings loaded) and exported REDIS_URL, so Daphne and the
Celery worker started by honcho share it. Ctrl-C (or SIGTERM) stops honcho's
processes, then the embedded Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, call_command


class Command(BaseCommand):
    help = "Run Daphne (HTTP + WebSocket), a Celery worker for every queue, and embedded Redis if needed."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--skip-setup", action="store_true", help="do not migrate or load starter data")

    def handle(self, *args, port: int, host: str, skip_setup: bool, **options):
        if not skip_setup:
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("Database migrated.")
            call_command("load_starter_data")
        env = os.environ.copy()
        bin_dir = str(Path(sys.executable).parent)  # daphne and celery live beside this python
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env.update(_metrics_env(), PORT=str(port), HOST=host, PYTHONUNBUFFERED="1", SPG_VAR_DIR=str(settings.VAR_DIR))
        procfile = Path(settings.BASE_DIR) / "Procfile"
        self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/  (Ctrl-C stops everything)"))
        self.stdout.write(f"Admin: http://{host}:{port}/admin/  (create a login with: make superuser)")
        honcho = [sys.executable, "-m", "honcho", "start", "-f", str(procfile), "-d", str(settings.BASE_DIR)]
        process = subprocess.Popen(honcho, env=env, start_new_session=True)

        def _forward(signum, _frame):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, _forward)
        signal.signal(signal.SIGINT, _forward)
        code = process.wait()
        # atexit (apps.core.embedded_redis) stops the embedded Redis after this returns.
        sys.exit(code if code >= 0 else 0)


def _metrics_env() -> dict[str, str]:
    """A fresh multiprocess metrics directory shared by Daphne and the worker."""
    directory = Path(settings.VAR_DIR) / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
