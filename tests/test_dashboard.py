"""The asv dashboard, vendored for offline use, renders as asv intends.

A small results set (the recorded tests/data/asv_result.json, on two commits
of a throwaway git repository) goes through ``asv publish`` and
benchmarks/vendor_dashboard.py; headless Chromium then loads a graph page from
a loopback HTTP server (as ``asv preview`` serves it), with the x axis a
category parameter, so flot draws bars, one series per legend entry, and a
line graph. Checked in the rendered DOM: the legend's labels, each axis label
drawn once (canvas text, recorded by a script the test adds to the page, plus
DOM text), bars of one category side by side, not over each other; and the
screenshot is written and not blank. The vendoring this replaced (Debian's
flot 4, no orderBars) failed the first three; the CDN's orderBars, without
asv's patch, draws no bars at all (their positions are NaN).
"""

import base64
import contextlib
import functools
import hashlib
import html
import html.parser
import http.server
import importlib
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests" / "data" / "asv_result.json"
VENDOR = ROOT / "benchmarks" / "dashboard_vendor"
BARS = "bench_strategies.Strategies.time_run"  # params: implementation, strategy, workers
LINES = "bench_kernels.Mandelbrot.time_mandelbrot"  # params: workers
BARS_PAGE = f"index.html#{BARS}?x-axis=strategy"  # a bar per strategy and implementation
LINES_PAGE = f"index.html#{LINES}"  # a line per worker count, over the commits
# sha256 of flot's files at its git tag v0.8.3 (the CDN serves minified builds of them)
FLOT_0_8_3 = {
    "jquery.flot.js": "b7b931f273c38b1277b9c6c1f4e05c4ec09885a487bddaf3279e2d7e49a38e12",
    "jquery.flot.time.js": "a582c832adc7138a6b05aaf61f16ebac274701f1be4afea77e739a1c34b9c41a",
    "jquery.flot.selection.js": "e6c85f6c1ebe4b4da29d8ae238c7c5060283f05f7ef054f6b91817d02c092918",
    "jquery.flot.categories.js": "6e81664b28ea795c734906f4aa15614640a75ac7fbd399a7fb9084040698351a",
}
CHROMIUMS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome",
             "google-chrome-stable")

# Added to the tested copy of the page, first in <head>: records the text
# drawn on each canvas since it was last cleared, and reports it, the axis
# labels asv asked flot for and each bar's extent, in <pre id="report">.
REPORT_JS = """
(function () {
  var drawn = new Map(), proto = CanvasRenderingContext2D.prototype;
  var fillText = proto.fillText, clearRect = proto.clearRect;
  proto.fillText = function (text) {
    if (!drawn.has(this.canvas)) drawn.set(this.canvas, []);
    drawn.get(this.canvas).push(String(text));
    return fillText.apply(this, arguments);
  };
  proto.clearRect = function () {
    drawn.set(this.canvas, []);
    return clearRect.apply(this, arguments);
  };
  function report() {
    var graph = document.getElementById("main-graph");
    var out = {canvas_text: [], axis_labels: {}, bars: []};
    if (graph) {
      drawn.forEach(function (texts, canvas) {
        if (graph.contains(canvas)) out.canvas_text = out.canvas_text.concat(texts);
      });
      var plot = window.jQuery && jQuery(graph).data("plot");
      if (plot) {
        var axes = plot.getAxes();
        out.axis_labels = {x: axes.xaxis.options.axisLabel, y: axes.yaxis.options.axisLabel};
        plot.getData().forEach(function (s, i) {
          if (!s.bars || !s.bars.show) return;
          var width = Number(s.bars.barWidth), points = s.datapoints.points;
          var left = s.bars.align == "center" ? -width / 2 : (s.bars.align == "right" ? -width : 0);
          for (var j = 0; j < points.length; j += s.datapoints.pointsize) {
            if (points[j] != null && points[j + 1] != null)
              out.bars.push({series: i, x: points[j], left: points[j] + left, right: points[j] + left + width});
          }
        });
      }
    }
    var pre = document.getElementById("report");
    if (!pre) {
      pre = document.createElement("pre");
      pre.id = "report";
      pre.style.display = "none";
      document.body.appendChild(pre);
    }
    pre.textContent = JSON.stringify(out);
  }
  setInterval(function () { if (document.body) report(); }, 100);
})();
"""


def vendor_module():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("benchmarks.vendor_dashboard")


