// strata-bench: the Strata side of launch/bench (issue 8). Three modes:
//
//   prepare CONFIG DIR [--train N] [--set k=v ...]
//       writes the config's data once (synthetic or HDF5, after its transforms; the first N training samples)
//       to DIR/data.h5 (x_train, y_train, x_val, y_val) and its model to DIR/model.json (Keras class names and
//       arguments, optimizer, loss, batch size, shuffle), which launch/bench_keras.py builds in Keras.
//   train CONFIG DIR [--epochs E] [--profile] [--step-seconds] [--sgemm] [--single-process] [--no-reference]
//                    [--set k=v ...]
//       trains the config's model on DIR/data.h5 (under mpirun: data-parallel on every rank) and prints one line
//       `BENCH {json}` on rank 0: seconds per epoch, samples, peak RSS per rank, OpenBLAS kernel and threads,
//       and with --profile the forward/backward seconds per layer over the epochs after the first; under mpirun
//       also the all-reduce against bare MPI_Allreduce calls timed after training (not with --no-reference).
//       With --profile or --step-seconds also rank 0's seconds of each step after the first epoch and when each
//       began (the host's monotonic clock, shared by processes running at once); with --profile or --sgemm the
//       sgemm rate of every rank at once with the run's threads, measured after training (`sgemm_gflops`).
//   gemm
//       sgemm GFLOP/s (BLAS.gemm, this process's OpenBLAS kernel and threads) for a 1024^3 product and for the
//       forward and backward GEMM shapes of the workloads' convolutions (im2col rows x patch x filters), so the
//       convolutions' rate can be compared with the sgemm ceiling.
//   checkpoint-io CONFIG... [--repeats N]
//       checkpoint write/read/verify seconds with and without checksums (CheckpointIO.swift).
//   report RESULTS.jsonl [--csv FILE] [--json FILE]
//       prints the table of a run's results (one JSON object per line) and writes it as CSV / JSON.
import ArgumentParser
import Foundation
import Strata
import StrataRun

@main
struct StrataBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-bench", abstract: "The Strata side of launch/bench (see launch/bench --help).",
        subcommands: [Prepare.self, Train.self, Gemm.self, CheckpointIOCommand.self, Report.self])

    /// Runs `body`, turning errors into one clear line and exit code 1.
    static func guarded(_ body: () throws -> Void) throws {
        do { try body() } catch {
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            FileHandle.standardError.write(Data("strata-bench: error: \(text)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a config's data to DIR/data.h5 and its model to DIR/model.json.")
    @Argument var config: String
    @Argument var dir: String
    @Option(help: "Only the first N training samples.") var train: Int?
    @Option(name: .customLong("set"), help: "Override a config value (repeatable).") var sets: [String] = []
    func run() throws { try StrataBench.guarded { try prepare(config, dir, limit: train, sets: sets) } }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train the config's model on DIR/data.h5; print one BENCH line.")
    @Argument var config: String
    @Argument var dir: String
    @Option var epochs = 3
    @Flag var profile = false
    @Flag var singleProcess = false
    @Option(help: "Stream the training data from the file through a read-ahead window of this many MiB.") var streaming: Int?
    @Option(name: .customLong("set"), help: "Override a config value (repeatable).") var sets: [String] = []
    @Flag(help: "Skip the bare all-reduce references timed after training (a minute over a 1 Gbit/s link).")
    var noReference = false
    @Flag(help: "Record each step's seconds after the first epoch (also with --profile).") var stepSeconds = false
    @Flag(help: "Measure the same-run sgemm rate after training (also with --profile).") var sgemm = false
    func run() throws {
        try StrataBench.guarded {
            try train(
                config, dir, epochs: epochs, profile: profile, single: singleProcess, streaming: streaming, sets: sets,
                reference: !noReference, steps: stepSeconds || profile, sgemm: sgemm || profile)
        }
    }
}

struct Gemm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "sgemm GFLOP/s for the workloads' GEMM shapes.")
    func run() { gemm() }
}

struct CheckpointIOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint-io",
        abstract: "Checkpoint write/read/verify seconds with and without checksums.")
    @Argument var configs: [String]
    @Option var repeats = 5
    func run() throws { try StrataBench.guarded { try checkpointIO(configs, repeats: repeats) } }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a run's results table; write it as CSV / JSON.")
    @Argument var results: String
    @Option var csv: String?
    @Option var json: String?
    func run() throws { try StrataBench.guarded { try report(results, csvPath: csv, jsonPath: json) } }
}

