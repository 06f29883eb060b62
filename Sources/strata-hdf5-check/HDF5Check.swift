// strata-hdf5-check: the process the HDF5 tests launch (and kill), and the source of the closing figures.
//
//   strata-hdf5-check make-data <file.h5> [--rows N] [--features F] [--classes C] [--chunk R] [--gzip L]
//                     [--timesteps T]      (x as (rows, T, F/T) sequences, for --model lstm)
//   strata-hdf5-check train <data.h5> <dir> [--epochs E] [--batch B] [--freq epoch|steps:N|seconds:S]
//                     [--mode auto|memory|stream:BYTES] [--resume] [--delay-ms D] [--keep K] [--kill-in-write]
//                     [--kill-in-write-after K] [--model mlp|lstm] [--mpi] [--also-reference <dir2>]
//                     [--files-on-rank0-only]
//       trains a small MLP with dropout and Adam (or, --model lstm, a stateful LSTM + Dropout, unshuffled) on
//       x_train/y_train with validation on x_test/y_test, checkpointing to <dir>/ckpt-{epoch:02d}.h5 (+
//       ckpt-latest.h5); --resume continues from the newest checkpoint of <dir> that verifies, if there is one
//       (--files-on-rank0-only: the other ranks are given a path that does not exist and follow rank 0). --mpi trains on
//       MPICommunicator.automatic() (rank 0 writes the files). --kill-in-write SIGKILLs the process (rank 0)
//       inside the first checkpoint write, --kill-in-write-after K inside the first one after step K.
//       --also-reference then trains the same run uninterrupted into <dir2>. Writes the final weights' raw bytes
//       to <dir>/final.bin and prints peak RSS.
//   strata-hdf5-check make-model <data.h5> <model.h5> [--model mlp|lstm] [--batch B]
//       saves train's model, uncompiled and with other initial weights, as a Keras model file; `train --model-file
//       <model.h5>` then loads it (keeping its weights) and fits with run seed 7.
//   strata-hdf5-check bench-read <data.h5> [--ranks P] [--batch B] [--buffer BYTES]
//       read throughput: whole-dataset read vs one epoch of rank 0's shuffled shard, streamed.
import ArgumentParser
import Foundation
import Strata

@main
struct HDF5Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-hdf5-check", abstract: "The process the HDF5 tests launch (see the commands above).",
        subcommands: [MakeData.self, MakeModel.self, TrainCheck.self, BenchRead.self])

    /// Runs `body`, turning errors into one clear line and exit code 1.
    static func guarded(_ body: () throws -> Void) throws {
        do { try body() } catch {
            FileHandle.standardError.write(Data("error: \((error as? LocalizedError)?.errorDescription ?? "\(error)")\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct MakeData: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "make-data")
    @Argument var path: String
    @Option var rows = 256
    @Option var features = 8
    @Option var classes = 3
    @Option var chunk: Int?
    @Option var gzip: Int?
    @Option var timesteps: Int?
    func run() throws { try HDF5Check.guarded { try makeDataFile(self) } }
}

struct MakeModel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "make-model")
    @Argument var data: String
    @Argument var path: String
    @Option var model = "mlp"
    @Option var batch = 32
    func run() throws {
        try HDF5Check.guarded {
            // The model `train` fits, with weights drawn from another seed and saved uncompiled (as Keras saves a
            // model file: no Strata training state), for --model-file.
            let data = try HDF5Dataset(path: self.data, x: "x_train", y: "y_train")
            let m = makeModel(lstm: model == "lstm", batch: batch, xShape: data.xShape, classes: data.yShape![0])
            m.reseed(1234)
            try m.build()
            try m.save(path)
            print("wrote \(path)")
        }
    }
}

struct TrainCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train")
    @Argument var data: String
    @Argument var dir: String
    @Option var epochs = 3
    @Option var batch = 32
    @Option var freq = "steps:1"
    @Option var mode = "auto"
    @Flag var resume = false
    @Option(name: .customLong("delay-ms")) var delayMs = 0
    @Option var keep = 2
    @Flag var killInWrite = false
    @Option var killInWriteAfter: Int?
    @Option var model = "mlp"
    @Option var modelFile: String?
    @Flag var mpi = false
    @Flag(name: .customLong("files-on-rank0-only")) var filesOnRank0Only = false
    @Option var alsoReference: String?
    func run() throws {
        try HDF5Check.guarded {
            let comm: Communicator = mpi ? try MPICommunicator.automatic() : SingleProcess()
            try train(self, comm: comm)
            if let alsoReference {
                var fresh = self
                fresh.dir = alsoReference
                fresh.killInWrite = false
                fresh.killInWriteAfter = nil
                fresh.resume = false
                try train(fresh, comm: comm)
            }
        }
    }
}

struct BenchRead: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-read")
    @Argument var path: String
    @Option var ranks = 2
    @Option var batch = 128
    @Option var buffer = 4 << 20
    func run() throws { try HDF5Check.guarded { try benchRead(self) } }
}

