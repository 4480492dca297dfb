"""One comparison across several Pythons: ``nogilkit compare --python PATH ...``.

Each interpreter runs the same ``nogilkit compare`` in a process of its own
(its nogilkit, its GIL or none); the rows come back as JSON and are merged
into one Report, each labelled with its interpreter: the version, ``t`` for
a free-threaded build, and ``GIL on`` where such a build has the GIL
enabled at run time (an extension module without the free-threading
declaration turns it back on).
"""

import json
import os
import subprocess
import tempfile

from .._provenance import provenance
from .harness import Row
from .report import Report


def describe(path):
    """{version, free_threaded_build, gil_enabled, label} of the interpreter at ``path``;
    ValueError naming it when it cannot run nogilkit."""
    code = ("import json, platform, nogilkit._runtime as r; print(json.dumps(dict("
            "version=platform.python_version(), free_threaded_build=r.free_threaded_build(), "
            "gil_enabled=r.gil_enabled())))")
    try:
        done = subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=120)
    except OSError as exc:
        raise ValueError(f"--python {path}: cannot run it ({exc.strerror or exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ValueError(f"--python {path}: cannot import nogilkit there ({last}); install it "
                         f"with {path} -m pip install <this project>")
    info = json.loads(done.stdout)
    label = info["version"] + ("t" if info["free_threaded_build"] else "")
    if info["free_threaded_build"] and info["gil_enabled"]:
        label += " GIL on"
    return dict(info, label=label, path=path)


def command_line(workloads, implementations, strategies, workers, size, repeats, options, json_path):
    """The ``nogilkit compare`` arguments that reproduce one comparison."""
    args = ["-m", "nogilkit", "compare", "--workloads", ",".join(workloads),
            "--implementations", ",".join(implementations), "--strategies", ",".join(strategies),
            "--size", size, "--repeats", str(repeats), "--start-method", options.start_method,
            "--pool", options.pool, "--chunksize", str(options.chunksize),
            "--transfer", options.transfer, "--chunks-per-worker", str(options.chunks_per_worker),
            "--json", json_path, "--no-plot", "--quiet"]
    if workers:
        args += ["--workers", ",".join(map(str, workers))]
    if options.scheduler:
        args += ["--scheduler", options.scheduler]
    return args


def compare_across(pythons, workloads, implementations, strategies, workers, *, size, repeats,
                   options, progress=None):
    """The merged Report of one comparison run by each interpreter in ``pythons``."""
    described = [describe(os.fspath(p)) for p in pythons]
    seen = {}
    for python in described:  # the same Python twice: "3.11.7", "3.11.7 #2"
        seen[python["label"]] = seen.get(python["label"], 0) + 1
        if seen[python["label"]] > 1:
            python["label"] += f" #{seen[python['label']]}"
    rows, configs, provenances = [], [], []
    for done, python in enumerate(described):
        if progress:
            progress(done, len(described), f"Python {python['label']}")
        with tempfile.TemporaryDirectory(prefix="nogilkit-across-") as folder:
            path = os.path.join(folder, "report.json")
            run = subprocess.run([python["path"], *command_line(
                workloads, implementations, strategies, workers, size, repeats, options, path)],
                capture_output=True, text=True)
            # Exit 1 with a report means a row failed its check: the row says so.
            if run.returncode not in (0, 1) or not os.path.exists(path):
                raise RuntimeError(f"nogilkit compare under {python['path']} failed "
                                   f"(exit {run.returncode}):\n{run.stderr[-2000:]}")
            with open(path) as f:
                data = json.load(f)
        configs.append(data["config"])
        provenances.append(data.get("provenance"))
        rows += [Row.from_dict(dict(row, interpreter=python["label"])) for row in data["rows"]]
    if progress:
        progress(len(described), len(described), "done")
    config = dict(configs[0], interpreters=described)
    for other in configs[1:]:
        config["descriptions"].update(other["descriptions"])
    # Each interpreter's own provenance (its control included) is kept; the
    # merged report's is this process's.
    config["provenance_per_python"] = provenances
    return Report(rows=rows, config=config, provenance=provenance())


__all__ = ["command_line", "compare_across", "describe"]
