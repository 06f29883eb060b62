import Foundation
import StrataCore
import StrataHDF5
import TestSupport
import XCTest

/// Checkpoints of a sharded run (ZeRO-1) keep today's format: every rank's part of the slots is gathered and rank
/// 0 writes the whole slots, the same bytes a replicated run writes. A run saved on p ranks resumes on q (2 -> 3,
/// 3 -> 1, within float summation tolerance of the run that never stopped), and at the same rank count bit for bit.
final class ShardedCheckpointTests: XCTestCase {
    private let x = try! TestFiles.tensor(30, 4)
    private var y: Tensor { try! toCategorical((0..<30).map { x[$0, 0] + x[$0, 1] > 0 ? 1 : 0 }, numClasses: 2) }

    private func model(sharded: Bool) -> Sequential {
        let m = Sequential([Dense(9, activation: .relu, inputShape: [4]), Dropout(0.2), Dense(2, activation: .softmax)], seed: 7)
        m.compile(optimizer: Adam(learningRate: 0.02).with(useEma: true), loss: "categorical_crossentropy")
        m.communication = GradientCommunication(
            overlap: true, firstBucketMB: 20 / 1_048_576, bucketMB: 20 / 1_048_576, shardOptimizer: sharded)
        return m
    }

    /// Trains to epoch 4 on `ranks` (nil: one process), checkpointing each epoch into `dir`, optionally resuming
    /// from `resume`; returns rank 0's weights.
    private func run(_ ranks: Int?, dir: String, sharded: Bool = true, resume: String? = nil) throws -> [Float] {
        let body = { (comm: Communicator?) throws -> [Float] in
            let m = self.model(sharded: sharded)
            let cb = [ModelCheckpoint(dir + "/ck-{epoch}.h5")]
            let data = TensorDataset(x: self.x, y: self.y)
            if let resume {
                try m.fit(data, batchSize: 7, epochs: 4, verbose: 0, callbacks: cb, communicator: comm, resumeFrom: resume)
            } else {
                try m.fit(data, batchSize: 7, epochs: 4, verbose: 0, callbacks: cb, communicator: comm)
            }
            return m.parameters!.values.scalars
        }
        guard let ranks else { return try body(nil) }
        return try ThreadCommunicator.run(size: ranks, body)[0].get()
    }

    private func slots(_ path: String) throws -> [[Float]] { try Sequential.load(path).optimizerState!.slots.map(\.scalars) }

    func testShardedCheckpointsResumeOnAnyRankCount() throws {
        let two = try TestFiles.directory(), three = try TestFiles.directory(), plain = try TestFiles.directory()
        let straight2 = try run(2, dir: two)
        let straight3 = try run(3, dir: three)
        _ = try run(2, dir: plain, sharded: false)
        // The file holds the whole slots, the replicated run's bytes (ThreadCommunicator sums in rank order).
        let saved = try slots(two + "/ck-2.h5")
        XCTAssertEqual(saved.map(\.count), [65, 65, 65], "momentum, velocity and EMA, whole")
        XCTAssertEqual(saved.map { $0.map(\.bitPattern) }, try slots(plain + "/ck-2.h5").map { $0.map(\.bitPattern) })
        // Same rank count: bit for bit.
        let again = try run(2, dir: try TestFiles.directory(), resume: two + "/ck-2.h5")
        XCTAssertEqual(again.map(\.bitPattern), straight2.map(\.bitPattern), "2 -> 2 ranks")
        // Other rank counts: the slots are scattered anew.
        let scale = straight2.map { abs($0) }.max()!
        for (name, w, reference) in [
            ("2 -> 3 ranks", try run(3, dir: try TestFiles.directory(), resume: two + "/ck-2.h5"), straight2),
            ("3 -> 1 process", try run(nil, dir: try TestFiles.directory(), resume: three + "/ck-2.h5"), straight3),
        ] {
            let diff = zip(w, reference).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThanOrEqual(diff, 1e-5, "\(name): max |dw| / max |w| = \(diff)")
        }
    }

