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
            let rank = Int(try HDF5.check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", file: file, object: path))
            var dims = [hsize_t](repeating: 0, count: rank)
            try HDF5.check(H5Sget_simple_extent_dims(space, &dims, nil), "H5Sget_simple_extent_dims", file: file, object: path)
            shape = dims.map { Int($0) }
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
                try check(H5Sselect_hyperslab(fspace, i == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, start, nil, count, nil),
                          "H5Sselect_hyperslab")
            }
            var memDims = [hsize_t(total * rowSize)]
            let mspace = try check(H5Screate_simple(1, &memDims, nil), "H5Screate_simple")
            defer { H5Sclose(mspace) }
            try check(H5Dread(id, ch5_native_float(), mspace, fspace, ch5_p_default(), into), "H5Dread",
                      hint: "the file may be truncated or damaged")
        }
    }
}
