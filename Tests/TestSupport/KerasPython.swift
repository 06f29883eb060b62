import Foundation

/// A Python with keras/tensorflow for interop checks: $STRATA_KERAS_PYTHON, else the venv .ci/run makes, else
/// /tmp/kerasvenv. Tests that need it skip with a message when none is found.
public enum KerasPython {
    public static var path: String? {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let p = env["STRATA_KERAS_PYTHON"] { candidates.append(p) }
        let cache = env["XDG_CACHE_HOME"] ?? (env["HOME"].map { $0 + "/.cache" } ?? "/root/.cache")
        candidates += [cache + "/strata/kerasvenv/bin/python", "/tmp/kerasvenv/bin/python"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `script` with the Python, returning (exit status, stdout+stderr).
    public static func run(_ script: String, arguments: [String] = []) throws -> (Int32, String) {
        guard let python = path else { return (-1, "no python") }
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
