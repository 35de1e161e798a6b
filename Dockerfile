# The reward service image: `docker compose up reward_service` builds and runs it (see
# docker-compose.yml). BASE_IMAGE needs python3 with venv: python:3.13-slim-trixie, or the
# offline Debian base that scripts/build_images.sh makes (reward-sandbox-base:trixie).
ARG BASE_IMAGE=python:3.13-slim-trixie
FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
WORKDIR /app
# Machines without PyPI access: put wheels in build/wheels first (same Python as the base):
#   pip wheel --wheel-dir build/wheels . "setuptools>=77" wheel   (the build backend too)
# and the install below is offline. (The wildcard lets the folder be absent.)
COPY pyproject.toml build/wheel[s] /wheels/
# Dependencies first, from pyproject alone, so code edits don't re-download them.
COPY pyproject.toml README.md LICENSE ./
RUN if ls /wheels/*.whl >/dev/null 2>&1; then export PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels; fi \
    && mkdir reward_service trainer && touch reward_service/__init__.py trainer/__init__.py \
    && pip install --no-cache-dir . && pip uninstall -y -q verifiable-rewards \
    && rm -rf reward_service trainer build
COPY reward_service ./reward_service
COPY trainer ./trainer
RUN if ls /wheels/*.whl >/dev/null 2>&1; then export PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels; fi \
    && pip install --no-cache-dir --no-deps . && rm -rf build /wheels
# 0.0.0.0 inside the container only; compose publishes the port on 127.0.0.1.
ENV REWARD_HOST=0.0.0.0 REWARD_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
    CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["reward-service"]
