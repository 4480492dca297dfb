"""Make an ``asv publish`` dashboard work without internet access.

asv's index.html loads jQuery, flot, bootstrap, stupidtable and md5 from
CDNs. Where Debian's libjs-* packages are installed (libjs-jquery,
libjs-jquery-flot, libjs-bootstrap, libjs-jquery-stupidtable,
node-blueimp-md5), this copies them next to the dashboard and points the
page at the copies. flot's packed build carries the plugins asv asks for.

    python benchmarks/vendor_dashboard.py [.asv/html]
"""

import pathlib
import re
import shutil
import sys

JS = pathlib.Path("/usr/share/javascript")
# CDN file name -> local copy (None: not needed with the packed flot)
LOCAL = {
    "jquery-3.3.1.min.js": JS / "jquery/jquery.min.js",
    "jquery.flot.min.js": JS / "jquery-flot/jquery.flot.pack.js",
    "jquery.flot.time.min.js": None,
    "jquery.flot.selection.min.js": None,
    "jquery.flot.categories.min.js": None,
    "jquery.flot.orderBars.js": None,
    "stupidtable.min.js": JS / "jquery-stupidtable/stupidtable.min.js",
    "md5.min.js": JS / "blueimp-md5/md5.min.js",
    "bootstrap.min.js": JS / "bootstrap/js/bootstrap.min.js",
    "bootstrap.min.css": JS / "bootstrap/css/bootstrap.min.css",
}


def vendor(html_dir):
    index = html_dir / "index.html"
    text = index.read_text()
    missing = []

    def replace(match):
        name = match.group(1).rsplit("/", 1)[-1]
        if name not in LOCAL:
            return match.group(0)
        source = LOCAL[name]
        if source is None:
            return ""
        if not source.exists():
            missing.append(str(source))
            return match.group(0)
        shutil.copy(source, html_dir / f"vendor-{name}")
        if name.endswith(".css"):
            return f'<link rel="stylesheet" href="vendor-{name}">'
        return f'<script type="text/javascript" src="vendor-{name}"></script>'

    text = re.sub(r'<script[^>]*src="(https://[^"]+)"[^>]*>\s*</script>', replace, text)
    text = re.sub(r'<link[^>]*href="(https://[^"]+)"[^>]*>', replace, text)
    index.write_text(text)
    return missing


if __name__ == "__main__":
    missing = vendor(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".asv/html"))
    if missing:
        sys.exit("not installed: " + ", ".join(missing))
