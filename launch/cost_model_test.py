#!/usr/bin/env python3
"""Unit tests of launch/cost_model.py's logic, each against numbers worked out by hand or by a closed form
(run by CostModelTests in `swift test`, or: python3 launch/cost_model_test.py)."""
import contextlib, io, json, math, os, sys, tempfile, unittest

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

    def test_progress_thread_sharing_the_cores(self):
        # 0.1 s of compute, 0.2 s of bytes alone, f 0.5, g 0.8: the compute ends first, at 0.1 / 0.8 = 0.125 s, having
        # moved 0.0625 s of the bytes; 0.1375 s are left for the wait
        w, e = cm.thread_overlap(0.1, 0.2, 0.5, 0.8)
        self.assertAlmostEqual(w, 0.125)
        self.assertAlmostEqual(e, 0.1375)
        # the bytes end first: 0.1 / 0.5 = 0.2 s in flight, 0.12 s of the 0.3 s compute done, 0.18 s left at full speed
        w, e = cm.thread_overlap(0.3, 0.1, 0.5, 0.6)
        self.assertAlmostEqual(w, 0.38)
        self.assertAlmostEqual(e, 0.0)
        # f = g = 1 is the link-bound engine: the compute as it is, the wait what the bytes outlast it by
        self.assertEqual(cm.thread_overlap(0.3, 0.5, 1, 1), (0.3, 0.2))
        # in the layer walk: one bucket in flight over the last 0.4 s of backward costs what one 0.4 s compute does
        bwd = [0.3, 0.1, 0.2]
        comm = lambda n: n * 1e-3
        w, e = cm.thread_overlap(0.4, 0.5, 0.5, 0.8)
        self.assertAlmostEqual(cm.overlapped(bwd, [(2, 500)], comm, None, shares=(0.5, 0.8)), w - 0.4 + e)
        self.assertAlmostEqual(w - 0.4 + e, 0.35)
        # before backward (index 3), f = 1, g = 0.75: the 0.5 s of bytes end first, having taken 0.25 x 0.5 s of compute
        self.assertAlmostEqual(cm.overlapped(bwd, [(3, 500)], comm, None, shares=(1.0, 0.75)), 0.125)
        self.assertEqual([round(x, 9) for x in cm.thread_overlap(0.6, 0.5, 1.0, 0.75)], [0.725, 0.0])
        # the wall-time engine is unchanged by shares
        self.assertAlmostEqual(cm.overlapped(bwd, [(2, 500)], comm, 0.05, shares=(0.5, 0.8)), 0.4)

    def test_thread_overlap_fit_recovers_f_and_g(self):
        rows = []
        for alone in (0.05, 0.4):
            for work in (0.01, 0.03, 0.1, 0.3):
                w, e = cm.thread_overlap(work, alone, 0.62, 0.71)
                rows.append({"fixed_work": True, "quiet_work_s": work, "alone_s": alone, "work_s": w, "exposed_s": e})
        f, g = cm.fit_thread_overlap(rows + [{"gap_s": 0.1, "alone_s": 1, "exposed_s": 0}])  # a wall-time run: ignored
        self.assertAlmostEqual(f, 0.62)
        self.assertAlmostEqual(g, 0.71)
        self.assertIsNone(cm.fit_thread_overlap([{"gap_s": 0.1, "tests": 1, "alone_s": 1, "exposed_s": 0}]))

    def test_progress_fit(self):
        rows = [{"gap_s": g, "tests": k, "alone_s": 0.5, "exposed_s": 0.5 - k * min(g, 0.04)} for g in (0.02, 0.1, 0.3)
                for k in (1, 2, 3)]
        self.assertAlmostEqual(cm.fit_progress(rows), 0.04)


