import Foundation
import Strata

/// `strata inspect --verify FILE|DIR`: every checkpoint's verification (newest first for a run directory), one
/// line each — OK, not verified (no checksums: Keras or an older Strata), or FAILED with each damaged region.
public enum VerifyReport {
    /// The report and whether any file failed.
    public static func run(_ location: String) -> (text: String, failed: Bool) {
        let results = CheckpointSelection.verifyAll(location)
        if results.isEmpty { return ("\(location): no checkpoint files (.h5) to verify", true) }
        var lines: [String] = []
        var failed = false
        for (path, result) in results {
            switch result {
            case let .success(v):
                lines.append((v.isVerified ? "OK          " : "UNVERIFIED  ") + path + ": " + v.summary)
            case let .failure(e):
                failed = true
                lines.append("FAILED      " + ((e as? LocalizedError)?.errorDescription ?? "\(e)"))
            }
        }
        let latest =
            (try? FileManager.default.contentsOfDirectory(atPath: location))?.filter {
                ($0 as NSString).deletingPathExtension.hasSuffix("-latest")
            } ?? []
        for name in latest.sorted() {
            let path = URL(fileURLWithPath: location).appendingPathComponent(name).path
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                lines.append("            \(path) -> \(target)")
            }
        }
        return (lines.joined(separator: "\n"), failed)
    }
}
