import CHDF5
import StrataCore

extension HDF5 {
    /// An HDF5 dataset: shape, element kind, and reads converted to Float32 (whole, or rows by hyperslab).
    public final class DataObject: Object {
        /// The element kinds Strata reads (converted to Float32 on read).
        public enum Kind: String, Sendable { case float, integer, string, other }

        public let shape: [Int]
        public let kind: Kind
        /// Bytes per element in the file.
        public let elementSize: Int
        /// True if the file stores the data in chunks (possibly compressed).
        public let isChunked: Bool
        /// True if the elements are stored as this machine's Float32 (then contiguous rows can be read directly).
        let isNativeFloat: Bool

        init(id: hid_t, file: String, path: String) throws {
            let space = try HDF5.check(H5Dget_space(id), "H5Dget_space", file: file, object: path)
            defer { H5Sclose(space) }
            shape = try HDF5.extent(space, file: file, object: path)
            let type = try HDF5.check(H5Dget_type(id), "H5Dget_type", file: file, object: path)
            defer { H5Tclose(type) }
            switch H5Tget_class(type) {
            case H5T_FLOAT: kind = .float
            case H5T_INTEGER: kind = .integer
            case H5T_STRING: kind = .string
            default: kind = .other
            }
            elementSize = H5Tget_size(type)
            isNativeFloat = H5Tequal(type, ch5_native_float()) > 0
            let dcpl = try HDF5.check(H5Dget_create_plist(id), "H5Dget_create_plist", file: file, object: path)
            isChunked = H5Pget_layout(dcpl) == H5D_CHUNKED
            H5Pclose(dcpl)
            super.init(id: id, file: file, path: path, close: { H5Dclose($0) })
        }

        public var count: Int { shape.reduce(1, *) }

        /// The byte offset of the data in the file when it is contiguous, allocated, uncompressed native
        /// Float32: such rows can be read with `pread`, bypassing HDF5's selection machinery (same bytes).
        public func directOffset() -> Int? {
            guard !isChunked, isNativeFloat else { return nil }
            let off = H5Dget_offset(id)
            guard off != haddr_t.max else { _ = HDF5.errorStack(); return nil }
            return Int(off)
        }

        /// True if the data is stored with HDF5's Fletcher32 checksum filter (verified by every read).
        public var hasFletcher32: Bool {
            guard isChunked else { return false }
            let dcpl = H5Dget_create_plist(id)
            guard dcpl >= 0 else { _ = HDF5.errorStack(); return false }
            defer { H5Pclose(dcpl) }
            var flags: UInt32 = 0
            var n = 0
            var value: UInt32 = 0
            let found = H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, &flags, &n, &value, 0, nil, nil) >= 0
            if !found { _ = HDF5.errorStack() }
            return found
        }

        /// Canonical bytes for a checksum: type class, element size, shape and whether Fletcher32 guards the chunks,
        /// then the values in this machine's native type — unless Fletcher32 guards them, since HDF5 then checks
        /// each chunk on every read. `readingGuarded` reads guarded values anyway (and drops them), so that every
        /// chunk's Fletcher32 checksum is checked now.
        public func digestBytes(readingGuarded: Bool) throws -> [UInt8] {
            let type = try check(H5Dget_type(id), "H5Dget_type")
            defer { H5Tclose(type) }
            let native = try check(H5Tget_native_type(type, H5T_DIR_ASCEND), "H5Tget_native_type")
            defer { H5Tclose(native) }
            guard H5Tis_variable_str(native) <= 0, H5Tdetect_class(native, H5T_VLEN) <= 0 else {
                throw StrataError.file(path: file, "dataset '\(path)' has variable-length values Strata does not checksum", hint: "")
            }
            let size = H5Tget_size(native)
            let guarded = hasFletcher32
            let header = Array("c\(H5Tget_class(type).rawValue)x\(size)\(shape)f\(guarded ? 1 : 0):".utf8)
            guard count > 0, !guarded || readingGuarded else { return header }
            var values = [UInt8](repeating: 0, count: size * count)
            try check(
                H5Dread(id, native, ch5_s_all(), ch5_s_all(), ch5_p_default(), &values), "H5Dread",
                hint: "the file was damaged after it was written")
            return guarded ? header : header + values
        }