/// Peak resident memory of this process (VmHWM), in MB.
func peakRSSMegabytes() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
        return kb / 1024
    }
    return -1
}

/// Deterministic classification data: x uniform in [-1, 1), class = argmax of a fixed linear map.
func makeData(rows: Int, features: Int, classes: Int, stream: UInt64) -> (Tensor, Tensor) {
    let rng = CounterRandom(seed: 1234, stream: stream)
    let w = CounterRandom(seed: 99, stream: 1)
    let x = Tensor(zeros: [rows, features])
    let y = Tensor(zeros: [rows, classes])
    for r in 0..<rows {
        for j in 0..<features { x[r, j] = rng.uniform(UInt64(r * features + j)) * 2 - 1 }
        var best = 0
        var bestScore = -Float.infinity
        for c in 0..<classes {
            var s: Float = 0
            for j in 0..<features { s += x[r, j] * (w.uniform(UInt64(c * features + j)) * 2 - 1) }
            if s > bestScore { bestScore = s; best = c }
        }
        y[r, best] = 1
    }
    return (x, y)
}

/// Sleeps in every batch (so a test can kill the process at a chosen moment).
final class Delay: Callback {
    let ms: Int
    init(ms: Int) { self.ms = ms }
    func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
        if ms > 0 { usleep(UInt32(ms * 1000)) }
    }
}

/// Prints whether a fresh run starts from the model file's weights (a loaded model keeps them, whatever the seed).
final class StartsFromFile: Callback {
    let path: String
    init(_ path: String) { self.path = path }
    func onTrainBegin(context: TrainingContext) throws {
        guard !context.state.resumed, context.communicator.rank == 0 else { return }
        let file = try Sequential.load(path, compile: false).getWeights().map(\.scalars)
        print("starts from the model file's weights: \(context.model.getWeights().map(\.scalars) == file)")
    }
}

/// SIGKILLs this process while one of its checkpoint temp files exists (i.e. in the middle of a write), once
/// `afterStep` optimizer steps are done: the kill-and-resume tests' worst case.
final class KillInWrite: Callback {
    let afterStep: Int, dir: String
    var armed = false
    init(afterStep: Int, dir: String) { self.afterStep = afterStep; self.dir = dir }

    func onTrainBegin(context: TrainingContext) throws { if afterStep == 0 { arm(context) } }
    func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
        if (context.model.optimizerState?.iterations ?? 0) >= afterStep { arm(context) }
    }

    private func arm(_ context: TrainingContext) {
        guard !armed, context.communicator.rank == 0 else { return }
        armed = true
        let dir = self.dir
        Thread {
            while true {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                if files.contains(where: { $0.contains(".tmp.\(getpid())") }) { kill(getpid(), SIGKILL) }
            }
        }.start()
    }
}

/// The small MLP with dropout, or (`lstm`) the stateful LSTM + Dropout, that `train` fits (initialisation seed 7).
func makeModel(lstm: Bool, batch: Int, xShape: [Int], classes: Int) -> Sequential {
    lstm
        ? Sequential(
            [
                LSTM(8, recurrentDropout: 0.2, stateful: true, batchInputShape: [batch] + xShape),
                Dropout(0.3),
                Dense(classes, activation: .softmax),
            ], seed: 7)
        : Sequential(
            [
                Dense(32, activation: .relu, inputShape: xShape),
                Dropout(0.3),
                Dense(classes, activation: .softmax),
            ], seed: 7)
}

