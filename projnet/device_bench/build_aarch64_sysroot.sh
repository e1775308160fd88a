#!/usr/bin/env bash
# Build the arm64 world that `projnet bench --target qemu-aarch64` runs the runner in:
#   ROOT/sysroot  Debian bookworm arm64 (python3.11), what a 64-bit Raspberry Pi OS is built from
#   ROOT/site     numpy + ai-edge-litert aarch64 wheels, unpacked (PYTHONPATH)
#   ROOT/READY    written last: a half-built ROOT is rebuilt, never used
#
#   bash build_aarch64_sysroot.sh ROOT [HOST_PYTHON]      (about 1-2 minutes, ~250 MB)
#
# Needs qemu-user-static and debootstrap (installed here with apt when run as root), the Debian
# mirror and PyPI. Only debootstrap's first stage runs: its .debs are unpacked with dpkg-deb, which
# needs no chroot, no binfmt_misc and no emulated maintainer scripts (the second stage takes ~6 min).
set -euo pipefail
ROOT=${1:?usage: build_aarch64_sysroot.sh ROOT [HOST_PYTHON]}
HOST_PYTHON=${2:-python3}
SUITE=bookworm                     # Raspberry Pi OS (64-bit) is Debian bookworm
MIRROR=${PROJNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
LITERT_VERSION=${PROJNET_LITERT_VERSION:-2.3.0}

step() { echo "[aarch64 sysroot] $*" >&2; }

if ! command -v qemu-aarch64-static >/dev/null || ! command -v debootstrap >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    step "installing qemu-user-static and debootstrap"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static debootstrap >/dev/null
  else
    echo "error: the qemu-aarch64 target needs qemu-user-static and debootstrap: sudo apt-get install qemu-user-static debootstrap" >&2
    exit 1
  fi
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "error: building the arm64 sysroot needs root (debootstrap); run once as root or point --qemu-root at a built one" >&2
  exit 1
fi

mkdir -p "$ROOT"
WORK=$(mktemp -d "$ROOT/.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

step "downloading Debian $SUITE arm64 base with python3 (debootstrap, first stage)"
debootstrap --arch=arm64 --foreign --variant=minbase --include=python3,python3-venv \
  "$SUITE" "$WORK/stage1" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -3 "$WORK/debootstrap.log" >&2; exit 1; }

step "unpacking $(ls "$WORK"/stage1/var/cache/apt/archives/*.deb | wc -l) packages"
mkdir -p "$WORK/sysroot"
for deb in "$WORK"/stage1/var/cache/apt/archives/*.deb; do
  dpkg-deb -x "$deb" "$WORK/sysroot"
done
# LiteRT reads /proc/cpuinfo to pick kernels and crashes on the host's x86 one; qemu -L looks
# inside the sysroot first, so give it what a Raspberry Pi 4 (Cortex-A72) reports.
mkdir -p "$WORK/sysroot/proc"
cpu_block() {
  printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n' "$1"
  printf 'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n'
}
{ for i in 0 1 2 3; do cpu_block "$i"; done
  printf 'Hardware\t: BCM2835\nRevision\t: c03111\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n'; } >"$WORK/sysroot/proc/cpuinfo"

step "downloading aarch64 wheels: ai-edge-litert==$LITERT_VERSION, numpy"
# ai-edge-litert 2.x is tagged manylinux_2_27 only: without that platform pip finds only 1.x.
"$HOST_PYTHON" -m pip download --quiet --only-binary=:all: --python-version 3.11 --implementation cp \
  --abi cp311 --platform manylinux_2_27_aarch64 --platform manylinux2014_aarch64 \
  --dest "$WORK/wheels" "ai-edge-litert==$LITERT_VERSION" numpy
mkdir -p "$WORK/site"
for wheel in "$WORK"/wheels/*.whl; do
  "$HOST_PYTHON" -m zipfile -e "$wheel" "$WORK/site"
done

rm -rf "$ROOT/sysroot" "$ROOT/site"
mv "$WORK/sysroot" "$ROOT/sysroot"
mv "$WORK/site" "$ROOT/site"
printf 'suite=%s\nai-edge-litert=%s\nbuilt=%s\n' "$SUITE" "$LITERT_VERSION" "$(date -u +%FT%TZ)" >"$ROOT/READY"
step "ready: $ROOT ($(du -sh "$ROOT" | cut -f1))"
