import Foundation
import StrataCore

/// An in-process `Communicator` whose ranks are threads: lets one test compare a 1-rank run with a p-rank run of
/// the real training loop (sharding, short batches, empty shards, dropout masks) without mpirun.
///
/// Reductions add the ranks' contributions in rank order, identically on every rank, as a deterministic
/// all-reduce does. Every collective is an exchange of arrays through a shared table and two barriers.
public final class ThreadCommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// The hosts the ranks pretend to run on (tests of the topology-driven choices).
    public var hostCount = 1
    private let group: Group

    final class Group: @unchecked Sendable {
        let size: Int
        let condition = NSCondition()
        var arrived = 0
        var generation = 0
        var table: [[Double]]
        init(size: Int) { self.size = size; table = Array(repeating: [], count: size) }

        func barrier() {
            condition.lock()
            let g = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while g == generation { condition.wait() }
            }
            condition.unlock()
        }

        /// Every rank's array, in rank order.
        func exchange(_ rank: Int, _ mine: [Double]) -> [[Double]] {
            condition.lock(); table[rank] = mine; condition.unlock()
            barrier()
            condition.lock(); let all = table; condition.unlock()
            barrier()
            return all
        }
    }

    init(rank: Int, group: Group) {
        self.rank = rank
        size = group.size
        self.group = group
    }

    /// Runs `body(communicator)` on `size` threads at once and returns each rank's result in rank order.
    public static func run<T>(size: Int, _ body: @escaping (ThreadCommunicator) throws -> T) -> [Result<T, Error>] {
        let group = Group(size: size)
        let box = ResultBox<T>(size, body)
        let done = DispatchSemaphore(value: 0)
        for r in 0..<size {
            let comm = ThreadCommunicator(rank: r, group: group)
            let thread = Thread {
                let result = Result { try box.body(comm) }
                group.condition.lock(); box.results[r] = result; group.condition.unlock()
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<size { done.wait() }
        return box.results.map { $0! }
    }

    /// Tensor all-reduces this rank made (a gradient bucket is one).
    public private(set) var tensorReductions = 0

    public func allReduceSum(_ buffer: Tensor) throws {
        tensorReductions += 1
        let all = group.exchange(rank, buffer.scalars.map(Double.init))
        for i in 0..<buffer.count {
            var s: Float = 0
            for r in 0..<size { s += Float(all[r][i]) }
            buffer[flat: i] = s
        }
    }

    public func allReduceSum(_ values: inout [Double]) throws {
        let all = group.exchange(rank, values)
        for i in values.indices { values[i] = all.reduce(0) { $0 + $1[i] } }
    }

    public func broadcast(_ buffer: Tensor, root: Int) throws {
        let all = group.exchange(rank, buffer.scalars.map(Double.init))
        for i in 0..<buffer.count { buffer[flat: i] = Float(all[root][i]) }
    }

    public func broadcast(_ values: inout [Double], root: Int) throws {
        values = group.exchange(rank, values)[root]
    }

    public func broadcast(_ bytes: inout [UInt8], root: Int) throws {
        bytes = group.exchange(rank, bytes.map(Double.init))[root].map { UInt8($0) }
    }

    public func allGatherRows(_ local: Tensor) throws -> Tensor {
        let all = group.exchange(rank, local.scalars.map(Double.init))
        let rows = all.reduce(0) { $0 + $1.count } / max(local.rowSize, 1)
        return try Tensor(shape: [rows] + Array(local.shape.dropFirst()), scalars: all.flatMap { $0.map(Float.init) })
    }

    public func barrier() throws { group.barrier() }

    /// Pieces of ZeRO-1's overlapped weight gather started on this rank, and how many were waited for.
    public private(set) var gatherPiecesStarted = 0
    public private(set) var gatherPiecesWaited = 0

    /// ZeRO-1's overlapped weight gather, delivered late: the ranks exchange their parts now, but until the wait the
    /// other ranks' parts of `buffer` hold NaN (what an in-flight MPI buffer may hold), so a layer that reads its
    /// weights before waiting for its piece computes NaN and the run no longer matches the blocking gather.
    public func startAllGather(_ buffer: Tensor, counts: [Int], background: Bool) throws -> PendingReduction {
        gatherPiecesStarted += 1
        let start = counts.prefix(rank).reduce(0, +)
        let all = try allGatherRows(buffer.rows(start..<(start + counts[rank])).copy())
        for i in 0..<counts.reduce(0, +) where !(start..<(start + counts[rank])).contains(i) { buffer[flat: i] = .nan }
        return LateGather { [self] in
            gatherPiecesWaited += 1
            for i in 0..<all.count { buffer[flat: i] = all[flat: i] }
        }
    }

    /// A gather piece whose bytes land at `wait` (never at `test`).
    final class LateGather: PendingReduction {
        private var deliver: (() -> Void)?
        init(_ deliver: @escaping () -> Void) { self.deliver = deliver }
        func test() throws -> Bool { deliver == nil }
        func wait() throws {
            deliver?()
            deliver = nil
        }
    }

    public func abort(_ message: String, code: Int32) -> Never { fatalError("rank \(rank): \(message)") }
}

/// Per-rank results written by the rank threads (guarded by the group's lock).
/// The rank threads' shared body and their results (written under the group's lock): Thread needs a Sendable
/// closure, and the ranks' models are confined to their own threads.
final class ResultBox<T>: @unchecked Sendable {
    let body: (ThreadCommunicator) throws -> T
    var results: [Result<T, Error>?]
    init(_ size: Int, _ body: @escaping (ThreadCommunicator) throws -> T) {
        self.body = body
        results = Array(repeating: nil, count: size)
    }
}
