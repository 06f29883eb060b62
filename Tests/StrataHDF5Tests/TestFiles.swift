import Foundation
import Strata
import TestSupport

/// Scratch files for the HDF5 tests and the test-process helpers (the check executable).
enum TestFiles {
    /// A fresh temporary directory.
    static func directory() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("strata-hdf5-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Deterministic `[rows, cols]` values.
    static func tensor(_ rows: Int, _ cols: Int, stream: UInt64 = 1) throws -> Tensor {
        let r = CounterRandom(seed: 5, stream: stream)
        return try Tensor(shape: [rows, cols], scalars: (0..<(rows * cols)).map { r.uniform(UInt64($0)) * 2 - 1 })
    }

    static var checkExecutable: String { BuildProducts.executable("strata-hdf5-check") }

    /// Runs `executable` with `arguments`; returns (status, output). A timeout terminates it.
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Double = 120
    ) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let timer = DispatchWorkItem { p.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        timer.cancel()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The environment for `mpirun -np N strata-hdf5-check ...` from a test (root allowed, oversubscribed, one
    /// BLAS thread, no inherited launcher variables); nil when the executable or mpirun is missing.
    static func mpiEnvironment() -> [String: String]? {
        guard FileManager.default.isExecutableFile(atPath: checkExecutable) else { return nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard path.split(separator: ":").contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/mpirun") }) else {
            return nil
        }
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_"].contains { key.hasPrefix($0) }
        }
        for (k, v) in [
            "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1",
            "OMPI_MCA_odls_base_sigkill_timeout": "0", "OPENBLAS_NUM_THREADS": "1", "SWIFT_BACKTRACE": "enable=no",
        ] { env[k] = v }
        return env
    }
}
