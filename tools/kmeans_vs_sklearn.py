"""nogilkit.kmeans against scikit-learn's Lloyd k-means: agreement first, then speed.

A script, not a test and not an asv benchmark::

    python tools/kmeans_vs_sklearn.py [--points N] [--features D] [--k K]
                                           [--iterations I] [--repeats R]

Both cluster the same blobs from the same initial centres (the last k points)
for exactly ``iterations`` iterations (tol=0). The script first checks that
they agree (same labels and n_iter, centres and inertia to 1e-10 relative) and
stops if they do not. It then times whole calls, start-up included
(validation, the mean, the final labelling), and reports the median time per
iteration (call time / n_iter) of nogilkit on 1 and 2 threads and of
scikit-learn limited to 1 and 2 threads with threadpoolctl. The runs are
interleaved, so that a change in the machine's load touches every row alike.
Needs scikit-learn and threadpoolctl.
"""

import argparse
import os
import sys
import time

import numpy as np

THREADS = (1, 2)


def blobs(n_points, n_features, k, seed=0):
    """Gaussian blobs around k random centres; they overlap a little."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10.0, size=(k, n_features))
    return centres[rng.integers(0, k, n_points)] + rng.normal(size=(n_points, n_features))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    import sklearn
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    import nogilkit

    points = blobs(args.points, args.features, args.k)
    init = points[-args.k :]

    def run_nogilkit(threads):
        result = nogilkit.kmeans(points, args.k, max_iter=args.iterations, tol=0.0, threads=threads)
        return result.n_iter, result

    def run_sklearn(threads):
        with threadpool_limits(limits=threads):
            fitted = KMeans(
                n_clusters=args.k,
                init=init,
                n_init=1,
                max_iter=args.iterations,
                tol=0.0,
                algorithm="lloyd",
            ).fit(points)
        return fitted.n_iter_, fitted

    # Agreement, which also warms up both (imports, thread pools).
    _, ours = run_nogilkit(1)
    _, theirs = run_sklearn(1)
    centres_diff = np.abs(ours.centers - theirs.cluster_centers_).max()
    centres_diff /= np.abs(theirs.cluster_centers_).max()
    inertia_diff = abs(ours.inertia - theirs.inertia_) / theirs.inertia_
    same_labels = np.array_equal(ours.labels, theirs.labels_)
    print(
        f"agreement: labels {'identical' if same_labels else 'DIFFER'}, "
        f"n_iter {ours.n_iter} vs {theirs.n_iter_}, centres to {centres_diff:.1e}, "
        f"inertia to {inertia_diff:.1e} (relative)"
    )
    if not (
        same_labels
        and ours.n_iter == theirs.n_iter_
        and centres_diff <= 1e-10
        and inertia_diff <= 1e-10
    ):
        print("nogilkit and scikit-learn disagree: no timing reported", file=sys.stderr)
        return 1

    runs = [
        (f"nogilkit {nogilkit.__version__}", threads, run_nogilkit) for threads in THREADS
    ] + [(f"scikit-learn {sklearn.__version__}", threads, run_sklearn) for threads in THREADS]
    per_iteration = {(name, threads): [] for name, threads, _ in runs}
    for name, threads, run in runs:  # warm up each configuration
        run(threads)
    for _ in range(args.repeats):
        for name, threads, run in runs:
            start = time.perf_counter()
            n_iter, _ = run(threads)
            per_iteration[name, threads].append((time.perf_counter() - start) / n_iter)

    print(
        f"{args.points:,} x {args.features} float64, k={args.k}, {ours.n_iter} iterations, "
        f"{os.cpu_count()} CPUs; ms per iteration over {args.repeats} runs (call time / n_iter)"
    )
    print(f"{'implementation':<22} {'threads':>7} {'median':>8} {'min':>8} {'max':>8}")
    medians = {}
    for (name, threads), times in sorted(per_iteration.items(), key=lambda item: item[0][1]):
        ms = np.array(times) * 1e3
        medians[name.split()[0], threads] = np.median(ms)
        print(f"{name:<22} {threads:>7} {np.median(ms):8.2f} {ms.min():8.2f} {ms.max():8.2f}")
    for threads in THREADS:
        ratio = medians["scikit-learn", threads] / medians["nogilkit", threads]
        print(f"{threads} thread(s): nogilkit is {ratio:.2f}x as fast as scikit-learn (medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
