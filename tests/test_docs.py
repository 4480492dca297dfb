"""The README stays a two-minute read, its code runs, and every link in it
and in docs/ leads somewhere; tools/make_results.py writes docs/results.md."""

import importlib.util
import re
import subprocess
import sys
import textwrap

import pytest

from .test_examples import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAKE_RESULTS = ROOT / "tools" / "make_results.py"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def lines_of(path):
    return path.read_text(encoding="utf-8").splitlines()


def heading_line(lines, heading):
    return next(number for number, line in enumerate(lines, 1) if line == heading)


def anchors(path):
    """GitHub's anchors for a page's headings (outside fenced blocks)."""
    found, fenced = set(), False
    for line in lines_of(path):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_the_readme_is_short_and_says_how_to_use_it_first():
    lines = lines_of(README)
    assert len(lines) < 200
    # What a new user came for, before the reference material.
    assert heading_line(lines, "## Two commands") < 20
    assert heading_line(lines, "## Calling a kernel") < 60
    assert heading_line(lines, "## Comparing your own function") < 100
    assert heading_line(lines, "## Reading the asv history") < 130


def test_the_ci_test_command_follows_its_marker():
    # .ci/run runs the first line of the fenced block after the marker.
    lines = lines_of(README)
    (marker,) = [n for n, line in enumerate(lines) if line.startswith("<!-- ci: test command")]
    assert lines[marker + 1:marker + 4] == ["```bash", "python3 tools/test_wheel.py", "```"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{page.name}: {target}"


def test_the_readme_python_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    for code in blocks:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr


def make_results(tmp_path, *args):
    return subprocess.run([sys.executable, str(MAKE_RESULTS), "--quick",
                           "--output", str(tmp_path / "results.md"), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)


def sections(text):
    return re.findall(r"^## (.+)$", text, re.M)


def test_make_results_writes_each_measurement_with_its_origin(tmp_path):
    done = make_results(tmp_path, "--only", "compare,kernels")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    for key in ("- date: ", "- commit: ", "- machine: ", "- Python ", "- build: ",
                "- mode: --quick"):
        assert f"\n{key}" in text, key
    assert sections(text) == ["The default comparison",
                              "The kernels against pure Python and NumPy"]
    assert "`nogilkit compare --size tiny --repeats 3 --workers 1,2 --plot " in text
    assert "`python tools/kernel_figures.py --quick`" in text
    # Each measurement: its output verbatim in a fenced block, and a verdict on the machine.
    assert text.count("\n```\n") == 4
    assert "== mandelbrot (tiny: " in text
    verdicts = r"explained in \[\w+\.md\]\(\w+\.md\)\)\. (The machine was free|\*\*Inconclusive)"
    assert len(re.findall(verdicts, text)) == 2
    assert (tmp_path / "results-compare.png").stat().st_size > 0


def test_make_results_refuses_an_unknown_measurement(tmp_path):
    done = make_results(tmp_path, "--only", "compare,nonsense")
    assert done.returncode == 2
    assert "--only: unknown measurement(s) nonsense" in done.stderr
    assert not (tmp_path / "results.md").exists()


@pytest.mark.slow
def test_make_results_quick_runs_every_measurement(tmp_path):
    done = make_results(tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "FAILED" not in text
    spec = importlib.util.spec_from_file_location("make_results", MAKE_RESULTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Each measurement ran, or is listed with what it needs.
    not_run = re.findall(r"^- .+ \(`([\w-]+)`\): needs ", text, re.M)
    ran = [title for title in sections(text) if title != "Not run here"]
    assert sorted(ran) == sorted(m.title for m in module.MEASUREMENTS if m.name not in not_run)
