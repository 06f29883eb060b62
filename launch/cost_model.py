#!/usr/bin/env python3
"""The data-parallel cost model of issue 14 (run through `launch/cost-model-run`, also `launch/bench-mpi --model`).

Inputs, all MEASURED (JSON lines as strata-bench and strata-mpi-check print them):
  --profile FILE     `strata-bench train --profile --single-process` of 1 rank x 1 thread alone, one per workload:
                     per-layer forward/backward seconds and parameters, epoch seconds, samples, batch size
  --sharing FILE     the same profile run by k processes at once (k = 2, 3, 4) at the per-rank batch ceil(B / k):
                     what each rank computes, per sample, when k ranks share this machine's cores (field "sharing"),
                     and each step's seconds and start (`step_seconds`, `step_starts`: the wait for the slowest rank)
  --links FILE       `strata-mpi-check collectives`: all-reduce (blocking `allreduce`; `iallreduce`, started then
                     waited, as training's buckets run it), reduce-scatter and all-gather seconds on the emulated links
                     at several sizes and rank counts
  --progress FILE    `strata-mpi-check progress`: how much of a started all-reduce hides behind busy gaps ended
                     by MPI_Test (Open MPI moves bytes only inside MPI calls); with `thread`, also the fixed-work runs
                     (`fixed_work`: a fixed amount of compute with and without the all-reduce in flight on the progress
                     thread, and the wait after it)
  --thread-overlap FILE  fixed-work progress runs measured apart from the pass (for passes saved before they were)
  --measured FILE    emulated-cluster training runs to check the model against (workload, link, ranks, traffic);
                     with strata-bench's `thread_cpu` (rank 0's CPU seconds per thread after the first epoch, and the
                     compute thread's CPU inside the collectives), also what their gradient path took in CPU

Model (the assumptions are printed with the tables):
  compute   a step on p ranks computes the slowest rank's rows, ceil(n / p) of a batch of n, at the per-sample
            forward and backward cost of each layer; the rest of a step (loss, optimizer update, data: `other`) is
            per step. Validation (forward only) is sharded: ceil(V / p) samples per rank. For the check against
            emulated runs the per-sample costs come from the sharing runs at k = p (the ranks share this machine's
            cores: 3 or 4 ranks on 2 cores run about p / 2 times slower, plus the other jobs' load), from the
            slowest of the k processes (a step waits for its slowest rank); with only the 1-rank profile they are
            the 1-rank costs times max(1, p / cores) (time sharing). Predictions for real clusters use the 1-rank
            costs (one rank per node, nothing shared).
  slowest   a synchronous step waits for its slowest rank: where the sharing runs recorded their steps, the check adds
            E[max over the k = p processes' steps] - the slowest process's mean step (`Straggler`; --straggler:
            aligned = the steps the processes ran at the same moments, the default; independent; normal; none).
            The prediction adds sd x e_p (E[max of p standard normals]) with sd = --predict-spread x the step's
            compute (default: the spread of the workload's 1-rank steps), ranks independent.
  links     a collective on a measured link and rank count costs what was measured there, interpolated piecewise
            linearly in log size and log seconds (one line over 4 KiB-32 MiB missed single sizes by 24-45%: the
            emulated nodes' TCP stacks and tbf shapers share the ranks' cores). Elsewhere (other rank counts, the
            prediction table) per link and collective t = alpha x latency term + beta x bytes term (Rabenseifner's
            costs): all-reduce 2 ceil(log2 p) alpha + 2(p-1)/p N beta; reduce-scatter and all-gather half of each;
            alpha and beta fitted by least squares over every measured size and rank count.
  traffic   training's buckets are MPI_Iallreduce in 4 MiB pieces, all in flight, then waited: Open MPI runs them
            with other algorithms than the blocking call, and on these links they cost 0.5-1.9x as much. They cost
            the measured `iallreduce`; a pass without it (before it was measured) rescales the blocking curve by
            the progress runs' `alone` (one started all-reduce of 8 MiB waited at once) over the blocking one at
            8 MiB, and above 8 MiB takes that point's seconds per byte (--blocking: the blocking curve as it is). A step's loss and metric sums travel alone before
            backward when overlapped, inside the one buffer otherwise; each epoch adds two small all-reduces
            (the stop flag, validation's sums; one without validation).
  overlap   buckets as GradientBuckets makes them (the step's sums alone, then up to 1 MiB, then 4 MiB, a layer
            never split, last layer first), each started once backward has finished its layers. Bytes move only
            inside MPI calls: after each MPI call (the start, then a test after each layer) the link carries at most
            H seconds' worth of the pending all-reduces while the rank computes (H per link and rank count from the
            progress runs: progress-bound); with a progress thread (--overlap-engine thread, or a run whose record
            says progress_thread: true) bytes move while the rank computes, but on a machine with no spare core the
            thread and the TCP stack share the cores with the compute: while a bucket is in flight its bytes move
            at f x the speed they have alone and the compute runs at g x its speed (f, g per link and rank count
            from the fixed-work progress runs: W seconds of compute started with A seconds of all-reduce keep the
            bytes in flight tau = min(W / g, A / f), the compute takes tau + W - g tau, the wait A - f tau; f = g = 1
            where they were not measured: link-bound, nothing taken). The latency part of a bucket's seconds
            (alpha's terms; on measured points, what it takes beyond its bytes at the largest size's seconds per
            byte) passes while the rank computes either way. What is left is exposed in the wait before the
            optimizer.
  cpu       on emulated nodes that share this machine's cores, CPU a rank spends beyond its compute is step time. An
            overlapped run's CPU per step outside its collectives (every thread's CPU less the compute thread's CPU
            inside the collective calls, whose waits spin and are the collectives' measured time) beyond the one-buffer
            run's at the same workload, link and ranks (--cpu-term one-buffer: what overlapping adds, the progress
            thread, starting and testing buckets, the TCP stack's work charged to the threads while the rank computes)
            costs that CPU at the sharing runs' wall seconds per CPU second at k = p (time sharing and other jobs'
            load; without their CPU, max(1, p / cores)). It replaces the fixed-work runs' g (the compute's slowdown
            while bytes are in flight, which that CPU is); f stays. The CPU comes from the checked runs' records (their
            CPU, not their time), so it is not the default (--cpu-term none: g): the check prints its count each way;
            passes before `thread_cpu` was recorded keep g, and the check says so.
  sparse    an Embedding gradient travels as the rows the step touched (ids and values, all-gathered) when that is
            fewer floats than the table: each rank's distinct ids <= min(rows x input length, input_dim).
  ZeRO-1    gradients reduce-scattered (in the same buckets, overlapped alike), each rank updates 1/p of the weights
            (the `other` part of a step that is the optimizer update, `--update-share`, falls by p), then the
            weights are all-gathered after the update: exposed, or, in a run whose record says
            zero_gather_overlapped (WeightGather: pieces in forward layer order, the first up to 1 MiB, then 4 MiB, a
            larger layer split into such pieces), started after the update and waited before each layer's forward only for the pieces
            holding its weights: the pieces move one after another while the forward computes (with the progress
            thread's f and g), and a layer waits for what its pieces still lack.
"""
import argparse, bisect, functools, json, math, re, sys

MIB = 1 << 20


