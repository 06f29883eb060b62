import Dispatch
import Foundation
import StrataCore

/// The communication thread of a rank (Horovod's background thread): the compute thread hands it a bucket's
/// collective, and it starts the non-blocking collective and drives it (`test` every `interval`) until it completes,
/// so the bytes move while backward computes. Open MPI advances a transfer only inside MPI calls; without this
/// thread those calls happen only between layers, and over TCP almost nothing of a large all-reduce hides.
///
/// Jobs start in the order they were handed over (every rank hands over the same buckets in the same order, on a
/// communicator only these jobs use, so the collectives match across ranks). Between tests the thread sleeps
/// (`interval`), so on a machine with one core per rank it takes a few percent of that core, not all of it; with
/// nothing in flight it waits on a condition and costs nothing. The caller's `wait` does not sleep until the thread
/// reports: it parks the thread, starts what is still queued up to its job and blocks in the job's own MPI wait,
/// as a blocking collective would. Sleeping until the thread reported cost two thread wake-ups per collective, and
/// when the cores are busy each waits for the scheduler's next tick (4 ms at HZ=250): a 4 KiB all-reduce took
/// 12-24 ms under load against 0.05 ms in the MPI call itself. `wait` is watched like every collective; an MPI
/// error on the thread is rethrown by `test` and `wait` on the compute thread, where the trainer ends every rank.
final class ProgressThread: @unchecked Sendable {
    /// A collective handed to the thread: `start` returns the request to drive.
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

        /// Blocks until it has completed, driving it on the caller's thread (see `ProgressThread`).
        func wait() throws {
            engine.drive(until: self)
            try engine.signal.withLock { self.outcome! }.get()
        }
    }

    /// Seconds between two tests of the jobs in flight.
    let interval: Double
    private let watchdog: Watchdog
    /// Guards `queue`, `active`, `callers` and every job's `outcome`; signalled when a job is queued or completes
    /// and when a caller stops driving.
    private let signal = NSCondition()
    /// Handed over, not started yet, in order.
    private var queue: [Job] = []
    /// Started, not completed, in start order.
    private var active: [Job] = []
    /// Callers driving the jobs themselves (in `wait`): the thread stays parked until they are done.
    private var callers = 0
    /// Held by whoever makes the jobs' MPI calls (the thread for one pass, or a waiting caller), so a request is
    /// never tested or waited on from two threads at once and jobs start in order.
    private let driving = NSLock()

    /// Starts the thread (parked until the first job).
    init(watchdog: Watchdog, interval: Double = ProgressThread.defaultInterval) {
        self.watchdog = watchdog
        self.interval = interval
        Thread.detachNewThread { [self] in loop() }
    }

    /// 100 µs: at 1 Gbit/s about 12 KB move between two tests, well inside the kernel's socket buffers, so the link
    /// stays busy; the wake-ups cost about 1-2% of a core (see README, "Overlap").
    static let defaultInterval = 100e-6

    /// Hands over a collective: `start` runs after every job handed over before it (on the thread, or on a caller
    /// waiting for this job or a later one).
    func submit(call: String, _ start: @escaping () throws -> PendingReduction) -> PendingReduction {
        let job = Job(self, call: call, start: start)
        signal.withLock {
            queue.append(job)
            signal.broadcast()
        }
        return job
    }

    /// Records a job's outcome and takes it out of `active`. Under `signal`'s lock.
    private func finish(_ job: Job, _ outcome: Result<Void, Error>) {
        job.outcome = outcome
        active.removeAll { $0 === job }
        signal.broadcast()
    }

    /// Starts the first queued job, if any (false when none). Holding `driving`.
    private func startNext() -> Bool {
        guard let job = signal.withLock({ queue.isEmpty ? nil : queue.removeFirst() }) else { return false }
        do {
            job.running = try job.start()
            signal.withLock { active.append(job) }
        } catch {
            signal.withLock { finish(job, .failure(error)) }
        }
        return true
    }

    /// The thread's pass: starts what is queued, tests what is in flight. Holding `driving`.
    private func pass() {
        while startNext() {}
        for job in signal.withLock({ active }) {
            let outcome: Result<Void, Error>?
            do { outcome = try job.running!.test() ? .success(()) : nil } catch { outcome = .failure(error) }
            if let outcome { signal.withLock { finish(job, outcome) } }
        }
    }

    /// A caller's `wait` for `job`: parks the thread, starts what is queued up to `job` (in order), then blocks in
    /// `job`'s own MPI wait, watched as the collective it completes; the jobs after it go on with the thread.
    fileprivate func drive(until job: Job) {
        guard
            signal.withLock({ () -> Bool in
                guard job.outcome == nil else { return false }
                callers += 1
                return true
            })
        else { return }
        defer {
            signal.withLock {
                callers -= 1
                signal.broadcast()
            }
        }
        watchdog.enter(job.call)
        driving.lock()  // at most one pass of the thread: non-blocking calls
        watchdog.leave()
        defer { driving.unlock() }
        while job.running == nil && signal.withLock({ job.outcome == nil }) && startNext() {}
        guard let running = job.running, signal.withLock({ job.outcome == nil }) else { return }
        let outcome: Result<Void, Error>
        do {
            try running.wait()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        signal.withLock { finish(job, outcome) }
    }

    private func loop() {
        var named = false
        while true {
            signal.lock()
            while callers > 0 || (queue.isEmpty && active.isEmpty) { signal.wait() }
            if !named {
                // Named at the first job, as `top -H`, /proc/PID/task/*/comm and strata-bench's `thread_cpu` show
                // it: Foundation applies a name to the OS thread only once `start` has recorded the thread, which
                // the first line of a just-started thread can precede (the name was then lost), and no job is
                // handed over before `init` returns.
                Thread.current.name = "strata-progress"
                named = true
            }
            if queue.isEmpty { _ = signal.wait(until: Date(timeIntervalSinceNow: interval)) }
            let parked = callers > 0
            signal.unlock()
            guard !parked, driving.try() else { continue }
            pass()
            driving.unlock()
        }
    }
}
