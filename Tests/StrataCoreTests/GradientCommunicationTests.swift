import StrataCore
import TestSupport
import XCTest

/// The gradient-traffic settings change when bytes travel, never the result: with `ThreadCommunicator` (sums in rank
/// order, as every setting's pieces are) bucketed, row-sparse and one-buffer runs end bit for bit equal on 2 and 3
/// ranks, and the row-sparse run stays within float tolerance of the 1-rank run.
final class GradientCommunicationTests: XCTestCase {
    /// A conv net with SGD + momentum and Embedding nets with RMSprop (row-sparse updates) and Adam (dense
    /// updates); 200 rows travel as rows, 6 rows go dense. Returns every weight and every epoch loss.
    private func train(_ comm: Communicator?, _ options: GradientCommunication) throws -> [Float] {
        let d = RandomData(seed: 3)
        let y = try toCategorical(d.integers(3, count: 17), numClasses: 3)
        let conv = Sequential(
            [
                Conv2D(3, kernelSize: (3, 3), activation: .relu, inputShape: [5, 5, 2]), Flatten(), Dropout(0.2),
                Dense(6, activation: .relu), Dense(3, activation: .softmax),
            ], seed: 2)
        conv.compile(optimizer: SGD(learningRate: 0.05, momentum: 0.9), loss: "categorical_crossentropy")
        conv.communication = options
        let h = try conv.fit(d.uniform([17, 5, 5, 2]), y, batchSize: 4, epochs: 2, verbose: 0, communicator: comm)
        var out = conv.parameters!.values.scalars + h["loss"]!.map(Float.init)
        for (vocab, opt) in [(200, RMSprop(learningRate: 0.01) as Optimizer), (200, Adam(learningRate: 0.01)), (6, RMSprop())] {
            let m = Sequential([Embedding(vocab, outputDim: 3, inputLength: 4), Flatten(), Dense(3, activation: .softmax)], seed: 7)
            m.compile(optimizer: opt, loss: "categorical_crossentropy")
            m.communication = options
            let he = try m.fit(d.integerTensor(vocab, shape: [17, 4]), y, batchSize: 4, epochs: 2, verbose: 0, communicator: comm)
            out += m.parameters!.values.scalars + he["loss"]!.map(Float.init)
        }
        return out
    }

    private let tiny = GradientCommunication(overlap: true, firstBucketMB: 8 / 1_048_576, bucketMB: 32 / 1_048_576)

    func testBucketsAndRowsMatchOneBufferBitForBit() throws {
        for p in [2, 3] {
            var runs: [[Float]] = []
            for options in [GradientCommunication.oneBuffer, tiny, GradientCommunication(), GradientCommunication(overlap: false)] {
                let results = ThreadCommunicator.run(size: p) { comm in try self.train(comm, options) }
                let w = try results.map { try $0.get() }
                for r in w.dropFirst() { XCTAssertEqual(r, w[0], "\(p) ranks: every rank agrees") }
                runs.append(w[0])
            }
            for (i, run) in runs.enumerated().dropFirst() {
                XCTAssertEqual(run.map(\.bitPattern), runs[0].map(\.bitPattern), "\(p) ranks, setting \(i) vs one buffer")
            }
        }
    }

    func testRowSparseTrafficMatchesOneRank() throws {
        let one = try train(nil, GradientCommunication())
        let three = try ThreadCommunicator.run(size: 3) { comm in try self.train(comm, self.tiny) }[0].get()
        XCTAssertEqual(one.count, three.count)
        let diff = zip(one, three).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(diff, 1e-5, "3 ranks vs 1: max |dw| = \(diff)")
    }

    /// Unset, `overlap` and `progressThread` follow the topology: one buffer when every rank shares a host, overlapped
    /// buckets with the progress thread across hosts; whichever the user set wins, the other keeps its default (on).
    func testTheAutomaticPathFollowsTheHosts() {
        let auto = GradientCommunication()
        let oneHost = auto.resolved(size: 2, hosts: 1), twoHosts = auto.resolved(size: 4, hosts: 2)
        XCTAssertEqual([oneHost.options.overlap, oneHost.automatic], [false, true])
        XCTAssertEqual(oneHost.name, "one buffer after backward")
        XCTAssertTrue(oneHost.reason.contains("all 2 ranks on one host"), oneHost.reason)
        XCTAssertEqual([twoHosts.options.overlap, twoHosts.options.progressThread, twoHosts.automatic], [true, true, true])
        XCTAssertEqual(twoHosts.name, "overlapped buckets, progress thread")
        XCTAssertTrue(twoHosts.reason.contains("4 ranks on 2 hosts"), twoHosts.reason)
        for hosts in [1, 2] {
            let set = GradientCommunication(overlap: true).resolved(size: 2, hosts: hosts)
            XCTAssertEqual([set.options.overlap, set.options.progressThread, set.automatic], [true, true, false])
            let noThread = GradientCommunication(progressThread: false).resolved(size: 2, hosts: hosts)
            XCTAssertEqual(noThread.name, "overlapped buckets, progress between layers")
            XCTAssertFalse(GradientCommunication.oneBuffer.resolved(size: 2, hosts: hosts).options.overlap)
        }
    }