def lines(path, tag=None):
    out = []
    with open(path) as fh:
        text = fh.read()
    for line in text.splitlines():
        line = line.strip()
        for t in ("BENCH ", "COLLECTIVE ", "PROGRESS "):
            if line.startswith(t):
                line = line[len(t):]
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


# ---- links -----------------------------------------------------------------------------------------------------

def terms(op, p, n):
    """(latency multiplier, bytes multiplier) of a collective of n bytes in all on p ranks, as MPI's large-message
    algorithms cost it (Rabenseifner: recursive halving then doubling): all-reduce 2 ceil(log2 p) latencies and
    2 (p-1)/p n bytes; reduce-scatter and all-gather half of each."""
    if p <= 1:
        return 0.0, 0.0
    hops = math.ceil(math.log2(p))
    if op in ("allreduce", "iallreduce"):
        return 2.0 * hops, 2.0 * (p - 1) / p * n
    return float(hops), (p - 1) / p * n  # reduce_scatter, allgather


def fit_link(points, op="allreduce"):
    """alpha, beta from (p, bytes, seconds) points of one collective, by least squares on the seconds (so the MiB-size
    messages that dominate a step decide beta). If that gives alpha < 0, alpha comes from the smallest message alone
    (latency-bound) and beta from the rest of the time of every point."""
    sxx = sxy = syy = sxt = syt = 0.0
    for p, n, t in points:
        x, y = terms(op, p, n)
        sxx += x * x; sxy += x * y; syy += y * y; sxt += x * t; syt += y * t
    det = sxx * syy - sxy * sxy
    if abs(det) > 1e-12 * max(sxx * syy, 1e-300):
        a = (sxt * syy - syt * sxy) / det
        b = (sxx * syt - sxy * sxt) / det
        if a >= 0 and b > 0:
            return a, b
    p0, n0, t0 = min(points, key=lambda q: q[1])
    x0 = terms(op, p0, n0)[0]
    a = t0 / x0 if x0 else 0.0
    num = sum(terms(op, p, n)[1] * (t - terms(op, p, n)[0] * a) for p, n, t in points)
    return a, max(num / syy if syy else 0.0, 1e-15)


class Link(dict):
    """One link's collective costs: per op the alpha-beta fit (`link[op]`, for rank counts and links not measured) and,
    per (op, ranks) measured on it, the measured (bytes, seconds) points (`table`), which `cost` interpolates."""

    def __init__(self, fits, table=None):
        super().__init__(fits)
        self.table = table or {}


def interpolate(points, n):
    """Seconds of a collective of n bytes from measured (bytes, seconds) points: piecewise linear in log bytes and log
    seconds between the two measured sizes around n; below the smallest, its seconds (latency-bound); above the
    largest, the largest's seconds per byte (bandwidth-bound)."""
    pts = sorted(points)
    if n <= pts[0][0]:
        return pts[0][1]
    for (b0, t0), (b1, t1) in zip(pts, pts[1:]):
        if n <= b1:
            f = (math.log(n) - math.log(b0)) / (math.log(b1) - math.log(b0))
            return math.exp(math.log(t0) + f * (math.log(t1) - math.log(t0)))
    b1, t1 = pts[-1]
    return t1 * n / b1


def cost(op, n, p, link):
    """Seconds of collective `op` over n bytes on p ranks: interpolated from the measurements of this link at p when
    there are some, else the alpha-beta line."""
    if p <= 1:
        return 0.0
    pts = getattr(link, "table", {}).get((op, p))
    if pts:
        return interpolate(pts, n)
    a, b = link[op]
    x, y = terms(op, p, n)
    return x * a + y * b


def latency(op, n, p, link):
    """The latency part of `cost`: alpha's terms on a fitted line; on measured points, what n takes beyond its bytes at
    the largest measured size's seconds per byte (that size taken as bandwidth-bound). Small started all-reduces
    here take 12-40 ms against 0.05-0.5 ms blocking, almost all of it waiting that passes while a rank computes."""
    if p <= 1:
        return 0.0
    pts = getattr(link, "table", {}).get((op, p))
    if pts:
        big, t = max(pts)
        return max(0.0, interpolate(pts, n) - n * t / big)
    return terms(op, p, n)[0] * link[op][0]


def training_op(link, p):
    """The collective training's buckets run: `iallreduce` (MPI_Iallreduce in pieces, all in flight, then waited) where
    it was measured on this link at p, else the blocking all-reduce's costs."""
    return "iallreduce" if ("iallreduce", p) in getattr(link, "table", {}) else "allreduce"


def nonblocking_from_progress(link, p, n, alone):
    """Where only the blocking all-reduce was measured at every size (passes before `iallreduce` was), the progress
    runs' `alone` (one started all-reduce of n bytes, waited at once: what training does) is the started all-reduce's
    one measured point: below n it costs alone / blocking(n) times the blocking curve, above n what was measured at n
    per byte (bandwidth-bound, the rule beyond any largest measured size). Returns the ratio."""
    pts = link.table.get(("allreduce", p))
    if not pts or ("iallreduce", p) in link.table:
        return None
    ratio = alone / interpolate(pts, n)
    link.table[("iallreduce", p)] = [(b, t * ratio) for b, t in pts if b < n] + [(n, alone)]
    return ratio


def overlap_engine(run, choice="auto"):
    """How a run's started buckets moved: `thread` (a progress thread: link-bound) or `progress` (only inside MPI
    calls). `auto`: what the run's record says (strata-bench's `progress_thread`), else `progress`."""
    if choice != "auto":
        return choice
    return "thread" if run.get("progress_thread") else "progress"


def rate_link(bits_per_s, alpha):
    """A link known only by its rate: beta = 8 / rate for every op, alpha given."""
    beta = 8.0 / bits_per_s
    return {op: (alpha, beta) for op in ("allreduce", "reduce_scatter", "allgather")}


def parse_rate(text):
    t = text.lower()
    for unit, mult in (("gbit", 1e9), ("mbit", 1e6)):
        if t.endswith(unit):
            return float(t[: -len(unit)]) * mult
    raise SystemExit(f"cost_model.py: cannot read the link rate '{text}' (e.g. 25gbit, 100mbit)")


def fit_progress(rows):
    """H (seconds of pending all-reduce a link carries after one MPI call while the rank computes) from the progress
    runs of one link and rank count: hidden = alone - exposed over `tests` gaps of `gap`; per gap min(gap, H).
    Least squares over the runs whose gaps all hid their whole share (gap > hidden / tests) give H as the mean hidden
    per gap; the rest bound it below."""
    per_gap = []
    for r in rows:
        if r.get("progress_thread"):
            continue  # the thread moves bytes between MPI calls of the rank: not what H measures
        hidden = max(0.0, r["alone_s"] - r["exposed_s"])
        per_gap.append((r["gap_s"], hidden / r["tests"], r))
    big = [h for g, h, _ in per_gap if h < 0.9 * g]  # the link, not the gap, limited these
    if big:
        return sum(big) / len(big)
    return max(h for _, h, _ in per_gap) if per_gap else 0.0