/// Seconds of each epoch (wall time, rank 0's clock), and the per-layer timer reset after the first epoch.
final class EpochTimer: Callback {
    var seconds: [Double] = []
    /// Bytes of optimizer slots this rank held during training (1/p of them under ZeRO-1).
    var slotBytes = 0
    var start = DispatchTime.now()
    let timer: LayerTimer?
    init(timer: LayerTimer?) { self.timer = timer }
    var readsWeightsEachBatch: Bool { false }
    /// With the timer: per pool thread, the chunks it ran and their seconds after the first epoch (`ThreadPool.chunkTally`).
    var chunkTally: [(chunks: Int, seconds: Double, loops: Int)] = []
    var chunkLoops = 0
    /// With `recordsSteps`, after the first epoch: when each step began (seconds on the host's monotonic clock, the
    /// same in every process) and how long it took, so launch/cost_model.py can cost a synchronous step as the
    /// slowest of p ranks' steps (processes run at once share the clock: their steps can be lined up).
    var recordsSteps = false
    var stepStarts: [Double] = [], stepSeconds: [Double] = []
    private var stepBegan: UInt64 = 0
    /// The threads' CPU when the first epoch ended, and the compute thread's CPU and wall seconds inside the
    /// collectives then (`collectives`' counters), and the steps since: `thread_cpu` is their growth after it.
    var cpuAfterFirst = ThreadCPU()
    var collectives: AllReduceTimer?
    var collectiveCPUAfterFirst = 0.0, collectiveWallAfterFirst = 0.0
    var stepsAfterFirst = 0
    func onEpochBegin(_ epoch: Int, context: TrainingContext) throws {
        if timer != nil { context.pool.recordsChunks = true }
        start = DispatchTime.now()
    }
    func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
        seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9)
        if seconds.count == 1 {
            timer?.reset()
            context.pool.resetChunkTally()
        }
        if timer != nil { (chunkTally, chunkLoops) = (context.pool.chunkTally, context.pool.chunkLoops) }
        if seconds.count == 1 { (stepStarts, stepSeconds) = ([], []) }
        if seconds.count == 1 {
            cpuAfterFirst = ThreadCPU.now()
            (collectiveCPUAfterFirst, collectiveWallAfterFirst) = (collectives?.cpuSeconds ?? 0, collectives?.collectiveSeconds ?? 0)
        }
        slotBytes = context.model.optimizerState!.slots.reduce(0) { $0 + $1.count * 4 }
    }
    func onBatchBegin(_ batch: Int, context: TrainingContext) throws {
        if recordsSteps { stepBegan = DispatchTime.now().uptimeNanoseconds }
    }
    func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
        if !seconds.isEmpty { stepsAfterFirst += 1 }
        guard recordsSteps else { return }
        stepStarts.append(Double(stepBegan) * 1e-9)
        stepSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - stepBegan) * 1e-9)
    }
}

/// Every row of `d` (the first `limit`) as one tensor pair.
func materialize(_ d: Dataset, limit: Int?) throws -> (Tensor, Tensor?) {
    let n = min(d.count, limit ?? d.count)
    let x = Tensor(zeros: [n] + d.xShape)
    let y = d.yShape.map { Tensor(zeros: [n] + $0) }
    try d.read(Array(0..<n)[...], x: x, y: y)
    return (x, y)
}

func prepare(_ configPath: String, _ dir: String, limit: Int?, sets: [String]) throws {
    let config = try RunConfig.load(configPath, overrides: sets)
    let runner = Runner(config: config, communicator: SingleProcess())
    guard let train = try runner.dataset("train", openFile: Files.open) else {
        throw StrataError.usage("\(configPath) has no training data", hint: "give the config data.train or data.synthetic")
    }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let file = try HDF5.File.create(dir + "/data.h5")
    let (x, y) = try materialize(train, limit: limit)
    try file.write("x_train", x)
    if let y { try file.write("y_train", y) }
    if let v = try runner.dataset("validation", openFile: Files.open) {
        let (vx, vy) = try materialize(v, limit: nil)
        try file.write("x_val", vx)
        if let vy { try file.write("y_val", vy) }
    }
    try file.flush()
    let model: JSONValue = .object([
        "name": .string(config.name),
        "seed": config.seed.map { Int(exactly: $0).map { JSONValue.int($0) } ?? .string(String($0)) } ?? 0,
        "layers": .array(config.layers.map { .object(["class_name": .string($0.className), "config": .object($0.config)]) }),
        "optimizer": .object(["name": .string(config.optimizer.name), "args": .object(config.optimizer.arguments)]),
        "loss": .string(config.loss),
        "metrics": .array(config.metrics.map { .string($0) }),
        "batch_size": JSONValue(config.batchSize),
        "shuffle": .bool(config.shuffle),
        "train_samples": JSONValue(x.shape[0]),
    ])
    try model.jsonText.write(toFile: dir + "/model.json", atomically: true, encoding: .utf8)
}

