"""The GitHub workflows, read as text (no YAML library needed): the checks
zizmor makes that matter here, where zizmor itself is not installed."""

import pathlib
import re

import pytest

WORKFLOWS = sorted((pathlib.Path(__file__).parent.parent / ".github" / "workflows").glob("*.yml"))


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
