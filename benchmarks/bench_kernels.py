"""Time every public kernel at fixed sizes, on 1, 2 and every core."""

import time

import numpy as np

import nogilkit

from .common import THREADS, points, rng


class Mandelbrot:
    params = [THREADS]
    param_names = ["threads"]
    timer = time.perf_counter  # wall clock: the work runs on several threads

    def setup(self, threads):
        self.out = np.empty((400, 600), dtype=np.int32)
        nogilkit.mandelbrot(600, 400, 256, threads=threads, out=self.out)  # starts the pool

    def time_mandelbrot(self, threads):
        nogilkit.mandelbrot(600, 400, 256, threads=threads, out=self.out)


class SpectralNorm:
    params = [THREADS]
    param_names = ["threads"]
    timer = time.perf_counter

    def time_spectral_norm(self, threads):
        nogilkit.spectral_norm(400, 10, threads=threads)


class NBody:
    timer = time.perf_counter

    def time_nbody(self):
        nogilkit.nbody(20_000)


class NBodyDirect:
    params = [THREADS]
    param_names = ["threads"]
    timer = time.perf_counter

    def setup(self, threads):
        r = rng(1)
        self.bodies = r.normal(size=(600, 3)), 0.1 * r.normal(size=(600, 3)), np.full(600, 1 / 600)

    def time_nbody_direct(self, threads):
        nogilkit.nbody_direct(*self.bodies, 2, dt=1e-3, softening=0.05, threads=threads)


class KMeans:
    params = [THREADS]
    param_names = ["threads"]
    timer = time.perf_counter

    def setup(self, threads):
        self.points = points(100_000, 8, 16)

    def time_kmeans(self, threads):
        nogilkit.kmeans(self.points, 16, max_iter=5, threads=threads)


class Stream:
    params = [THREADS]
    param_names = ["threads"]
    timer = time.perf_counter

    def setup(self, threads):
        r = rng(2)
        self.a, self.b, self.c = np.empty(4_000_000), r.normal(size=4_000_000), r.normal(size=4_000_000)

    def time_triad(self, threads):
        nogilkit.triad(self.a, self.b, self.c, 3.0, threads=threads)

    def time_total(self, threads):
        nogilkit.total(self.b, threads=threads)

    def time_histogram(self, threads):
        nogilkit.histogram(self.b, 100, (-5.0, 5.0), threads=threads)

    def peakmem_histogram(self, threads):
        nogilkit.histogram(self.b, 100, (-5.0, 5.0), threads=threads)