func train(
    _ configPath: String, _ dir: String, epochs: Int, profile: Bool, single: Bool, streaming: Int? = nil, sets: [String],
    reference: Bool = true, steps: Bool = false, sgemm measureSgemm: Bool = false
) throws {
    let config = try RunConfig.load(configPath, overrides: sets)
    let world: Communicator = single ? SingleProcess() : try MPICommunicator.automatic()
    let mpi = world as? MPICommunicator
    let timed = mpi.map(AllReduceTimer.init)
    timed?.cpuClock = ThreadCPU.callingThread
    let comm: Communicator = timed ?? world
    let runner = Runner(config: config, communicator: comm)
    let model = try runner.makeModel()
    let path = dir + "/data.h5"
    let mode = streaming.map { HDF5Dataset.Mode.streaming(bufferBytes: $0 << 20) } ?? .automatic
    let train = try HDF5Dataset(path: path, x: "x_train", y: "y_train", mode: mode)
    let hasVal = (try? HDF5Dataset(path: path, x: "x_val", y: "y_val")) != nil
    let validation = hasVal ? try HDF5Dataset(path: path, x: "x_val", y: "y_val") : nil
    let timer = profile ? LayerTimer() : nil
    let clock = EpochTimer(timer: timer)
    clock.recordsSteps = steps
    clock.collectives = timed
    model.layerTimer = timer
    _ = try model.fit(
        train, batchSize: config.batchSize, epochs: epochs, verbose: 0, callbacks: [clock],
        validationData: validation, shuffle: config.shuffle, communicator: comm)
    let cpu = ThreadCPU.now() - clock.cpuAfterFirst
    let collectiveCPU = (timed?.cpuSeconds ?? 0) - clock.collectiveCPUAfterFirst
    let collectiveWall = (timed?.collectiveSeconds ?? 0) - clock.collectiveWallAfterFirst
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    var rss = Array(repeating: 0.0, count: comm.size)
    rss[comm.rank] = Double(usage.ru_maxrss) / 1024  // Linux reports KiB
    try comm.allReduceSum(&rss)
    var slots = Array(repeating: 0.0, count: comm.size), update = slots, gather = slots
    slots[comm.rank] = Double(clock.slotBytes) / 1_048_576
    update[comm.rank] = (timer?.updateSeconds ?? 0) / Double(max(timer?.updates ?? 1, 1))
    // Per step (an overlapped gather is several pieces a step): what the step waited for the weights.
    gather[comm.rank] = (timed?.gatherSeconds ?? 0) / Double(max(model.optimizerState?.iterations ?? 1, 1))
    try comm.allReduceSum(&slots)
    try comm.allReduceSum(&update)
    try comm.allReduceSum(&gather)
    // Each rank's seconds in its layers and waiting at the row exchange: the profile's rates are rank 0's, and a
    // slower rank shows here (rank 0 then waits for it in the all-reduce or the row exchange, in "rest").
    var layerTotal = Array(repeating: 0.0, count: comm.size), waited = layerTotal
    layerTotal[comm.rank] = timer.map { $0.forwardSeconds.reduce(0, +) + $0.backwardSeconds.reduce(0, +) } ?? 0
    waited[comm.rank] = timer.map { $0.phaseSeconds[LayerTimer.Phase.allCases.firstIndex(of: .rowWait)!] } ?? 0
    try comm.allReduceSum(&layerTotal)
    try comm.allReduceSum(&waited)
    let allReduce = reference ? try timed.flatMap { try AllReduceBenchmark($0, mpi!, floats: model.stepBufferCount) } : nil
    let sgemm = measureSgemm ? try sameRunSgemmRate(comm) : nil
    guard comm.rank == 0 else { return }
    let gradients = model.communication.resolved(for: comm)
    var out: [String: JSONValue] = [
        "engine": .string("strata"),
        "epoch_seconds": .array(clock.seconds.map { .number($0) }),
        "samples": JSONValue(train.count),
        "validation_samples": JSONValue(validation?.count ?? 0),
        "batch_size": JSONValue(config.batchSize),
        "ranks": JSONValue(comm.size),
        "threads": JSONValue(comm.threadsPerRank),
        "kernel": .string(BLAS.coreName),
        "peak_rss_mb": .array(rss.map { .number(($0 * 10).rounded() / 10) }),
        "parameters": JSONValue(model.countParams()),
        "streaming_mib": streaming.map { JSONValue($0) } ?? .null,
        "optimizer_slot_mb": .array(slots.map { .number(($0 * 100).rounded() / 100) }),
        "sharded_optimizer": .bool(model.communication.shardOptimizer),
        // Whether ZeRO-1's weight all-gather ran in pieces overlapped with the next forward (`WeightGather`): the
        // sharded run's gradients overlap and `overlap_weight_gather` is on (launch/cost_model.py costs it).
        "zero_gather_overlapped": .bool(
            model.communication.shardOptimizer && comm.size > 1 && gradients.options.overlap
                && gradients.options.overlapWeightGather),
        // Whether a progress thread drove the buckets (launch/cost_model.py picks its overlap engine from it).
        "progress_thread": .bool(
            gradients.options.overlap && gradients.options.progressThread && (mpi?.progressAvailable ?? false)),
        // The gradient path that ran and why (topology or the config).
        "gradient_path": .string(gradients.name), "gradient_path_reason": .string(gradients.reason),
        // The format dense gradients travelled in (`GradientCompression`; none on one process, where nothing travels).
        "gradient_compression": .string(gradients.options.compression.rawValue),
    ]
    if timer != nil {  // per step, each rank: the optimizer step, and ZeRO-1's weight all-gather
        out["update_ms"] = .array(update.map { .number(($0 * 1e5).rounded() / 100) })
        out["allgather_ms"] = .array(gather.map { .number(($0 * 1e5).rounded() / 100) })
        out["pool_chunks"] = .array(clock.chunkTally.map { JSONValue($0.chunks) })
        out["pool_chunk_seconds"] = .array(clock.chunkTally.map { .number(($0.seconds * 1e4).rounded() / 1e4) })
        out["pool_chunk_loops"] = .array(clock.chunkTally.map { JSONValue($0.loops) })
        out["pool_loops"] = JSONValue(clock.chunkLoops)
    }
    if let sgemm { out["sgemm_gflops"] = .number(sgemm) }
    // Rank 0's CPU seconds after the first epoch, by thread, and the compute thread's CPU and wall seconds inside the
    // collectives: launch/cost_model.py costs what a path takes in CPU beyond the compute from them.
    let ms = { (s: Double) -> JSONValue in .number((s * 1e6).rounded() / 1e6) }
    out["thread_cpu"] = .object([
        "steps": JSONValue(clock.stepsAfterFirst), "compute_s": ms(cpu.compute), "progress_s": ms(cpu.progress),
        "other_s": ms(cpu.other), "collective_cpu_s": ms(collectiveCPU), "collective_wall_s": ms(collectiveWall),
    ])
    if steps {
        out["step_starts"] = .array(clock.stepStarts.map { .number(($0 * 1e6).rounded() / 1e6) })
        out["step_seconds"] = .array(clock.stepSeconds.map { .number(($0 * 1e6).rounded() / 1e6) })
    }
    if let a = allReduce {
        let us = { (s: Double) -> JSONValue in .number((s * 1e7).rounded() / 10) }
        out["allreduce"] = .object([
            "floats": JSONValue(a.floats), "calls": JSONValue(a.calls),
            "step_wait_us": us(a.stepWait), "step_us": us(a.step), "plain_us": us(a.plain),
            "pieces_us": us(a.pieces), "cold_us": us(a.cold),
        ])
    }
    if let timed {
        out["small_allreduce"] = .object(["calls": JSONValue(timed.smallCalls), "seconds": .number(timed.smallSeconds)])
    }
    if let timer {
        let layers: [JSONValue] = model.layers.indices.map { i in
            let counted = model.layers[i] as? FlopCounting
            return .object([
                "name": .string(model.layers[i].name),
                "forward_s": .number(i < timer.forwardSeconds.count ? timer.forwardSeconds[i] : 0),
                "backward_s": .number(i < timer.backwardSeconds.count ? timer.backwardSeconds[i] : 0),
                "forward_flops": .number(counted?.forwardFlopsPerSample ?? 0),
                "backward_flops": .number(counted?.backwardFlopsPerSample(needsInputGradient: i > 0) ?? 0),
                "parameters": JSONValue(model.layerWeights[i].reduce(0) { $0 + $1.count }),
            ])
        }
        out["profile"] = .object([
            "steps": JSONValue(timer.steps), "layers": .array(layers),
            "seconds": .number(clock.seconds.dropFirst().reduce(0, +)),
            "forward_samples": JSONValue(timer.forwardSamples), "backward_samples": JSONValue(timer.backwardSamples),
            "sgemm_gflops": .number(sgemm ?? 0),
            "rank_layer_s": .array(layerTotal.map { .number($0) }), "rank_row_wait_s": .array(waited.map { .number($0) }),
            // The step's work outside the layers, by phase (rank 0), then the optimizer step.
            "phases": .array(
                zip(LayerTimer.Phase.allCases, timer.phaseSeconds).map { .object(["name": .string($0.rawValue), "s": .number($1)]) }
                    + [.object(["name": .string("optimizer update"), "s": .number(timer.updateSeconds)])]),
        ])
    }
    print("BENCH " + JSONValue.object(out).jsonText)
}

