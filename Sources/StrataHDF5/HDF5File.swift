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
                throw StrataError.file(
                    path: path, "no such file", hint: "check the path (relative paths start at \(FileManager.default.currentDirectoryPath))"
                )
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw StrataError.file(path: path, "the file is not readable", hint: "check its permissions")
            }
            if H5Fis_hdf5(path) <= 0 {
                _ = HDF5.errorStack()
                throw StrataError.file(
                    path: path, "not an HDF5 file (no HDF5 signature)",
                    hint: "pass an .h5 file written by h5py, Keras or Strata")
            }
            let id = try HDF5.check(
                H5Fopen(path, writable ? ch5_f_acc_rdwr() : ch5_f_acc_rdonly(), ch5_p_default()),
                "H5Fopen", file: path, object: "/",
                hint: "the file may be truncated or still being written; use a complete copy")
            return File(fileID: id, file: path)
        }

        /// Creates (truncates) a file. `checksummed`: every dataset gets HDF5's Fletcher32 filter, and the file
        /// uses the HDF5 1.8 format (superblock 2, object header 2), whose metadata HDF5 checksums itself; both
        /// are read transparently by h5py/Keras (any HDF5 since 1.8).
        public static func create(_ path: String, checksummed: Bool = false) throws -> File {
            HDF5.silence()
            let fapl = try HDF5.check(H5Pcreate(ch5_p_file_access()), "H5Pcreate", file: path, object: "/")
            defer { H5Pclose(fapl) }
            if checksummed {
                try HDF5.check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18), "H5Pset_libver_bounds", file: path, object: "/")
            }
            let id = try HDF5.check(
                H5Fcreate(path, ch5_f_acc_trunc(), ch5_p_default(), fapl),
                "H5Fcreate", file: path, object: "/", hint: "check that the directory exists and is writable")
            let f = File(fileID: id, file: path)
            f.checksummed = checksummed
            return f
        }

        /// Opens an HDF5 file held in memory (`image`, e.g. a checkpoint rank 0 read and broadcast), read-only;
        /// `name` is the path errors name.
        public static func open(image: [UInt8], name: String) throws -> File {
            HDF5.silence()
            let fapl = try HDF5.check(H5Pcreate(ch5_p_file_access()), "H5Pcreate", file: name, object: "/")
            defer { H5Pclose(fapl) }
            try HDF5.check(H5Pset_fapl_core(fapl, 1 << 20, false), "H5Pset_fapl_core", file: name, object: "/")
            try image.withUnsafeBytes { b in
                _ = try HDF5.check(
                    H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: b.baseAddress), b.count),
                    "H5Pset_file_image", file: name, object: "/")
            }
            // HDF5's core driver refuses an image whose name exists on disk: open it under a name that cannot.
            let id = try HDF5.check(
                H5Fopen("\(name).in-memory-\(UUID().uuidString)", ch5_f_acc_rdonly(), fapl), "H5Fopen", file: name, object: "/",
                hint: "the file may be truncated or damaged; use a complete copy")
            return File(fileID: id, file: name)
        }

        /// Flushes buffered data to the operating system.
        public func flush() throws {
            try check(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush")
        }
    }
}
