import TestSupport
import XCTest

@testable import StrataCore

/// ZeRO-1's weight all-gather overlapped with the next forward (`WeightGather`) moves when the weights arrive, never
/// what arrives. `ThreadCommunicator` delivers each piece late: the other ranks' parts read NaN until the piece is
/// waited for, so any path that reads a weight early (a layer's forward, validation, a callback, the update, the
/// end of fit) turns the run's numbers into NaN and it no longer matches the blocking all-gather bit for bit.
final class WeightGatherTests: XCTestCase {
    /// Sums of the weights each callback hook saw (a callback that reads weights every batch).
    final class WeightReader: Callback {
        var seen: [Float] = []
        func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
            seen.append(context.model.parameters!.values.scalars.reduce(0, +))
        }
        func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
            seen.append(context.model.parameters!.values.scalars.reduce(0, +))
        }
    }

    /// A conv net with BatchNormalization (its moving statistics live in the gathered buffer), Dropout and three
    /// weighted layers trained with validation; returns every weight, slot, loss and val_loss, what the reading
    /// callback saw, and the gather pieces started and waited on this rank.
    private func train(_ comm: ThreadCommunicator, overlapped: Bool, reader: Bool, decayed: Bool = false) throws -> (
        out: [UInt32], started: Int, waited: Int
    ) {
        let d = RandomData(seed: 12)
        let y = try toCategorical(d.integers(3, count: 23), numClasses: 3)
        let m = Sequential(
            [
                Conv2D(3, kernelSize: (3, 3), activation: .relu, inputShape: [5, 5, 2]), BatchNormalization(), Flatten(),
                Dropout(0.2), Dense(7, activation: .relu), Dense(3, activation: .softmax),
            ], seed: 5)
        // Weight decay, the EMA and its overwrite every 3 steps run piece by piece in the overlapped run's update.
        let optimizer: Optimizer =
            decayed
            ? SGD(learningRate: 0.05, momentum: 0.9).with(weightDecay: 0.01, useEma: true, emaMomentum: 0.8, emaOverwriteFrequency: 3)
            : Adam(learningRate: 0.01)
        m.compile(optimizer: optimizer, loss: "categorical_crossentropy")
        // 30- and 60-float pieces: the first layer alone, then several pieces, some straddling the shard boundaries.
        m.communication = GradientCommunication(
            overlap: true, firstBucketMB: 30 * 4 / 1_048_576, bucketMB: 60 * 4 / 1_048_576, shardOptimizer: true,
            overlapWeightGather: overlapped)
        let probe = WeightReader()
        let h = try m.fit(
            d.uniform([23, 5, 5, 2]), y, batchSize: 6, epochs: 3, verbose: 0, callbacks: reader ? [probe] : [],
            validationData: (d.uniform([7, 5, 5, 2]), try toCategorical(d.integers(3, count: 7), numClasses: 3)),
            communicator: comm)
        let floats =
            m.parameters!.values.scalars + m.optimizerState!.slots.flatMap(\.scalars) + h["loss"]!.map(Float.init)
            + h["val_loss"]!.map(Float.init) + probe.seen
        return (floats.map(\.bitPattern), comm.gatherPiecesStarted, comm.gatherPiecesWaited)
    }

    func testOverlappedGatherIsTheBlockingGatherBitForBit() throws {
        // (ranks, a callback reading weights every batch, SGD with weight decay and the EMA instead of Adam)
        for (p, reader, decayed) in [
            (2, false, false), (2, true, false), (3, false, false), (3, true, false), (2, false, true), (3, true, true),
        ] {
            let blocking = try ThreadCommunicator.run(size: p) { try self.train($0, overlapped: false, reader: reader, decayed: decayed) }
                .map { try $0.get() }
            let overlapped = try ThreadCommunicator.run(size: p) { try self.train($0, overlapped: true, reader: reader, decayed: decayed) }
                .map { try $0.get() }
            XCTAssertEqual(blocking[0].started, 0, "the blocking run gathers at once")
            for (rank, run) in overlapped.enumerated() {
                XCTAssertEqual(
                    run.out, blocking[0].out, "\(p) ranks, rank \(rank), reader \(reader), decayed \(decayed): overlapped vs blocking")
                // 4 steps an epoch, 3 epochs, several pieces a step, every one waited for.
                XCTAssertGreaterThanOrEqual(run.started, 12 * 3, "\(p) ranks: the gather went in pieces")
                XCTAssertEqual(run.waited, run.started, "\(p) ranks: every piece waited for")
            }
            XCTAssertFalse(blocking[0].out.contains { Float(bitPattern: $0).isNaN }, "no NaN reached the weights")
        }
    }

    /// A callback that reads only logs in its batch hooks.
    final class LogReader: Callback {
        var readsWeightsEachBatch: Bool { false }
    }

    /// The start note names each callback whose batch hooks may read weights (once, in order) and what to declare;
    /// none when every callback declares it does not. The line rank 0 prints under mpirun: GradientTrafficTests.
    func testTheStartNoteNamesTheCallbacksThatReadWeights() {
        XCTAssertNil(WeightGather.note(waitingFor: []))
        XCTAssertNil(WeightGather.note(waitingFor: [LogReader(), EarlyStopping(), CSVLogger("/dev/null")]))
        let one = WeightGather.note(waitingFor: [LogReader(), WeightReader(), WeightReader()]) ?? ""
        XCTAssertTrue(
            one.hasPrefix(
                "ZeRO-1's weight all-gather will not overlap the next forward: the batch hooks of callback WeightReader may read"), one)
        XCTAssertTrue(one.contains("declare `var readsWeightsEachBatch: Bool { false }`"), one)
        XCTAssertFalse(one.contains("LogReader") || one.contains("ModelCheckpoint"), one)
        let two = WeightGather.note(waitingFor: [WeightReader(), LogReader(), RowSparseStepTests.SlotReader(batches: [])]) ?? ""
        XCTAssertTrue(two.contains("the batch hooks of callbacks WeightReader and SlotReader may read"), two)
    }

    /// The pieces: contiguous, covering the buffer, in forward order; the first at most the first size, then at most
    /// the bucket size; a layer larger than that split into pieces of it, its last piece closed with it; each layer
    /// waits for the prefix up to its last piece.
    func testPiecesFollowTheForwardOrder() {
        let shard = OptimizerShard(ranges: OptimizerShard.ranges(count: 1000, size: 2), rank: 0)
        let options = GradientCommunication(overlap: true, firstBucketMB: 50 * 4 / 1_048_576, bucketMB: 200 * 4 / 1_048_576)
        // Layers: 0..<20, none, 20..<60, 60..<560 (larger than a piece), 560..<600, 600..<700, 700..<1000.
        let layers = [0..<20, 0..<0, 20..<60, 60..<560, 560..<600, 600..<700, 700..<1000]
        let g = WeightGather(layerRanges: layers, count: 1000, shard: shard, options: options)
        XCTAssertEqual(g.pieces, [0..<20, 20..<60, 60..<260, 260..<460, 460..<560, 560..<700, 700..<900, 900..<1000])
        XCTAssertEqual(g.needed, [1, 0, 2, 5, 6, 6, 8])
        // A first layer larger than the first size: split at the first size, then at the bucket size.
        let big = WeightGather(layerRanges: [0..<480, 480..<500], count: 500, shard: shard, options: options)
        XCTAssertEqual(big.pieces, [0..<50, 50..<250, 250..<450, 450..<480, 480..<500])
        XCTAssertEqual(big.needed, [4, 5])
    }
}
