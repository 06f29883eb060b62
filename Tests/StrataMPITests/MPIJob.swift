import Foundation
import TestSupport
import XCTest

/// Runs `strata-mpi-check` under mpirun (or launch/run, or alone) from a test, with its own timeout.
///
/// The child's environment drops every OMPI_/PMIX_/OPAL_/ORTE_ variable (an earlier in-process MPI_Init would
/// otherwise make mpirun exit at once) and allows root, oversubscription and no kill grace period.
struct MPIJob {
    struct Result {
        let status: Int32
        let output: String
        let seconds: Double
        /// When the job's process ended (seconds since 1970), to time how fast a faulty job ends.
        let endedAt: Double
        let timedOut: Bool
    }

    static var driver: String { BuildProducts.executable("strata-mpi-check") }

    /// The package's launch/ directory, found from this file's path.
    static var launchDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("launch")
    }

    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_"].contains { key.hasPrefix($0) }
        }
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        env["OMPI_MCA_odls_base_sigkill_timeout"] = "0"
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["OPENBLAS_NUM_THREADS"] = "1"
        return env
    }

    /// `mpirun -np ranks [mpiArgs] strata-mpi-check args...`.
    static func mpirun(_ ranks: Int, _ args: [String], mpiArgs: [String] = [], timeout: Double = 60) throws -> Result {
        try launch(["mpirun", "-np", "\(ranks)"] + mpiArgs + [driver] + args, timeout: timeout)
    }

    /// `strata-mpi-check args...` alone: the single-process reference (no MPI at all).
    static func alone(_ args: [String], timeout: Double = 60) throws -> Result {
        try launch([driver] + args, timeout: timeout)
    }

    /// Runs `/usr/bin/env command...` in `environment`, killing it after `timeout` seconds.
    static func launch(_ command: [String], timeout: Double, environment: [String: String] = MPIJob.environment) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        p.environment = environment
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        let start = Date()
        try p.run()
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let end = Date()
        killer.cancel()
        let timedOut = end.timeIntervalSince(start) >= timeout
        return Result(
            status: p.terminationStatus, output: String(decoding: data, as: UTF8.self),
            seconds: end.timeIntervalSince(start), endedAt: end.timeIntervalSince1970, timedOut: timedOut)
    }

    /// The time strata-mpi-check printed when it injected its fault (a test failure when it printed none).
    static func faultTime(_ output: String) -> Double {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("FAULT ") }),
            let t = line.split(separator: "=").last.flatMap({ Double($0) })
        else {
            XCTFail("no FAULT line in:\n\(output)")
            return .infinity
        }
        return t
    }

    /// A fresh temporary directory for one test's output files.
    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-mpi-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// What strata-mpi-check wrote for one rank.
struct RankReport {
    let raw: Data
    let json: [String: Any]

    init(_ path: String) throws {
        raw = try Data(contentsOf: URL(fileURLWithPath: path))
        json = try JSONSerialization.jsonObject(with: raw) as? [String: Any] ?? [:]
    }

    var weights: [Float] { (json["weightBits"] as? [NSNumber] ?? []).map { Float(bitPattern: $0.uint32Value) } }
    func figures(_ key: String) -> [Double] { (json[key] as? [NSNumber] ?? []).map(\.doubleValue) }
}