/// One training run of `train` (see the usage above).
func train(_ args: TrainCheck, comm: Communicator) throws {
    let (dataPath, dir, epochs, batch, resume) = (args.data, args.dir, args.epochs, args.batch, args.resume)
    let freqText = args.freq
    let freq: ModelCheckpoint.Frequency =
        freqText == "epoch"
        ? .epoch
        : freqText.hasPrefix("seconds:")
            ? .seconds(Double(freqText.dropFirst(8)) ?? 1)
            : .steps(Int(freqText.dropFirst(6)) ?? 1)
    let modeText = args.mode
    let mode: HDF5Dataset.Mode =
        modeText == "memory"
        ? .inMemory
        : modeText.hasPrefix("stream:") ? .streaming(bufferBytes: Int(modeText.dropFirst(7)) ?? (1 << 20)) : .automatic
    let train = try HDF5Dataset(path: dataPath, x: "x_train", y: "y_train", mode: mode)
    let test = try HDF5Dataset(path: dataPath, x: "x_test", y: "y_test", mode: mode)
    let lstm = args.model == "lstm"
    // --model-file: the model (and its weights) from a Keras .h5; the run seed 7 still governs shuffles and dropout.
    let modelFile = args.modelFile
    let model =
        try modelFile.map { try Sequential.load($0) }
        ?? makeModel(lstm: lstm, batch: batch, xShape: train.xShape, classes: train.yShape![0])
    model.compile(optimizer: Adam(learningRate: 0.01), loss: "categorical_crossentropy", metrics: ["accuracy"])
    let seed: UInt64? = modelFile == nil ? nil : 7
    let ckpt = ModelCheckpoint(dir + "/ckpt-{epoch:02d}.h5", saveFreq: freq, keep: args.keep)
    var callbacks: [Callback] = [ckpt, Delay(ms: args.delayMs), EarlyStopping(monitor: "loss", patience: 50)]
    if let modelFile { callbacks.append(StartsFromFile(modelFile)) }
    if args.killInWrite || args.killInWriteAfter != nil {
        callbacks.append(KillInWrite(afterStep: args.killInWriteAfter ?? 0, dir: dir))
    }
    let start = Date()
    let history: History
    // Rank 0 alone looks at the directory (as on a node-local disk); with --files-on-rank0-only the other ranks
    // are given a directory that does not exist, and follow rank 0's choice and bytes.
    let anything = try comm.broadcast(comm.rank == 0 && !CheckpointSelection.candidates(in: dir).isEmpty ? "1" : "0", root: 0) == "1"
    if resume && anything {
        if comm.rank == 0 { print("resuming from \(dir)") }
        let location = comm.rank == 0 || !args.filesOnRank0Only ? dir : dir + "/not-on-this-node"
        history = try model.fit(
            train, batchSize: batch, epochs: epochs, verbose: 0, callbacks: callbacks,
            validationData: test, shuffle: !lstm, seed: seed, communicator: comm, resumeFrom: location)
    } else {
        history = try model.fit(
            train, batchSize: batch, epochs: epochs, verbose: 0, callbacks: callbacks,
            validationData: test, shuffle: !lstm, seed: seed, communicator: comm)
    }
    let seconds = Date().timeIntervalSince(start)
    let states = try model.gatherStates(comm)  // every rank takes part; rank 0 saves the global states
    guard comm.rank == 0 else { return }
    let w = model.parameters!.values
    let data = Data(bytes: w.pointer, count: w.count * 4)
    try data.write(to: URL(fileURLWithPath: dir + "/final.bin"))
    try Checkpoint.write(model, to: dir + "/final.h5", states: states)
    print(
        String(
            format: "done: mode %@, %d rank(s), %d epochs in %.2f s, loss %@, peak RSS %.1f MB",
            "\(train.mode)", comm.size, epochs, seconds, "\(history["loss"] ?? [])", peakRSSMegabytes()))
}

func makeDataFile(_ a: MakeData) throws {
    var (x, y) = makeData(rows: a.rows, features: a.features, classes: a.classes, stream: 1)
    var (xt, yt) = makeData(rows: max(a.rows / 4, 1), features: a.features, classes: a.classes, stream: 2)
    if let t = a.timesteps, t > 0, a.features % t == 0 {
        x = try x.reshaped([x.shape[0], t, a.features / t])
        xt = try xt.reshaped([xt.shape[0], t, a.features / t])
    }
    let f = try HDF5.File.create(a.path)
    if let chunk = a.chunk {
        try f.write("x_train", x, chunkRows: chunk, gzip: a.gzip)
        try f.write("y_train", y, chunkRows: chunk, gzip: a.gzip)
    } else {
        try f.write("x_train", x)
        try f.write("y_train", y)
    }
    try f.write("x_test", xt)
    try f.write("y_test", yt)
    print("wrote \(a.path): x_train \(x.shape), y_train \(y.shape)")
}

func benchRead(_ a: BenchRead) throws {
    let (path, ranks, batch, buffer) = (a.path, a.ranks, a.batch, a.buffer)
    var t0 = Date()
    let whole = try HDF5Dataset(path: path, x: "x_train", y: "y_train", mode: .inMemory)
    let wholeSeconds = Date().timeIntervalSince(t0)
    let rowBytes = 4 * (whole.xShape.reduce(1, *) + whole.yShape!.reduce(1, *))
    let streamed = try HDF5Dataset(path: path, x: "x_train", y: "y_train", mode: .streaming(bufferBytes: buffer))
    for shuffle in [false, true] {
        let batches = Batches(sampleCount: streamed.count, batchSize: batch, shuffle: shuffle, seed: 1, epoch: 0)
        var work = Workspace<BatchSlot>()
        var rows = 0
        t0 = Date()
        for k in 0..<batches.count {
            let idx = batches.shard(k, rank: 0, size: ranks).samples
            try streamed.read(
                idx, x: work.buffer(.input, [idx.count] + streamed.xShape),
                y: work.buffer(.target, [idx.count] + streamed.yShape!))
            rows += idx.count
        }
        let s = Date().timeIntervalSince(t0)
        print(
            String(
                format:
                    "sharded streaming read (rank 0 of %d, batch %d, shuffle %@, buffer %d MB): %d rows in %.3f s = %.0f rows/s, %.1f MB/s",
                ranks, batch, "\(shuffle)", buffer >> 20, rows, s, Double(rows) / s, Double(rows * rowBytes) / s / 1e6))
    }
    print(
        String(
            format: "whole-dataset read: %d rows in %.3f s = %.0f rows/s, %.1f MB/s", whole.count, wholeSeconds,
            Double(whole.count) / wholeSeconds, Double(whole.count * rowBytes) / wholeSeconds / 1e6))
}
