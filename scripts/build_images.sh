#!/usr/bin/env bash
# Builds the sandbox execution images (sandbox_images/python/Dockerfile, and
# sandbox_images/native/Dockerfile once per FAMILY), offline when no registry answers. One image
# per family of languages, as the language catalogue lists them
# (sandbox_images/sandbox_runner/catalogue.json: families, languages, toolchain pins):
#
#   python  reward-sandbox-python  Python 3.13
#   cpp     reward-sandbox-cpp     C and C++ (GCC 14)           each on the Debian base
#   java    reward-sandbox-java    Java (OpenJDK 21)            (SANDBOX_BASE_IMAGE, default
#   node    reward-sandbox-node    JavaScript, TypeScript       debian:trixie-slim) with its
#                                  (Node.js 24, TypeScript 5)   toolchain from Debian trixie's
#   go      reward-sandbox-go      Go 1.24 (with testify)       packages; Node.js and TypeScript
#   rust    reward-sandbox-rust    Rust 1.85                    from PyPI and npm (below)
#
#   scripts/build_images.sh                 # every family
#   scripts/build_images.sh cpp java        # some (language names work too: c, typescript, ...)
#   scripts/build_images.sh --offline       # always use the debootstrap base (air-gapped machines)
#   scripts/build_images.sh --force         # rebuild even when an image is up to date
#   scripts/build_images.sh --fetch node    # only fetch the family's registry packages
#   scripts/build_images.sh --list          # family, image, languages (no Docker needed)
#   scripts/build_images.sh --service-base  # also an offline base for the service image whose
#                                           # Python is this machine's (for wheels built here),
#                                           # tagged reward-sandbox-service-base
#
# Idempotent and fast on repeat: an image that already carries the hash of its sources is left
# alone (well under a second). The offline base (debootstrap of the catalogue's Debian suite +
# docker import, ~50 s) is built once and reused; the toolchain images still install their
# packages with apt from a Debian mirror (DEBIAN_MIRROR), which the build containers reach over
# plain HTTP. What comes from PyPI or npm (the node family's Node.js and TypeScript) is fetched on
# this machine first by scripts/fetch_vendored.py (`python3 -m pip download`, `npm pack`, each
# checked against the hash pinned in the catalogue) into sandbox_images/vendor/. Needs root and
# `debootstrap` only for the offline base.
#
# Environment: SANDBOX_BASE_IMAGE (the sandbox images' Debian base; NATIVE_BASE_IMAGE is its old
# name), SANDBOX_IMAGE (the Python image's name, default reward-sandbox-python:latest),
# SANDBOX_IMAGE_PREFIX (default reward-sandbox-, so reward-sandbox-cpp:latest...),
# OFFLINE_BASE_IMAGE (default reward-sandbox-base:trixie), DEBIAN_MIRROR, PYTHON (the python3
# that fetches from PyPI, default python3), CONTAINER_ENGINE (`docker`, the default, or `podman`:
# as an ordinary user, rootless Podman builds into that user's own store; the offline base then
# has to be there already, e.g. `docker save reward-sandbox-base:trixie | podman load`, since
# debootstrap needs root), BUILD_NETWORK (`--network` of the builds, e.g. `none` for Python's on
# the offline base, which fetches nothing: rootless Podman's default network, slirp4netns, needs
# /dev/net/tun open to the user).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTEXT="$ROOT/sandbox_images"
PYTHON="${PYTHON:-python3}"
catalogue() { "$PYTHON" "$CONTEXT/sandbox_runner/catalogue.py" "$@"; }
SUITE="$(catalogue get debian.suite)"
SANDBOX_BASE_IMAGE="${SANDBOX_BASE_IMAGE:-${NATIVE_BASE_IMAGE:-$(catalogue get debian.base_image)}}"
SANDBOX_IMAGE_PREFIX="${SANDBOX_IMAGE_PREFIX:-reward-sandbox-}"
SANDBOX_IMAGE="${SANDBOX_IMAGE:-${SANDBOX_IMAGE_PREFIX}python:latest}"
OFFLINE_BASE_IMAGE="${OFFLINE_BASE_IMAGE:-$(catalogue get debian.offline_base_image)}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-$(catalogue get debian.mirror)}"
# python3-venv gives the base pip too, so the service image (Dockerfile) can build on it as well.
DEBIAN_PACKAGES="python3,python3-venv"
read -r -a ALL_FAMILIES <<<"$(catalogue families)"

offline=auto
force=0
families=()
fetch_only=0
list=0
service_base=0
SERVICE_BASE_IMAGE=reward-sandbox-service-base
family_of_name() {  # a family, or a language of one (any case); empty if neither
  local name="${1,,}" family
  for family in "${ALL_FAMILIES[@]}"; do
    if [[ "$name" == "$family" ]] || [[ " $(catalogue languages "$family") " == *" $name "* ]]; then
      echo "$family"
      return
    fi
  done
}
for arg in "$@"; do
  case "$arg" in
    --offline) offline=yes ;;
    --online) offline=no ;;
    --force) force=1 ;;
    --fetch) fetch_only=1 ;;
    --list) list=1 ;;
    --service-base) service_base=1 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *)
      family="$(family_of_name "$arg")"
      [[ -n "$family" ]] || { echo "unknown argument: $arg (families: ${ALL_FAMILIES[*]})" >&2; exit 2; }
      families+=("$family") ;;
  esac
