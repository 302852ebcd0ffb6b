from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """No models: the `generate_data` command, and with BENCHMARK=True a middleware and a view."""

    name = "benchmarks"