/// Steady-state samples/s of one result: training samples over the median epoch after the first.
func samplesPerSecond(_ r: JSONValue) -> Double {
    let secs = r["epoch_seconds"]?.arrayValue?.compactMap(\.doubleValue) ?? []
    let steady = secs.count > 1 ? Array(secs.dropFirst()) : secs
    return (r["samples"]?.doubleValue ?? 0) / AllReduceBenchmark.median(steady)
}

func report(_ resultsPath: String, csvPath: String?, jsonPath: String?) throws {
    let lines = try String(contentsOfFile: resultsPath, encoding: .utf8).split(separator: "\n")
    let results = try lines.map { try JSONValue.parse(String($0)) }
    func s(_ r: JSONValue, _ k: String) -> String { r[k]?.stringValue ?? r[k].map(\.jsonText) ?? "" }
    struct Row { var workload, engine, setup, kernel: String; var sps, epoch, rss: Double; var ratio, speedup: Double? }
    var rows: [Row] = []
    for r in results {
        let sps = samplesPerSecond(r)
        let rssList = r["peak_rss_mb"]?.arrayValue?.compactMap(\.doubleValue) ?? [r["peak_rss_mb"]?.doubleValue ?? .nan]
        let engine = s(r, "engine")
        let setup = engine != "keras" ? "\(s(r, "ranks"))r x \(s(r, "threads"))t" : "\(s(r, "backend")) \(s(r, "threads"))t"
        rows.append(
            Row(
                workload: s(r, "workload"), engine: engine, setup: setup, kernel: s(r, "kernel"), sps: sps,
                epoch: (r["samples"]?.doubleValue ?? 0) / sps, rss: rssList.max() ?? .nan, ratio: nil, speedup: nil))
    }
    // Ratio: each Strata row (and "before" row of --baseline) against the best Keras row of its workload.
    var bestPeer: [String: Double] = [:]
    for r in rows where r.engine == "keras" { bestPeer[r.workload] = max(bestPeer[r.workload] ?? 0, r.sps) }
    for i in rows.indices where rows[i].engine != "keras" {
        if let b = bestPeer[rows[i].workload], b > 0 { rows[i].ratio = rows[i].sps / b }
    }
    // Speed-up: each Strata row against the "before" row (--baseline) of the same workload, setup and kernel.
    for i in rows.indices where rows[i].engine == "strata" {
        if let b = rows.first(where: {
            $0.engine == "before" && $0.workload == rows[i].workload && $0.setup == rows[i].setup
                && $0.kernel == rows[i].kernel
        }) {
            rows[i].speedup = rows[i].sps / b.sps
        }
    }
    func pad(_ t: String, _ w: Int, left: Bool = false) -> String {
        t.count >= w ? t : (left ? String(repeating: " ", count: w - t.count) + t : t + String(repeating: " ", count: w - t.count))
    }
    let header = [
        pad("workload", 14), pad("engine", 7), pad("setup", 10), pad("kernel", 10), pad("samples/s", 11, left: true),
        pad("s/epoch", 9, left: true), pad("peak RSS MB", 12, left: true), pad("vs best peer", 13, left: true),
        pad("vs before", 10, left: true),
    ]
    print(header.joined(separator: " "))
    var csv = "workload,engine,setup,kernel,samples_per_s,s_per_epoch,peak_rss_mb,ratio_vs_best_peer,speedup_vs_before\n"
    var json: [JSONValue] = []
    for r in rows {
        let ratio = r.ratio.map { String(format: "%.2fx", $0) } ?? ""
        print(
            [
                pad(r.workload, 14), pad(r.engine, 7), pad(r.setup, 10), pad(r.kernel, 10),
                pad(String(format: "%.0f", r.sps), 11, left: true), pad(String(format: "%.3f", r.epoch), 9, left: true),
                pad(String(format: "%.0f", r.rss), 12, left: true), pad(ratio, 13, left: true),
                pad(r.speedup.map { String(format: "%.2fx", $0) } ?? "", 10, left: true),
            ].joined(separator: " "))
        csv +=
            "\(r.workload),\(r.engine),\(r.setup),\(r.kernel),\(String(format: "%.1f", r.sps)),\(String(format: "%.4f", r.epoch)),"
            + "\(String(format: "%.1f", r.rss)),\(r.ratio.map { String(format: "%.3f", $0) } ?? ""),"
            + "\(r.speedup.map { String(format: "%.3f", $0) } ?? "")\n"
        json.append(
            .object([
                "workload": .string(r.workload), "engine": .string(r.engine), "setup": .string(r.setup),
                "kernel": .string(r.kernel), "samples_per_s": .number(r.sps), "s_per_epoch": .number(r.epoch),
                "peak_rss_mb": .number(r.rss), "ratio_vs_best_peer": r.ratio.map { .number($0) } ?? .null,
                "speedup_vs_before": r.speedup.map { .number($0) } ?? .null,
            ]))
    }
    // Scaling: 1 rank x 2 threads and 2 ranks x 1 thread against 1 rank x 1 thread, same workload and kernel
    // (issues 8, 14 and 17 ask >= 1.8x), each next to the machine's own scaling in the same run: the sgemm rate the
    // same setups reached (`sgemm_gflops`, every rank at once) over 1 rank x 1 thread's.
    func sgemmRate(_ r: JSONValue) -> Double? {
        (r["sgemm_gflops"] ?? r["profile"]?["sgemm_gflops"])?.doubleValue.flatMap { $0 > 0 ? $0 : nil }
    }
    let strata = results.filter { s($0, "engine") == "strata" }
    let scaling = strata.filter { s($0, "ranks") == "1" && s($0, "threads") == "1" }.compactMap { one -> String? in
        let base = samplesPerSecond(one)
        let cells = ["1r x 2t", "2r x 1t"].compactMap { setup -> String? in
            guard
                let other = strata.first(where: {
                    "\(s($0, "ranks"))r x \(s($0, "threads"))t" == setup && s($0, "workload") == s(one, "workload")
                        && s($0, "kernel") == s(one, "kernel")
                }), base > 0
            else { return nil }
            let ratio = samplesPerSecond(other) / base
            guard let a = sgemmRate(one), let b = sgemmRate(other) else {
                return setup + String(format: " %.2fx", ratio)
            }
            return setup + String(format: " %.2fx  sgemm %.2fx  share %.2f", ratio, b / a, ratio / (b / a))
        }
        guard !cells.isEmpty else { return nil }
        return "  " + pad(s(one, "workload"), 14) + " " + pad(s(one, "kernel"), 10) + " " + cells.joined(separator: "    ")
    }
    if !scaling.isEmpty {
        print("\nscaling over 1 rank x 1 thread (samples/s), each next to the machine's own in the same run: the sgemm rate")
        print("(1024^3, every rank at once) of the same setup over 1 rank x 1 thread's; share = the first / the second:")
        scaling.forEach { print($0) }
    }
    let reduces = results.filter { $0["allreduce"] != nil }
    if !reduces.isEmpty {
        print("\nall-reduce per training step vs one bare MPI_Allreduce of the same floats after a barrier, same process;")
        print("both from the last rank's arrival to the last rank's return (median); the bare call also with caches")
        print("filled by other data first (as after backward); \"in pieces\": allReduceSum's 4 MiB pieces outside")
        print("training; \"in call\": a rank's mean time in the step's all-reduce, waiting for the slower rank included:")
        for r in reduces {
            let a = r["allreduce"]!, step = a["step_us"]?.doubleValue ?? .nan, plain = a["plain_us"]?.doubleValue ?? .nan
            print(
                "  " + pad(s(r, "workload"), 14) + " " + pad("\(s(r, "ranks"))r x \(s(r, "threads"))t \(s(r, "kernel"))", 18)
                    + String(
                        format: " %9.0f floats  step %8.1f us  plain %8.1f us (%.2fx)  cold caches %8.1f us (%.2fx)"
                            + "  in pieces %8.1f us  in call %8.1f us",
                        a["floats"]?.doubleValue ?? 0, step, plain, step / plain, a["cold_us"]?.doubleValue ?? .nan,
                        step / (a["cold_us"]?.doubleValue ?? .nan), a["pieces_us"]?.doubleValue ?? .nan,
                        a["step_wait_us"]?.doubleValue ?? .nan))
        }
    }
    for r in results {
        guard let p = r["profile"], let layers = p["layers"]?.arrayValue else { continue }
        let total = p["seconds"]?.doubleValue ?? 0
        print(
            "\nprofile \(s(r, "workload")) \(s(r, "ranks"))r x \(s(r, "threads"))t \(s(r, "kernel")): "
                + "\(String(format: "%.3f", total)) s after the first epoch, \(s(p, "steps")) forward passes "
                + "(training and validation batches; rank 0)")
        // GFLOP/s of the counted layers (conv, dense) for all ranks together (rank 0's time, every rank's samples)
        // against the sgemm rate of the same ranks and threads measured at the end of the same run.
        let ranks = r["ranks"]?.doubleValue ?? 1, sgemm = p["sgemm_gflops"]?.doubleValue ?? 0
        let fs = p["forward_samples"]?.doubleValue ?? 0, bs = p["backward_samples"]?.doubleValue ?? 0
        var inLayers = 0.0, trainFlops = 0.0
        for l in layers {
            let f = l["forward_s"]?.doubleValue ?? 0, b = l["backward_s"]?.doubleValue ?? 0
            let ff = l["forward_flops"]?.doubleValue ?? 0, bf = l["backward_flops"]?.doubleValue ?? 0
            inLayers += f + b
            trainFlops += ff + bf
            let rate = (ff * fs + bf * bs) * ranks / max(f + b, 1e-12) / 1e9
            let vs = ff > 0 && sgemm > 0 ? String(format: "  %6.1f GFLOP/s (%3.0f%% of sgemm)", rate, 100 * rate / sgemm) : ""
            print(
                "  " + pad(s(l, "name"), 22)
                    + String(
                        format: " forward %8.4f s  backward %8.4f s  (%4.1f%%)", f, b,
                        100 * (f + b) / max(total, 1e-12)) + vs)
        }
        if sgemm > 0 && trainFlops > 0 {
            let rate = trainFlops * samplesPerSecond(r) / 1e9
            print(
                String(
                    format:
                        "  training: %.3f GFLOP/sample x %.1f samples/s = %.1f GFLOP/s = %.0f%% of the same run's sgemm (%.1f GFLOP/s, 1024^3, %@r x %@t)",
                    trainFlops / 1e9, samplesPerSecond(r), rate, 100 * rate / sgemm, sgemm, s(r, "ranks") as NSString,
                    s(r, "threads") as NSString))
        }
        print(
            "  " + pad("rest (loss, metrics, optimizer, all-reduce, data, callbacks)", 22)
                + String(format: " %8.4f s (%4.1f%%)", total - inLayers, 100 * (total - inLayers) / max(total, 1e-12)))
        var named = 0.0
        for phase in p["phases"]?.arrayValue ?? [] {
            let t = phase["s"]?.doubleValue ?? 0
            named += t
            print("    " + pad(s(phase, "name"), 30) + String(format: " %8.4f s (%4.1f%%)", t, 100 * t / max(total, 1e-12)))
        }
        if p["phases"] != nil {
            let other = total - inLayers - named
            print(
                "    " + pad("other (callbacks, progress...)", 30)
                    + String(format: " %8.4f s (%4.1f%%)", other, 100 * other / max(total, 1e-12)))
        }
        let byRank = (p["rank_layer_s"]?.arrayValue ?? []).compactMap(\.doubleValue)
        let waits = (p["rank_row_wait_s"]?.arrayValue ?? []).compactMap(\.doubleValue)
        if byRank.count > 1, waits.count == byRank.count, let first = byRank.first, first > 0 {
            print(
                "  each rank, layers / row exchange wait: "
                    + byRank.indices.map { String(format: "rank %d %.3f / %.3f s", $0, byRank[$0], waits[$0]) }
                    .joined(separator: ", ") + String(format: " (slowest layers / rank 0's: %.2fx)", byRank.max()! / first))
        }
        let chunks = (r["pool_chunks"]?.arrayValue ?? []).compactMap(\.doubleValue)
        let chunkSeconds = (r["pool_chunk_seconds"]?.arrayValue ?? []).compactMap(\.doubleValue)
        let joined = (r["pool_chunk_loops"]?.arrayValue ?? []).compactMap(\.doubleValue)
        if chunks.count > 1, chunkSeconds.count == chunks.count, joined.count == chunks.count {
            let all = max(chunks.reduce(0, +), 1), loops = p["pool_loops"]?.doubleValue ?? r["pool_loops"]?.doubleValue ?? 0
            print(
                "  pool chunks by thread (0: caller; chunks, seconds in them, loops joined of \(Int(loops))): "
                    + chunks.indices.map {
                        String(format: "%.0f (%.0f%%) in %.3f s, %.0f", chunks[$0], 100 * chunks[$0] / all, chunkSeconds[$0], joined[$0])
                    }.joined(separator: " / "))
        }
    }
    if let csvPath { try csv.write(toFile: csvPath, atomically: true, encoding: .utf8) }
    if let jsonPath {
        try JSONValue.object(["rows": .array(json), "results": .array(results)]).jsonText
            .write(toFile: jsonPath, atomically: true, encoding: .utf8)
    }
}