def thread_overlap(work, alone, f, g):
    """(compute seconds, wait seconds) of `work` seconds of compute started together with an all-reduce of `alone`
    seconds on the progress thread, when while the bytes are in flight they move at f x their speed alone and the
    compute runs at g x its own: in flight tau = min(work / g, alone / f); the compute takes tau + work - g tau and
    alone - f tau is left for the wait (at full speed, the rank idle)."""
    tau = in_flight(work, alone, f, g)
    return tau + work - g * tau, max(0.0, alone - f * tau)


def in_flight(work, alone, f, g):
    """Seconds the bytes of `thread_overlap` are in flight while the rank computes."""
    return min(work / g, alone / f)


def fit_thread_overlap(rows):
    """(f, g) from the fixed-work progress runs of one link and rank count: the grid point (0.01 steps in (0, 1]) whose
    `thread_overlap` of each run's quiet compute and alone seconds best reproduces the compute and wait measured with
    the all-reduce in flight (least squares in seconds, so the long all-reduces that decide a step weigh most; errors
    relative to each run's size let one small run's noise decide: 4 MiB of 5 ms alone once waited 18 ms). A run whose
    compute outlasts the bytes fixes g (f only bounds the wait below); one whose bytes outlast it fixes both."""
    rows = [r for r in rows if r.get("fixed_work")]
    if not rows:
        return None
    grid = [k / 100 for k in range(1, 101)]
    best = None
    for f in grid:
        for g in grid:
            err = 0.0
            for r in rows:
                w, e = thread_overlap(r["quiet_work_s"], r["alone_s"], f, g)
                err += (w - r["work_s"]) ** 2 + (e - r["exposed_s"]) ** 2
            if best is None or err < best[0]:
                best = (err, f, g)
    return best[1], best[2]


def outside_cpu(r):
    """CPU seconds per step a training run's rank 0 spent outside its collectives (strata-bench's `thread_cpu`, after
    the first epoch): every thread's CPU (compute, progress, the rest) less the compute thread's CPU inside the
    collective calls (their waits spin, and that CPU is the collective's measured time); None without the record."""
    t = r.get("thread_cpu")
    if not t or not t.get("steps") or not t.get("compute_s"):
        return None
    return (t["compute_s"] + t.get("progress_s", 0.0) + t.get("other_s", 0.0) - t.get("collective_cpu_s", 0.0)) / t["steps"]


CPU_TERMS = ("one-buffer", "sharing", "none")


def cpu_step(extra, p, cores, rate=None):
    """Seconds a synchronous step adds for `extra` CPU seconds per step on each of p ranks that share `cores` cores:
    the wall seconds a rank takes per CPU second, `rate` (measured: the sharing runs' wall time over their CPU time at
    k = p, which counts both the ranks' time sharing and the other jobs' load); without it every rank's extra runs on
    the cores the ranks compute on, p x extra over the cores (at least its own, with a core per rank)."""
    return extra * (rate if rate is not None else max(1.0, p / cores))


def wall_per_cpu(records):
    """Wall seconds per CPU second of processes run at once (the sharing runs at one k), after the first epoch: their
    epochs' seconds over their threads' CPU (`thread_cpu`), summed over the processes; None without the records."""
    wall = cpu = 0.0
    for r in records:
        t = r.get("thread_cpu")
        if not t or not t.get("compute_s"):
            return None
        wall += sum(r["epoch_seconds"][1:])
        cpu += t["compute_s"] + t.get("progress_s", 0.0) + t.get("other_s", 0.0)
    return wall / cpu if cpu > 0 else None


# ---- workloads -------------------------------------------------------------------------------------------------

class Compute:
    """Per-sample layer costs and per-step other costs of one profile record."""

    def __init__(self, r):
        prof = r["profile"]
        self.batch = r["batch_size"]
        self.samples = r["samples"]
        self.val = r.get("validation_samples", 0)
        epochs = max(len(r["epoch_seconds"]) - 1, 1)
        fs = max(prof.get("forward_samples", 0), 1)
        bs = max(prof.get("backward_samples", 0), 1)
        self.names = [l["name"] for l in prof["layers"]]
        self.f = [l["forward_s"] / fs for l in prof["layers"]]
        self.b = [l["backward_s"] / bs for l in prof["layers"]]
        self.params = [l.get("parameters", 0) for l in prof["layers"]]
        steps = math.ceil(self.samples / self.batch) * epochs
        self.other = max(0.0, prof["seconds"] - sum(l["forward_s"] + l["backward_s"] for l in prof["layers"])) / steps
        self.epoch = sorted(r["epoch_seconds"][1:] or r["epoch_seconds"])[len(r["epoch_seconds"][1:] or r["epoch_seconds"]) // 2]

    def scaled(self, s):
        c = object.__new__(Compute)
        c.__dict__ = dict(self.__dict__)
        c.f = [x * s for x in self.f]; c.b = [x * s for x in self.b]; c.other = self.other * s
        return c


# ---- the slowest rank ------------------------------------------------------------------------------------------

def full_steps(r):
    """A record's step seconds after the first epoch (strata-bench's `step_seconds`, `step_starts`) without each epoch's
    short last batch: [(start, seconds)], or None where the run did not record them (passes before they existed)."""
    secs, starts = r.get("step_seconds"), r.get("step_starts")
    if not secs or not starts or len(secs) != len(starts):
        return None
    per_epoch = math.ceil(r["samples"] / r["batch_size"])
    short = r["samples"] % r["batch_size"] != 0
    return [(t, d) for j, (t, d) in enumerate(zip(starts, secs)) if not (short and j % per_epoch == per_epoch - 1)]


def expected_max(dists):
    """E[max(X_1, ..., X_p)] of independent X_i, each drawn uniformly from its list of values (the measured steps of
    one rank): P(max <= t) = prod_i F_i(t), summed over the values where it steps."""
    sd = [sorted(d) for d in dists]
    e = prev = 0.0
    for t in sorted({v for d in sd for v in d}):
        cdf = 1.0
        for d in sd:
            cdf *= bisect.bisect_right(d, t) / len(d)
        e += t * (cdf - prev)
        prev = cdf
    return e


@functools.lru_cache(maxsize=None)
def normal_max(p):
    """E[max of p independent standard normal draws] (e_1 = 0, e_2 = 1 / sqrt(pi), e_3 = 3 / (2 sqrt(pi))): the integral
    of x p phi(x) Phi(x)^(p-1), by Simpson's rule over [-9, 9]."""
    if p <= 1:
        return 0.0
    n, lo, hi = 3600, -9.0, 9.0
    h = (hi - lo) / n
    total = 0.0
    for k in range(n + 1):
        x = lo + k * h
        y = x * p * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) * (0.5 * (1 + math.erf(x / math.sqrt(2)))) ** (p - 1)
        total += y * (1 if k in (0, n) else 4 if k % 2 else 2)
    return total * h / 3


