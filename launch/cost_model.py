#!/usr/bin/env python3
"""The data-parallel cost model of issue 14 (run through `launch/bench-mpi --model`).

Inputs (JSON lines, as strata-bench and strata-mpi-check print them):
  --profile FILE   `strata-bench train --profile` BENCH lines of 1 rank x 1 thread, one per workload: per-layer
                   forward/backward seconds and parameters, epoch seconds, batch size, steps
  --links FILE     `strata-mpi-check collectives` COLLECTIVE lines measured on emulated links: link, ranks, bytes,
                   op (allreduce), seconds (median)
  --measured FILE  optional BENCH lines of emulated-cluster runs (workload, link, ranks, traffic) to check against

Model (assumptions, printed with the table):
  - compute: each layer's forward and backward time is proportional to this rank's rows, b = ceil(B / p) of the
    global batch B (measured per step at p = 1); the rest of a step (loss, data, optimizer update: `overhead`) does
    not shrink with p (replicated update), except with ZeRO-1, where the update part (`update_share` of it, 1.0 by
    default: the update dominates for weight-heavy models) shrinks by p;
  - a collective of N bytes on p ranks costs the ring/Rabenseifner time: all-reduce 2(p-1) alpha + 2 (p-1)/p N beta,
    reduce-scatter and all-gather (p-1) alpha + (p-1)/p N beta each; alpha and beta fitted per link by least squares
    on the measured all-reduce times (at the measured rank counts);
  - overlap: buckets as the trainer makes them (1 MiB first, then 4 MiB, a layer never split, reverse layer order),
    each ready when backward has finished its layers, sent one after another on one channel; the step waits for
    the last one (step = forward + max(backward, last bucket's end) + overhead). Without overlap: after backward;
  - emulated nodes share this machine's cores: with --cores C, compute runs max(1, p / C) times slower (time
    sharing), which the check against emulated runs needs and the predictions for real clusters do not.
"""
import argparse, json, math, sys

MIB = 1 << 20


def lines(path):
    out = []
    for line in open(path):
        line = line.strip()
        for tag in ("BENCH ", "COLLECTIVE "):
            if line.startswith(tag):
                line = line[len(tag):]
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def fit_link(points):
    """alpha, beta from (p, bytes, seconds) all-reduce points: t = 2(p-1) a + 2(p-1)/p n b (least squares)."""
    sxx = sxy = syy = sxt = syt = 0.0
    for p, n, t in points:
        x, y = 2 * (p - 1), 2 * (p - 1) / p * n
        sxx += x * x; sxy += x * y; syy += y * y; sxt += x * t; syt += y * t
    det = sxx * syy - sxy * sxy
    if abs(det) < 1e-30:
        return 0.0, syt / syy
    a = (sxt * syy - syt * sxy) / det
    b = (sxx * syt - sxy * sxt) / det
    return max(a, 0.0), max(b, 1e-15)


class Workload:
    def __init__(self, r):
        self.name = r["workload"]
        prof = r["profile"]
        steps = max(prof["steps"], 1)
        self.batch = r["batch_size"]
        self.layers = [(l["name"], l["forward_s"] / steps, l["backward_s"] / steps, l.get("parameters", 0)) for l in prof["layers"]]
        step = prof["seconds"] / steps
        self.overhead = max(0.0, step - sum(f + b for _, f, b, _ in self.layers))
        self.params = sum(l[3] for l in self.layers)
        self.step1 = step

    def buckets(self, first=1 * MIB, cap=4 * MIB):
        """(ready layer index, bytes) in start order, as GradientBuckets makes them."""
        out, cur, ready, limit = [], 0, None, first
        for i in range(len(self.layers) - 1, -1, -1):
            n = self.layers[i][3] * 4
            if n == 0:
                continue
            cur += n; ready = i
            if cur >= limit:
                out.append((ready, cur)); cur = 0; limit = cap
        if cur:
            out.append((ready, cur))
        return out


def allreduce(n, p, a, b):
    return 0.0 if p == 1 else 2 * (p - 1) * a + 2 * (p - 1) / p * n * b


