# One image for every service: web (Daphne), workers (Celery), beat.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1
WORKDIR /app
# jemalloc for the workers (deploy/with-jemalloc): a lower, steadier peak than glibc's malloc (BENCHMARKS.md).
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
# torch==2.13.0 is pinned; pass --build-arg PIP_EXTRA_INDEX_URL=<a CPU wheel index> to avoid a CUDA build.
ARG PIP_EXTRA_INDEX_URL=""
RUN pip install -r requirements.txt
COPY . .
RUN DJANGO_ENV=production DJANGO_SECRET_KEY=build-only-collectstatic-key-0123456789abcdefghij \
    DJANGO_ALLOWED_HOSTS=localhost REDIS_URL=redis://localhost:6379 DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "-v", "0", "config.asgi:application"]