def aligned_max(procs):
    """E[max over ranks] of steps taken at the same moment: for each step of each process, the largest of its seconds
    and those of the step every other process was in at its midpoint (processes run at once share the monotonic
    clock); steps whose midpoint some process was not in (before it started, after it ended) are left out. Returns
    (mean of those maxima, their count, the correlation of the paired seconds) or None with fewer than 2 processes."""
    if len(procs) < 2:
        return None
    maxima, pairs = [], []
    for i, steps in enumerate(procs):
        for t, d in steps:
            mid, worst, ok = t + d / 2, d, True
            for j, other in enumerate(procs):
                if j == i:
                    continue
                k = bisect.bisect_right([s for s, _ in other], mid) - 1
                if k < 0 or other[k][0] + other[k][1] < mid:
                    ok = False
                    break
                worst = max(worst, other[k][1])
                if j == (i + 1) % len(procs):
                    pairs.append((d, other[k][1]))
            if ok:
                maxima.append(worst)
    if not maxima:
        return None
    return sum(maxima) / len(maxima), len(maxima), correlation(pairs)


def correlation(pairs):
    if len(pairs) < 3:
        return float("nan")
    n = len(pairs)
    mx, my = sum(a for a, _ in pairs) / n, sum(b for _, b in pairs) / n
    sxy = sum((a - mx) * (b - my) for a, b in pairs)
    sxx, syy = sum((a - mx) ** 2 for a, _ in pairs), sum((b - my) ** 2 for _, b in pairs)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def spread(steps):
    """(mean, standard deviation / mean) of a list of step seconds."""
    m = sum(steps) / len(steps)
    return m, (math.sqrt(sum((x - m) ** 2 for x in steps) / (len(steps) - 1)) / m if len(steps) > 1 else 0.0)


class Straggler:
    """What a synchronous step waits beyond its slowest rank's mean step, from the steps of k processes run at once
    (the sharing runs: the ranks' compute when k share this machine's cores): a step lasts as long as its slowest
    rank's compute, and with per-step compute times that vary (this host's cores change speed from second to second,
    3-4 processes on 2 cores take turns) E[max over the k ranks] exceeds the slowest rank's mean. `how`:
    independent (each rank draws its step from its own measured steps, independently: `expected_max`), aligned
    (the steps the processes took at the same moments: `aligned_max`, with whatever correlation they had), normal
    (mean + sd x e_k of the pooled steps). The term is E[max] - max_i mean_i (the model's compute already is the
    slowest process's mean)."""

    HOWS = ("aligned", "independent", "normal", "none")

    def __init__(self, procs):
        self.procs = procs  # per process: [(start, seconds)] of its full steps
        secs = [[d for _, d in s] for s in procs]
        self.slowest_mean = max(sum(d) / len(d) for d in secs)
        pooled = [d for s in secs for d in s]
        self.mean, self.cv = spread(pooled)
        self.independent = expected_max(secs)
        self.normal = self.mean + self.mean * self.cv * normal_max(len(procs))
        self.aligned = aligned_max(procs)

    def extra(self, how):
        """Seconds a step adds for its slowest rank, by `how` (aligned falls back to independent without overlap)."""
        if how == "none":
            return 0.0
        e = {"independent": self.independent, "normal": self.normal}.get(how)
        if how == "aligned":
            e = self.aligned[0] if self.aligned else self.independent
        return max(0.0, e - self.slowest_mean)


def embedding_rows(config_path, names):
    """(layer index, input_dim, output_dim, input length) of the Embedding layer of a config (named `embedding` in
    the profile's layer names), or None."""
    try:
        text = open(config_path).read()
    except OSError:
        return None
    m = re.search(r"Embedding:\s*\{([^}]*)\}", text)
    idx = next((i for i, n in enumerate(names) if n.startswith("embedding")), None)
    if not m or idx is None:
        return None
    body = m.group(1)
    get = lambda k: re.search(k + r":\s*\[?(\d+)", body)
    vocab, dim, length = get("input_dim"), get("output_dim"), get("input_(?:shape|length)")
    if not (vocab and dim and length):
        return None
    return idx, int(vocab.group(1)), int(dim.group(1)), int(length.group(1))


def buckets(params, excluded=(), first=1 * MIB, cap=4 * MIB, overlap=True, sums=0):
    """(ready layer index, bytes) in start order, as GradientBuckets makes them: the step's `sums` floats (loss,
    metrics, count, stop flag) alone first, ready before backward (index len(params)), then the last layers'
    gradients up to `first`, then `cap` at a time, a layer never split. Without overlap: one buffer after backward."""
    if not overlap:
        total = (sum(n for i, n in enumerate(params) if i not in excluded) + sums) * 4
        return [(0, total)] if total else []
    out, cur, ready, limit = ([(len(params), sums * 4)] if sums else []), 0, None, first
    for i in range(len(params) - 1, -1, -1):
        n = 0 if i in excluded else params[i] * 4
        if n == 0:
            continue
        cur += n; ready = i
        if cur >= limit:
            out.append((ready, cur)); cur = 0; limit = cap
    if cur:
        out.append((ready, cur))
    return out


def gather_pieces(params, first=1 * MIB, cap=4 * MIB):
    """(pieces' bytes in forward order, per layer how many pieces must have arrived before its forward) as
    WeightGather makes them: contiguous, the first up to `first` bytes, then `cap`; a layer that would take a piece past
    its cap starts the next one, a layer larger than the cap is split into pieces of it, its last piece closed with it;
    0 pieces for a layer without weights."""
    pieces, start, limit, at, ends = [], 0, first, 0, []
    for n in params:
        ends.append(at + n * 4 if n else None)
        at += n * 4

    def close(end):
        nonlocal start, limit
        if end > start:
            pieces.append((start, end)); start = end; limit = cap

    for i, n in enumerate(params):
        if not n or ends[i] <= start:
            continue
        lo, hi = ends[i] - n * 4, ends[i]
        if hi - start > limit:
            close(max(start, lo))
        large = hi - start >= limit
        while hi - start > limit:
            close(start + limit)
        if large:
            close(hi)
    close(at)
    needed = [0 if e is None else next((k for k, (_, b) in enumerate(pieces) if b >= e), len(pieces) - 1) + 1 for e in ends]
    return [b - a for a, b in pieces], needed


def gathered(fwd, pieces, needed, comm_of, shares=(1.0, 1.0), hold=None):
    """Seconds an all-gather in pieces started before the forward adds to it (waits before layers plus the compute's
    slowdown while bytes are in flight). fwd: each layer's forward seconds in order; pieces: their bytes, moved one
    after another (comm_of(bytes): seconds alone); needed: per layer, how many pieces it waits for; shares: the
    progress thread's (f, g); hold: without the thread, the seconds of bytes that move during a layer (the test
    before it; see `overlapped`)."""
    f, g = shares
    left = [comm_of(n) for n in pieces]  # seconds (alone) each piece still has to move, in order
    added = 0.0
    for i, gap in enumerate(fwd):
        wait = sum(left[:needed[i]])  # the rank idles, the bytes move at full speed
        added += wait
        for k in range(needed[i]):
            left[k] = 0.0
        pending = sum(left)
        if pending > 0 and gap > 0:
            if hold is None:
                tau = in_flight(gap, pending, f, g)
                added += tau - g * tau
                moved = f * tau
            else:
                moved = min(gap, hold)
            for k in range(len(left)):
                d = min(left[k], moved); left[k] -= d; moved -= d
    return added + sum(left)