done
((${#families[@]})) || families=("${ALL_FAMILIES[@]}")

log() { echo "build_images: $*" >&2; }
CONTAINER_ENGINE="${CONTAINER_ENGINE:-docker}"
engine() { "$CONTAINER_ENGINE" "$@"; }  # podman's CLI takes every docker command used here
have_image() { engine image inspect "$1" >/dev/null 2>&1; }

image_of() {
  if [[ "$1" == python ]]; then echo "$SANDBOX_IMAGE"; else echo "${SANDBOX_IMAGE_PREFIX}$1:latest"; fi
}

dockerfile_of() { catalogue get "families.$1.dockerfile"; }

if [[ "$list" == 1 ]]; then
  for family in "${ALL_FAMILIES[@]}"; do
    echo "$family $(image_of "$family") $(catalogue languages "$family")"
  done
  exit 0
fi

# The family's pinned PyPI and npm packages, fetched here (build containers can't reach them).
fetch_vendored() {
  [[ -n "$(catalogue get "families.$1.vendored" 2>/dev/null)" ]] || return 0
  log "fetching $1's pinned registry packages (scripts/fetch_vendored.py)"
  "$PYTHON" "$ROOT/scripts/fetch_vendored.py" "$1" >/dev/null || { log "cannot build $1 without them"; exit 1; }
}

if [[ "$fetch_only" == 1 ]]; then
  for family in "${families[@]}"; do fetch_vendored "$family"; done
  exit 0
fi

engine info >/dev/null 2>&1 || { log "$CONTAINER_ENGINE engine not reachable (dockerd running? rootless Podman needs nothing running)"; exit 1; }

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
    if timeout 120 "$CONTAINER_ENGINE" pull -q "$1" >/dev/null 2>&1; then echo "$1"; return; fi
    if [[ "$offline" == no ]]; then log "cannot pull $1"; exit 1; fi
    log "cannot pull $1; falling back to the offline Debian base"
  fi
  build_offline_base "$SUITE" "$OFFLINE_BASE_IMAGE"
  echo "$OFFLINE_BASE_IMAGE"
}

build_offline_base() {  # $1: Debian suite, $2: image name
  local suite="$1" image="$2" rootfs
  if have_image "$image"; then return; fi
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }
  rootfs="$(mktemp -d /var/tmp/reward-sandbox-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap $suite ($DEBIAN_PACKAGES) into $rootfs (~50 s)"
  if ! debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" "$suite" "$rootfs" \
      "$DEBIAN_MIRROR" >"$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    log "debootstrap failed (full log: $rootfs.log)"
    exit 1
  fi
  rm -f "$rootfs.log"
  # apt caches are dead weight in an image
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  log "$CONTAINER_ENGINE import -> $image"
  tar -C "$rootfs" -c . | engine import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    - "$image" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
}

# The service image installs wheels built on this machine, so its Python must be this one's:
# the Debian suite that carries it (bookworm 3.11, trixie 3.13).
build_service_base() {
  local version suite
  version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  case "$version" in
    3.11) suite=bookworm ;;
    3.13) suite=trixie ;;
    *) log "no Debian suite carries Python $version (bookworm: 3.11, trixie: 3.13): build the service"
       log "on python:$version-slim online, or build the wheels with one of those"; exit 1 ;;
  esac
  build_offline_base "$suite" "reward-sandbox-base:$suite"
  engine tag "reward-sandbox-base:$suite" "$SERVICE_BASE_IMAGE"
  log "$SERVICE_BASE_IMAGE is reward-sandbox-base:$suite (Python $version, as $PYTHON)"
}

build_family() {
  local family="$1" image hash current base started
  image="$(image_of "$family")"
  hash="$(sources_hash "$family")"
  # even for an image that is up to date: `docker compose up --build` builds from the same
  # context and needs them there (a pinned file already fetched is not fetched again)
  fetch_vendored "$family"
  if [[ "$force" == 0 ]] && have_image "$image"; then
    current="$(engine image inspect -f '{{ index .Config.Labels "reward-sandbox.sources" }}' "$image")"
    if [[ "$current" == "$hash" ]]; then
      log "$image is up to date ($hash)"
      return
    fi
  fi
  base="$(pick_base "$SANDBOX_BASE_IMAGE")"
  log "building $image on $base"
  started=$SECONDS
  if ! engine build -q ${BUILD_NETWORK:+--network "$BUILD_NETWORK"} --build-arg BASE_IMAGE="$base" --build-arg FAMILY="$family" \
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
if [[ "$service_base" == 1 ]]; then
  build_service_base
fi
