import Dispatch
import Foundation
import Synchronization

/// Ends this process when one MPI collective has waited longer than `timeout` seconds.
///
/// Why: a rank that hangs (deadlock, a peer stuck in other code, a lost node) would otherwise keep the whole job
/// waiting forever. The communicator stamps the time when it enters a collective and clears it when it leaves;
/// a background thread that wakes a few times per timeout compares the stamp with the clock, and when the wait is
/// too long it prints one message naming the rank, its host, the call and the ranks it waits for (with their
/// hosts: on a cluster, where the dead node or the cut link is), and ends the process with `exitCode`. `mpirun`
/// then ends every other rank. The watchdog thread never calls MPI.
final class Watchdog: Sendable {
    /// The exit status of a process ended by the watchdog (as coreutils' `timeout`).
    static let exitCode: Int32 = 124

    private struct Wait {
        var call: String
        var since: UInt64
    }

    private let current = Mutex<Wait?>(nil)
    private let timeoutNanos: Atomic<UInt64>
    private let rank: Int
    private let hosts: RankHosts

    /// Starts the watching thread. `timeout` in seconds (> 0).
    init(rank: Int, hosts: RankHosts, timeout: Double) {
        self.rank = rank
        self.hosts = hosts
        timeoutNanos = Atomic(Watchdog.nanos(timeout))
        Thread.detachNewThread { [self] in self.watch() }
    }

    /// The longest a collective may wait, in seconds.
    var timeout: Double {
        get { Double(timeoutNanos.load(ordering: .relaxed)) / 1e9 }
        set { timeoutNanos.store(Watchdog.nanos(newValue), ordering: .relaxed) }
    }

    /// Marks the start of a collective named `call`.
    func enter(_ call: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        current.withLock { $0 = Wait(call: call, since: now) }
    }

    /// Marks the end of the current collective.
    func leave() {
        current.withLock { $0 = nil }
    }

    /// The one line a rank prints when the watchdog ends it.
    static func message(place: String, call: String, waited: Double, timeout: Double, waitingFor: String) -> String {
        "strata: \(place): \(call) has waited \(String(format: "%.1f", waited)) s for the other ranks (watchdog timeout "
            + "\(String(format: "%g", timeout)) s): \(waitingFor) has died, hung, lost its node or network link, or is running "
            + "different code. Ending this rank so the job ends. Change the limit with STRATA_MPI_TIMEOUT=<seconds> or "
            + "MPICommunicator.automatic(timeout:)."
    }

    private static func nanos(_ seconds: Double) -> UInt64 {
        UInt64(max(seconds, 0.001) * 1e9)
    }

    private func watch() {
        while true {
            let limit = timeoutNanos.load(ordering: .relaxed)
            // Wake often enough to end within ~1/8 of the timeout after it expires, at most once per second.
            Thread.sleep(forTimeInterval: min(1.0, max(0.01, Double(limit) / 8e9)))
            let now = DispatchTime.now().uptimeNanoseconds
            guard let wait = current.withLock({ $0 }), now > wait.since, now - wait.since > limit else { continue }
            let waited = Double(now - wait.since) / 1e9
            let text = Watchdog.message(
                place: hosts.place(of: rank), call: wait.call, waited: waited, timeout: timeout, waitingFor: hosts.others(than: rank))
            FileHandle.standardError.write(Data((text + "\n").utf8))
            fflush(nil)
            _exit(Watchdog.exitCode)
        }
    }
}
