#!/usr/bin/env bash
# Builds the sandbox execution image (sandbox_images/python), offline when no registry answers.
#
#   scripts/build_images.sh            # use BASE_IMAGE if present or pullable, else build offline
#   scripts/build_images.sh --offline  # always use the debootstrap base (air-gapped machines)
#   scripts/build_images.sh --force    # rebuild even when the image is up to date
#
# Idempotent and fast on repeat: when the sandbox image already carries the hash of its sources
# it exits in well under a second. The offline base (debootstrap + docker import, ~30-60 s) is
# built once and reused. Needs root and `debootstrap` only for the offline base.
#
# Environment: BASE_IMAGE (default python:3.12-slim), SANDBOX_IMAGE (default
# reward-sandbox-python:latest), OFFLINE_BASE_IMAGE (default reward-sandbox-base:bookworm),
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_IMAGE="${BASE_IMAGE:-python:3.12-slim}"
SANDBOX_IMAGE="${SANDBOX_IMAGE:-reward-sandbox-python:latest}"
OFFLINE_BASE_IMAGE="${OFFLINE_BASE_IMAGE:-reward-sandbox-base:bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# python3-venv gives the base pip too, so the service image (Dockerfile) can build on it as well.
DEBIAN_PACKAGES="python3,python3-venv"
CONTEXT="$ROOT/sandbox_images/python"

offline=auto
force=0
for arg in "$@"; do
  case "$arg" in
    --offline) offline=yes ;;
    --online) offline=no ;;
    --force) force=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "build_images: $*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

docker info >/dev/null 2>&1 || { log "Docker engine not reachable (is dockerd running?)"; exit 1; }

# The hash covers the build inputs (names and contents), so any edit triggers a rebuild.
sources_hash="$(cd "$CONTEXT" && find . -type f ! -path '*/__pycache__/*' -print0 | sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)"

pick_base() {
  if [[ "$offline" != yes ]]; then
    if have_image "$BASE_IMAGE"; then echo "$BASE_IMAGE"; return; fi
    log "pulling $BASE_IMAGE"
    if timeout 120 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then echo "$BASE_IMAGE"; return; fi
    if [[ "$offline" == no ]]; then log "cannot pull $BASE_IMAGE"; exit 1; fi
    log "cannot pull $BASE_IMAGE; falling back to the offline Debian base"
  fi
  build_offline_base
  echo "$OFFLINE_BASE_IMAGE"
}

build_offline_base() {
  if have_image "$OFFLINE_BASE_IMAGE"; then return; fi
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }
  rootfs="$(mktemp -d /var/tmp/reward-sandbox-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap bookworm ($DEBIAN_PACKAGES) into $rootfs (~30-60 s)"
  if ! debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" bookworm "$rootfs" \
      "$DEBIAN_MIRROR" >"$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    log "debootstrap failed (full log: $rootfs.log)"
    exit 1
  fi
  rm -f "$rootfs.log"
  # apt caches are dead weight in an image
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  log "docker import -> $OFFLINE_BASE_IMAGE"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    - "$OFFLINE_BASE_IMAGE" >/dev/null
}

if [[ "$force" == 0 ]] && have_image "$SANDBOX_IMAGE"; then
  current="$(docker image inspect -f '{{ index .Config.Labels "reward-sandbox.sources" }}' "$SANDBOX_IMAGE")"
  if [[ "$current" == "$sources_hash" ]]; then
    log "$SANDBOX_IMAGE is up to date ($sources_hash)"
    exit 0
  fi
fi

base="$(pick_base)"
log "building $SANDBOX_IMAGE on $base"
docker build -q --build-arg BASE_IMAGE="$base" --label "reward-sandbox.sources=$sources_hash" \
  -t "$SANDBOX_IMAGE" "$CONTEXT" >/dev/null
log "built $SANDBOX_IMAGE"
