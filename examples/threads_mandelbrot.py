"""docs/kernels.md's "From your own threads": the kernels release the GIL, so
three images computed on a thread pool of your own run in parallel.

    python examples/threads_mandelbrot.py
"""

import time
from concurrent.futures import ThreadPoolExecutor

import nogilkit

REGIONS = [(-2.0, 0.5, -1.25, 1.25), (-0.8, -0.7, 0.05, 0.15), (-0.75, -0.74, 0.1, 0.11)]


def main(width=1000, height=1000):
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=3) as pool:
        images = list(pool.map(
            lambda r: nogilkit.mandelbrot(width, height, region=r, threads=1), REGIONS))
    seconds = time.perf_counter() - start
    for region, image in zip(REGIONS, images):
        print(f"region {region}: {image.shape[1]}x{image.shape[0]} escape counts, "
              f"mean {image.mean():.1f}")
    print(f"{len(images)} images on 3 threads in {seconds:.2f} s")
    return images


if __name__ == "__main__":
    main()
