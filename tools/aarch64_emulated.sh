#!/bin/bash
# Build and test this checkout on aarch64 without an Arm machine: an arm64
# Debian (bookworm) root filesystem run under qemu-user emulation, with its
# own Python 3.11, gcc 12 and numpy. This is how the NEON paths were checked
# against the reference here (docs/kernels.md); it says nothing about speed,
# for which tools/aarch64_instruction_counts.py counts instructions.
#
#   tools/aarch64_emulated.sh setup            # once: about 5 minutes, 1 GB
#   tools/aarch64_emulated.sh test [pytest arguments]   # default: tests/test_simd.py
#   tools/aarch64_emulated.sh shell [command]  # a command in the arm64 root
#   tools/aarch64_emulated.sh unmount          # before deleting the root
#
# Needs root on a Debian host (apt, mount, chroot). The root filesystem is
# $NOGILKIT_ARM64_ROOT (default /var/tmp/nogilkit-arm64). `test` builds the
# checkout there from scratch (about 6 minutes on 2 cores) and runs pytest.
set -euo pipefail
ROOT=${NOGILKIT_ARM64_ROOT:-/var/tmp/nogilkit-arm64}
CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)

binfmt() {  # qemu-aarch64 with flag F: the interpreter is opened now, so it runs inside the chroot
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
        || cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register
    grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
        || { echo "qemu-aarch64 is registered without flag F: install qemu-user-static" >&2; exit 1; }
}

mounted() {  # /proc, /sys and /dev inside the root, once
    local kind source target
    while read -r kind source target; do
        mkdir -p "$ROOT$target"
        mountpoint -q "$ROOT$target" && continue
        if [ "$kind" = bind ]; then mount --bind "$source" "$ROOT$target"
        else mount -t "$kind" "$source" "$ROOT$target"; fi
    done <<'EOF'
proc proc /proc
sysfs sysfs /sys
bind /dev /dev
devpts devpts /dev/pts
tmpfs tmpfs /dev/shm
EOF
}

inside() {  # a command in the root, with its venv first on PATH, in /src if there
    [ -x "$ROOT/opt/venv/bin/python" ] || { echo "no arm64 root at $ROOT: run '$0 setup'" >&2; exit 1; }
    binfmt
    mounted
    chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/opt/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c 'cd /src 2>/dev/null || cd /; exec "$@"' inside "$@"
}

setup() {
    local missing=()
    for package in qemu-user-static debootstrap rsync; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
    binfmt
    [ -x "$ROOT/usr/bin/python3" ] || debootstrap --arch=arm64 \
        --include=python3,python3-dev,python3-venv,gcc,g++,ca-certificates bookworm "$ROOT" \
        "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
    # A host that reaches PyPI through a proxy of its own trusts its certificates there.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
        mounted
        chroot "$ROOT" update-ca-certificates >/dev/null
    fi
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$ROOT/etc/pip.conf"
    [ -x "$ROOT/opt/venv/bin/python" ] || { mounted; chroot "$ROOT" python3 -m venv /opt/venv; }
    inside pip install -q -U pip
    # The build's and the tests' dependencies (pyproject.toml), aarch64 wheels from PyPI.
    inside pip install -q "setuptools>=77" "Cython>=3.1" "numpy>=2.0" wheel "rich>=13" \
        "threadpoolctl>=3.1" "pytest>=7" "hypothesis>=6" "scikit-learn>=1.2"
    inside python -c 'import platform, numpy; print(platform.machine(), "numpy", numpy.__version__)'
}

build() {  # the checkout, from scratch, into the root's venv
    rsync -a --delete --delete-excluded --exclude=.git --exclude='.venv*' --exclude=/build/ \
        --exclude=/dist/ --exclude='*.so' --exclude='*.egg-info' --exclude=__pycache__ \
        --exclude='/ext/*.c' --exclude='/ext/*.html' --exclude=.asv "$CHECKOUT/" "$ROOT/src/"
    local start=$SECONDS
    inside pip install -q --no-build-isolation --no-deps .
    echo "built for aarch64 in $((SECONDS - start)) s"
}

case "${1:-}" in
    setup) setup ;;
    test) shift; build; inside python -m pytest -q -p no:cacheprovider "${@:-tests/test_simd.py}" ;;
    shell) shift; inside "${@:-bash}" ;;
    unmount)
        for target in /dev/shm /dev/pts /dev /sys /proc; do
            mountpoint -q "$ROOT$target" && umount "$ROOT$target"
        done
        echo "nothing mounted under $ROOT" ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
