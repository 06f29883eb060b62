import Foundation
import Strata

/// Writes predictions to an HDF5 file atomically (temp file, then rename).
public enum Predictions {
    public static func write(_ t: Tensor, to path: String) throws {
        let tmp = path + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let f = try HDF5.File.create(tmp)
            try f.write("predictions", t)
            try f.flush()
        }
        guard rename(tmp, path) == 0 else {
            try? FileManager.default.removeItem(atPath: tmp)
            throw StrataError.file(path: path, "cannot move the finished file into place", hint: "check the directory is writable")
        }
    }
}
