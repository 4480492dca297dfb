"""Arbitrary input, bounded examples: every public kernel and the command line's
parser either work or raise a clear error naming what is wrong; nothing
crashes, hangs or leaks a traceback of the wrong kind."""

import contextlib
import inspect
import io
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nogilkit._ext._jobs import interrupt_all
from nogilkit.cli import build_parser
from nogilkit.engine.compare import validate
from nogilkit.kernels import FAMILIES
from nogilkit.strategies import Options

from . import strategies

KERNELS = [kernel for family in FAMILIES for kernel in family.kernels]

arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int8, np.bool_, np.complex128]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
)
values = st.one_of(
    strategies.anything,
    arrays,
    arrays.map(lambda a: a[::2] if a.ndim else a),  # not contiguous
    st.tuples(st.floats(), st.floats()),
    st.tuples(st.floats(), st.floats(), st.floats(), st.floats()),
    st.sampled_from([-1, 0, 1, 2, 3, 2**31 - 1, 2**31, 2**63, -(2**63), 10**100]),
)


def too_big(value):
    """A size that is valid but would run for long or take gigabytes: not the point here."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return 64 < value < 2**31
    return False


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.__name__ for k in KERNELS])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_arguments_give_a_result_or_a_clear_error(kernel, data):
    parameters = inspect.signature(kernel).parameters
    kwargs = {name: data.draw(values, label=name) for name, parameter in parameters.items()
              if parameter.default is inspect.Parameter.empty or data.draw(st.booleans())}
    assume(not any(too_big(v) for v in kwargs.values()))
    # A valid call that would run long (a pixel of 2**31 iterations) is
    # stopped: what matters is that it is stoppable.
    watchdog = threading.Timer(2.0, interrupt_all)
    watchdog.start()
    try:
        kernel(**kwargs)
    except (TypeError, ValueError, MemoryError) as exc:
        assert any(name in str(exc) for name in parameters), (
            f"{kernel.__name__}: {type(exc).__name__}({exc}) names no argument")
    except KeyboardInterrupt:
        pass
    finally:
        watchdog.cancel()


TOKENS = ["compare", "probe", "info", "serve", "mixed", "overhead", "demo", "--workers",
          "--workloads", "--implementations", "--strategies", "--size", "--repeats", "--repeat",
          "--pool", "--transfer", "--start-method", "--chunksize", "--chunks-per-worker",
          "--scheduler", "--threads", "--timeout", "--min-time", "--port", "--latency",
          "--response-bytes", "--json", "-", "--items",
          "--quick", "--duration", "--rate", "--variants", "-s", "all", "mandelbrot",
          "threads", "processes:spawn", "tiny", "huge", "pool", "shm", "0", "-1", "2", "1,2",
          "1e308", "nan", "", ",", "x:y", "counter"]
argv = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=8)


@settings(max_examples=400, deadline=None)
@given(args=argv)
def test_the_parser_gives_arguments_or_a_usage_error(args):
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            parsed = build_parser().parse_args(args)
        except SystemExit as exc:
            assert exc.code in (0, 2)  # --help / --version, or a usage error
            return
    if parsed.command != "compare" or parsed.function:
        return
    # What compare checks before any work: a bad value is a ValueError (or
    # TypeError), which the command line turns into a usage error.
    try:
        Options(chunks_per_worker=parsed.chunks_per_worker, pool=parsed.pool,
                chunksize=parsed.chunksize, transfer=parsed.transfer, scheduler=parsed.scheduler,
                **({"start_method": parsed.start_method} if parsed.start_method else {}))
        validate(parsed.workloads or "mandelbrot", parsed.implementations or "python",
                 parsed.strategies or "serial", parsed.workers, size=parsed.size or "small",
                 repeats=parsed.repeats)
    except (TypeError, ValueError):
        pass
