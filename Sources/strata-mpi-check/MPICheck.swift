// strata-mpi-check: the program StrataMPITests runs under mpirun (and without it, for the 1-rank reference).
// Each mode trains a small Dense+Dropout model and checks one point of the distributed contract:
//
//   smoke <out>              train 64 samples for 5 epochs (verbose 2: rank 0 alone prints), then a model whose loss
//                            overflows, with TerminateOnNaN, then an unseeded model that rank 1 alone pre-trains;
//                            every rank writes <out>.rank<r> (weights bits, history)
//   equality <out>           23 samples, global batch 5 (short last batch), then batch 2 (smaller than 3 ranks), then
//                            sharded evaluate and predict; every rank writes <out>.rank<r>
//   throw-at-step <k>        rank 1 throws at global step k
//   throw-all                every rank throws the same error at step 3
//   sigkill-self <k>         rank 1 SIGKILLs itself at step k
//                            (these three with `sharded` after: ZeRO-1, the weight gather in flight at the fault)
//   exit-early               rank 1 calls exit(1) before fit while rank 0 waits in fit's first collective
//   different-model          rank 1 builds a wider hidden layer: must fail before the first step
//   watchdog <seconds>       rank 1 stalls at step 1 for 60 s; the others' watchdog (timeout <seconds>) ends the job
//   mismatched-buckets       rank 1 cuts its gradient buckets differently (run.communication is not compared before
//                            the first step): the progress thread's MPI_Iallreduce receives more than it posted, and
//                            that MPI error, raised on the progress thread, must end every rank
//   model-file-config <dir>  (alone) writes <dir>/model.h5, the Dense+Dropout model saved uncompiled with its own
//                            weights (a Keras model file), and <dir>/run.yaml, a config training it (model: model.h5,
//                            seed: 3, shuffle on, 23 rows in batches of 5, validation)
//   config <yaml> <out> [key=value...]  trains a config through StrataRun's Runner (as `strata train`) with the
//                            --set overrides; rank 0 writes <out>.rank0 with the final checkpoint's weights and history
//   checkpoint <h5> <out>    (alone) writes <out>.rank0 with the weights of a checkpoint or model file (to compare
//                            runs made elsewhere, e.g. by `strata train` on an emulated cluster or under Slurm)
//   allreduce <count>        sums a tensor of <count> floats (several all-reduce pieces when large) and checks every
//                            element against its closed form; rank 0 prints ALLREDUCE OK or the first mismatch
//   communication <out> <how> trains a conv net (SGD + momentum) and two Embedding nets (RMSprop: row-sparse updates;
//                            a 200-row table travels as rows, an 8-row one goes dense) with the gradient traffic <how>:
//                            one-buffer, buckets (buckets of a few floats, overlapped), dense-rows (buckets, Embedding
//                            dense), default, sharded (ZeRO-1 over buckets, Embedding dense so every net is sharded)
//                            or sharded-one-buffer; buckets-no-thread and sharded-no-thread without the progress
//                            thread; fp16 / bf16 (+ -no-thread, -one-buffer): buckets compressed to 16 bits
//                            (GradientCompression); every rank writes <out>.rank<r> (weights bits, losses)
//   collectives <link> <bytes>... the all-reduce (blocking, and started then waited as training's buckets do),
//                            reduce-scatter and all-gather seconds of each size (median of 7, slowest rank); rank 0
//                            prints COLLECTIVE lines labelled <link> for launch/cost_model.py
//   progress <link> <bytes> <gap seconds>... how much of a started all-reduce hides behind 1-3 busy gaps each ended
//                            by `test` (Open MPI progresses only inside MPI calls); rank 0 prints PROGRESS lines;
//                            with a last argument `thread`, the all-reduce goes to the progress thread instead,
//                            and each gap is also a fixed amount of work timed with and without the all-reduce in
//                            flight (what the thread takes from the compute); `thread fixed`: only those
//   bench <samples> <epochs> the Keras guide's MLP: samples/s, all-reduce time per step vs plain MPI_Allreduce
import ArgumentParser
import Foundation
import Strata
import StrataRun