def predict(w, p, a, b, overlap, zero, cores=None, update_share=1.0):
    rows = math.ceil(w.batch / p)
    slow = max(1.0, p / cores) if cores else 1.0
    scale = rows / w.batch * slow
    fwd = sum(f for _, f, _, _ in w.layers) * scale
    bwd = [bk * scale for _, _, bk, _ in w.layers]
    overhead = w.overhead * slow
    if zero:
        overhead = overhead * (1 - update_share) + overhead * update_share / p
    total_bytes = w.params * 4
    if not overlap:
        comm = allreduce(total_bytes, p, a, b)  # (ZeRO: reduce-scatter + all-gather, the same bytes and latencies)
        return fwd + sum(bwd) + comm + overhead, comm, 0.0
    # backward finishes layer i at done[i] (after its own backward), last layer first
    done, t = {}, 0.0
    for i in range(len(w.layers) - 1, -1, -1):
        t += bwd[i]; done[i] = t
    end = 0.0
    comm = 0.0
    for ready, n in w.buckets():
        c = allreduce(n, p, a, b)
        comm += c
        end = max(end, done[ready]) + c
    exposed = max(0.0, end - t)
    return fwd + t + exposed + overhead, comm, (1 - exposed / comm) if comm > 0 else 1.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--links", required=True)
    ap.add_argument("--measured")
    ap.add_argument("--cores", type=int, help="cores shared by the emulated nodes (for the check against them)")
    ap.add_argument("--ranks", default="2,4,8,16,32,64,128,256,512")
    ap.add_argument("--predict-link", default="25gbit", help="a link for the table: a measured one, or RATE (e.g. 25gbit: "
                    "beta from the rate, alpha from the fastest measured link)")
    args = ap.parse_args()
    workloads = {r["workload"]: Workload(r) for r in lines(args.profile) if "profile" in r}
    by_link = {}
    for c in lines(args.links):
        by_link.setdefault(c["link"], []).append((c["ranks"], c["bytes"], c["seconds"]))
    links = {k: fit_link(v) for k, v in by_link.items()}
    print("== links (fitted on the measured all-reduce times: t = 2(p-1) alpha + 2(p-1)/p N beta)")
    for k, (a, b) in sorted(links.items()):
        pts = by_link[k]
        err = max(abs(allreduce(n, p, a, b) - t) / t for p, n, t in pts)
        print(f"{k:>8}: alpha {a * 1e6:8.1f} us, beta {b * 1e9:7.3f} ns/byte ({8 / b / 1e9:6.2f} Gbit/s effective), "
              f"{len(pts)} points, worst fit error {err * 100:.0f}%")
    if args.predict_link in links:
        pa, pb = links[args.predict_link]
    else:
        rate = args.predict_link.lower()
        mult = {"gbit": 1e9, "mbit": 1e6}
        unit = next(u for u in mult if rate.endswith(u))
        bits = float(rate[: -len(unit)]) * mult[unit]
        pa = min(a for a, _ in links.values()) if links else 0.0
        pb = 8 / bits
    print(f"\n== predictions on {args.predict_link}: alpha {pa * 1e6:.1f} us, beta {pb * 1e9:.3f} ns/byte; "
          "efficiency = samples/s on p ranks / (p x samples/s on 1)")
    ranks = [int(x) for x in args.ranks.split(",")]
    print(f"{'workload':<12} {'params':>9} {'step@1':>8}  " + " ".join(f"{p:>7}" for p in ranks))
    for name, w in sorted(workloads.items()):
        for label, ov, zero in (("replicated", False, False), ("overlap", True, False), ("overlap+zero1", True, True)):
            effs = []
            for p in ranks:
                step, _, _ = predict(w, p, pa, pb, ov, zero)
                effs.append(w.step1 / (p * step))
            print(f"{name if label == 'replicated' else '':<12} {w.params if label == 'replicated' else '':>9} "
                  f"{(f'{w.step1 * 1e3:.0f} ms' if label == 'replicated' else ''):>8}  "
                  + " ".join(f"{e * 100:6.0f}%" for e in effs) + f"  {label}")
    if args.measured:
        print("\n== model vs emulated-cluster runs (step time)")
        for m in lines(args.measured):
            w = workloads.get(m["workload"])
            if w is None or m.get("link") not in links:
                continue
            a, b = links[m["link"]]
            p = m["ranks"]
            ov = m.get("traffic", "default") != "one-buffer"
            secs = m["epoch_seconds"][1:] or m["epoch_seconds"]
            steps = math.ceil(m["samples"] / m["batch_size"])
            measured = sorted(secs)[len(secs) // 2] / steps
            step, comm, hidden = predict(w, p, a, b, ov, False, cores=args.cores)
            print(f"{w.name:<10} {m['link']:>7} {p} ranks {'overlap' if ov else 'one buffer':>10}: measured {measured * 1e3:7.1f} ms, "
                  f"model {step * 1e3:7.1f} ms ({(step / measured - 1) * 100:+.0f}%), model comm {comm * 1e3:.1f} ms, "
                  f"hidden {hidden * 100:.0f}%")


if __name__ == "__main__":
    main()
