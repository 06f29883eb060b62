import CHDF5
import Foundation
import StrataCore

extension HDF5 {
    /// An open HDF5 file; its root group. Closed when released.
    public final class File: Group {
        /// Opens an existing file read-only (or read-write), with clear errors for a missing, non-HDF5 or damaged file.
        public static func open(_ path: String, writable: Bool = false) throws -> File {
            HDF5.silence()
            guard FileManager.default.fileExists(atPath: path) else {
                throw StrataError.file(path: path, "no such file", hint: "check the path (relative paths start at \(FileManager.default.currentDirectoryPath))")
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw StrataError.file(path: path, "the file is not readable", hint: "check its permissions")
            }
            if H5Fis_hdf5(path) <= 0 {
                _ = HDF5.errorStack()
                throw StrataError.file(path: path, "not an HDF5 file (no HDF5 signature)",
                                       hint: "pass an .h5 file written by h5py, Keras or Strata")
            }
            let id = try HDF5.check(H5Fopen(path, writable ? ch5_f_acc_rdwr() : ch5_f_acc_rdonly(), ch5_p_default()),
                                    "H5Fopen", file: path, object: "/",
                                    hint: "the file may be truncated or still being written; use a complete copy")
            return File(fileID: id, file: path)
        }

        /// Creates (truncates) a file.
        public static func create(_ path: String) throws -> File {
            HDF5.silence()
            let id = try HDF5.check(H5Fcreate(path, ch5_f_acc_trunc(), ch5_p_default(), ch5_p_default()),
                                    "H5Fcreate", file: path, object: "/", hint: "check that the directory exists and is writable")
            return File(fileID: id, file: path)
        }

        /// Flushes buffered data to the operating system.
        public func flush() throws {
            try check(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush")
        }
    }
}