@main
struct MPICheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-mpi-check", abstract: "The program StrataMPITests runs under mpirun (see the modes above).")

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case smoke, equality
        case throwAtStep = "throw-at-step"
        case throwAll = "throw-all"
        case sigkillSelf = "sigkill-self"
        case exitEarly = "exit-early"
        case differentModel = "different-model"
        case watchdog
        case mismatchedBuckets = "mismatched-buckets"
        case modelFileConfig = "model-file-config"
        case config, checkpoint, allreduce, bench, communication, collectives, progress
    }

    @Argument(help: "The check to run.") var mode: Mode
    @Argument(help: "The mode's arguments (an output path, a step, a count, ...).") var arguments: [String] = []

    func run() throws {
        let code: Int32
        do {
            code = try check(mode, arguments)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// Injects a fault on one rank at one global step (counted over the whole fit).
final class Fault: Callback {
    enum Kind { case raise, sigkill, stall }
    let kind: Kind, rank: Int, step: Int
    var seen = 0
    init(_ kind: Kind, rank: Int, step: Int) { self.kind = kind; self.rank = rank; self.step = step }
    /// Reads no weights: under ZeRO-1 the fault strikes with the weight gather in flight.
    var readsWeightsEachBatch: Bool { false }

    func onBatchBegin(_ batch: Int, context: TrainingContext) throws {
        defer { seen += 1 }
        guard (rank < 0 || context.communicator.rank == rank) && seen == step else { return }
        if rank >= 0 { FileHandle.standardError.write(Data("FAULT rank=\(rank) at=\(Date().timeIntervalSince1970)\n".utf8)) }
        switch kind {
        case .raise: throw StrataError.invalidData("injected failure at step \(step)", hint: "this is a test")
        case .sigkill: kill(getpid(), SIGKILL)
        case .stall: Thread.sleep(forTimeInterval: 60)
        }
    }
}

/// The fault checks' model; with `sharded` among the arguments, ZeRO-1 with the weight gather overlapped in small
/// pieces (in flight when the fault strikes).
func faultModel(_ args: [String], _ comm: Communicator) -> Sequential {
    let m = smallModel()
    if args.contains("sharded") {
        m.communication = GradientCommunication(
            overlap: true, firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576, sparseGradients: false, shardOptimizer: true)
    }
    return m
}

/// Prints `FIRST STEP` when rank 0 starts its first step (the different-model test checks it never does).
final class FirstStep: Callback {
    func onBatchBegin(_ batch: Int, context: TrainingContext) throws {
        if batch == 0 && context.isPrintingRank { print("FIRST STEP") }
    }
}

/// Three classes from a fixed linear rule, so the loss can go down.
func data(_ n: Int, seed: UInt64, features: Int = 8) throws -> (Tensor, Tensor) {
    let x = RandomData(seed: seed).uniform([n, features])
    var labels: [Int] = []
    for i in 0..<n {
        let a = x[i, 0] + x[i, 1] - x[i, 2], b = x[i, 3] - x[i, 4] + 0.5 * x[i, 5]
        labels.append(a > 0.6 ? 0 : b > 0.2 ? 1 : 2)
    }
    return (x, try toCategorical(labels, numClasses: 3))
}

func smallModel(hidden: Int = 16, seed: UInt64 = 42, compiled: Bool = true) -> Sequential {
    let m = Sequential(
        [
            Dense(hidden, activation: .relu, inputDim: 8),
            Dropout(0.3),
            Dense(16, activation: .relu),
            Dropout(0.2),
            Dense(3, activation: .softmax),
        ], seed: seed)
    guard compiled else { return m }
    m.compile(optimizer: Adam(learningRate: 0.01), loss: "categorical_crossentropy", metrics: ["accuracy"])
    return m
}

/// Writes what the tests compare: weights as exact bit patterns, plus named figures.
func report(_ path: String, rank: Int, model: Sequential, figures: [String: [Double]]) throws {
    var json: [String: Any] = ["weightBits": model.parameters!.values.scalars.map { Int($0.bitPattern) }]
    for (k, v) in figures { json[k] = v }
    let bytes = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    try bytes.write(to: URL(fileURLWithPath: "\(path).rank\(rank)"))
}

func check(_ mode: MPICheck.Mode, _ args: [String]) throws -> Int32 {
    let arg = args.first ?? ""
    let timeout = mode == .watchdog ? Double(arg) : nil
    let comm = try MPICommunicator.automatic(timeout: timeout)
    switch mode {
    case .smoke:
        let (x, y) = try data(64, seed: 1)
        let model = smallModel()
        let h = try model.fit(x, y, batchSize: 16, epochs: 5, verbose: 2, communicator: comm)
        // A loss that overflows: TerminateOnNaN must stop every rank at the same batch.
        let bad = Sequential([Dense(4, inputDim: 8), Dense(1)], seed: 3)
        bad.compile(optimizer: SGD(learningRate: 1e12), loss: "mse")
        let hb = try bad.fit(
            x, Tensor(zeros: [64, 1], repeating: 1e6), batchSize: 8, epochs: 3, verbose: 0,
            callbacks: [TerminateOnNaN()], communicator: comm)
        // No seed (each rank draws its own), and rank 1 alone trains first (its weights, Adam slots and step
        // count diverge): fit must start every rank from rank 0's weights, slots, step and seed.
        let unseeded = Sequential([Dense(8, activation: .relu, inputDim: 8), Dropout(0.5), Dense(3, activation: .softmax)])
        unseeded.compile(optimizer: Adam(learningRate: 0.01), loss: "categorical_crossentropy")
        if comm.rank == 1 { try unseeded.fit(x, y, batchSize: 16, epochs: 1, verbose: 0, communicator: SingleProcess()) }
        try unseeded.fit(x, y, batchSize: 16, epochs: 2, verbose: 0, communicator: comm)
        try report(
            arg, rank: comm.rank, model: model,
            figures: [
                "unseededWeights": unseeded.parameters!.values.scalars.map(Double.init), "unseededSeed": [Double(unseeded.seed)],
                "loss": h["loss"]!, "accuracy": h["accuracy"]!,
                "nanStopSteps": [Double(bad.optimizerState!.iterations)], "nanEpochs": [Double(hb.epoch.count)],
            ])
    case .equality:
        let (x, y) = try data(23, seed: 1)
        let (xv, yv) = try data(7, seed: 2)
        let model = smallModel()
        let h1 = try model.fit(x, y, batchSize: 5, epochs: 4, verbose: 0, validationData: (xv, yv), communicator: comm)
        let h2 = try model.fit(x, y, batchSize: 2, epochs: 1, verbose: 0, communicator: comm)
        let score = try model.evaluate(xv, yv, batchSize: 4, verbose: 0, communicator: comm)
        let predicted = try model.predict(xv, batchSize: 3, communicator: comm)
        try report(
            arg, rank: comm.rank, model: model,
            figures: [
                "loss": h1["loss"]! + h2["loss"]!, "val_loss": h1["val_loss"]!, "evaluate": score,
                "predict": predicted.scalars.map(Double.init), "size": [Double(comm.size)],
            ])
    case .collectives:
        try collectivesCheck(comm, link: arg, sizes: args.dropFirst().compactMap { Int($0) })
    case .progress:
        try progressCheck(
            comm, link: arg, bytes: args.count > 1 ? Int(args[1]) ?? 0 : 0, gaps: args.dropFirst(2).compactMap { Double($0) },
            thread: args.contains("thread"), fixedOnly: args.contains("fixed"))
    case .communication:
        try communicationCheck(comm, out: arg, how: args.count > 1 ? args[1] : "default")
    case .modelFileConfig:
        let m = smallModel(seed: 99, compiled: false)
        try m.build()
        try m.save(arg + "/model.h5")
        let (x, y) = try data(23, seed: 1)
        let (xv, yv) = try data(7, seed: 2)
        let f = try HDF5.File.create(arg + "/data.h5")
        for (name, t) in [("x", x), ("y", y), ("x_val", xv), ("y_val", yv)] { try f.write(name, t) }
        try f.flush()
        try """
        seed: 3
        model: model.h5
        compile: {optimizer: {Adam: {learning_rate: 0.01}}, loss: categorical_crossentropy, metrics: [accuracy]}
        data:
          train: {file: \(arg)/data.h5, x: x, y: y}
          validation: {file: \(arg)/data.h5, x: x_val, y: y_val}
        fit: {epochs: 4, batch_size: 5, shuffle: true, verbose: 0}
        run: {checkpoint_every: epoch}
        """.write(toFile: arg + "/run.yaml", atomically: true, encoding: .utf8)
    case .config:
        let config = try RunConfig.load(arg, overrides: Array(args.dropFirst(2)))
        let runner = Runner(config: config, communicator: comm)
        let history = try runner.train(openFile: Files.open)
        if comm.rank == 0 {
            let model = try Sequential.load(runner.latestCheckpoint, compile: false)
            try report(
                args[1], rank: 0, model: model,
                figures: [
                    "loss": history["loss"]!, "val_loss": history["val_loss"]!,
                    "size": [Double(comm.size)],
                ])
        }
    case .checkpoint:
        try report(args[1], rank: 0, model: try Sequential.load(arg, compile: false), figures: [:])
    case .throwAll:
        let (x, y) = try data(64, seed: 1)
        try faultModel(args, comm).fit(
            x, y, batchSize: 8, epochs: 50, verbose: 0, callbacks: [Fault(.raise, rank: -1, step: 3)],
            communicator: comm)
        print("UNEXPECTED: training finished")
    case .throwAtStep, .sigkillSelf, .watchdog:
        let (x, y) = try data(64, seed: 1)
        let kind: Fault.Kind = mode == .throwAtStep ? .raise : mode == .sigkillSelf ? .sigkill : .stall
        let step = mode == .watchdog ? 1 : Int(arg) ?? 3
        try faultModel(args, comm).fit(
            x, y, batchSize: 8, epochs: 50, verbose: 0, callbacks: [Fault(kind, rank: 1, step: step)],
            communicator: comm)
        print("UNEXPECTED: training finished")
    case .mismatchedBuckets:
        let (x, y) = try data(64, seed: 1)
        let model = smallModel()
        model.communication = GradientCommunication(
            overlap: true, firstBucketMB: comm.rank == 1 ? 1 : 16 / 1_048_576, bucketMB: 64 / 1_048_576)
        try model.fit(x, y, batchSize: 8, epochs: 50, verbose: 0, communicator: comm)
        print("UNEXPECTED: training finished")
    case .exitEarly:
        // Rank 1 gives up before training (e.g. a file it cannot read) and exits 1; rank 0 is already waiting.
        if comm.rank == 1 {
            FileHandle.standardError.write(Data("FAULT rank=1 at=\(Date().timeIntervalSince1970)\n".utf8))
            exit(1)
        }
        let (x, y) = try data(64, seed: 1)
        try smallModel().fit(x, y, batchSize: 8, epochs: 50, verbose: 0, communicator: comm)
        print("UNEXPECTED: training finished")
    case .differentModel:
        let (x, y) = try data(64, seed: 1)
        do {
            try smallModel(hidden: comm.rank == 1 ? 17 : 16).fit(
                x, y, batchSize: 8, epochs: 2, verbose: 1,
                callbacks: [FirstStep()], communicator: comm)
        } catch {
            if comm.rank == 0 { FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8)) }
            return 3
        }
    case .allreduce:
        // Rank r holds (r + 1) * (i mod 1000): the sum is p(p+1)/2 * (i mod 1000), exact in Float.
        let t = Tensor(zeros: [Int(arg) ?? 0])
        for i in 0..<t.count { t[flat: i] = Float(comm.rank + 1) * Float(i % 1000) }
        try comm.allReduceSum(t)
        let ranks = Float(comm.size * (comm.size + 1) / 2)
        let bad = (0..<t.count).first { t[flat: $0] != ranks * Float($0 % 1000) }
        if comm.rank == 0 { print(bad.map { "ALLREDUCE MISMATCH at \($0): \(t[flat: $0])" } ?? "ALLREDUCE OK \(t.count)") }
        return bad == nil ? 0 : 1
    case .bench:
        return try bench(
            comm, samples: Int(arg) ?? 20000, epochs: args.count > 1 ? Int(args[1]) ?? 2 : 2,
            batch: args.count > 2 ? Int(args[2]) ?? 128 : 128)
    }
    return 0
}