def overlapped(bwd, bks, comm_of, hold, latency_of=lambda n: 0.0, shares=(1.0, 1.0), parts=None):
    """Seconds overlap adds to backward: the compute's slowdown while bytes are in flight plus the wait after
    backward. bwd: each layer's backward seconds; bks: (ready layer, bytes) in start order; comm_of(bytes): a bucket's
    seconds alone; hold: seconds of pending traffic the link carries after each MPI call while the rank computes
    (None: a progress thread, bytes move during the whole gap); shares: (f, g) of a progress thread on cores it
    shares with the compute (see `thread_overlap`; (1, 1): link-bound, nothing taken); latency_of(bytes): the part of
    a bucket's seconds that is latency, not bytes, which passes while the rank computes whatever the engine. The wait
    ends when the pending bytes have moved and when every bucket has had its seconds alone since its start. parts
    (a dict), if given, receives the two: "slowed" (the compute's loss) and "wait"."""
    f, g = shares
    pending = 0.0  # seconds (alone) of bytes still to move
    stretch = 0.0  # seconds the compute lost to the bytes in flight
    now, ends = 0.0, []  # each bucket's earliest end: its start + its seconds alone
    started = 0

    def start(n):
        nonlocal pending
        t = comm_of(n)
        pending += t - min(latency_of(n), t)
        ends.append(now + t)

    while started < len(bks) and bks[started][0] >= len(bwd):  # ready before backward: started after forward
        start(bks[started][1]); started += 1
    for i in range(len(bwd) - 1, -1, -1):
        gap = bwd[i]
        if pending > 0 and hold is None:
            tau = in_flight(gap, pending, f, g)
            pending -= min(pending, f * tau)
            stretch += tau - g * tau
            gap += tau - g * tau
        elif pending > 0:
            pending -= min(pending, min(gap, hold))
        now += gap
        # layer i done: start what it made ready, then test (both MPI calls)
        while started < len(bks) and bks[started][0] >= i:
            start(bks[started][1]); started += 1
    for _, n in bks[started:]:
        start(n)
    wait = max(pending, max((e - now for e in ends), default=0.0), 0.0)
    if parts is not None:
        parts["slowed"] = parts.get("slowed", 0.0) + stretch
        parts["wait"] = parts.get("wait", 0.0) + wait
    return stretch + wait


class Model:
    def __init__(self, compute, link, p, hold=None, overlap=True, sparse=None, zero=False, update_share=1.0, sums=4,
                 shares=(1.0, 1.0), zero_gather_overlapped=False, straggle=0.0, spread=0.0, cpu=0.0):
        """sums: floats of a step's loss and metric sums and stop flag, all-reduced alone before backward when
        overlapped (GradientBuckets), inside the one buffer otherwise. shares: a progress thread's (f, g) (see
        `overlapped`), used when hold is None. zero_gather_overlapped: ZeRO-1's all-gather in pieces behind the next
        forward (`gathered`), else exposed after the update. The wait for the slowest rank: straggle, seconds a step
        adds (`Straggler.extra`, measured at p), plus, where that was not measured, spread x e_p x the step's compute
        (each rank's step normal with sd = spread x its mean, independent across ranks: `normal_max`). cpu: seconds a
        step adds for the CPU its gradient path takes beyond the compute on cores the ranks share (`cpu_step`)."""
        self.c, self.link, self.p, self.hold, self.shares = compute, link, p, hold, shares
        self.cpu = cpu
        self.straggle, self.spread = straggle, spread
        self.zero_gather_overlapped = zero_gather_overlapped
        self.parts = {}  # the overlapped buckets' seconds over the steps costed: "slowed" compute and "wait"
        self.overlap, self.sparse, self.zero, self.update_share = overlap, sparse, zero, update_share
        self.sums = sums

    def step(self, n):
        """(seconds, communication seconds alone, exposed communication seconds) of a step of a batch of n."""
        c, p = self.c, self.p
        rows = math.ceil(n / p)
        fwd = rows * sum(c.f)
        bwd = [rows * x for x in c.b]
        other = c.other
        if self.zero:
            other = c.other * (1 - self.update_share) + c.other * self.update_share / p
        excluded = set()
        rows_comm = 0.0
        if self.sparse and p > 1:
            idx, vocab, dim, length = self.sparse
            ids = min(rows * length, vocab)
            if ids * (dim + 1) < vocab * dim:
                excluded.add(idx)
                rows_comm = cost("allgather", p * ids * (dim * 4 + 4), p, self.link)
        bks = buckets(c.params, excluded, overlap=self.overlap, sums=self.sums)
        op = "reduce_scatter" if self.zero else training_op(self.link, p)
        comm_of = lambda nb: cost(op, nb, p, self.link)
        alone = sum(comm_of(nb) for _, nb in bks) + rows_comm
        if p == 1:
            return fwd + sum(bwd) + other, 0.0, 0.0
        other += self.straggle + self.spread * normal_max(p) * (fwd + sum(bwd) + other) + self.cpu
        lat_of = lambda nb: latency(op, nb, p, self.link)
        exposed = overlapped(bwd, bks, comm_of, self.hold, lat_of, self.shares, self.parts) if self.overlap else alone - rows_comm
        exposed += rows_comm
        if self.zero and self.zero_gather_overlapped and self.overlap:
            pieces, needed = gather_pieces(c.params)
            alone += sum(cost("allgather", nb, p, self.link) for nb in pieces)
            exposed += gathered([rows * x for x in c.f], pieces, needed, lambda nb: cost("allgather", nb, p, self.link),
                                self.shares, self.hold)
        elif self.zero:
            gather = cost("allgather", sum(c.params) * 4, p, self.link)
            alone += gather; exposed += gather
        return fwd + sum(bwd) + other + exposed, alone, exposed

    def epoch(self, samples=None, batch=None):
        """(seconds, steps, communication alone per step, exposed per step) of an epoch of `samples` in global batches
        of `batch` (default: the profile's)."""
        c = self.c
        samples = samples or c.samples
        batch = batch or c.batch
        total = alone = exposed = 0.0
        steps = math.ceil(samples / batch)
        for k in range(steps):
            s, a, e = self.step(min(batch, samples - k * batch))
            total += s; alone += a; exposed += e
        # validation: forward over this rank's share, then its sums all-reduced; before it, the epoch's stop flag
        total += math.ceil(c.val / self.p) * sum(c.f)
        total += (2 if c.val else 1) * cost("allreduce", 8, self.p, self.link)
        return total, steps, alone / steps, exposed / steps


# ---- report ----------------------------------------------------------------------------------------------------

