import StrataCore
import TestSupport
import XCTest

/// ZeRO-1 (`GradientCommunication.shardOptimizer`, `OptimizerShard`) moves the optimizer's work and slots, never
/// the result. `ThreadCommunicator`'s reduce-scatter and all-gather are the defaults built on its all-reduce (sums
/// in rank order), so a sharded run must end bit for bit where the replicated run ends, on 2 and 3 ranks, with
/// weight decay, EMA, constraints, regularizers, BatchNormalization's frozen statistics and buckets that straddle
/// the shard boundaries; per-weight and global clip norms sum every rank's partial squares (Double sums grouped
/// differently: within 1e-6). Against one process: within 1e-5. Each rank holds 1/p of each slot while it trains.
final class OptimizerShardTests: XCTestCase {
    /// Slot sizes seen on this rank at every batch end (the state is sharded while `fit` runs).
    final class SlotProbe: Callback {
        var sizes: Set<Int> = []
        func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
            for s in context.model.optimizerState!.slots { sizes.insert(s.count) }
        }
    }

    private let cases: [(String, @Sendable () -> Optimizer)] = [
        ("adam+decay+ema", { Adam(learningRate: 0.01).with(weightDecay: 0.05, useEma: true, emaOverwriteFrequency: 3) }),
        ("sgd+nesterov", { SGD(learningRate: 0.05, momentum: 0.9, nesterov: true) }),
        ("lion", { Lion(learningRate: 0.002) }),
        ("sgd+clipnorm", { SGD(learningRate: 0.1, momentum: 0.5).with(clipnorm: 0.05) }),
        ("rmsprop+global_clipnorm", { RMSprop(learningRate: 0.01).with(globalClipnorm: 0.05) }),
    ]

    /// A conv net with BatchNormalization, Dropout, an L2-regularized max-norm-constrained Dense: every weight, every
    /// slot after `fit`, every epoch loss, and the slot sizes seen during `fit`.
    private func train(_ comm: Communicator?, _ options: GradientCommunication, _ opt: Optimizer) throws -> (
        out: [Float], sizes: Set<Int>, params: Int
    ) {
        let d = RandomData(seed: 9)
        let y = try toCategorical(d.integers(3, count: 19), numClasses: 3)
        let m = Sequential(
            [
                Conv2D(3, kernelSize: (3, 3), activation: .relu, inputShape: [5, 5, 2]), BatchNormalization(), Flatten(),
                Dropout(0.2),
                Dense(7, activation: .relu, kernelRegularizer: .l2(0.01), kernelConstraint: .maxNorm(maxValue: 0.6)),
                Dense(3, activation: .softmax),
            ], seed: 3)
        m.compile(optimizer: opt, loss: "categorical_crossentropy")
        m.communication = options
        let probe = SlotProbe()
        let h = try m.fit(d.uniform([19, 5, 5, 2]), y, batchSize: 6, epochs: 3, verbose: 0, callbacks: [probe], communicator: comm)
        let st = m.optimizerState!
        return (m.parameters!.values.scalars + st.slots.flatMap(\.scalars) + h["loss"]!.map(Float.init), probe.sizes, m.countParams())
    }

    /// 40 and 80 floats: buckets that start and end inside the shards.
    private let tiny = GradientCommunication(overlap: true, firstBucketMB: 40 / 1_048_576, bucketMB: 80 / 1_048_576)
    private var sharded: GradientCommunication { var o = tiny; o.shardOptimizer = true; return o }
    private var shardedOneBuffer: GradientCommunication { GradientCommunication(overlap: false, shardOptimizer: true) }

    func testShardedMatchesReplicated() throws {
        for (name, opt) in cases {
            let clipped = name.contains("clip")
            for p in [2, 3] {
                let replicated = try ThreadCommunicator.run(size: p) { comm in try self.train(comm, self.tiny, opt()) }[0].get()
                XCTAssertEqual(replicated.sizes, [replicated.params], "\(name): replicated slots are whole")
                for options in [sharded, shardedOneBuffer] {
                    let runs = try ThreadCommunicator.run(size: p) { comm in try self.train(comm, options, opt()) }.map { try $0.get() }
                    for r in runs.dropFirst() { XCTAssertEqual(r.out, runs[0].out, "\(name), \(p) ranks: every rank agrees") }
                    let parts = OptimizerShardTests.parts(runs[0].params, p)
                    for (rank, run) in runs.enumerated() {
                        XCTAssertEqual(run.sizes, [parts[rank]], "\(name), \(p) ranks, rank \(rank): slots are 1/p while training")
                    }
                    if clipped {
                        let diff = zip(runs[0].out, replicated.out).map { abs($0 - $1) }.max()!
                        XCTAssertLessThanOrEqual(diff, 1e-6, "\(name), \(p) ranks, overlap \(options.overlap): sharded vs replicated")
                    } else {
                        XCTAssertEqual(
                            runs[0].out.map(\.bitPattern), replicated.out.map(\.bitPattern),
                            "\(name), \(p) ranks, overlap \(options.overlap): sharded vs replicated bit for bit")
                    }
                }
            }
        }
    }

    /// Rank invariance holds sharded: 1 process against 3 sharded ranks.
    func testShardedRanksMatchOneProcess() throws {
        for (name, opt) in cases {
            let one = try train(nil, sharded, opt()).out
            let three = try ThreadCommunicator.run(size: 3) { comm in try self.train(comm, self.sharded, opt()) }[0].get().out
            let scale = one.map { abs($0) }.max()!
            let diff = zip(one, three).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThanOrEqual(diff, 1e-5, "\(name): 3 sharded ranks vs 1 process, max |d| / max |w| = \(diff)")
        }
    }

    /// Optimizers that are not elementwise (Adafactor factors each matrix) and row-sparse Embedding traffic stay
    /// replicated with the option on: whole slots while training, the replicated result.
    func testNonElementwiseAndRowSparseRunsStayReplicated() throws {
        let ada = { () -> Optimizer in Adafactor(learningRate: 0.01) }
        let a = try ThreadCommunicator.run(size: 2) { comm in try self.train(comm, self.sharded, ada()) }[0].get()
        let b = try ThreadCommunicator.run(size: 2) { comm in try self.train(comm, self.tiny, ada()) }[0].get()
        XCTAssertEqual(a.out.map(\.bitPattern), b.out.map(\.bitPattern))
        XCTAssertEqual(a.sizes, b.sizes, "Adafactor's slots are not sharded")

        func embedding(_ comm: Communicator, _ options: GradientCommunication) throws -> (out: [Float], sizes: Set<Int>) {
            let d = RandomData(seed: 4)
            let m = Sequential([Embedding(50, outputDim: 3, inputLength: 4), Flatten(), Dense(2, activation: .softmax)], seed: 6)
            m.compile(optimizer: RMSprop(learningRate: 0.01), loss: "categorical_crossentropy")
            m.communication = options
            let probe = SlotProbe()
            let y = try toCategorical(d.integers(2, count: 12), numClasses: 2)
            try m.fit(d.integerTensor(50, shape: [12, 4]), y, batchSize: 4, epochs: 2, verbose: 0, callbacks: [probe], communicator: comm)
            return (m.parameters!.values.scalars, probe.sizes)
        }
        let e = try ThreadCommunicator.run(size: 2) { comm in try embedding(comm, self.sharded) }[0].get()
        let f = try ThreadCommunicator.run(size: 2) { comm in try embedding(comm, self.tiny) }[0].get()
        XCTAssertEqual(e.out.map(\.bitPattern), f.out.map(\.bitPattern))
        XCTAssertEqual(e.sizes, f.sizes, "row-sparse runs keep whole slots")
    }

    /// The contiguous parts: sizes differing by at most one, covering the buffer in rank order.
    static func parts(_ count: Int, _ size: Int) -> [Int] { (0..<size).map { ($0 + 1) * count / size - $0 * count / size } }
}
