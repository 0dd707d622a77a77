# dlint's own image: `docker run --rm -i IMAGE check - < Dockerfile`, as with hadolint's.
#   docker build -t dlint .                                        # on python:3.12-slim
#   docker build --build-arg BASE=debian:bookworm-slim -t dlint .  # Debian's python3 instead
# PIP_INSTALL_OPTIONS lets a build without PyPI install from wheels put in the context
# (`pip wheel --wheel-dir wheels .`, then --build-arg PIP_INSTALL_OPTIONS="--no-index --find-links /src/wheels").
ARG BASE=python:3.12-slim

FROM ${BASE} AS python
# A base without Python (debian:bookworm-slim) gets Debian's; python:*-slim already has one.
RUN if ! command -v python3 >/dev/null; then \
        apt-get update \
        && apt-get install -y --no-install-recommends python3=3.11.2-1+b1 python3-venv=3.11.2-1+b1 \
        && rm -rf /var/lib/apt/lists/*; \
    fi

FROM python AS build
ARG PIP_INSTALL_OPTIONS=""
# .dockerignore lets in only pyproject.toml, README.md, dlint/, rules/ and wheels/ (when there).
COPY . /src/
RUN python3 -m venv /opt/dlint \
    && /opt/dlint/bin/pip install --no-cache-dir --disable-pip-version-check $PIP_INSTALL_OPTIONS /src

FROM python
COPY --from=build /opt/dlint /opt/dlint
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin dlint
USER 10001
WORKDIR /work
ENTRYPOINT ["/opt/dlint/bin/dlint"]
CMD ["check", "-"]