def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--sharing")
    ap.add_argument("--links", required=True)
    ap.add_argument("--progress")
    ap.add_argument("--measured")
    ap.add_argument("--thread-overlap", help="fixed-work progress runs (strata-mpi-check progress ... thread) measured "
                    "apart from the pass; default: those in --progress")
    ap.add_argument("--configs", default="configs", help="where <workload>.yaml are (for Embedding sizes)")
    ap.add_argument("--cores", type=int, default=2, help="cores the emulated nodes share (this machine's)")
    ap.add_argument("--ranks", default="2,4,8,16,32,64,128,256,512")
    ap.add_argument("--predict-link", default="25gbit",
                    help="the table's link: a measured one, or RATE (beta = 8 / rate; alpha --predict-alpha)")
    ap.add_argument("--predict-alpha", type=float,
                    help="latency in seconds for a RATE link (default: the best measured, a 4 KiB collective's seconds "
                    "over its latency terms on any link; fitted alphas include a loaded machine's scheduling delays)")
    ap.add_argument("--overlap-engine", choices=("auto", "progress", "thread"), default="auto",
                    help="how started buckets move while backward computes, for the check: progress = only inside MPI "
                    "calls (H per call from --progress: progress-bound), thread = a progress thread drives them (bytes "
                    "move while the rank computes: link-bound), auto = thread where the run's record says "
                    "progress_thread: true, else progress")
    ap.add_argument("--blocking", action="store_true",
                    help="cost training's buckets as the blocking all-reduce even where the started-then-waited one "
                    "(iallreduce, or the progress runs' alone) was measured (the model before it was)")
    ap.add_argument("--update-share", type=float, default=0.5,
                    help="share of a step's non-layer time that is the optimizer update (ZeRO-1 divides it by p)")
    ap.add_argument("--compute-speedup", type=float, default=1.0,
                    help="the table's ranks compute this many times faster than 1 rank x 1 thread here (e.g. 16 for a "
                    "16-core node running one rank with 16 threads at perfect thread scaling)")
    ap.add_argument("--straggler", choices=Straggler.HOWS, default="aligned",
                    help="the check's wait for the slowest rank (passes whose sharing runs recorded their steps): "
                    "aligned = the k processes' steps at the same moments, independent = each rank's own steps drawn "
                    "independently, normal = pooled mean + sd x e_k, none = the slowest process's mean only (as before)")
    ap.add_argument("--cpu-term", choices=CPU_TERMS, default="none",
                    help="the check's CPU of the overlapped path (runs whose records hold strata-bench's thread_cpu): "
                    "one-buffer = an overlapped run's CPU per step outside its collectives beyond that of the one-buffer "
                    "run at the same workload, link and ranks (what overlapping adds: the progress thread, starting and "
                    "testing buckets, the TCP stack's work while the rank computes); it replaces the progress thread's g "
                    "(the compute's slowdown from the fixed-work runs); sharing = every run's beyond the sharing runs' "
                    "CPU per step at k = p (no MPI), one-buffer runs included; none = not counted (g only; the default: every input then comes from runs apart from the checked ones, and on the quiet pass of 2026-12-08 each way kept the same 22 of 24)")
    ap.add_argument("--predict-spread", type=float,
                    help="the table's per-step sd / mean of a rank's compute (default: the workload's 1-rank steps here)")
    ap.add_argument("--per-rank-batch", action="store_true",
                    help="the table keeps the per-rank batch (global batch = config batch x p) instead of the global")
    args = ap.parse_args(argv)

    profiles = [r for r in lines(args.profile) if "profile" in r]
    alone = {r["workload"]: Compute(r) for r in profiles}
    # each workload's 1-rank steps alone: their spread is what the prediction's ranks draw from (one per node)
    alone_spread = {r["workload"]: spread([d for _, d in full_steps(r)])[1] for r in profiles if full_steps(r)}
    sharing, stragglers, sharing_cpu, sharing_rate = {}, {}, {}, {}
    if args.sharing:
        groups, steps, records = {}, {}, {}
        for r in lines(args.sharing):
            records.setdefault((r["workload"], r.get("sharing")), []).append(r)
            if outside_cpu(r) is not None:
                sharing_cpu.setdefault((r["workload"], r["sharing"]), []).append(outside_cpu(r))
            if "profile" in r:
                groups.setdefault((r["workload"], r["sharing"]), []).append(Compute(r))
                steps.setdefault((r["workload"], r["sharing"]), []).append(full_steps(r))
        # a step waits for its slowest rank: the process of the k whose step took longest, and the per-step wait
        # beyond its mean where the runs recorded their steps
        for key, cs in groups.items():
            sharing[key] = max(cs, key=lambda x: x.batch * (sum(x.f) + sum(x.b)) + x.other)
            if all(len(st or []) > 1 for st in steps[key]):
                stragglers[key] = Straggler(steps[key])
        # the wall seconds a rank takes per CPU second when k share the cores (and the other jobs' load)
        sharing_rate = {key: wall_per_cpu(rs) for key, rs in records.items() if wall_per_cpu(rs) is not None}
    sparse = {w: embedding_rows(f"{args.configs}/{w}.yaml", c.names) for w, c in alone.items()}

    raw = {}
    for c in lines(args.links):
        raw.setdefault(c["link"], {}).setdefault(c.get("op", "allreduce"), []).append((c["ranks"], c["bytes"], c["seconds"]))
    # a measured link costs a collective at a measured rank count by interpolating its measurements; the fit
    # (over every size and rank count) only extrapolates to other rank counts
    links = {}
    for k, ops in raw.items():
        table = {}
        for op, pts in ops.items():
            for q, n, t in pts:
                table.setdefault((op, q), []).append((n, t))
        links[k] = Link({op: fit_link(pts, op) for op, pts in ops.items()}, table)
    print("== links: t = L alpha + B beta (all-reduce L = 2 ceil(log2 p), B = 2(p-1)/p N; reduce-scatter and "
          "all-gather half of each), fitted over every measured size (4 KiB..32 MiB) and rank count; used only where "
          "nothing was measured (other rank counts and links): measured ones are interpolated")
    for k in sorted(links):
        for op in sorted(links[k]):
            a, b = links[k][op]
            pts = raw[k][op]
            errs = [abs(cost(op, n, p, dict(links[k])) - t) / t for p, n, t in pts]  # the line's, not the table's
            big = [e for (p, n, t), e in zip(pts, errs) if n >= MIB]
            print(f"{k:>8} {op:<14} alpha {a * 1e6:8.1f} us  beta {b * 1e9:7.3f} ns/B ({8 / b / 1e9:5.2f} Gbit/s)  "
                  f"{len(pts)} points, fit error median {median(errs) * 100:4.0f}%, worst {max(errs) * 100:4.0f}% "
                  f"(>= 1 MiB: worst {max(big or [0]) * 100:3.0f}%)")

    if args.blocking:
        for lk in links.values():
            lk.table = {key: v for key, v in lk.table.items() if key[0] != "iallreduce"}
    holds = {}
    if args.progress:
        pr = {}
        for r in lines(args.progress):
            pr.setdefault((r["link"], r["ranks"]), []).append(r)
        print("\n== progress: seconds of a started all-reduce hidden per busy gap ended by MPI_Test (H: min(gap, H))")
        for key in sorted(pr):
            rs = [r for r in pr[key] if not r.get("progress_thread")]
            if not rs:
                continue
            holds[key] = fit_progress(rs)
            if key[0] in links and not args.blocking:
                ratio = nonblocking_from_progress(links[key[0]], key[1], rs[0]["bytes"], rs[0]["alone_s"])
                if ratio is not None:
                    print(f"{key[0]:>8} {key[1]} ranks: no iallreduce measured; the started all-reduce costs {ratio:.2f}x the "
                          f"blocking one up to {rs[0]['bytes'] / MIB:.0f} MiB (its alone there over the blocking "
                          "curve), above that its seconds per byte")
            print(f"{key[0]:>8} {key[1]} ranks, {rs[0]['bytes'] / MIB:.0f} MiB alone {rs[0]['alone_s'] * 1e3:6.1f} ms: H = "
                  f"{holds[key] * 1e3:6.1f} ms; hidden per gap " + ", ".join(
                      f"{r['gap_s'] * 1e3:.0f}ms x{r['tests']}: {max(0, r['alone_s'] - r['exposed_s']) / r['tests'] * 1e3:.0f}"
                      for r in rs))
    shares = {}
    fixed = {}
    for r in lines(args.thread_overlap) if args.thread_overlap else (lines(args.progress) if args.progress else []):
        if r.get("fixed_work"):
            fixed.setdefault((r["link"], r["ranks"]), []).append(r)
    if fixed:
        print(f"\n== progress thread ({args.thread_overlap or args.progress}): a fixed compute of W s started with an "
              "all-reduce of A s alone; while in flight the bytes move at f x their speed alone, the compute runs at g x "
              "its own (compute tau + W - g tau, wait A - f tau, tau = min(W / g, A / f)); measured (model) per run")
        for key in sorted(fixed):
            shares[key] = fit_thread_overlap(fixed[key])
            f, g = shares[key]
            print(f"{key[0]:>8} {key[1]} ranks: f = {f:.2f}, g = {g:.2f}; " + ", ".join(
                "{:.0f} MiB A {:.0f} W {:.0f}: compute {:.0f} ({:.0f}) wait {:.0f} ({:.0f}) ms".format(
                    r["bytes"] / MIB, r["alone_s"] * 1e3, r["quiet_work_s"] * 1e3, r["work_s"] * 1e3,
                    thread_overlap(r["quiet_work_s"], r["alone_s"], f, g)[0] * 1e3, r["exposed_s"] * 1e3,
                    thread_overlap(r["quiet_work_s"], r["alone_s"], f, g)[1] * 1e3) for r in fixed[key]))

    if stragglers:
        print(f"\n== the slowest rank: a synchronous step lasts as long as its slowest rank's compute; from the steps of k "
              f"processes run at once (sharing runs, each epoch's short last batch left out), E[max over the k] beyond "
              f"the slowest process's mean step, three ways: each rank independently from its own steps, the steps the k "
              f"took at the same moments (their correlation r between neighbours), a normal of the pooled mean and sd "
              f"(mean + sd e_k); the check uses --straggler {args.straggler}")
        print(f"{'workload':<10} {'k':>2} {'steps':>9} {'mean':>8} {'sd/mean':>7} {'slowest':>8}  {'independent':>11} "
              f"{'aligned (r)':>17} {'normal':>8}")
        for key in sorted(stragglers):
            st = stragglers[key]
            al = st.aligned
            print(f"{key[0]:<10} {key[1]:>2} {'/'.join(str(len(x)) for x in st.procs):>9} {st.mean * 1e3:6.1f}ms "
                  f"{st.cv * 100:6.0f}% {st.slowest_mean * 1e3:6.1f}ms  {st.extra('independent') * 1e3:+9.1f}ms "
                  + (f"{st.extra('aligned') * 1e3:+9.1f}ms ({al[2]:+.2f})" if al else f"{'-':>17}")
                  + f" {st.extra('normal') * 1e3:+6.1f}ms")

    def hold_for(link, p):
        if (link, p) in holds:
            return holds[(link, p)]
        same = [h for (l, q), h in holds.items() if l == link]
        return median(same) if same else None

    # ---- predictions at 2..512 ranks
    fastest = min(links, key=lambda k: links[k]["allreduce"][1]) if links else None
    if args.predict_link in links:
        plink = links[args.predict_link]
        palpha = plink["allreduce"][0]
        phold = hold_for(args.predict_link, 2)
    else:
        # the best latency seen: the smallest message's time over its latency terms, on any link and collective
        seen = [t / terms(op, p, n)[0] for k, ops in raw.items() for op, pts in ops.items() for p, n, t in pts
                if n <= 4096 and p > 1]
        palpha = args.predict_alpha if args.predict_alpha is not None else (min(seen) if seen else 0.0)
        plink = rate_link(parse_rate(args.predict_link), palpha)
        # without a progress thread: H of the fastest measured link at 2 ranks (an assumption: H was never
        # measured on this link)
        phold = hold_for(fastest, 2) if fastest else None
    # the progress thread's f, g when it shares the cores with the compute: measured on this link at 2 ranks, else on
    # the fastest measured link (shown as its own variant; the others assume a core of its own)
    pshares = shares.get((args.predict_link, 2)) or shares.get((fastest, 2)) or (1.0, 1.0)
    ranks = [int(x) for x in args.ranks.split(",")]
    pspread = lambda name: args.predict_spread if args.predict_spread is not None else alone_spread.get(name, 0.0)
    print(f"\n== predicted scaling efficiency on {args.predict_link} (alpha {palpha * 1e6:.0f} us, beta "
          f"{plink['allreduce'][1] * 1e9:.3f} ns/B), one rank per node computing "
          + (f"{args.compute_speedup:g}x as fast as " if args.compute_speedup != 1 else "as ") + "1 rank x 1 thread here, "
          + ("per-rank batch = the config's batch" if args.per_rank_batch else "global batch = the config's batch")
          + "; overlap: with a progress thread on a core of its own (bytes move while the rank computes, link-bound)"
          + ("" if pshares == (1.0, 1.0) else f", with one sharing the rank's cores (f and g measured here on 2 nodes, "
             f"{args.predict_link if (args.predict_link, 2) in shares else fastest})")
          + ("" if phold is None else f", and in MPI calls only (progress-bound, H = {phold * 1e3:.1f} ms per call)")
          + "; efficiency = samples/s on p / (p x samples/s on 1); step time in ms in brackets"
          + ("; each rank's step compute drawn independently from a normal whose sd / mean is "
             + (f"{args.predict_spread:.3f}" if args.predict_spread is not None else "that of the workload's 1-rank steps here ("
                + ", ".join(f"{w} {v * 100:.1f}%" for w, v in sorted(alone_spread.items())) + ")")
             + ", a step waiting for the slowest: + sd x e_p (e_64 = 2.34)" if (args.predict_spread or alone_spread) else
             "; no wait for a slowest rank (the 1-rank profiles recorded no steps)"))
    print(f"{'workload':<18} {'params':>9} {'step@1':>8}  " + " ".join(f"{p:>12}" for p in ranks))
    for name in sorted(alone):
        c = alone[name].scaled(1 / args.compute_speedup)
        one = Model(c, plink, 1).step(c.batch)[0]
        one_core = (1.0, 1.0)  # the progress thread on a core of its own: link-bound
        variants = [("replicated", False, False, False, None, one_core)]
        if phold is not None:
            variants.append(("overlap, MPI calls only", True, False, False, phold, one_core))
        variants.append(("overlap", True, False, False, None, one_core))
        if pshares != one_core:
            variants.append((f"overlap, thread sharing the cores (f {pshares[0]:.2f}, g {pshares[1]:.2f})", True, False,
                             False, None, pshares))
        variants += [("overlap+zero1", True, True, False, None, one_core),
                     ("overlap+zero1, gather behind the forward", True, True, True, None, one_core)]
        for label, ov, zero, gov, hold, sh in variants:
            cells = []
            for p in ranks:
                n = c.batch * p if args.per_rank_batch else c.batch
                s = Model(c, plink, p, hold=hold, overlap=ov, sparse=sparse.get(name), zero=zero,
                          update_share=args.update_share, shares=sh, zero_gather_overlapped=gov,
                          spread=pspread(name)).step(n)[0]
                eff = (n / s) / (p * c.batch / one)
                cells.append(f"{eff * 100:4.0f}% ({s * 1e3:4.0f})")
            first = label == "replicated"
            print(f"{name if first else '':<18} {sum(c.params) if first else '':>9} "
                  f"{(f'{one * 1e3:.0f} ms' if first else ''):>8}  " + " ".join(f"{x:>12}" for x in cells) + f"  {label}")

    if not args.measured:
        return
    print("\n== model vs emulated-cluster runs: seconds per training step (epoch time / steps, median of the epochs "
          "after the first); collectives interpolated from that link's measurements at p (training's buckets: the started "
          "all-reduce); compute from the slowest of the sharing runs at k = p (model), or the 1-rank profile x "
          "max(1, p/cores) (model(1r)); overlap progress-bound (H) unless the run had a progress thread (then its f "
          "and g); exposed = what the gradient traffic adds to the step: for overlapped runs the compute slowed while "
          "bytes were in flight (slowed) plus the wait after backward")
    print(f"{'workload':<10} {'link':>7} {'p':>2} {'traffic':>10} {'measured':>9} {'model':>9} {'err':>5}  "
          f"{'comm':>7} {'exposed':>8} {'slowed':>7} {'hidden':>6} {'slowest':>7} {'cpu':>7}  {'model(1r)':>9} {'err':>5}")

    measured = lines(args.measured)
    has_cpu = any(outside_cpu(m) is not None for m in measured)

    def overlaps(m):
        """One buffer when asked for, or when the run chose it (strata-bench's gradient_path: ranks on one host)."""
        return m.get("traffic", "default") != "one-buffer" and not m.get("gradient_path", "").startswith("one buffer")

    def cpu_extra(m, term):
        """CPU seconds per step (per rank) the run's gradient path took beyond the reference of `term`, or None where
        the records do not say (passes before thread_cpu existed, or no reference run)."""
        mine = outside_cpu(m)
        if term == "none" or mine is None:
            return None
        if term == "sharing":
            ref = sharing_cpu.get((m["workload"], m["ranks"]))
            return mine - sum(ref) / len(ref) if ref else None
        if not overlaps(m):
            return None
        base = [outside_cpu(r) for r in measured if not overlaps(r) and outside_cpu(r) is not None
                and (r["workload"], r.get("link"), r["ranks"]) == (m["workload"], m.get("link"), m["ranks"])]
        return mine - sum(base) / len(base) if base else None

    def check(how, show, term=None):
        """Errors of the model against each measured run, the wait for the slowest rank costed `how`, the gradient
        path's CPU by `term` (default --cpu-term)."""
        term = term or args.cpu_term
        errs, kinds = [], {}
        for m in measured:
            name, link, p = m["workload"], m.get("link"), m["ranks"]
            if name not in alone or link not in links:
                continue
            ov = overlaps(m)
            secs = m["epoch_seconds"][1:] or m["epoch_seconds"]
            steps = math.ceil(m["samples"] / m["batch_size"])
            meas = median(secs) / steps
            c_share = sharing.get((name, p))
            slow = max(1.0, p / args.cores)
            c1 = alone[name].scaled(slow)
            sp = sparse.get(name) if ov else None
            hold = None if overlap_engine(m, args.overlap_engine) == "thread" else hold_for(link, p)
            sh = shares.get((link, p), (1.0, 1.0))
            lk = links[link]
            zero = dict(zero=bool(m.get("sharded_optimizer")), zero_gather_overlapped=bool(m.get("zero_gather_overlapped")),
                        update_share=args.update_share)
            # the wait for the slowest rank where the sharing runs at k = p recorded their steps (else none: the
            # slowest process's mean, as passes before them were costed)
            st = stragglers.get((name, p))
            straggle = st.extra(how) if st and c_share else 0.0
            # the path's CPU beyond the compute, measured: it replaces the fixed-work runs' g (the compute's slowdown
            # while bytes are in flight), which it contains; f (the bytes' slowdown) stays
            extra = cpu_extra(m, term)
            cpu = cpu_step(extra, p, args.cores, sharing_rate.get((name, p))) if extra is not None else 0.0
            if extra is not None and hold is None:
                sh = (sh[0], 1.0)
            mod = Model(c_share or c1, lk, p, hold=hold, overlap=ov, sparse=sp, shares=sh, straggle=straggle, cpu=cpu,
                        **zero)
            t, _, comm, exposed = mod.epoch(m["samples"], m["batch_size"])
            step = t / steps
            err = step / meas - 1
            errs.append(abs(err))
            kinds.setdefault("overlapped" if ov else "one buffer", []).append(err)
            if not show:
                continue
            slowed = mod.parts.get("slowed", 0.0) / steps
            t1 = Model(c1, lk, p, hold=hold, overlap=ov, sparse=sp, shares=sh, cpu=cpu, **zero).epoch(m["samples"], m["batch_size"])[0] / steps
            hidden = 1 - exposed / comm if comm > 0 else 1.0
            print(f"{name:<10} {link:>7} {p:>2} {'overlap' if ov else 'one-buffer':>10} {meas * 1e3:7.1f}ms {step * 1e3:7.1f}ms "
                  f"{err * 100:+4.0f}%  {comm * 1e3:5.1f}ms {exposed * 1e3:6.1f}ms {slowed * 1e3:5.1f}ms {hidden * 100:5.0f}% "
                  f"{straggle * 1e3:5.1f}ms " + (f"{cpu * 1e3:+5.1f}ms" if extra is not None else f"{'-':>7}")
                  + f"  {t1 * 1e3:7.1f}ms {(t1 / meas - 1) * 100:+4.0f}%")
        return errs, kinds

    def summary(errs):
        return (f"{sum(e <= 0.15 for e in errs)} of {len(errs)} runs within 15% (median |error| {median(errs) * 100:.0f}%, "
                f"worst {max(errs) * 100:.0f}%)")

    errs, kinds = check(args.straggler, True)
    if errs:
        print(f"\n{summary(errs)}")
        print("; ".join(f"{k}: {sum(abs(e) <= 0.15 for e in v)} of {len(v)} within 15%, errors {min(v) * 100:+.0f}% to "
                        f"{max(v) * 100:+.0f}%, {sum(e < 0 for e in v)} fast" for k, v in sorted(kinds.items())))
    if errs and has_cpu:
        print("the gradient path's CPU (cpu: ms a step), each way (--cpu-term): " + "; ".join(
            f"{term} {summary(check(args.straggler, False, term)[0])}" for term in CPU_TERMS))
    elif errs:
        print("no thread_cpu in this pass's runs (measured before strata-bench recorded it): the overlapped path's CPU "
              "is not counted, the progress thread's g stands in for it")
    if errs and stragglers:
        print("the wait for the slowest rank (slowest: ms a step), each way (--straggler): " + "; ".join(
            f"{how} {summary(check(how, False)[0])}" for how in Straggler.HOWS))


if __name__ == "__main__":
    main()
