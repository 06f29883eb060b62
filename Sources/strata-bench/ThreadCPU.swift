import Foundation

/// CPU seconds this process's threads have run, by role: the compute thread (the one that called `fit`, the main
/// thread), the progress thread (`strata-progress`) and the rest (the pool's workers, MPI's own threads). Read from
/// /proc/self/task/*/schedstat (nanoseconds on a CPU, the same clock as `CLOCK_THREAD_CPUTIME_ID`). On emulated nodes
/// that share this machine's cores, a rank's CPU beyond its compute (starting and testing buckets, the progress
/// thread, the TCP stack's work charged to the threads) is step time the cost model has to count (`thread_cpu`).
struct ThreadCPU {
    var compute = 0.0
    var progress = 0.0
    var other = 0.0

    /// The threads' CPU seconds now (0 where /proc has no schedstat: the record then says so with zeros).
    static func now() -> ThreadCPU {
        var cpu = ThreadCPU()
        let main = String(getpid())
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for tid in tasks {
            let dir = "/proc/self/task/" + tid
            guard let stat = try? String(contentsOfFile: dir + "/schedstat", encoding: .utf8),
                let ns = stat.split(separator: " ").first.flatMap({ Double($0) })
            else { continue }
            let name = (try? String(contentsOfFile: dir + "/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if tid == main {
                cpu.compute += ns / 1e9
            } else if name == "strata-progress" {
                cpu.progress += ns / 1e9
            } else {
                cpu.other += ns / 1e9
            }
        }
        return cpu
    }

    static func - (a: ThreadCPU, b: ThreadCPU) -> ThreadCPU {
        ThreadCPU(compute: a.compute - b.compute, progress: a.progress - b.progress, other: a.other - b.other)
    }

    /// The calling thread's CPU seconds (`CLOCK_THREAD_CPUTIME_ID`), what `AllReduceTimer.cpuClock` reads around each
    /// collective.
    static func callingThread() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
