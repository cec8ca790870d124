"""Prometheus metrics of the emotion app."""

from prometheus_client import Counter, Gauge, Histogram

PREDICTION_CACHE = Counter(
    "spg_prediction_cache",  # exposed as spg_prediction_cache_total
    "Emotion prediction cache lookups, by result.",
    ["result"],
)
MODEL_INFERENCE_SECONDS = Histogram(
    "spg_emotion_inference_seconds",
    "Time of one batched forward pass of the emotion model.",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
MODELS_LOADED = Gauge(
    "spg_emotion_models_loaded",
    "Processes with the emotion model loaded, by its version and how its encoder runs (int8, or none: float32).",
    ["model_version", "quantization"],
    multiprocess_mode="livesum",
)