    /// Setting a bucket size asks for buckets: with `overlap` unset it turns overlap on (on one host too, progress
    /// thread at its default), saying so in the reason; with `overlap: false` the run keeps one buffer and warns that
    /// the sizes are unused. Sizes left at their defaults change nothing and warn about nothing.
    func testBucketSizesAskForBuckets() {
        for sizes in [GradientCommunication(bucketMB: 2), GradientCommunication(firstBucketMB: 0.5)] {
            for hosts in [1, 2] {
                let path = sizes.resolved(size: 2, hosts: hosts)
                XCTAssertEqual([path.options.overlap, path.options.progressThread, path.automatic], [true, true, false])
                XCTAssertTrue(path.reason.contains("bucket sizes set"), path.reason)
                XCTAssertNil(path.warning)
            }
        }
        var off = GradientCommunication(bucketMB: 2)
        off.overlap = false
        let unused = off.resolved(size: 2, hosts: 1)
        XCTAssertFalse(unused.options.overlap)
        XCTAssertTrue(unused.warning?.contains("bucket sizes are unused") ?? false, "\(String(describing: unused.warning))")
        var noThread = GradientCommunication(firstBucketMB: 0.5)
        noThread.progressThread = false
        XCTAssertEqual(noThread.resolved(size: 2, hosts: 1).name, "overlapped buckets, progress between layers")
        for plain in [GradientCommunication(), GradientCommunication(overlap: false), GradientCommunication.oneBuffer] {
            XCTAssertNil(plain.resolved(size: 2, hosts: 1).warning)
            XCTAssertFalse(plain.bucketSizesSet)
        }
        XCTAssertFalse(GradientCommunication().resolved(size: 2, hosts: 1).options.overlap, "unset sizes: one buffer")
    }

    /// Through the trainer: with the default settings 2 ranks on one host make one gradient all-reduce a step, the
    /// same ranks "on 2 hosts" (ThreadCommunicator's pretend count) send the step's sums and the gradients apart
    /// (overlapped buckets), and an explicit `overlap: true` on one host does too; the weights agree bit for bit.
    func testTheTrainerTakesThePathOfItsHosts() throws {
        let d = RandomData(seed: 5)
        let x = d.uniform([16, 6]), y = try toCategorical(d.integers(3, count: 16), numClasses: 3)
        func train(hosts: Int, _ options: GradientCommunication) throws -> (calls: Int, weights: [UInt32]) {
            let out = ThreadCommunicator.run(size: 2) { comm -> (Int, [UInt32]) in
                comm.hostCount = hosts
                let m = Sequential([Dense(5, activation: .relu, inputShape: [6]), Dense(3, activation: .softmax)], seed: 1)
                m.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: "categorical_crossentropy")
                m.communication = options
                _ = try m.fit(x, y, batchSize: 8, epochs: 1, verbose: 0, shuffle: false, communicator: comm)
                return (comm.tensorReductions, m.parameters!.values.scalars.map(\.bitPattern))
            }
            return try out[0].get()
        }
        let one = try train(hosts: 1, GradientCommunication())
        let two = try train(hosts: 2, GradientCommunication())
        let forced = try train(hosts: 1, GradientCommunication(overlap: true))
        let sized = try train(hosts: 1, GradientCommunication(bucketMB: 4))
        let unused = try train(hosts: 1, GradientCommunication(overlap: false, firstBucketMB: 1))
        XCTAssertEqual(one.calls, 2, "2 steps, one buffer each")
        XCTAssertEqual(two.calls, 4, "2 steps, sums then gradients")
        XCTAssertEqual(forced.calls, 4, "overlap set explicitly wins on one host")
        XCTAssertEqual(sized.calls, 4, "a bucket size set on one host asks for buckets")
        XCTAssertEqual(unused.calls, 2, "overlap: false keeps one buffer whatever the sizes")
        for w in [two.weights, forced.weights, sized.weights, unused.weights] { XCTAssertEqual(w, one.weights) }
    }
}
