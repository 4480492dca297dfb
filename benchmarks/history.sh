#!/usr/bin/env bash
# Benchmark the last N commits of main (default 5) with asv, then build the
# HTML dashboard (.asv/html; `asv preview` serves it).
#
#   benchmarks/history.sh [N] [--all-pythons]
#
# Each commit is built as a wheel in its own virtualenv (asv.conf.json). By
# default the interpreter running asv is used; --all-pythons adds every
# CPython >= 3.10 that pyenv has installed, for the Python matrix.
set -euo pipefail
cd "$(dirname "$0")/.."

commits=5
pythons=()
for arg in "$@"; do
    case $arg in
        --all-pythons)
            # asv finds "pythonX.Y" on PATH: put each pyenv install's bin first.
            for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[0-9]+\.[0-9]+$'); do
                PATH="$(pyenv prefix "$version")/bin:$PATH"
                pythons+=("--python=${version%.*}")
            done ;;
        ''|*[!0-9]*) echo "usage: $0 [N] [--all-pythons]" >&2; exit 2 ;;
        *) commits=$arg ;;
    esac
done
if [[ ${#pythons[@]} -eq 0 ]]; then
    pythons=("--python=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
fi

count=$(git rev-list --count main)
if (( commits > count )); then commits=$count; fi
# One machine name (the gate's): hosted runners change hostname every job,
# which would start a new history, and re-measure every commit, each time.
machine=${NOGILKIT_ASV_MACHINE:-nogilkit-ci}
asv machine --yes --machine "$machine" >/dev/null
# main~N..main is the last N commits; asv skips those already measured here.
range="main~${commits}..main"
(( commits == count )) && range="main"
asv run --machine "$machine" --skip-existing-successful "${pythons[@]}" "$range" --steps "$commits"
asv publish
# The page's scripts from benchmarks/dashboard_vendor, not CDNs: it renders
# offline, and its bar graphs draw (see vendor_dashboard.py).
python benchmarks/vendor_dashboard.py .asv/html
echo "dashboard: .asv/html/index.html (asv preview to serve it)"
