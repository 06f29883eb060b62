import Dispatch
import Foundation
import Strata

/// The `collectives` mode: the time of each collective and message size on this job's ranks and links, for the
/// cost model (launch/cost_model.py fits latency and bandwidth on these). Ops: `allreduce` (`allReduceSum`, blocking
/// `MPI_Allreduce` in pieces), `iallreduce` (`startAllReduceSum` then `wait`: `MPI_Iallreduce` in the same pieces, all
/// in flight at once, which is what training's buckets do, and Open MPI runs it with other algorithms than the
/// blocking call), and ZeRO-1's halves `reduce_scatter` and `allgather` (`bareCollective`), each over
/// N bytes in all (N rounded down to whole floats per rank). After a barrier every rank times the call; a call's time
/// is the slowest rank's; the median over `repeats`. Rank 0 prints one `COLLECTIVE {json}` line per op and size:
/// link (the caller's label), ranks, bytes, op, seconds.
func collectivesCheck(_ comm: Communicator, link: String, sizes: [Int], repeats: Int = 7) throws {
    let mpi = comm as? MPICommunicator
    let ops: [BareCollective?] = [.allReduce, nil, .reduceScatter, .allGather]  // nil: iallreduce
    for op in ops {
        for bytes in sizes {
            let floats = max(comm.size, bytes / 4 / comm.size * comm.size)
            let buffer = Tensor(zeros: [floats], repeating: 1)
            func call() throws {
                guard let op else { return try comm.startAllReduceSum(buffer).wait() }
                guard op != .allReduce, let mpi else { return try comm.allReduceSum(buffer) }
                try mpi.bareCollective(op, buffer)
            }
            try call()  // warm-up: connections, registration
            var times: [Double] = []
            for _ in 0..<repeats {
                try comm.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                try call()
                times.append(try slowestRank(comm, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            }
            let median = times.sorted()[times.count / 2]
            if comm.rank == 0 {
                let json: [String: Any] = [
                    "link": link, "ranks": comm.size, "bytes": floats * 4, "op": op?.rawValue ?? "iallreduce", "seconds": median,
                ]
                let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
                print("COLLECTIVE " + text)
            }
        }
    }
}

/// The `progress` mode: how much of an all-reduce started with `startAllReduceSum` (training's overlapped buckets)
/// is hidden while the rank computes. Open MPI moves bytes only inside MPI calls, and the trainer calls `test`
/// between layers, so what hides depends on the gaps between those calls: for each gap (seconds) and `tests` calls
/// (1...3), every rank starts the all-reduce of `bytes`, then `tests` times busy-computes for the gap and calls
/// `test`, then waits. Rank 0 prints `PROGRESS {json}`: link, ranks, bytes, gap_s, tests, alone_s (start then
/// wait at once), exposed_s (the wait after the gaps); medians over `repeats`, slowest rank. With `thread`, the
/// all-reduce is handed to the progress thread (`startAllReduceSum(_:background:)`), the line says
/// `"progress_thread": true`, and each gap is also run as a fixed amount of work (see `threadOverlapCheck`); with
/// `fixedOnly`, only that.
func progressCheck(
    _ comm: Communicator, link: String, bytes: Int, gaps: [Double], thread: Bool = false, fixedOnly: Bool = false,
    repeats: Int = 3
) throws {
    let buffer = Tensor(zeros: [max(1, bytes / 4)], repeating: 1)
    func slowest(_ seconds: Double) throws -> Double { try slowestRank(comm, seconds) }
    /// Busy work for `seconds` of wall time, as a layer's compute would be.
    func compute(_ seconds: Double) {
        let end = now() + seconds
        var x = 1.0
        while now() < end { for _ in 0..<1000 { x = x * 1.000_000_1 + 1e-9 } }
        if x < 0 { print(x) }
    }
    /// One start, `tests` gaps each followed by `test`, then the wait: the seconds of the wait.
    func exposed(gap: Double, tests: Int) throws -> Double {
        try comm.barrier()
        let pending = try comm.startAllReduceSum(buffer, background: thread)
        for _ in 0..<tests {
            compute(gap)
            _ = try pending.test()
        }
        let start = now()
        try pending.wait()
        return try slowest(now() - start)
    }
    _ = try exposed(gap: 0, tests: 0)  // warm-up
    let alone = AllReduceBenchmark.median(try (0..<repeats).map { _ in try exposed(gap: 0, tests: 0) })
    for gap in fixedOnly && thread ? [] : gaps {
        for tests in 1...3 {
            let waits = try (0..<repeats).map { _ in try exposed(gap: gap, tests: tests) }
            if comm.rank == 0 {
                let json: [String: Any] = [
                    "link": link, "ranks": comm.size, "bytes": buffer.count * 4, "gap_s": gap, "tests": tests, "alone_s": alone,
                    "exposed_s": AllReduceBenchmark.median(waits),
                ].merging(thread ? ["progress_thread": true] : [:]) { a, _ in a }
                let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
                print("PROGRESS " + text)
            }
        }
    }
    if thread { try threadOverlapCheck(comm, link: link, buffer: buffer, gaps: gaps, alone: alone, repeats: repeats) }
}

/// What a started all-reduce costs while the rank computes, with the progress thread: wall-time gaps (above) hide
/// what the thread moves but not the CPU it and the TCP stack take from the compute, which on a machine with no
/// spare core makes the compute itself slower. Here each gap is a fixed amount of busy work (calibrated on every rank
/// at once with nothing in flight, so each rank's units take about `gap` seconds), run in alternation with nothing in
/// flight (`quiet_work_s`) and with the all-reduce started before it (`work_s`, then the wait: `exposed_s`);
/// `step_s` is the slowest rank's work + wait. Medians over `repeats`. Rank 0 prints `PROGRESS {json}` lines with
/// `"fixed_work": true` and `alone_s` as above.
func threadOverlapCheck(_ comm: Communicator, link: String, buffer: Tensor, gaps: [Double], alone: Double, repeats: Int) throws {
    func slowest(_ seconds: Double) throws -> Double { try slowestRank(comm, seconds) }
    var x = 1.0
    /// `units` x 1000 dependent multiply-adds: the same work whatever else runs; returns its wall seconds.
    func work(_ units: Int) -> Double {
        let start = now()
        for _ in 0..<units { for _ in 0..<1000 { x = x * 1.000_000_1 + 1e-9 } }
        return now() - start
    }
    // Calibration: every rank busy at once for ~0.3 s, nothing in flight.
    try comm.barrier()
    var units = 0
    let calibrationStart = now()
    while now() - calibrationStart < 0.3 {
        _ = work(100)
        units += 100
    }
    let perSecond = Double(units) / (now() - calibrationStart)
    for gap in gaps {
        let n = max(1, Int(gap * perSecond))
        var quiet: [Double] = [], busy: [Double] = [], waits: [Double] = [], steps: [Double] = []
        for _ in 0..<repeats {
            try comm.barrier()
            quiet.append(try slowest(work(n)))
            try comm.barrier()
            let pending = try comm.startAllReduceSum(buffer, background: true)
            let busySeconds = work(n)
            let waitStart = now()
            try pending.wait()
            let waitSeconds = now() - waitStart
            busy.append(try slowest(busySeconds))
            waits.append(try slowest(waitSeconds))
            steps.append(try slowest(busySeconds + waitSeconds))
        }
        if comm.rank == 0 {
            let json: [String: Any] = [
                "link": link, "ranks": comm.size, "bytes": buffer.count * 4, "gap_s": gap, "tests": 0, "alone_s": alone,
                "progress_thread": true, "fixed_work": true, "quiet_work_s": AllReduceBenchmark.median(quiet),
                "work_s": AllReduceBenchmark.median(busy), "exposed_s": AllReduceBenchmark.median(waits),
                "step_s": AllReduceBenchmark.median(steps),
            ]
            let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
            print("PROGRESS " + text)
        }
    }
    if x < 0 { print(x) }
}

/// Seconds on the monotonic clock.
private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The largest of every rank's `seconds` (a collective's time is its slowest rank's).
private func slowestRank(_ comm: Communicator, _ seconds: Double) throws -> Double {
    var mine = [Double](repeating: 0, count: comm.size)
    mine[comm.rank] = seconds
    try comm.allReduceSum(&mine)
    return mine.max()!
}
