import Foundation

/// The tests' one Keras-Python finder: a Python with keras/tensorflow for interop checks, $STRATA_KERAS_PYTHON, else
/// the venv .ci/run makes, else /tmp/kerasvenv. Tests that need it skip with a message when none is found.
public enum KerasPython {
    /// The places to look, in order.
    static var candidates: [String] {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let p = env["STRATA_KERAS_PYTHON"], !p.isEmpty { candidates.append(p) }
        let cache = env["XDG_CACHE_HOME"] ?? (env["HOME"].map { $0 + "/.cache" } ?? "/root/.cache")
        candidates += [cache + "/strata/kerasvenv/bin/python", "/tmp/kerasvenv/bin/python"]
        return candidates.filter { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The first candidate that exists.
    public static var path: String? { candidates.first }

    /// The first candidate that imports keras and h5py (checked once per test process); nil when none does.
    public static let withKerasAndH5py: String? = candidates.first { c in
        (try? run("import keras, h5py", python: c))?.0 == 0
    }

    /// Runs `script` with `python` (default `path`), returning (exit status, stdout+stderr).
    public static func run(_ script: String, arguments: [String] = [], python: String? = nil) throws -> (Int32, String) {
        guard let python = python ?? path else { return (-1, "no python") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script] + arguments
        var env = ProcessInfo.processInfo.environment
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        env["KERAS_BACKEND"] = "tensorflow"
        env["CUDA_VISIBLE_DEVICES"] = ""
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