class SlowestRank(unittest.TestCase):
    def test_expected_max_of_uniform_draws(self):
        # p draws of U(0, 1): E[max] = p / (p + 1); one draw gives the mean
        u = [k / 2000 for k in range(2001)]
        for p in (1, 2, 3, 8):
            self.assertAlmostEqual(cm.expected_max([u] * p), p / (p + 1), places=3, msg=p)
        # two ranks each 1 s or 2 s with equal odds: the step is 1 s only when both are (1/4)
        self.assertAlmostEqual(cm.expected_max([[1, 2], [2, 1]]), 1.75)
        # ranks of different speeds: independent draws of a constant 3 s rank and a 1-or-5 s one
        self.assertAlmostEqual(cm.expected_max([[3, 3], [1, 5]]), 4.0)

    def test_expected_max_of_normal_draws(self):
        # the order statistics of the standard normal: e_1 = 0, e_2 = 1 / sqrt(pi), e_3 = 3 / (2 sqrt(pi)),
        # e_5 = 1.16296 (tables of normal order statistics)
        self.assertEqual(cm.normal_max(1), 0.0)
        self.assertAlmostEqual(cm.normal_max(2), 1 / math.sqrt(math.pi), places=9)
        self.assertAlmostEqual(cm.normal_max(3), 3 / (2 * math.sqrt(math.pi)), places=9)
        self.assertAlmostEqual(cm.normal_max(5), 1.16296, places=4)

    def test_full_steps_leave_out_each_epochs_short_batch(self):
        r = {"samples": 10, "batch_size": 4, "step_starts": [0, 1, 2, 3, 4, 5], "step_seconds": [1, 1, 0.5, 1, 1, 0.5]}
        self.assertEqual(cm.full_steps(r), [(0, 1), (1, 1), (3, 1), (4, 1)])
        r["samples"] = 12
        self.assertEqual(len(cm.full_steps(r)), 6)
        self.assertIsNone(cm.full_steps({"samples": 8, "batch_size": 4}))

    def test_aligned_steps_keep_their_correlation(self):
        # two processes taking turns: when one is slow (2 s) the other is fast (1 s), steps start together
        a = [(0, 1), (1, 2), (3, 1), (4, 2)]
        b = [(0, 2), (2, 1), (3, 2), (5, 1), (6, 1)]
        # at the midpoint of each step the other process is in a step of the other length: every aligned max is 2 s
        mean, n, r = cm.aligned_max([a, b])
        self.assertAlmostEqual(mean, 2.0)
        self.assertEqual(n, 8)  # b's last step began when a had ended: left out
        self.assertLess(r, 0)  # slow against fast
        # identical processes in lockstep: the max of equal steps is the mean, no wait
        same = [(0, 1), (1, 3), (4, 1), (5, 3)]
        mean, n, r = cm.aligned_max([same, list(same)])
        self.assertAlmostEqual(mean, 2.0)
        self.assertAlmostEqual(r, 1.0)
        st = cm.Straggler([same, list(same)])
        self.assertAlmostEqual(st.extra("aligned"), 0.0)
        # drawn independently the same steps wait: E[max] of two 1-or-3 s draws = 3 - 2/4 = 2.5 against a mean of 2
        self.assertAlmostEqual(st.extra("independent"), 0.5)
        # one process: nothing to wait for
        self.assertEqual(cm.Straggler([same]).extra("independent"), 0.0)
        self.assertEqual(cm.Straggler([same]).extra("aligned"), 0.0)

    def test_step_adds_the_wait_for_the_slowest(self):
        c = Step.compute(None)
        link = cm.rate_link(1e9, 1e-5)
        base = cm.Model(c, link, 2, overlap=False).step(4)[0]
        self.assertAlmostEqual(cm.Model(c, link, 2, overlap=False, straggle=0.03).step(4)[0], base + 0.03)
        # normal steps, sd 10% of the compute (2 rows x 0.07 + 0.2 other), 2 ranks: + 0.1 x 0.34 / sqrt(pi)
        spread = cm.Model(c, link, 2, overlap=False, spread=0.1).step(4)[0]
        self.assertAlmostEqual(spread, base + 0.1 * 0.34 / math.sqrt(math.pi))
        # one rank waits for nobody
        self.assertEqual(cm.Model(c, link, 1, spread=0.1, straggle=0.03).step(4)[0], cm.Model(c, link, 1).step(4)[0])


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

    def test_weight_gather_pieces_follow_weight_gather(self):
        # vgg_like: the four convolutions (262,272 B) close the first piece before the 31.7 MB Dense, which is split
        # into seven 4 MiB pieces and the rest (2,360,320 B), dense_1 the last; each layer waits for the pieces up to
        # its last
        params = [896, 9248, 0, 0, 18496, 36928, 0, 0, 0, 7930112, 0, 2570]
        pieces, needed = cm.gather_pieces(params)
        self.assertEqual(pieces, [262272] + [4 * MIB] * 7 + [7930112 * 4 - 7 * 4 * MIB, 2570 * 4])
        self.assertEqual(needed, [1, 1, 0, 0, 1, 1, 0, 0, 0, 9, 0, 10])
        # 300k floats (1.2 MB) are split at the first piece's 1 MiB, the rest closed with the layer; the fourth layer
        # would take the third past 4 MiB (unlike a gradient bucket, which closes once past its cap) and starts the
        # fourth
        self.assertEqual(
            cm.gather_pieces([300_000, 400_000, 400_000, 400_000]), ([MIB, 1_200_000 - MIB, 3_200_000, 1_600_000], [2, 3, 3, 4]))

    def test_weight_gather_behind_the_forward(self):
        comm = lambda n: n * 1e-3  # bytes -> seconds
        # layer 0 waits for piece 0 (0.05 s); the 0.4 s piece moves during layers 0 and 1 (0.3 s), layer 2 waits 0.1 s
        self.assertAlmostEqual(cm.gathered([0.1, 0.2, 0.3], [50, 400], [1, 0, 2], comm), 0.15)
        # sharing the cores (f = g = 0.5): layers 0 and 1 take twice as long while moving half as much
        self.assertAlmostEqual(cm.gathered([0.1, 0.2, 0.3], [50, 400], [1, 0, 2], comm, (0.5, 0.5)), 0.05 + 0.3 + 0.1)
        # without a progress thread: hold seconds per layer (0.02 + 0.02), the rest waited before layer 2
        self.assertAlmostEqual(cm.gathered([0.1, 0.2, 0.3], [50, 400], [1, 0, 2], comm, hold=0.02), 0.05 + 0.36)
        # the step: the exposed all-gather after the update, or the pieces behind the forward
        c = self.compute()
        link = cm.rate_link(1e9, 0)
        blocking = cm.Model(c, link, 2, zero=True, sums=0).step(4)
        behind = cm.Model(c, link, 2, zero=True, sums=0, zero_gather_overlapped=True).step(4)
        # the first layer holds the weights: its forward waits for the whole gather, as after the update
        self.assertAlmostEqual(blocking[0], behind[0])
        self.assertAlmostEqual(blocking[1], behind[1])
        # weights in the second layer: the first layer's 2 x 0.01 s of forward hide the 4000 B gathered on 2 ranks
        c.params = [0, 1000]
        blocking = cm.Model(c, link, 2, zero=True, sums=0).step(4)
        behind = cm.Model(c, link, 2, zero=True, sums=0, zero_gather_overlapped=True).step(4)
        self.assertAlmostEqual(blocking[0] - behind[0], 2000 * 8e-9)
        self.assertAlmostEqual(blocking[1], behind[1])

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


