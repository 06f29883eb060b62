#!/usr/bin/env python3
"""Unit tests of launch/cost_model.py's logic, each against numbers worked out by hand or by a closed form
(run by CostModelTests in `swift test`, or: python3 launch/cost_model_test.py)."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cost_model as cm  # noqa: E402

MIB = 1 << 20


class LinkFit(unittest.TestCase):
    def test_recovers_alpha_beta_of_exact_ring_times(self):
        for op in ("allreduce", "reduce_scatter", "allgather"):
            a, b = 45e-6, 8 / 1e9  # 45 us, 1 Gbit/s
            pts = []
            for p in (2, 3, 4):
                for n in (4096, 65536, MIB, 32 * MIB):
                    lat = (2 if op == "allreduce" else 1) * {2: 1, 3: 2, 4: 2}[p]  # ceil(log2 p)
                    byt = (2 if op == "allreduce" else 1) * (p - 1) / p * n
                    pts.append((p, n, lat * a + byt * b))
            fa, fb = cm.fit_link(pts, op)
            self.assertAlmostEqual(fa / a, 1, places=6, msg=op)
            self.assertAlmostEqual(fb / b, 1, places=6, msg=op)

    def test_negative_latency_is_refit_as_bandwidth_only(self):
        # times exactly proportional to the bytes, minus a little at small sizes: alpha would come out < 0
        pts = [(2, n, n * 1e-9 * (0.9 if n < MIB else 1.0)) for n in (4096, 65536, MIB, 16 * MIB)]
        a, b = cm.fit_link(pts, "allgather")
        self.assertGreaterEqual(a, 0)
        self.assertGreater(b, 0)

    def test_cost_at_one_rank_is_zero(self):
        link = cm.rate_link(1e9, 50e-6)
        self.assertEqual(cm.cost("allreduce", 32 * MIB, 1, link), 0)
        # 2 ranks, 32 MiB at 1 Gbit/s: 2 latencies + 32 MiB x 8 ns; 512 ranks: 18 latencies + 2 x 511/512 x 32 MiB
        self.assertAlmostEqual(cm.cost("allreduce", 32 * MIB, 2, link), 2 * 50e-6 + 32 * MIB * 8e-9)
        self.assertAlmostEqual(cm.cost("allreduce", 32 * MIB, 512, link), 18 * 50e-6 + 2 * 511 / 512 * 32 * MIB * 8e-9)


class MeasuredLinks(unittest.TestCase):
    def test_interpolates_in_log_size_and_log_time(self):
        pts = [(100, 0.010), (1, 0.001)]
        self.assertAlmostEqual(cm.interpolate(pts, 10), 0.001 * 10 ** 0.5)  # halfway in logs: the geometric mean
        self.assertAlmostEqual(cm.interpolate(pts, 100), 0.010)
        self.assertAlmostEqual(cm.interpolate(pts, 0.5), 0.001)  # below: latency-bound
        self.assertAlmostEqual(cm.interpolate(pts, 300), 0.030)  # above: the largest's seconds per byte

    def test_cost_uses_the_measurements_at_p_and_the_fit_elsewhere(self):
        link = cm.Link(cm.rate_link(1e9, 1e-5), {("allreduce", 2): [(MIB, 0.05), (4 * MIB, 0.2)]})
        self.assertAlmostEqual(cm.cost("allreduce", 2 * MIB, 2, link), 0.1)  # 0.05 x 4^(1/2)
        self.assertAlmostEqual(cm.cost("allreduce", 2 * MIB, 4, link), 4 * 1e-5 + 1.5 * 2 * MIB * 8e-9)
        self.assertEqual(cm.cost("allreduce", 2 * MIB, 1, link), 0)

    def test_started_all_reduce_from_the_progress_runs_alone(self):
        # blocking: 10 ms at 1 MiB, 320 ms at 16 MiB (t ~ n^1.25: 56.6 ms at 4 MiB, halfway in logs)
        link = cm.Link(cm.rate_link(1e9, 1e-5), {("allreduce", 2): [(MIB, 0.01), (16 * MIB, 0.32)]})
        at4 = 0.01 * 32 ** 0.5
        self.assertEqual(cm.training_op(link, 2), "allreduce")
        # 4 MiB started then waited took twice the blocking one: up to 4 MiB, twice the blocking curve; beyond, what
        # was measured at 4 MiB per byte (bandwidth-bound, as beyond any largest measured size)
        self.assertAlmostEqual(cm.nonblocking_from_progress(link, 2, 4 * MIB, 2 * at4), 2.0)
        self.assertEqual(cm.training_op(link, 2), "iallreduce")
        self.assertAlmostEqual(cm.cost("iallreduce", MIB, 2, link), 0.02)
        self.assertAlmostEqual(cm.cost("iallreduce", 2 * MIB, 2, link), 2 * cm.cost("allreduce", 2 * MIB, 2, link))
        self.assertAlmostEqual(cm.cost("iallreduce", 16 * MIB, 2, link), 4 * 2 * at4)
        self.assertEqual(cm.training_op(link, 3), "allreduce")
        # measured iallreduce points are kept as they are
        self.assertIsNone(cm.nonblocking_from_progress(link, 2, 4 * MIB, 0.5))


class Buckets(unittest.TestCase):
    def test_plan_follows_gradient_buckets(self):
        # vgg_like's layers (parameters): the 31.7 MB Dense joins dense_1 in the first bucket (a layer is never
        # split), the four convolutions (262 KB) make the last one, ready after layer 0
        params = [896, 9248, 0, 0, 18496, 36928, 0, 0, 0, 7930112, 0, 2570]
        self.assertEqual(cm.buckets(params), [(9, (7930112 + 2570) * 4), (0, (896 + 9248 + 18496 + 36928) * 4)])
        # 300k floats (1.2 MB) close the first bucket at once, then 4 MiB caps: 3 x 400k floats = 4.8 MB
        self.assertEqual(cm.buckets([400_000, 400_000, 400_000, 300_000]), [(3, 1_200_000), (0, 4_800_000)])
        self.assertEqual(cm.buckets([10, 20], overlap=False), [(0, 120)])
        self.assertEqual(cm.buckets([10, 20, 30], excluded={1}), [(0, 160)])
        # the step's sums go first, alone, ready before backward (index = layer count); in the one buffer otherwise
        self.assertEqual(cm.buckets([10, 20], sums=3), [(2, 12), (0, 120)])
        self.assertEqual(cm.buckets([10, 20], overlap=False, sums=3), [(0, 132)])


class Overlap(unittest.TestCase):
    def test_ideal_progress_hides_up_to_the_backward_left(self):
        bwd = [0.3, 0.1, 0.2]  # layer 2 is done first
        comm = lambda n: n * 1e-3
        # one bucket ready after layer 2: backward left 0.4 s; 0.5 s of traffic leaves 0.1 s exposed
        self.assertAlmostEqual(cm.overlapped(bwd, [(2, 500)], comm, None), 0.1)
        self.assertAlmostEqual(cm.overlapped(bwd, [(2, 300)], comm, None), 0.0)
        # a bucket ready after layer 0 is entirely exposed
        self.assertAlmostEqual(cm.overlapped(bwd, [(0, 200)], comm, None), 0.2)
        # one ready before backward (index 3) moves during all of it: 0.7 s of traffic leaves 0.1 s
        self.assertAlmostEqual(cm.overlapped(bwd, [(3, 700)], comm, None), 0.1)

    def test_progress_only_in_mpi_calls_hides_at_most_h_per_gap(self):
        bwd = [0.3, 0.1, 0.2]
        comm = lambda n: n * 1e-3
        # started after layer 2: gaps 0.1 and 0.3 each hide min(gap, 0.05): 0.5 - 0.1 = 0.4 exposed
        self.assertAlmostEqual(cm.overlapped(bwd, [(2, 500)], comm, 0.05), 0.4)
        # H larger than the gaps: the same as the ideal engine
        self.assertAlmostEqual(cm.overlapped(bwd, [(2, 500)], comm, 10.0), 0.1)

    def test_latency_passes_while_the_rank_computes(self):
        bwd = [0.3, 0.1, 0.2]
        comm = lambda n: n * 1e-3
        # 0.5 s alone of which 0.4 s latency: 0.1 s of bytes, moved by the two calls after it (H = 0.05); its 0.5 s
        # since its start end 0.1 s after backward
        self.assertAlmostEqual(cm.overlapped(bwd, [(2, 500)], comm, 0.05, lambda n: 0.4), 0.1)
        # all latency, started before backward: nothing exposed
        self.assertAlmostEqual(cm.overlapped(bwd, [(3, 500)], comm, 0.0, lambda n: 0.5), 0.0)

    def test_latency_part_of_a_collective(self):
        # measured: 12 ms at 4 KiB, 100 ms at 4 MiB (taken as bandwidth-bound: 0.1 s per 4 MiB)
        link = cm.Link(cm.rate_link(1e9, 1e-5), {("iallreduce", 2): [(4096, 0.012), (4 * MIB, 0.1)]})
        self.assertAlmostEqual(cm.latency("iallreduce", 4096, 2, link), 0.012 - 4096 * 0.1 / (4 * MIB))
        self.assertAlmostEqual(cm.latency("iallreduce", 4 * MIB, 2, link), 0.0)
        # on the fitted line: alpha's terms (all-reduce on 4 ranks: 2 ceil(log2 4) = 4 latencies)
        self.assertAlmostEqual(cm.latency("allreduce", MIB, 4, link), 4e-5)

    def test_engine_follows_the_run_unless_forced(self):
        self.assertEqual(cm.overlap_engine({"progress_thread": True}), "thread")
        self.assertEqual(cm.overlap_engine({"progress_thread": False}), "progress")
        self.assertEqual(cm.overlap_engine({}), "progress")  # runs from before the progress thread
        self.assertEqual(cm.overlap_engine({"progress_thread": True}, "progress"), "progress")
        self.assertEqual(cm.overlap_engine({}, "thread"), "thread")

    def test_progress_fit(self):
        rows = [{"gap_s": g, "tests": k, "alone_s": 0.5, "exposed_s": 0.5 - k * min(g, 0.04)} for g in (0.02, 0.1, 0.3)
                for k in (1, 2, 3)]
        self.assertAlmostEqual(cm.fit_progress(rows), 0.04)


class Step(unittest.TestCase):
    def compute(self):
        r = {"batch_size": 4, "samples": 8, "validation_samples": 2, "epoch_seconds": [9, 1.0, 1.0],
             "profile": {"seconds": 2.0, "forward_samples": 2 * 8 + 2 * 2, "backward_samples": 16,
                         "layers": [{"name": "dense", "forward_s": 0.2, "backward_s": 0.4, "parameters": 1000},
                                    {"name": "dense_1", "forward_s": 0.2, "backward_s": 0.4, "parameters": 0}]}}
        return cm.Compute(r)

    def test_compute_per_sample_and_other(self):
        c = self.compute()
        self.assertAlmostEqual(c.f[0], 0.2 / 20)
        self.assertAlmostEqual(c.b[0], 0.4 / 16)
        # 2 epochs x 2 steps; 2.0 s - 1.2 s of layers = 0.2 s a step
        self.assertAlmostEqual(c.other, 0.2)

    def test_one_rank_reproduces_the_profile(self):
        c = self.compute()
        t, steps, comm, exposed = cm.Model(c, cm.rate_link(1e9, 0), 1).epoch()
        # per step 4 x (0.02 + 0.05) + 0.2 = 0.48, two steps, validation 2 x 0.02
        self.assertAlmostEqual(t, 2 * 0.48 + 2 * 0.02)
        self.assertEqual((steps, comm, exposed), (2, 0, 0))

    def test_two_ranks_without_overlap_add_the_all_reduce(self):
        c = self.compute()
        link = cm.rate_link(1e9, 1e-5)
        s, alone, exposed = cm.Model(c, link, 2, overlap=False).step(4)
        ar = 2 * 1e-5 + (4000 + 4 * 4) * 8e-9  # the gradients and the step's 4 sums in one buffer
        self.assertAlmostEqual(alone, ar)
        self.assertAlmostEqual(s, 2 * (0.02 + 0.05) + 0.2 + ar)

    def test_zero1_halves_the_update_and_adds_the_gather(self):
        c = self.compute()
        link = cm.rate_link(1e9, 1e-5)
        s, _, _ = cm.Model(c, link, 2, overlap=False, zero=True, update_share=1.0, sums=0).step(4)
        rs = 1e-5 + 2000 * 8e-9
        self.assertAlmostEqual(s, 2 * (0.02 + 0.05) + 0.1 + 2 * rs)

    def test_epoch_adds_the_stop_flag_and_validation_reductions(self):
        # 2 ranks, 1 Gbit/s, 10 us: per step 2 rows x 0.07 + 0.2 other + the one buffer (4000 B + 4 sums); the epoch
        # adds 1 validation row's forward (ceil(2 / 2)) and two 8-byte all-reduces (stop flag, validation sums)
        c = self.compute()
        link = cm.rate_link(1e9, 1e-5)
        t, steps, _, _ = cm.Model(c, link, 2, overlap=False).epoch()
        step = 2 * 0.07 + 0.2 + 2e-5 + 4016 * 8e-9
        self.assertAlmostEqual(t, 2 * step + 0.02 + 2 * (2e-5 + 8 * 8e-9))
        self.assertEqual(steps, 2)


if __name__ == "__main__":
    unittest.main()
