"""Make an ``asv publish`` dashboard work without internet access.

asv's index.html loads jQuery, flot 0.8.3 and its plugins, orderBars,
bootstrap, stupidtable and md5 from CDNs. This copies the versions it asks
for, kept in benchmarks/dashboard_vendor/ (its README says where each came
from; orderBars has back the patch asv's own copy had, without which bar
graphs show no bars), next to the dashboard and points the page at the
copies. Not Debian's libjs-* packages: they ship flot 4, which draws asv's
graphs wrong (a legend box without labels, axis labels twice). A CDN address
not listed here (a newer asv asking for other versions) is an error, as is a
missing file; the page is then left as it was.

    python benchmarks/vendor_dashboard.py [.asv/html]
"""

import pathlib
import re
import shutil
import sys

VENDOR = pathlib.Path(__file__).resolve().parent / "dashboard_vendor"
# CDN address in asv 0.6's index.html -> local copy in VENDOR
LOCAL = {
    "https://code.jquery.com/jquery-3.3.1.min.js": "jquery-3.3.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": "jquery.flot.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js":
        "jquery.flot.time.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js":
        "jquery.flot.selection.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js":
        "jquery.flot.categories.js",
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js":
        "jquery.flot.orderBars.js",
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js":
        "stupidtable.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": "md5.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js": "bootstrap.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css":
        "bootstrap.min.css",
}


def vendor(html_dir):
    """Point ``html_dir``/index.html at local copies; the problems found (none: done)."""
    html_dir = pathlib.Path(html_dir)
    index = html_dir / "index.html"
    if not index.is_file():
        return [f"{index}: missing (asv publish writes it)"]
    text = index.read_text()
    problems, copies = [], {}

    def replace(match):
        url = match.group(1)
        if url not in LOCAL:
            problems.append(f"{url}: asv asks for it; {VENDOR} has no copy (see its README.md)")
            return match.group(0)
        source = VENDOR / LOCAL[url]
        if not source.is_file():
            problems.append(f"{source}: missing")
            return match.group(0)
        copies[source] = html_dir / f"vendor-{source.name}"
        if source.name.endswith(".css"):
            return f'<link rel="stylesheet" href="vendor-{source.name}">'
        return f'<script type="text/javascript" src="vendor-{source.name}"></script>'

    text = re.sub(r'<script[^>]*src="(https?://[^"]+)"[^>]*>\s*</script>', replace, text)
    text = re.sub(r'<link[^>]*href="(https?://[^"]+)"[^>]*>', replace, text)
    if not problems:
        for source, target in copies.items():
            shutil.copyfile(source, target)
        index.write_text(text)
    return problems


if __name__ == "__main__":
    problems = vendor(sys.argv[1] if len(sys.argv) > 1 else ".asv/html")
    if problems:
        sys.exit("vendor_dashboard.py: index.html left unchanged:\n  " + "\n  ".join(problems))
