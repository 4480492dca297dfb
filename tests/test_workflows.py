"""The GitHub workflows: zizmor (offline) and the GitHub workflow JSON schema
(check-jsonschema's vendored copy, offline) when the test extra installed them,
and, always, the checks that matter most read from the text (no YAML library
needed)."""

import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig

import pytest

ROOT = pathlib.Path(__file__).parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"


@pytest.fixture(params=WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def workflow(request):
    return request.param.read_text(encoding="utf-8")


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"tests.yml", "benchmarks.yml", "wheels.yml"}


def test_permissions_are_declared_at_the_top(workflow):
    assert re.search(r"^permissions:", workflow, re.MULTILINE)


def test_no_expression_is_expanded_inside_a_shell_command(workflow):
    # ${{ ... }} in run: is pasted into the script before it runs (template
    # injection): pass values through env: instead.
    for block in re.findall(r"^\s*(?:- )?run: *(?:\|\n((?:\s{8,}.*\n)+)|(.*))$", workflow,
                            re.MULTILINE):
        assert "${{" not in "".join(block), block


def test_checkouts_keep_no_credentials(workflow):
    steps = workflow.split("- uses: ")
    for step in steps[1:]:
        if step.startswith("actions/checkout@"):
            assert "persist-credentials: false" in step.split("\n      - ")[0], step[:200]


def test_no_retired_runner(workflow):
    assert "macos-13" not in workflow


# uses: owner/repo[/path]@<40 hex> # vX.Y.Z -- a commit cannot be moved the way a
# tag or a branch can; the comment says which release it is.
PINNED = re.compile(r"[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40} # v\d+(?:\.\d+)*")


def uses_of(workflow):
    return re.findall(r"^\s*(?:- )?uses: *(.*?)\s*$", workflow, re.MULTILINE)


def tag_pinned_by_config():
    """The actions .github/zizmor.yml lets stay on a tag (ref-pin), each with its reason there."""
    if not ZIZMOR_CONFIG.exists():
        return set()
    return set(re.findall(r'^\s+"([^"*]+)": *ref-pin\b', ZIZMOR_CONFIG.read_text(encoding="utf-8"),
                          re.MULTILINE))


def test_every_action_is_pinned_by_commit(workflow):
    excepted = tag_pinned_by_config()
    uses = uses_of(workflow)
    assert uses
    for use in uses:
        if use.startswith("./"):  # an action in this repository
            continue
        if use.split("@")[0] in excepted:
            continue
        assert PINNED.fullmatch(use), f"not pinned by full commit SHA with a # vX.Y.Z comment: {use}"


def test_tag_pin_exceptions_are_still_needed():
    # An exception in .github/zizmor.yml that no workflow needs any more (the
    # action is gone, or pinned by commit now) is deleted, not kept.
    all_uses = [use for path in WORKFLOWS for use in uses_of(path.read_text(encoding="utf-8"))]
    for action in tag_pinned_by_config():
        refs = [use.split("@", 1)[1] for use in all_uses if use.split("@")[0] == action]
        assert refs, f"{action} is excepted in {ZIZMOR_CONFIG.name} but no workflow uses it"
        assert not any(re.match(r"[0-9a-f]{40}\b", ref) for ref in refs), \
            f"{action} is pinned by commit now: delete its exception in {ZIZMOR_CONFIG.name}"


def test_the_pin_check_rejects_tags_and_short_shas():
    for use in ["actions/checkout@v4", "actions/checkout@v4.4.0", "pypa/gh-action-pypi-publish@release/v1",
                "actions/checkout@11d5960",
                "actions/checkout@11d5960a326750d5838078e36cf38b85af677262"]:  # no version comment
        assert not PINNED.fullmatch(use), use
    assert PINNED.fullmatch("actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0")


# -- zizmor ------------------------------------------------------------------

def find_executable(name):
    """name installed next to this interpreter (a virtualenv's scripts), else on PATH."""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        found = shutil.which(name, path=folder)
        if found:
            return found
    return shutil.which(name)


@pytest.fixture(scope="module")
def zizmor():
    executable = find_executable("zizmor")
    if executable is None:
        pytest.skip("zizmor is not installed (pip install nogilkit[test])")
    return executable