        /// Where the dataset's stored bytes are in the file (one range if contiguous, one per chunk if chunked;
        /// a chunk's range includes its Fletcher32 checksum): for tools and tests that look at the raw file.
        public func storageRanges() throws -> [Range<Int>] {
            if !isChunked {
                let off = H5Dget_offset(id)
                guard off != haddr_t.max else { _ = HDF5.errorStack(); return [] }
                return [Int(off)..<(Int(off) + Int(H5Dget_storage_size(id)))]
            }
            let space = try check(H5Dget_space(id), "H5Dget_space")
            defer { H5Sclose(space) }
            var n: hsize_t = 0
            try check(H5Dget_num_chunks(id, space, &n), "H5Dget_num_chunks")
            var offsets = [hsize_t](repeating: 0, count: max(shape.count, 1))
            return try (0..<n).map { i in
                var mask: UInt32 = 0
                var addr: haddr_t = 0
                var size: hsize_t = 0
                try check(H5Dget_chunk_info(id, space, i, &offsets, &mask, &addr, &size), "H5Dget_chunk_info")
                return Int(addr)..<(Int(addr) + Int(size))
            }
        }

        /// Every value, converted to Float32 by HDF5.
        public func readAll() throws -> Tensor {
            let t = Tensor(zeros: shape)
            if t.count > 0 {
                try check(H5Dread(id, ch5_native_float(), ch5_s_all(), ch5_s_all(), ch5_p_default(), t.pointer), "H5Dread")
            }
            return t
        }

        /// Every value as Float64 (for exact checkpoint sums).
        public func readDoubles() throws -> [Double] {
            var out = [Double](repeating: 0, count: count)
            if !out.isEmpty {
                try check(H5Dread(id, ch5_native_double(), ch5_s_all(), ch5_s_all(), ch5_p_default(), &out), "H5Dread")
            }
            return out
        }

        /// Every value as Int64.
        public func readInt64s() throws -> [Int64] {
            var out = [Int64](repeating: 0, count: count)
            if !out.isEmpty {
                try check(H5Dread(id, ch5_native_int64(), ch5_s_all(), ch5_s_all(), ch5_p_default(), &out), "H5Dread")
            }
            return out
        }

        /// Reads the rows `runs` (ranges of the first axis, ascending, disjoint) into consecutive rows at `into`
        /// with ONE hyperslab selection (the union of the runs) and one `H5Dread`.
        public func readRows(_ runs: [Range<Int>], into: UnsafeMutablePointer<Float>) throws {
            let total = runs.reduce(0) { $0 + $1.count }
            if total == 0 { return }
            let rowSize = shape.dropFirst().reduce(1, *)
            if rowSize == 0 { return }
            let fspace = try check(H5Dget_space(id), "H5Dget_space")
            defer { H5Sclose(fspace) }
            var count = [hsize_t(0)] + shape.dropFirst().map { hsize_t($0) }
            var start = [hsize_t](repeating: 0, count: shape.count)
            for (i, r) in runs.enumerated() {
                guard r.lowerBound >= 0 && r.upperBound <= shape[0] else {
                    throw StrataError.file(path: file, "rows \(r) are outside '\(path)' (\(shape[0]) rows)", hint: "")
                }
                start[0] = hsize_t(r.lowerBound)
                count[0] = hsize_t(r.count)
                try check(
                    H5Sselect_hyperslab(fspace, i == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, start, nil, count, nil),
                    "H5Sselect_hyperslab")
            }
            var memDims = [hsize_t(total * rowSize)]
            let mspace = try check(H5Screate_simple(1, &memDims, nil), "H5Screate_simple")
            defer { H5Sclose(mspace) }
            try check(
                H5Dread(id, ch5_native_float(), mspace, fspace, ch5_p_default(), into), "H5Dread",
                hint: "the file may be truncated or damaged")
        }
    }
}
