import Foundation
import StrataCore
import Synchronization
import XCTest

@testable import StrataMPI

/// The progress thread on its own (no MPI): jobs start in the order they were handed over, each is driven by `test`
/// until it completes (or by the caller's `wait`, on the caller's thread), the caller's `test` never blocks, and an
/// error raised on the thread (when starting or testing) is the one the caller's `test` and `wait` throw. The MPI jobs (GradientTrafficTests,
/// MPICommunicatorTests' faults) run through the same thread.
final class ProgressThreadTests: XCTestCase {
    /// A reduction that completes on its `completeAfter`-th test (or fails there with `failure`).
    final class Scripted: PendingReduction, @unchecked Sendable {
        let completeAfter: Int
        let failure: Error?
        let tests = Atomic<Int>(0)
        init(completeAfter: Int, failure: Error? = nil) {
            self.completeAfter = completeAfter
            self.failure = failure
        }
        func test() throws -> Bool {
            let n = tests.add(1, ordering: .relaxed).newValue
            if n >= completeAfter, let failure { throw failure }
            return n >= completeAfter
        }
        /// As MPI_Wait: drives it to completion (a caller's `wait` calls it).
        func wait() throws { while try !test() {} }
    }

    struct Injected: Error, Equatable { let id: Int }

    private func engine() -> ProgressThread {
        ProgressThread(watchdog: Watchdog(rank: 0, hosts: RankHosts(["here"]), timeout: 300), interval: 1e-4)
    }

    func testJobsStartInOrderAndCompleteAfterTheirTests() throws {
        let progress = engine()
        let order = Mutex<[Int]>([])
        let scripted = (0..<5).map { Scripted(completeAfter: 3 + $0 * 7) }
        let jobs = scripted.indices.map { i in
            progress.submit(call: "MPI_Allreduce") {
                order.withLock { $0.append(i) }
                return scripted[i]
            }
        }
        for job in jobs.reversed() { try job.wait() }
        XCTAssertEqual(order.withLock { $0 }, [0, 1, 2, 3, 4], "started in the order handed over")
        for (s, job) in zip(scripted, jobs) {
            XCTAssertTrue(try job.test())
            XCTAssertEqual(s.tests.load(ordering: .relaxed), s.completeAfter, "tested until complete, then left alone")
        }
    }

    /// `wait` completes its job on the caller's thread, as a blocking collective would: it starts the jobs handed
    /// over before it, in order, and blocks in the job's own wait while the thread makes no call. (Before, the
    /// caller slept until the thread reported: two thread wake-ups per collective, each a 4 ms scheduler tick or
    /// more when the cores are busy; a 4 KiB all-reduce took 12-24 ms.)
    func testWaitDrivesTheJobOnTheCallersThread() throws {
        let progress = engine()
        /// Completes by `test` only after many (so the thread alone would also end it), at once by `wait`.
        final class Slow: PendingReduction, @unchecked Sendable {
            let tests = Atomic<Int>(0)
            let waiter = Mutex<pthread_t?>(nil)
            let testsDuringWait = Atomic<Int>(-1)
            func test() throws -> Bool { tests.add(1, ordering: .relaxed).newValue >= 400 }
            func wait() throws {
                waiter.withLock { $0 = pthread_self() }
                let before = tests.load(ordering: .relaxed)
                usleep(20_000)
                testsDuringWait.store(tests.load(ordering: .relaxed) - before, ordering: .relaxed)
            }
        }
        let order = Mutex<[Int]>([])
        let slow = (0..<3).map { _ in Slow() }
        let jobs = slow.indices.map { i in
            progress.submit(call: "MPI_Allreduce") {
                order.withLock { $0.append(i) }
                return slow[i]
            }
        }
        try jobs[2].wait()
        XCTAssertTrue(try jobs[2].test())
        XCTAssertEqual(order.withLock { $0 }, [0, 1, 2], "started in the order handed over")
        let waiter = try XCTUnwrap(slow[2].waiter.withLock { $0 }, "completed by its own wait, not by the thread's tests")
        XCTAssertNotEqual(pthread_equal(waiter, pthread_self()), 0, "on the caller's thread")
        XCTAssertEqual(slow[2].testsDuringWait.load(ordering: .relaxed), 0, "the thread makes no call meanwhile")
        for job in jobs { try job.wait() }
    }

    func testCallerTestDoesNotBlockWhileInFlight() throws {
        let progress = engine()
        final class Gated: PendingReduction, @unchecked Sendable {
            let open = Atomic<Bool>(false)
            func test() throws -> Bool { open.load(ordering: .acquiring) }
            func wait() throws {}
        }
        let gated = Gated()
        let job = progress.submit(call: "MPI_Allreduce") { gated }
        for _ in 0..<20 {
            XCTAssertFalse(try job.test(), "in flight until the transfer completes")
            usleep(1000)
        }
        gated.open.store(true, ordering: .releasing)
        try job.wait()
        XCTAssertTrue(try job.test())
    }

    func testAnErrorOnTheThreadIsThrownToTheCaller() throws {
        let progress = engine()
        let failsToStart = progress.submit(call: "MPI_Allreduce") { throw Injected(id: 1) }
        let failsInFlight = progress.submit(call: "MPI_Reduce_scatter") { Scripted(completeAfter: 4, failure: Injected(id: 2)) }
        let fine = progress.submit(call: "MPI_Allreduce") { Scripted(completeAfter: 2) }
        XCTAssertThrowsError(try failsToStart.wait()) { XCTAssertEqual($0 as? Injected, Injected(id: 1)) }
        XCTAssertThrowsError(try failsToStart.test()) { XCTAssertEqual($0 as? Injected, Injected(id: 1)) }
        XCTAssertThrowsError(try failsInFlight.wait()) { XCTAssertEqual($0 as? Injected, Injected(id: 2)) }
        try fine.wait()
    }
}
