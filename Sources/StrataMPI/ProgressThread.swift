import Dispatch
import Foundation
import StrataCore

/// The communication thread of a rank (Horovod's background thread): the compute thread hands it a bucket's
/// collective, and it starts the non-blocking collective and drives it (`test` every `interval`) until it completes,
/// so the bytes move while backward computes. Open MPI advances a transfer only inside MPI calls; without this
/// thread those calls happen only between layers, and over TCP almost nothing of a large all-reduce hides.
///
/// Jobs start in the order they were handed over (every rank hands over the same buckets in the same order, on a
/// communicator only this thread uses, so the collectives match across ranks). Between tests the thread sleeps
/// (`interval`), so on a machine with one core per rank it takes a few percent of that core, not all of it; while
/// the compute thread is blocked in `wait` (its core idle) it tests without sleeping, as a blocking collective
/// would; with nothing in flight it waits on a condition and costs nothing. The caller's `wait` blocks on the job under the
/// rank's watchdog, as a blocking collective would; an MPI error on this thread is rethrown by `test` and `wait`
/// on the compute thread, where the trainer ends every rank with it.
final class ProgressThread: @unchecked Sendable {
    /// A collective handed to the thread: `start` (run on the thread) returns the request to drive.
    final class Job: PendingReduction, @unchecked Sendable {
        fileprivate let start: () throws -> PendingReduction
        fileprivate var running: PendingReduction?
        /// Set once, under the engine's lock: nil while in flight, then success or the error.
        fileprivate var outcome: Result<Void, Error>?
        fileprivate unowned let engine: ProgressThread
        /// The collective the job completes, as the watchdog's message names it.
        let call: String

        fileprivate init(_ engine: ProgressThread, call: String, start: @escaping () throws -> PendingReduction) {
            self.engine = engine
            self.call = call
            self.start = start
        }

        /// Whether the thread has completed it (no MPI call here: the thread is the one that makes them).
        func test() throws -> Bool {
            guard let outcome = engine.signal.withLock({ self.outcome }) else { return false }
            try outcome.get()
            return true
        }

        /// Blocks until the thread has completed it, under the watchdog like a blocking collective.
        func wait() throws {
            engine.watchdog.enter(call)
            engine.signal.lock()
            engine.waiting += 1
            while outcome == nil { engine.signal.wait() }
            engine.waiting -= 1
            let outcome = self.outcome!
            engine.signal.unlock()
            engine.watchdog.leave()
            try outcome.get()
        }
    }

    /// Seconds between two tests of the jobs in flight.
    let interval: Double
    private let watchdog: Watchdog
    /// Guards `queue`, `waiting` and every job's `outcome`; signalled when a job is queued or completes.
    private let signal = NSCondition()
    private var queue: [Job] = []
    /// Callers blocked in `wait`: their core is idle, so the thread tests without sleeping until they return.
    private var waiting = 0

    /// Starts the thread (parked until the first job).
    init(watchdog: Watchdog, interval: Double = ProgressThread.defaultInterval) {
        self.watchdog = watchdog
        self.interval = interval
        Thread.detachNewThread { [self] in
            Thread.current.name = "strata-progress"  // as `top -H` and /proc/PID/task/*/comm show it
            loop()
        }
    }

    /// 100 µs: at 1 Gbit/s about 12 KB move between two tests, well inside the kernel's socket buffers, so the link
    /// stays busy; the wake-ups cost about 1-2% of a core (see README, "Overlap").
    static let defaultInterval = 100e-6

    /// Hands over a collective: `start` runs on the thread, after every job handed over before it.
    func submit(call: String, _ start: @escaping () throws -> PendingReduction) -> PendingReduction {
        let job = Job(self, call: call, start: start)
        signal.withLock {
            queue.append(job)
            signal.broadcast()
        }
        return job
    }

    private func finish(_ job: Job, _ outcome: Result<Void, Error>) {
        signal.withLock {
            job.outcome = outcome
            signal.broadcast()
        }
    }

    private func loop() {
        var active: [Job] = []
        while true {
            signal.lock()
            if active.isEmpty {
                while queue.isEmpty { signal.wait() }
            } else if queue.isEmpty && waiting == 0 {
                _ = signal.wait(until: Date(timeIntervalSinceNow: interval))
            }
            let new = queue
            queue.removeAll(keepingCapacity: true)
            signal.unlock()
            for job in new {
                do {
                    job.running = try job.start()
                    active.append(job)
                } catch {
                    finish(job, .failure(error))
                }
            }
            active.removeAll { job in
                do {
                    guard try job.running!.test() else { return false }
                    finish(job, .success(()))
                } catch {
                    finish(job, .failure(error))
                }
                return true
            }
        }
    }
}