    /// ZeRO-1's weight gather overlapped with the next forward (`ThreadCommunicator` delivers each piece late, NaN
    /// until waited for) against the blocking gather: checkpoints written every 2 batches mid-epoch and at each
    /// epoch hold the same bytes, the final weights agree bit for bit, and resuming the overlapped run's mid-epoch
    /// checkpoint ends where the run that never stopped ends. 2 and 3 ranks.
    func testOverlappedGatherCheckpointsAreTheBlockingOnes() throws {
        func run(_ ranks: Int, _ overlapped: Bool, dir: String, resume: String? = nil) throws -> [UInt32] {
            try ThreadCommunicator.run(size: ranks) { comm -> [UInt32] in
                let m = self.model(sharded: true)
                m.communication.overlapWeightGather = overlapped
                let cb = [ModelCheckpoint(dir + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(2))]
                let data = TensorDataset(x: self.x, y: self.y)
                if let resume {
                    try m.fit(data, batchSize: 7, epochs: 3, verbose: 0, callbacks: cb, communicator: comm, resumeFrom: resume)
                } else {
                    try m.fit(data, batchSize: 7, epochs: 3, verbose: 0, callbacks: cb, communicator: comm)
                }
                return m.parameters!.values.scalars.map(\.bitPattern)
            }[0].get()
        }
        for ranks in [2, 3] {
            let blocking = try TestFiles.directory(), overlapped = try TestFiles.directory()
            let a = try run(ranks, false, dir: blocking)
            let b = try run(ranks, true, dir: overlapped)
            XCTAssertEqual(b, a, "\(ranks) ranks: final weights")
            let files = try FileManager.default.contentsOfDirectory(atPath: blocking).filter { $0.hasSuffix(".h5") }.sorted()
            XCTAssertGreaterThanOrEqual(files.count, 6, "\(files)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: overlapped).filter { $0.hasSuffix(".h5") }.sorted(), files)
            for f in files {
                let wa = try Sequential.load(blocking + "/" + f), wb = try Sequential.load(overlapped + "/" + f)
                XCTAssertEqual(
                    wb.parameters!.values.scalars.map(\.bitPattern), wa.parameters!.values.scalars.map(\.bitPattern), "\(ranks) ranks, \(f)"
                )
                XCTAssertFalse(wb.parameters!.values.scalars.contains { $0.isNaN }, f)
            }
            let mid = files[files.count / 2]
            let resumed = try run(ranks, true, dir: try TestFiles.directory(), resume: overlapped + "/" + mid)
            XCTAssertEqual(resumed, b, "\(ranks) ranks: resumed from \(mid)")
        }
    }

    /// Saving from one rank while the slots are in parts is a clear error, not a file with a part of the slots.
    func testSavingFromOneRankDuringAShardedRunIsAClearError() throws {
        final class Saver: Callback {
            let path: String
            var message = ""
            init(_ path: String) { self.path = path }
            func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
                do { try context.model.save(path) } catch { message = (error as? LocalizedError)?.errorDescription ?? "\(error)" }
            }
        }
        let dir = try TestFiles.directory()
        let results = ThreadCommunicator.run(size: 2) { comm -> String in
            let saver = Saver(dir + "/rank\(comm.rank).h5")
            try self.model(sharded: true).fit(
                TensorDataset(x: self.x, y: self.y), batchSize: 7, epochs: 1, verbose: 0, callbacks: [saver], communicator: comm)
            return saver.message
        }
        for (rank, r) in results.enumerated() {
            let text = try r.get()
            XCTAssertTrue(text.contains("split over the ranks") && text.contains("ModelCheckpoint"), "rank \(rank): \(text)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/rank\(rank).h5"), "no file written")
        }
    }
}