/// The sgemm rate (1024^3, best of 5) of every rank at once with the run's threads, summed: the ceiling the run's
/// layers are compared with (`--profile`). The ranks start together after an all-reduce.
func sameRunSgemmRate(_ comm: Communicator) throws -> Double {
    var sync = [0.0]
    try comm.allReduceSum(&sync)
    var rate = [gemmRate(1024, 1024, 1024)]
    try comm.allReduceSum(&rate)
    return rate[0]
}

/// Best-of-5 GFLOP/s of `c = a(m x k) b(k x n)` (or its transposed forms for the backward products).
func gemmRate(_ m: Int, _ k: Int, _ n: Int, transA: Bool = false, transB: Bool = false) -> Double {
    let a = Tensor(zeros: [m * k], repeating: 0.5), b = Tensor(zeros: [k * n], repeating: 0.25), c = Tensor(zeros: [m * n])
    var best = Double.infinity
    for _ in 0..<5 {
        let t0 = DispatchTime.now().uptimeNanoseconds
        BLAS.gemm(
            a, rowsA: transA ? k : m, colsA: transA ? m : k, transA: transA,
            b, rowsB: transB ? n : k, colsB: transB ? k : n, transB: transB, into: c)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
    }
    return 2 * Double(m) * Double(k) * Double(n) / best / 1e9
}