def chromium():
    for name in CHROMIUMS:
        path = shutil.which(name)
        if path:
            return path
    return None


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def write_results(root):
    """A throwaway repository with two commits, and asv results for both of them."""
    repo, results = root / "repo", root / "results"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    recorded = json.loads(RECORDED.read_text())
    machine = recorded["params"]["machine"]
    (results / machine).mkdir(parents=True)
    machine_info = {k: v for k, v in recorded["params"].items() if k != "python"}
    (results / machine / "machine.json").write_text(json.dumps({**machine_info, "version": 1}))
    for i, factor in enumerate((1.0, 0.8)):
        (repo / "file").write_text(str(i))
        git(repo, "add", "file")
        date = f"2025-01-0{i + 1}T12:00:00+00:00"
        git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", f"commit {i}",
            f"--date={date}")
        commit = git(repo, "rev-parse", "HEAD")
        data = dict(recorded, commit_hash=commit, date=1735732800000 + i * 86400000)
        data["results"] = {
            name: [[None if v is None else v * factor for v in row[0]], row[1]]
            for name, row in recorded["results"].items() if name in (BARS, LINES)}
        (results / machine / f"{commit[:8]}-{recorded['env_name']}.json").write_text(
            json.dumps(data))
    benchmarks = {"version": 2}
    for name in (BARS, LINES):
        params = recorded["results"][name][1]
        names = ["implementation", "strategy", "workers"] if name == BARS else ["workers"]
        benchmarks[name] = {
            "name": name, "type": "time", "unit": "seconds", "version": "1",
            "params": params, "param_names": names, "code": f"def {name.rsplit('.', 1)[1]}(): ...",
            "timeout": 60, "number": 0, "repeat": 0, "min_run_count": 2, "rounds": 2,
            "sample_time": 0.01, "warmup_time": -1, "pretty_name": name}
    (results / "benchmarks.json").write_text(json.dumps(benchmarks))
    return repo


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The published, vendored dashboard's directory."""
    if importlib.util.find_spec("asv") is None:
        pytest.skip("asv is not installed (pip install 'asv>=0.6')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("dashboard")
    repo = write_results(root)
    conf = {"version": 1, "project": "nogilkit", "project_url": "https://example.com/",
            "repo": str(repo), "dvcs": "git", "branches": ["main"],
            "environment_type": "virtualenv", "results_dir": str(root / "results"),
            "html_dir": str(root / "html"), "env_dir": str(root / "env")}
    (root / "asv.conf.json").write_text(json.dumps(conf))
    asv = pathlib.Path(sys.executable).with_name("asv")
    command = [str(asv)] if asv.exists() else [sys.executable, "-m", "asv"]
    done = subprocess.run([*command, "publish", "--config", str(root / "asv.conf.json")],
                          cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    html_dir = root / "html"
    vendor_dashboard = vendor_module()
    assert vendor_dashboard.vendor(html_dir) == []
    return html_dir


@contextlib.contextmanager
def served(directory):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def render(browser, url, *outputs, workdir):
    """Run headless Chromium on ``url``: its stdout (the DOM with --dump-dom)."""
    args = [browser, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio",
            f"--user-data-dir={workdir / 'profile'}", "--window-size=1280,900",
            # virtual time: the page's scripts and timers run to the end of the
            # budget however fast or slow the machine (network fetches pause it)
            "--virtual-time-budget=15000", *outputs, url]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=workdir)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class GraphText(html.parser.HTMLParser):
    """The text inside #main-graph, in pieces, and its legend's labels."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.depth = 0  # elements open inside #main-graph (0: outside)
        self.label_depth = None
        self.texts, self.labels = [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
            if "legendLabel" in (attrs.get("class") or "").split():
                self.label_depth = self.depth
                self.labels.append("")
        elif attrs.get("id") == "main-graph":
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            if self.depth == self.label_depth:
                self.label_depth = None
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.texts.append(data.strip())
            if self.label_depth:
                self.labels[-1] += data


@pytest.fixture(scope="module")
def rendered(published, tmp_path_factory):
    """{page: (DOM, report)} for the bar and the line graph, and the bar graph's screenshot."""
    browser = chromium()
    if browser is None:
        pytest.skip("no headless Chromium (apt-get install chromium-headless-shell)")
    index = published / "index.html"
    index.write_text(index.read_text().replace("<head>", f"<head><script>{REPORT_JS}</script>", 1))
    workdir = tmp_path_factory.mktemp("chromium")
    png = workdir / "dashboard.png"
    pages = {}
    with served(published) as base:
        for page in (BARS_PAGE, LINES_PAGE):
            dom = render(browser, base + page, "--dump-dom", workdir=workdir)
            found = re.search(r'<pre id="report"[^>]*>(.*?)</pre>', dom, re.S)
            assert found, f"{page}: no report: did the page's scripts run?\n" + dom[-2000:]
            pages[page] = dom, json.loads(html.unescape(found.group(1)))
        render(browser, base + BARS_PAGE, f"--screenshot={png}", workdir=workdir)
    return pages, png


def graph_text(dom):
    graph = GraphText()
    graph.feed(dom)
    return graph


def test_vendored_files_are_the_ones_asv_asks_for():
    """Each CDN address of asv's page has a copy: flot's, its 0.8.3 release
    sources; the others byte-identical to the CDN's (their integrity hashes
    match; orderBars once asv's patch is taken out)."""
    if importlib.util.find_spec("asv") is None:
        pytest.skip("asv is not installed (pip install 'asv>=0.6')")
    vendor_dashboard = vendor_module()
    page = pathlib.Path(importlib.util.find_spec("asv").origin).parent / "www" / "index.html"
    tags = re.findall(r'<(?:script|link)[^>]*(?:src|href)="https://[^>]*>', page.read_text())
    urls = [re.search(r'(?:src|href)="([^"]+)"', tag).group(1) for tag in tags]
    assert sorted(urls) == sorted(vendor_dashboard.LOCAL)
    assert 'version = "0.8.3"' in (VENDOR / "jquery.flot.js").read_text()
    for tag, url in zip(tags, urls):
        local = VENDOR / vendor_dashboard.LOCAL[url]
        data = local.read_bytes()
        if "/flot/0.8.3/" in url:
            assert hashlib.sha256(data).hexdigest() == FLOT_0_8_3[local.name], local.name
            continue
        if local.name == "jquery.flot.orderBars.js":  # asv's patch out: the CDN's file
            data, patched = re.subn(rb" +// asv's patch .*?return minMaxValues;\r\n +}\r\n", b"", data,
                                    flags=re.S)
            assert patched == 1
        algorithm, digest = re.search(r'integrity="([^"]+)"', tag).group(1).split("-", 1)
        assert base64.b64encode(hashlib.new(algorithm, data).digest()).decode() \
            == digest, f"{local.name} differs from {url}"


@pytest.mark.parametrize("page, labels", [
    # the bars: one series per implementation (one worker count is selected)
    (BARS_PAGE, ["commit-last; implementation-cython; workers-1",
                 "commit-last; implementation-python; workers-1"]),
    (LINES_PAGE, ["workers-1", "workers-2"]),
])
def test_the_legend_has_its_labels(rendered, page, labels):
    dom, _ = rendered[0][page]
    assert sorted(graph_text(dom).labels) == labels


@pytest.mark.parametrize("page, x_label", [(BARS_PAGE, "strategy"), (LINES_PAGE, "commits")])
def test_each_axis_label_is_drawn_once(rendered, page, x_label):
    dom, report = rendered[0][page]
    labels = report["axis_labels"]
    assert labels["x"] == x_label and labels["y"].endswith("seconds")
    drawn = report["canvas_text"] + graph_text(dom).texts
    for label in (labels["x"], labels["y"]):
        assert drawn.count(label) == 1, (label, drawn)


def test_bars_stand_side_by_side(rendered):
    _, report = rendered[0][BARS_PAGE]
    bars = report["bars"]
    # 2 implementations x 5 strategies, less the python openmp run (skipped: null)
    assert len({b["series"] for b in bars}) == 2 and len(bars) == 9
    assert all(isinstance(b[k], (int, float)) for b in bars for k in ("left", "right"))
    for a in bars:
        for b in bars:
            if a["series"] < b["series"]:
                overlap = min(a["right"], b["right"]) - max(a["left"], b["left"])
                assert overlap <= 1e-9, (a, b)


def test_the_screenshot_is_not_blank(rendered):
    import matplotlib.image
    import numpy as np

    png = rendered[1]
    if os.environ.get("NOGILKIT_DASHBOARD_PNG"):  # keep it, to look at
        shutil.copyfile(png, os.environ["NOGILKIT_DASHBOARD_PNG"])
    pixels = matplotlib.image.imread(png)
    assert pixels.shape[:2] == (900, 1280)
    colours = np.unique((pixels[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50
