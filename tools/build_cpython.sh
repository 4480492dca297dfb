#!/usr/bin/env bash
# Build CPython twice from one source tarball, with the GIL and free-threaded
# (--disable-gil), into a cache folder outside the repository, and install
# nogilkit (from this working tree) with its test dependencies into each.
#
#   tools/build_cpython.sh [TARBALL]
#
# TARBALL defaults to CPython 3.13.5 as Debian ships it (python3.13's
# .orig.tar.xz is the upstream tarball), downloaded from the Debian mirror
# (NOGILKIT_CPYTHON_URL overrides the address). The cache is
# $NOGILKIT_CPYTHON_CACHE, default ~/.cache/nogilkit-cpython; it ends up with
#   <cache>/gil/bin/python3       the interpreter with the GIL
#   <cache>/nogil/bin/python3     the free-threaded one (python3.13t)
# and build-seconds.txt in each. Plain ./configure && make -j (no PGO).
# nogilkit compare --python <cache>/nogil/bin/python3 uses them; the tests
# that need them find the cache (tests/interpreters.py) and skip without it.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${NOGILKIT_CPYTHON_CACHE:-$HOME/.cache/nogilkit-cpython}"
url="${NOGILKIT_CPYTHON_URL:-http://deb.debian.org/debian/pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz}"
jobs="$(nproc 2>/dev/null || echo 2)"
mkdir -p "$cache"

tarball="${1:-}"
if [[ -z $tarball ]]; then
    tarball="$cache/$(basename "$url")"
    if [[ ! -s $tarball ]]; then
        echo "downloading $url"
        curl -fsSL --retry 3 -o "$tarball.part" "$url"
        mv "$tarball.part" "$tarball"
    fi
fi
if [[ ! -s $tarball ]]; then
    echo "no such tarball: $tarball" >&2
    exit 2
fi

src="$cache/src"
rm -rf "$src" && mkdir -p "$src"
tar -xf "$tarball" -C "$src" --strip-components=1
if [[ ! -x $src/configure ]]; then
    echo "$tarball does not hold a CPython source tree (no configure)" >&2
    exit 2
fi

# The test extra from pyproject.toml, without numba (no free-threaded wheels).
requirements="$cache/requirements.txt"
python3 - "$here/pyproject.toml" >"$requirements" <<'EOF'
import re, sys, tomllib
extras = tomllib.load(open(sys.argv[1], "rb"))["project"]["optional-dependencies"]
out = []
for requirement in extras["test"]:
    name = re.split(r"[\[<>=;! ]", requirement, maxsplit=1)[0]
    if name == "nogilkit":  # the extras it names, expanded
        for extra in re.search(r"\[(.*)\]", requirement).group(1).split(","):
            out += extras[extra.strip()]
    elif name != "numba":
        out.append(requirement)
print("\n".join(out))
EOF

for variant in gil nogil; do
    prefix="$cache/$variant"
    build="$cache/build-$variant"
    flags=()
    [[ $variant == nogil ]] && flags=(--disable-gil)
    if [[ -s $prefix/build-seconds.txt && ${NOGILKIT_REBUILD:-0} == 0 ]]; then
        echo "== CPython ($variant) is built already (NOGILKIT_REBUILD=1 builds it again)"
    else
        rm -rf "$build" "$prefix" && mkdir -p "$build"
        echo "== building CPython ($variant) into $prefix with $jobs jobs"
        start=$SECONDS
        (cd "$build" && "$src/configure" --prefix="$prefix" "${flags[@]}" >configure.log 2>&1 \
            && make -j"$jobs" >make.log 2>&1 && make install >install.log 2>&1) || {
            echo "the build failed; see $build/*.log" >&2
            exit 1
        }
        echo "$((SECONDS - start))" >"$prefix/build-seconds.txt"
        ln -sf "$(basename "$(ls "$prefix"/bin/python3.* | grep -v config | head -n 1)")" \
            "$prefix/bin/python3"
    fi
    python="$prefix/bin/python3"
    echo "built $("$python" -VV | head -n 1) in $(cat "$prefix/build-seconds.txt")s"
    "$python" -m pip install --quiet --upgrade pip
    # --prefer-binary: an older wheel rather than a source build (hypothesis has
    # no free-threaded wheel of its newest release, which then wants Rust).
    "$python" -m pip install --quiet --prefer-binary -r "$requirements"
    "$python" -m pip install --quiet --no-deps --force-reinstall "$here"
    "$python" -m nogilkit info | grep -E "python|free_threaded|gil_enabled"
done
echo "done: $cache/gil/bin/python3 and $cache/nogil/bin/python3"