func gemm() {
    print("sgemm GFLOP/s, OpenBLAS kernel \(BLAS.coreName), \(BLAS.threads) thread(s)")
    print(String(format: "  %-34@ %8.1f", "1024 x 1024 x 1024" as NSString, gemmRate(1024, 1024, 1024)))
    // (name, im2col rows per chunk (4 Mi scalars budget, capped by the batch), patch, filters)
    let shapes: [(String, Int, Int, Int)] = [
        ("mnist_cnn conv2d_1 (26x26x32 -> 64)", min(128 * 576, (1 << 22) / 288), 288, 64),
        ("vgg_like conv2d_1 (98x98x32 -> 32)", min(32 * 96 * 96, (1 << 22) / 288), 288, 32),
        ("vgg_like conv2d_3 (47x47x64 -> 64)", min(32 * 45 * 45, (1 << 22) / 576), 576, 64),
        ("conv1d_seq conv1d_1 (98x64 -> 64)", 16 * 96, 192, 64),
        ("conv1d_seq conv1d_3 (30x128 -> 128)", 16 * 28, 384, 128),
    ]
    for (name, m, k, n) in shapes {
        let f = gemmRate(m, k, n), dk = gemmRate(k, m, n, transA: true), dx = gemmRate(m, n, k, transB: true)
        print(String(format: "  %-34@ forward %6.1f  dK %6.1f  dcols %6.1f   (%d x %d x %d)", name as NSString, f, dk, dx, m, k, n))
    }
}