/// The Keras guide's MLP for multi-class softmax classification on synthetic data.
func bench(_ comm: Communicator, samples: Int, epochs: Int, batch: Int = 128) throws -> Int32 {
    let r = RandomData(seed: 1)
    let x = r.uniform([samples, 20])
    let y = try toCategorical(r.integers(10, count: samples), numClasses: 10)
    let model = Sequential(seed: 42)
    model.add(Dense(64, activation: .relu, inputDim: 20))
    model.add(Dropout(0.5))
    model.add(Dense(64, activation: .relu))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation: .softmax))
    model.compile(
        optimizer: SGD(lr: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true), loss: "categorical_crossentropy",
        metrics: ["accuracy"])
    let mpi = comm as? MPICommunicator
    let timed = mpi.map(AllReduceTimer.init)
    let run: Communicator = timed ?? comm
    try model.fit(x, y, batchSize: batch, epochs: 1, verbose: 0, communicator: run)  // warm-up
    timed?.reset()
    try comm.barrier()
    let start = Date()
    try model.fit(x, y, batchSize: batch, epochs: epochs, verbose: 0, communicator: run)
    try comm.barrier()
    let elapsed = Date().timeIntervalSince(start)
    var line = String(
        format: "bench: ranks=%d blasThreads=%d batch=%d samples/s=%.0f", comm.size, comm.threadsPerRank, batch,
        Double(samples * epochs) / elapsed)
    if let timed, let a = try AllReduceBenchmark(timed, mpi!, floats: model.stepBufferCount, repeats: 100) {
        line += String(
            format: " allreduce/step=%.1fus (%d floats, %d steps) plain MPI_Allreduce=%.1fus", a.stepWait * 1e6,
            a.floats, a.calls, a.plain * 1e6)
    }
    if comm.rank == 0 { print(line) }
    return 0
}

