"""dlint: a Dockerfile linter and layer-cache analyser."""

__version__ = "0.1.0"
