#!/usr/bin/env bash
# Builds the sandbox execution images (sandbox_images/python/Dockerfile, and
# sandbox_images/native/Dockerfile once per FAMILY), offline when no registry answers. One image
# per family of languages:
#
#   python  reward-sandbox-python  Python                    (BASE_IMAGE, default python:3.12-slim)
#   cpp     reward-sandbox-cpp     C and C++ (GCC 12)        (NATIVE_BASE_IMAGE, default
#   java    reward-sandbox-java    Java (OpenJDK 17)          debian:bookworm-slim; each installs
#   node    reward-sandbox-node    JavaScript, TypeScript     its toolchain from Debian bookworm's
#   go      reward-sandbox-go      Go 1.19 (with testify)     packages with apt)
#   rust    reward-sandbox-rust    Rust 1.63
#
#   scripts/build_images.sh                 # every family
#   scripts/build_images.sh cpp java        # some (language names work too: c, typescript, ...)
#   scripts/build_images.sh --offline       # always use the debootstrap base (air-gapped machines)
#   scripts/build_images.sh --force         # rebuild even when an image is up to date
#
# Idempotent and fast on repeat: an image that already carries the hash of its sources is left
# alone (well under a second). The offline base (debootstrap + docker import, ~30-60 s) is built
# once and reused; the toolchain images still install their packages with apt from a Debian
# mirror (DEBIAN_MIRROR), which the build containers reach over plain HTTP. Needs root and
# `debootstrap` only for the offline base.
#
# Environment: BASE_IMAGE, NATIVE_BASE_IMAGE, SANDBOX_IMAGE (the Python image's name, default
# reward-sandbox-python:latest), SANDBOX_IMAGE_PREFIX (default reward-sandbox-, so
# reward-sandbox-cpp:latest...), OFFLINE_BASE_IMAGE (default reward-sandbox-base:bookworm),
# DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_IMAGE="${BASE_IMAGE:-python:3.12-slim}"
NATIVE_BASE_IMAGE="${NATIVE_BASE_IMAGE:-debian:bookworm-slim}"
SANDBOX_IMAGE_PREFIX="${SANDBOX_IMAGE_PREFIX:-reward-sandbox-}"
SANDBOX_IMAGE="${SANDBOX_IMAGE:-${SANDBOX_IMAGE_PREFIX}python:latest}"
OFFLINE_BASE_IMAGE="${OFFLINE_BASE_IMAGE:-reward-sandbox-base:bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# python3-venv gives the base pip too, so the service image (Dockerfile) can build on it as well.
DEBIAN_PACKAGES="python3,python3-venv"
CONTEXT="$ROOT/sandbox_images"
ALL_FAMILIES=(python cpp java node go rust)

offline=auto
force=0
families=()
for arg in "$@"; do
  case "$arg" in
    --offline) offline=yes ;;
    --online) offline=no ;;
    --force) force=1 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    python|py) families+=(python) ;;
    cpp|c|c++) families+=(cpp) ;;
    java) families+=(java) ;;
    node|javascript|js|typescript|ts) families+=(node) ;;
    go|golang) families+=(go) ;;
    rust) families+=(rust) ;;
    *) echo "unknown argument: $arg (families: ${ALL_FAMILIES[*]})" >&2; exit 2 ;;
  esac
done
((${#families[@]})) || families=("${ALL_FAMILIES[@]}")

log() { echo "build_images: $*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

docker info >/dev/null 2>&1 || { log "Docker engine not reachable (is dockerd running?)"; exit 1; }

image_of() {
  if [[ "$1" == python ]]; then echo "$SANDBOX_IMAGE"; else echo "${SANDBOX_IMAGE_PREFIX}$1:latest"; fi
}

dockerfile_of() {
  if [[ "$1" == python ]]; then echo python; else echo native; fi
}

# The hash covers the build inputs (names and contents) and the family, so any edit triggers a
# rebuild.
sources_hash() {
  (cd "$CONTEXT" && { echo "$1"; find "$(dockerfile_of "$1")" sandbox_runner .dockerignore -type f \
    ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
}

pick_base() {  # $1: the family's preferred base image
  if [[ "$offline" != yes ]]; then
    if have_image "$1"; then echo "$1"; return; fi
    log "pulling $1"
    if timeout 120 docker pull -q "$1" >/dev/null 2>&1; then echo "$1"; return; fi
    if [[ "$offline" == no ]]; then log "cannot pull $1"; exit 1; fi
    log "cannot pull $1; falling back to the offline Debian base"
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

build_family() {
  local family="$1" image hash current base started
  image="$(image_of "$family")"
  hash="$(sources_hash "$family")"
  if [[ "$force" == 0 ]] && have_image "$image"; then
    current="$(docker image inspect -f '{{ index .Config.Labels "reward-sandbox.sources" }}' "$image")"
    if [[ "$current" == "$hash" ]]; then
      log "$image is up to date ($hash)"
      return
    fi
  fi
  if [[ "$family" == python ]]; then base="$(pick_base "$BASE_IMAGE")"; else base="$(pick_base "$NATIVE_BASE_IMAGE")"; fi
  log "building $image on $base"
  started=$SECONDS
  if ! docker build -q --build-arg BASE_IMAGE="$base" --build-arg FAMILY="$family" \
      --label "reward-sandbox.sources=$hash" -f "$CONTEXT/$(dockerfile_of "$family")/Dockerfile" \
      -t "$image" "$CONTEXT" >/dev/null; then
    log "building $image failed"
    exit 1
  fi
  log "built $image ($((SECONDS - started)) s)"
}

for family in "${families[@]}"; do
  build_family "$family"
done