/// The `communication` mode: the same training under one gradient-traffic setting (see the header).
func communicationCheck(_ comm: Communicator, out: String, how: String) throws {
    var options: GradientCommunication
    switch how {
    case "one-buffer": options = .oneBuffer
    case "buckets": options = GradientCommunication(overlap: true, firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576)
    case "buckets-no-thread":  // the compute thread advances the transfers between layers (no progress thread)
        options = GradientCommunication(firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576, progressThread: false)
    case "dense-rows":
        options = GradientCommunication(overlap: true, firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576, sparseGradients: false)
    case "default": options = GradientCommunication()
    case "sharded":  // ZeRO-1 with dense Embedding traffic, so every model of the check is sharded
        options = GradientCommunication(
            overlap: true, firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576, sparseGradients: false, shardOptimizer: true)
    case "sharded-one-buffer": options = GradientCommunication(overlap: false, sparseGradients: false, shardOptimizer: true)
    case "sharded-blocking-gather":  // ZeRO-1 with overlapped buckets and the weights gathered at once after the update
        options = GradientCommunication(
            overlap: true, firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576, sparseGradients: false, shardOptimizer: true,
            overlapWeightGather: false)
    case "sharded-no-thread":
        options = GradientCommunication(
            firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576, sparseGradients: false, shardOptimizer: true,
            progressThread: false)
    case let f where f.hasPrefix("fp16") || f.hasPrefix("bf16"):
        // Compressed gradients (`GradientCompression`): "fp16" / "bf16" overlapped buckets with the progress thread,
        // "-no-thread" without it, "-one-buffer" one buffer after backward.
        let format = GradientCompression(rawValue: String(f.prefix(4)))!
        switch f.dropFirst(4) {
        case "": options = GradientCommunication(overlap: true, firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576)
        case "-no-thread": options = GradientCommunication(firstBucketMB: 16 / 1_048_576, bucketMB: 64 / 1_048_576, progressThread: false)
        case "-one-buffer": options = .oneBuffer
        default: throw StrataError.invalidArgument("unknown traffic '\(how)'", hint: "fp16, fp16-no-thread or fp16-one-buffer (or bf16...)")
        }
        options.compression = format
    default:
        throw StrataError.invalidArgument(
            "unknown traffic '\(how)'",
            hint:
                "one-buffer, buckets, buckets-no-thread, dense-rows, default, sharded, sharded-no-thread, sharded-one-buffer, sharded-blocking-gather, fp16, fp16-no-thread, fp16-one-buffer or the bf16 ones"
        )
    }
    let d = RandomData(seed: 11)
    let labels = try toCategorical(d.integers(3, count: 23), numClasses: 3)
    let conv = Sequential(
        [
            Conv2D(4, kernelSize: (3, 3), activation: .relu, inputShape: [6, 6, 2]), MaxPooling2D(poolSize: (2, 2)),
            Flatten(), Dropout(0.25), Dense(8, activation: .relu), Dense(3, activation: .softmax),
        ], seed: 4)
    conv.compile(optimizer: SGD(learningRate: 0.05, momentum: 0.9), loss: "categorical_crossentropy")
    conv.communication = options
    let h = try conv.fit(d.uniform([23, 6, 6, 2]), labels, batchSize: 5, epochs: 3, verbose: 0, communicator: comm)
    var weights = conv.parameters!.values.scalars
    var losses = h["loss"]!
    for vocab in [200, 8] {
        let ids = d.integerTensor(vocab, shape: [23, 5])
        let m = Sequential(
            [Embedding(vocab, outputDim: 4, inputLength: 5), Flatten(), Dense(3, activation: .softmax)], seed: 5)
        m.compile(optimizer: RMSprop(learningRate: 0.01), loss: "categorical_crossentropy")
        m.communication = options
        let he = try m.fit(ids, labels, batchSize: 5, epochs: 3, verbose: 0, communicator: comm)
        weights += m.parameters!.values.scalars
        losses += he["loss"]!
    }
    let json: [String: Any] = ["weightBits": weights.map { Int($0.bitPattern) }, "loss": losses, "size": [comm.size]]
    try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: URL(fileURLWithPath: "\(out).rank\(comm.rank)"))
}
