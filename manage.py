#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys

# Commands that serve or talk to Redis. With DJANGO_ENV=local and REDIS_URL unset they get an embedded
# redis-server, started before settings load and exported as REDIS_URL, so their child processes (Daphne,
# Celery) share it. Outside local nothing is started: the settings refuse to load without REDIS_URL.
REDIS_COMMANDS = frozenset({"runstack", "runserver", "shell"})


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in REDIS_COMMANDS and os.environ.get("DJANGO_ENV") == "local":
        from apps.core.embedded_redis import ensure_redis_url

        ensure_redis_url()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
