"""The Celery worker hook sizes torch threads to the pool."""

from apps.emotion.signals import threads_per_process


def test_threads_split_the_cores_between_pool_processes():
    assert threads_per_process(1, cores=2) == 2
    assert threads_per_process(2, cores=2) == 1
    assert threads_per_process(4, cores=2) == 1  # never zero
    assert threads_per_process(None, cores=8) == 8
