/// A sum over all ranks that was started and may still be in flight (`Communicator.startAllReduceSum`): the
/// trainer starts one per gradient bucket during backward, nudges them between layers (`test`) so the transfer
/// advances while the next layers compute, and waits before the optimizer reads the buffer.
public protocol PendingReduction: AnyObject {
    /// Advances the transfer; true once the summed values are in the buffer (never blocks).
    func test() throws -> Bool
    /// Blocks until the summed values are in the buffer (bounded by the communicator's watchdog).
    func wait() throws
}

/// A reduction that was finished when it was started (communicators without non-blocking collectives).
public final class CompletedReduction: PendingReduction {
    public init() {}
    public func test() throws -> Bool { true }
    public func wait() throws {}
}

extension Communicator {
    /// Without a non-blocking collective the sum happens now; the returned reduction is already complete. Same
    /// results as `allReduceSum(_:)` by construction.
    public func startAllReduceSum(_ buffer: Tensor) throws -> PendingReduction {
        try allReduceSum(buffer)
        return CompletedReduction()
    }

    /// Without a communication thread the caller drives the transfer (`test` between layers).
    public func startAllReduceSum(_ buffer: Tensor, background: Bool) throws -> PendingReduction {
        try startAllReduceSum(buffer)
    }

    /// Without a communication thread the caller drives the transfer (`test` between layers).
    public func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor, background: Bool) throws -> PendingReduction {
        try startReduceScatterSum(buffer, counts: counts, into: into)
    }
}
