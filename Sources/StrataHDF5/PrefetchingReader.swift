import Dispatch
import StrataCore

/// The streaming reader's background thread: `prefetch(rows)` starts reading the next batch's rows through the
/// `ReadAheadWindow` into a staging buffer while the current step computes, and the `read` of those rows waits for
/// that read (usually long finished) and copies the rows out (one batch's copy), so a streamed epoch does not wait
/// on the file.
///
/// Results never depend on timing: the window is used by one thread at a time (a `read` of other rows first waits
/// for the pending job and drops it, then reads synchronously), and an error the background read met (an
/// unreadable or truncated file, a NaN row) is rethrown by the `read` of those rows — where a synchronous read
/// would have thrown it. Rows prefetched but never read (training stopped) are dropped with their error.
/// HDF5 is built thread-safe here (`H5_HAVE_THREADSAFE`), so chunked and compressed files are read in the
/// background too.
final class PrefetchingReader: @unchecked Sendable {
    // @unchecked: `window`, the staging buffers and `failure` are touched by the worker only between `prefetch`
    // dispatching a job and `done.wait()` in the next call on the caller's thread (the group orders them).
    private let window: ReadAheadWindow
    private let queue = DispatchQueue(label: "strata.hdf5.prefetch", qos: .userInitiated)
    private let done = DispatchGroup()
    /// The rows being read in the background (nil when no job is pending) and the error that read met.
    private var pending: [Int]?
    private var failure: Error?
    private var stageX = Tensor(zeros: [0])
    private var stageY: Tensor?
    /// Reads served from a background read (for tests and figures).
    private(set) var hits = 0

    init(_ window: ReadAheadWindow) { self.window = window }

    deinit { done.wait() }

    /// Starts reading `indices` in the background for the next `read`.
    func prefetch(_ indices: ArraySlice<Int>) {
        settle()
        guard !indices.isEmpty else { return }
        let n = indices.count
        if stageX.count < n * window.xRow { stageX = Tensor(zeros: [n * window.xRow]) }
        if window.y != nil, (stageY?.count ?? -1) < n * window.yRow { stageY = Tensor(zeros: [n * window.yRow]) }
        let rows = Array(indices)
        pending = rows
        done.enter()
        queue.async { [self] in
            let n = rows.count
            do {
                try window.read(rows[...], x: stageX.rows(0..<(n * window.xRow)), y: stageY?.rows(0..<(n * window.yRow)))
            } catch { failure = error }
            done.leave()
        }
    }

    /// Rows `indices` into `x` (and `y`): from the background read when it read exactly these rows, else now.
    func read(_ indices: ArraySlice<Int>, x: Tensor, y: Tensor?) throws {
        if let rows = pending, rows.elementsEqual(indices) {
            let error = settle()
            if let error { throw error }
            Kernels.copy(stageX.rows(0..<x.count), into: x)
            if let y, let stageY { Kernels.copy(stageY.rows(0..<y.count), into: y) }
            hits += 1
            return
        }
        settle()
        try window.read(indices, x: x, y: y)
    }

    /// Waits for the pending job, if any, and forgets it; returns its error.
    @discardableResult
    private func settle() -> Error? {
        guard pending != nil else { return nil }
        done.wait()
        pending = nil
        defer { failure = nil }
        return failure
    }
}
