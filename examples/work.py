"""Two functions for docs/your-function.md and the README: run from this
folder, ``nogilkit compare work:compress ...`` and ``work:collatz_longest``."""

import zlib


def compress(block):
    """zlib releases the GIL while it compresses: threads suit it."""
    return zlib.compress(block, 6)


def collatz_longest(start):
    """Pure Python, holding the GIL: processes suit it. The longest Collatz
    chain among the numbers start .. start + 1999."""
    best = 0
    for n in range(start, start + 2000):
        steps = 0
        while n != 1:
            n = 3 * n + 1 if n % 2 else n // 2
            steps += 1
        best = max(best, steps)
    return best


# Run as a script, each function once; compare them with the commands there.
if __name__ == "__main__":
    block = " ".join(str(i) for i in range(40_000)).encode()
    print(f"compress: {len(block):,} bytes -> {len(compress(block)):,} bytes")
    print(f"collatz_longest(1): {collatz_longest(1)} steps")
