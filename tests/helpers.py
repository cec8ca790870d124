"""Small shared test helpers."""

import os
from pathlib import Path

# Where Debian's libjemalloc2 puts the library deploy/with-jemalloc preloads (when this system has it).
SYSTEM_JEMALLOC = Path(f"/usr/lib/{os.uname().machine}-linux-gnu/libjemalloc.so.2")


def runs_on_jemalloc(process) -> bool:
    """Whether a running process (a psutil.Process) has jemalloc loaded."""
    return any("libjemalloc" in mapped.path for mapped in process.memory_maps(grouped=True))

# A cache configuration pointing at a Redis that is not there (nothing listens on port 1),
# configured like the real one: reads miss and writes are dropped instead of raising.
DEAD_REDIS_CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
        },
    }
}


def completed_job(
    user_id: object,
    playlist: dict,
    prediction: dict | None = None,
    target: tuple[str, tuple[float, float]] = ("happiness", (10.0, 9.0)),
    text: str = "a test entry",
    journey: object = None,
) -> str:
    """A job taken through every stage as the chain would (the gate, then storage's save task); returns its id."""
    from apps.core import pipeline
    from apps.storage import api
    from apps.storage.tasks import save_result

    prediction = prediction or {"top_emotion": "sadness", "valence": -9.0, "arousal": -8.0, "model_version": "test-model"}
    state = api.create_job(
        user_id=user_id, text=text, target_emotion=target[0], target_point=target[1], length=len(playlist["songs"]),
        journey=journey or api.Journey(),
    )
    envelope = {"job_id": state.job_id, "attempt": 1}
    for stage in ("predicting", "generating"):
        pipeline.admit(stage, envelope)
    save_result.apply(args=({**envelope, "prediction": prediction, "playlist": playlist},)).get()
    return state.job_id
