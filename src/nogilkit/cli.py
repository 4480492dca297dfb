"""The ``nogilkit`` command line."""

import argparse
import json
import sys

from ._version import __version__


def _info(args):
    from .info import format_info, system_info

    info = system_info()
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0


def _compare(args):
    from .compare import main

    return main(args)


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_list(text):
    return [_positive(item) for item in text.split(",") if item.strip()]


def _implementations(text):
    from .compare import IMPLEMENTATIONS

    names = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [n for n in names if n not in IMPLEMENTATIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(IMPLEMENTATIONS)}; got {text!r}"
        )
    return names


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nogilkit",
        description="nogil Cython kernels and a comparison of ways to use many cores.",
    )
    parser.add_argument("--version", action="version", version=f"nogilkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="show the package, interpreter and build")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(handler=_info)

    compare = commands.add_parser(
        "compare",
        help="time and verify the Mandelbrot kernel: python, numpy, cython on 1..N threads",
    )
    compare.add_argument("--width", type=_positive, default=2000, help="pixels (default 2000)")
    compare.add_argument("--height", type=_positive, default=2000, help="pixels (default 2000)")
    compare.add_argument("--max-iter", type=_positive, default=256, help="default 256")
    compare.add_argument(
        "--threads", type=_positive_list, metavar="N,N,...",
        help="thread counts for the kernel (default 1, 2, 4, ... up to the available CPUs)",
    )
    compare.add_argument("--repeats", type=_positive, default=5, help="timed runs each (default 5)")
    compare.add_argument(
        "--python-rows", type=_positive, default=20,
        help="evenly spaced rows the pure-Python reference is timed on (default 20)",
    )
    compare.add_argument(
        "--implementations", type=_implementations, default=["python", "numpy", "cython"],
        metavar="NAME,...", help="any of python,numpy,cython (default all)",
    )
    compare.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    compare.add_argument(
        "--plot", metavar="PATH", help="also save a bar chart (PNG; needs nogilkit[plot])"
    )
    compare.set_defaults(handler=_compare)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