class GradientPathCPU(unittest.TestCase):
    """The CPU a gradient path takes beyond the compute, from strata-bench's `thread_cpu` records."""

    def record(self, compute, progress=0.0, other=0.0, inside=0.0, steps=10):
        return {"thread_cpu": {"steps": steps, "compute_s": compute, "progress_s": progress, "other_s": other,
                               "collective_cpu_s": inside, "collective_wall_s": 2 * inside}}

    def test_cpu_outside_the_collectives_per_step(self):
        # 2.0 + 0.3 + 0.1 s on the threads, 0.4 s of it in the compute thread's collective calls, over 10 steps
        self.assertAlmostEqual(cm.outside_cpu(self.record(2.0, 0.3, 0.1, 0.4)), 0.2)
        self.assertIsNone(cm.outside_cpu({"epoch_seconds": [1.0]}))  # a pass before the record existed
        self.assertIsNone(cm.outside_cpu(self.record(2.0, steps=0)))

    def test_cpu_on_shared_cores(self):
        # each of p ranks' extra CPU runs on the cores they share: p x extra over the cores, at least its own
        self.assertAlmostEqual(cm.cpu_step(0.01, 2, 2), 0.01)
        self.assertAlmostEqual(cm.cpu_step(0.01, 3, 2), 0.015)
        self.assertAlmostEqual(cm.cpu_step(0.01, 4, 2), 0.02)
        self.assertAlmostEqual(cm.cpu_step(0.01, 2, 4), 0.01)
        # measured: a rank took 3 s of wall time per CPU second
        self.assertAlmostEqual(cm.cpu_step(0.01, 2, 2, rate=3.0), 0.03)

    def test_wall_per_cpu_of_the_sharing_runs(self):
        # two processes, 4 s and 2 s of epochs after the first, 1.5 + 0.5 and 1.0 s of CPU: 6 s over 3 s
        runs = [dict(self.record(1.5, other=0.5), epoch_seconds=[9, 2.0, 2.0]),
                dict(self.record(1.0), epoch_seconds=[9, 1.0, 1.0])]
        self.assertAlmostEqual(cm.wall_per_cpu(runs), 2.0)
        self.assertIsNone(cm.wall_per_cpu(runs + [{"epoch_seconds": [1, 1]}]))

    def test_step_adds_the_cpu(self):
        c = Step.compute(None)
        link = cm.rate_link(1e9, 1e-5)
        for ov in (False, True):
            base = cm.Model(c, link, 2, overlap=ov).step(4)[0]
            self.assertAlmostEqual(cm.Model(c, link, 2, overlap=ov, cpu=0.015).step(4)[0], base + 0.015)

    def synthetic_pass(self, directory, cpu, weights_last=False, per_byte=1e-8):
        """A pass of one workload on 4 emulated nodes of 2 cores (Step's profile; with `weights_last` the weights in
        the second layer, so their bucket starts before the first layer's backward): a one-buffer run and an
        overlapped one with a progress thread, each with its thread_cpu when `cpu`, and 4 sharing processes; the
        link's collectives take `per_byte` seconds a byte. Returns the paths."""
        prof = {"workload": "w", "batch_size": 4, "samples": 8, "validation_samples": 2, "epoch_seconds": [9, 1.0, 1.0],
                "profile": {"seconds": 2.0, "forward_samples": 20, "backward_samples": 16,
                            "layers": [{"name": "dense", "forward_s": 0.2, "backward_s": 0.4, "parameters": 1000},
                                       {"name": "dense_1", "forward_s": 0.2, "backward_s": 0.4, "parameters": 0}]}}
        if weights_last:
            prof["profile"]["layers"][0]["parameters"], prof["profile"]["layers"][1]["parameters"] = 0, 1000
        files = {k: os.path.join(directory, k + ".jsonl") for k in ("profile", "sharing", "links", "measured")}
        with open(files["profile"], "w") as f:
            f.write(json.dumps(prof) + "\n")
        with open(files["sharing"], "w") as f:
            for _ in range(4):  # 0.25 s of CPU a step each (no MPI: all of it is compute), over 7.5 s: 3 s of wall per CPU s
                f.write(json.dumps(dict(prof, sharing=4, epoch_seconds=[9, 3.75, 3.75], **(self.record(2.5) if cpu else {}))) + "\n")
        with open(files["links"], "w") as f:
            for n in (4096, MIB):
                for op in ("allreduce", "iallreduce"):
                    f.write("COLLECTIVE " + json.dumps({"link": "x", "op": op, "ranks": 4, "bytes": n, "seconds": n * per_byte}) + "\n")
        with open(files["measured"], "w") as f:
            # one buffer 0.3 s, overlapped 0.31 s outside the collectives a step (0.005 s on the progress thread)
            for traffic, c, pr in (("one-buffer", 3.2, 0.0), ("default", 3.25, 0.05)):
                run = {"workload": "w", "link": "x", "traffic": traffic, "ranks": 4, "samples": 8, "batch_size": 4,
                       "epoch_seconds": [1.0, 1.0, 1.0], "progress_thread": traffic == "default",
                       "gradient_path": "one buffer after backward" if traffic == "one-buffer" else "overlapped buckets"}
                if cpu:
                    run.update(self.record(c, progress=pr, inside=0.2))
                f.write(json.dumps(run) + "\n")
        return files

    def check_rows(self, files, *extra):
        """{traffic: (model ms, cpu cell, slowed ms)} of the check's table printed by main()."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cm.main(["--profile", files["profile"], "--sharing", files["sharing"], "--links", files["links"],
                     "--measured", files["measured"], "--cores", "2", "--configs", "/nonexistent", "--ranks", "2"] + list(extra))
        text = out.getvalue()
        rows = {}
        for line in text.split("== model vs")[1].splitlines():
            cells = line.split()
            if cells and cells[0] == "w":
                rows[cells[3]] = (float(cells[5].rstrip("ms")), cells[12], float(cells[9].rstrip("ms")))
        return rows, text

    def test_a_pass_counts_the_overlapped_paths_cpu(self):
        with tempfile.TemporaryDirectory() as d:
            files = self.synthetic_pass(d, cpu=True)
            none, _ = self.check_rows(files, "--cpu-term", "none")
            ref, text = self.check_rows(files, "--cpu-term", "one-buffer")  # beyond the one-buffer run
            sharing, _ = self.check_rows(files, "--cpu-term", "sharing")
        # overlapping took 0.31 - 0.30 = 0.01 s more CPU a step, at the sharing runs' 3 s of wall per CPU s: + 0.03 s
        self.assertAlmostEqual(ref["overlap"][0] - none["overlap"][0], 30.0, delta=0.11)
        self.assertEqual(ref["overlap"][1], "+30.0ms")
        self.assertEqual(ref["one-buffer"][:2], (none["one-buffer"][0], "-"))
        # beyond the sharing runs' 0.25 s: one buffer + 3 x 0.05 s, overlapped + 3 x 0.06 s
        self.assertAlmostEqual(sharing["one-buffer"][0] - none["one-buffer"][0], 150.0, delta=0.11)
        self.assertAlmostEqual(sharing["overlap"][0] - none["overlap"][0], 180.0, delta=0.11)
        self.assertIn("each way (--cpu-term)", text)

    def test_the_measured_cpu_takes_the_place_of_g(self):
        # fixed-work runs of f = g = 0.5 (W 0.1 s with A 0.1 s: in flight 0.2 s, compute 0.2 s, no wait; W 0.01 s:
        # in flight 0.02 s, compute 0.02 s, wait 0.09 s); the 4000 B bucket (0.04 s of bytes at 1e-5 s a byte, 1 ms
        # of latency) starts before the first layer's 0.025 s of backward (1 row of 4 x 0.4 / 16 s a sample)
        with tempfile.TemporaryDirectory() as d:
            files = self.synthetic_pass(d, cpu=True, weights_last=True, per_byte=1e-5)
            progress = os.path.join(d, "progress.jsonl")
            with open(progress, "w") as f:
                for w, work, wait in ((0.1, 0.2, 0.0), (0.01, 0.02, 0.09)):
                    f.write("PROGRESS " + json.dumps({"link": "x", "ranks": 4, "bytes": 4 * MIB, "fixed_work": True,
                                                      "progress_thread": True, "quiet_work_s": w, "alone_s": 0.1,
                                                      "work_s": work, "exposed_s": wait}) + "\n")
            none, _ = self.check_rows(files, "--progress", progress, "--cpu-term", "none")
            ref, _ = self.check_rows(files, "--progress", progress, "--cpu-term", "one-buffer")
        # g: in flight min(0.025 / 0.5, 0.04 / 0.5) = 0.05 s, the compute 0.025 s slower; before it, the step's 16 B
        # of sums (0.16 ms of bytes beyond the smallest size's latency) slow the second layer's backward by 0.16 ms
        self.assertAlmostEqual(none["overlap"][2], 25.16, delta=0.06)
        # measured: the CPU instead (g = 1), the bytes still at f
        self.assertEqual(ref["overlap"][2], 0.0)
        self.assertEqual(ref["overlap"][1], "+30.0ms")

    def test_without_the_sharing_runs_cpu_the_ranks_share_the_cores(self):
        with tempfile.TemporaryDirectory() as d:
            files = self.synthetic_pass(d, cpu=True)
            with open(files["sharing"]) as f:
                runs = [json.loads(l) for l in f]
            with open(files["sharing"], "w") as f:
                for r in runs:
                    r.pop("thread_cpu")
                    f.write(json.dumps(r) + "\n")
            none, _ = self.check_rows(files)  # the default: not counted
            ref, _ = self.check_rows(files, "--cpu-term", "one-buffer")
        # 0.01 s on each of 4 ranks, 2 cores: + 0.02 s
        self.assertAlmostEqual(ref["overlap"][0] - none["overlap"][0], 20.0, delta=0.11)

    def test_a_pass_before_the_record_rechecks_without_the_term(self):
        with tempfile.TemporaryDirectory() as d:
            files = self.synthetic_pass(d, cpu=False)
            rows, text = self.check_rows(files, "--cpu-term", "one-buffer")
        self.assertEqual(rows["overlap"][1], "-")
        self.assertIn("no thread_cpu in this pass's runs", text)


if __name__ == "__main__":
    unittest.main()