def run_zizmor(zizmor, *args, cwd=ROOT):
    # --offline: no network at all (the audits that query GitHub are off);
    # --strict-collection: a workflow zizmor cannot parse is an error, not a warning.
    return subprocess.run([zizmor, "--offline", "--no-progress", "--color", "never",
                           "--format", "json", "--strict-collection", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def describe(finding):
    """'audit (severity) at path:line', for the failure message."""
    where = finding["locations"][0] if finding["locations"] else {}
    path = where.get("symbolic", {}).get("key", {}).get("Local", {}).get("verbatim_path", "?")
    row = where.get("concrete", {}).get("location", {}).get("start_point", {}).get("row")
    return f"{finding['ident']} ({finding['determinations']['severity']}) at {path}:{'?' if row is None else row + 1}"


def test_zizmor_finds_nothing(zizmor):
    # Every persona-"regular" audit at every severity; .github/zizmor.yml (found
    # by zizmor itself) holds the only exceptions, each with its reason.
    done = run_zizmor(zizmor, ".github/workflows")
    assert done.stdout.strip().startswith("["), done.stdout + done.stderr
    findings = json.loads(done.stdout)
    summary = [describe(finding) for finding in findings]
    assert findings == [], summary
    assert done.returncode == 0, done.stderr


def test_zizmor_would_report_an_unpinned_action(zizmor, tmp_path):
    # The check above can fail: the same command on a workflow with a tag-pinned
    # action reports it.
    (tmp_path / "bad.yml").write_text(
        "name: bad\non: push\npermissions: {}\njobs:\n  x:\n    name: x\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n",
        encoding="utf-8")
    done = run_zizmor(zizmor, "--no-config", str(tmp_path / "bad.yml"), cwd=tmp_path)
    assert "unpinned-uses" in {f["ident"] for f in json.loads(done.stdout)}, done.stdout + done.stderr
    assert done.returncode != 0


# -- the GitHub workflow schema ------------------------------------------------

@pytest.fixture(scope="module")
def check_jsonschema():
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install nogilkit[test])")
    # Its vendored copy of the schema (schemastore's github-workflow.json): no download.
    return [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_matches_the_schema(check_jsonschema, path):
    done = subprocess.run([*check_jsonschema, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_workflow(check_jsonschema, tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n",
                      encoding="utf-8")
    done = subprocess.run([*check_jsonschema, str(broken)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "stepz" in done.stdout


# -- the wheels: built and tested on every OS they are for ----------------------------------

def pyproject():
    try:
        import tomllib
    except ImportError:  # Python 3.10: pytest's own TOML reader
        import tomli as tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_wheels_are_built_and_tested_on_linux_macos_and_windows():
    yaml = pytest.importorskip("yaml")  # PyYAML, which nogilkit[dask] brings
    job = yaml.safe_load((ROOT / ".github" / "workflows" / "wheels.yml").read_text(
        encoding="utf-8"))["jobs"]["wheels"]
    assert job["runs-on"] == "${{ matrix.os }}"
    runners = job["strategy"]["matrix"]["os"]
    assert {runner.split("-")[0] for runner in runners} == {"ubuntu", "macos", "windows"}, runners
    (step,) = [step for step in job["steps"] if step.get("uses", "").startswith("pypa/cibuildwheel@")]
    assert not {"CIBW_TEST_COMMAND", "CIBW_TEST_SKIP", "CIBW_TEST_EXTRAS"} & set(step.get("env", {}))

    config = pyproject()["tool"]["cibuildwheel"]
    assert config["test-extras"] == ["test"]
    # Quoted: one argument in cmd.exe (Windows) and in sh, whatever the checkout's path.
    assert config["test-command"].startswith('pytest "{project}/tests"')
    assert "test-skip" not in config  # every wheel's tests run
    for name in ("linux", "macos", "windows"):
        assert not {"test-command", "test-skip", "test-extras"} & set(config.get(name, {})), name


def test_the_platform_markers_are_registered():
    markers = pyproject()["tool"]["pytest"]["ini_options"]["markers"]
    assert {marker.split("(")[0].split(":")[0] for marker in markers} >= {"linux", "posix"}


def test_platform_marks_skip_elsewhere_with_their_reason():
    from .conftest import platform_skip_reason

    linux, posix = pytest.mark.linux("reads /proc").mark, pytest.mark.posix("makes a FIFO").mark
    other = pytest.mark.slow.mark
    cases = [
        ([linux], "linux", "posix", None),
        ([linux], "darwin", "posix", "needs Linux: reads /proc"),
        ([linux], "win32", "nt", "needs Linux: reads /proc"),
        ([posix], "linux", "posix", None),
        ([posix], "darwin", "posix", None),
        ([posix], "win32", "nt", "needs a POSIX system: makes a FIFO"),
        ([other, posix, linux], "darwin", "posix", "needs Linux: reads /proc"),
        ([other], "win32", "nt", None),
    ]
    for marks, platform, os_name, reason in cases:
        assert platform_skip_reason(marks, "t", platform, os_name) == reason, (marks, platform)
    for bad in (pytest.mark.linux, pytest.mark.linux(reason="reads /proc"), pytest.mark.posix(3)):
        with pytest.raises(pytest.UsageError, match="takes one string"):
            platform_skip_reason([bad.mark], "t", "linux", "posix")
