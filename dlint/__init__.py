"""dlint: a Dockerfile linter and layer-cache analyser."""

__version__ = "0.1.0"

# The name on PyPI (`pipx install dockerfile-dlint`); the command and the package stay `dlint`.
DISTRIBUTION = "dockerfile-dlint"
