import CHDF5
import StrataCore

extension HDF5 {
    /// An HDF5 group: named children (groups and datasets) and attributes.
    public class Group: Object {
        /// True if datasets written here (and in subgroups made or opened from here) are chunked with HDF5's
        /// Fletcher32 checksum filter, which h5py and Keras verify transparently on every read.
        public internal(set) var checksummed = false

        init(id: hid_t, file: String, path: String, checksummed: Bool = false) {
            self.checksummed = checksummed
            super.init(id: id, file: file, path: path, close: { H5Gclose($0) })
        }
        init(fileID: hid_t, file: String) {
            super.init(id: fileID, file: file, path: "/", close: { H5Fclose($0) })
        }

        /// True if a link `name` (a relative path, possibly with `/`) exists.
        public func contains(_ name: String) -> Bool {
            var prefix = ""
            for part in name.split(separator: "/") {
                prefix += (prefix.isEmpty ? "" : "/") + part
                if H5Lexists(id, prefix, ch5_p_default()) <= 0 { return false }
            }
            return !prefix.isEmpty
        }

        /// The kind of the child `name` (nil if absent).
        public func kind(_ name: String) -> H5I_type_t? {
            guard contains(name) else { return nil }
            let o = H5Oopen(id, name, ch5_p_default())
            guard o >= 0 else { _ = HDF5.errorStack(); return nil }
            defer { H5Oclose(o) }
            return H5Iget_type(o)
        }

        public enum ChildKind: Sendable { case group, dataset, other }

        /// Whether the child `name` is a group, a dataset or something else (nil if absent or unreadable).
        public func childKind(_ name: String) -> ChildKind? {
            switch kind(name) {
            case H5I_GROUP?: return .group
            case H5I_DATASET?: return .dataset
            case nil: return nil
            default: return .other
            }
        }

        /// Why HDF5 cannot open the child `name` (e.g. a metadata checksum failing), or nil if it can.
        public func openFailure(_ name: String) -> String? {
            let o = H5Oopen(id, name, ch5_p_default())
            if o >= 0 { H5Oclose(o); return nil }
            let stack = HDF5.errorStack()
            return (stack.first ?? "HDF5 H5Oopen failed") + (stack.count > 1 ? " (\(stack.last!))" : "")
        }

        /// The subgroup `name` (which must exist).
        public func group(_ name: String) throws -> Group {
            guard contains(name) else {
                throw StrataError.file(
                    path: file, "no group '\(child(name))'", hint: "check the group name (h5ls -r shows the file's contents)")
            }
            let g = try check(H5Gopen2(id, name, ch5_p_default()), "H5Gopen2", child(name))
            return Group(id: g, file: file, path: child(name), checksummed: checksummed)
        }

        /// Creates the subgroup `name` (and missing intermediate groups), or opens it if it exists.
        public func makeGroup(_ name: String) throws -> Group {
            if contains(name) { return try group(name) }
            let lcpl = try check(H5Pcreate(ch5_p_link_create()), "H5Pcreate", child(name))
            defer { H5Pclose(lcpl) }
            try check(H5Pset_create_intermediate_group(lcpl, 1), "H5Pset_create_intermediate_group", child(name))
            let g = try check(H5Gcreate2(id, name, lcpl, ch5_p_default(), ch5_p_default()), "H5Gcreate2", child(name))
            return Group(id: g, file: file, path: child(name), checksummed: checksummed)
        }

        /// The dataset `name` (which must exist and be a dataset).
        public func dataset(_ name: String, access: hid_t? = nil) throws -> DataObject {
            guard let k = kind(name) else {
                throw StrataError.file(
                    path: file, "no dataset '\(child(name))'",
                    hint: "available: " + ((try? childNames()) ?? []).joined(separator: ", "))
            }
            guard k == H5I_DATASET else {
                throw StrataError.file(path: file, "'\(child(name))' is a group, not a dataset", hint: "name a dataset inside it")
            }
            let d = try check(H5Dopen2(id, name, access ?? ch5_p_default()), "H5Dopen2", child(name))
            return try DataObject(id: d, file: file, path: child(name))
        }

        /// Names of the direct children, in HDF5's name order.
        public func childNames() throws -> [String] {
            var info = H5G_info_t()
            try check(H5Gget_info(id, &info), "H5Gget_info")
            var names: [String] = []
            for i in 0..<info.nlinks {
                let len = try check(
                    H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, ch5_p_default()),
                    "H5Lget_name_by_idx")
                var buf = [CChar](repeating: 0, count: Int(len) + 1)
                try check(
                    H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, ch5_p_default()),
                    "H5Lget_name_by_idx")
                names.append(buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
            return names
        }

        /// Writes a float32 dataset (contiguous, as Keras writes weights) with `shape` (`[]` = scalar).
        public func write(_ name: String, floats: UnsafePointer<Float>, shape: [Int]) throws {
            try write(name, type: ch5_native_float(), shape: shape, data: UnsafeRawPointer(floats))
        }

        public func write(_ name: String, _ tensor: Tensor) throws {
            try write(name, floats: tensor.pointer, shape: tensor.shape)
        }

        public func write(_ name: String, doubles: [Double]) throws {
            try doubles.withUnsafeBytes { try write(name, type: ch5_native_double(), shape: [doubles.count], data: $0.baseAddress) }
        }

        public func write(_ name: String, int64s: [Int64]) throws {
            try int64s.withUnsafeBytes { try write(name, type: ch5_native_int64(), shape: [int64s.count], data: $0.baseAddress) }
        }

        /// Writes a float32 dataset stored in chunks of `chunkRows` rows, gzip-compressed at `gzip` (0-9) if given.
        public func write(_ name: String, _ tensor: Tensor, chunkRows: Int, gzip: Int? = nil) throws {
            try write(
                name, type: ch5_native_float(), shape: tensor.shape, data: UnsafeRawPointer(tensor.pointer),
                chunkRows: chunkRows, gzip: gzip)
        }

        /// Writes an integer dataset (`Int32`, `Int64` or `UInt8` elements) of `shape`, for labels and images.
        public func write<T: FixedWidthInteger>(_ name: String, integers: [T], shape: [Int]) throws {
            let type: hid_t
            switch T.self {
            case is UInt8.Type: type = ch5_native_uint8()
            case is Int32.Type: type = ch5_native_int32()
            case is Int64.Type: type = ch5_native_int64()
            default: throw StrataError.invalidArgument("cannot write \(T.self) datasets", hint: "use UInt8, Int32 or Int64")
            }
            try integers.withUnsafeBytes { try write(name, type: type, shape: shape, data: $0.baseAddress) }
        }

        /// Writes a 1-D dataset of fixed-length strings (e.g. to test that string data is refused).
        public func write(_ name: String, strings: [String]) throws {
            let size = max(strings.map { $0.utf8.count }.max() ?? 1, 1)
            let type = try check(H5Tcopy(ch5_c_s1()), "H5Tcopy", child(name))
            defer { H5Tclose(type) }
            try check(H5Tset_size(type, size), "H5Tset_size", child(name))
            var bytes = [UInt8](repeating: 0, count: size * strings.count)
            for (i, v) in strings.enumerated() { for (j, b) in v.utf8.enumerated() { bytes[i * size + j] = b } }
            try write(name, type: type, shape: [strings.count], data: bytes)
        }

        func write(
            _ name: String, type: hid_t, shape: [Int], data: UnsafeRawPointer?, chunkRows: Int? = nil,
            gzip: Int? = nil
        ) throws {
            let what = child(name)
            let dcpl = try check(H5Pcreate(ch5_p_dataset_create()), "H5Pcreate", what)
            defer { H5Pclose(dcpl) }
            // Checksummed: the rows split evenly into chunks of at most about 1 MB (HDF5 allocates the last chunk
            // whole, so no chunk is mostly padding); an empty or scalar dataset holds no data to checksum (the
            // file's recorded digest covers it).
            var rows = chunkRows
            if rows == nil, checksummed, !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) {
                let chunks = (H5Tget_size(type) * shape.reduce(1, *) + (1 << 20) - 1) >> 20
                rows = (shape[0] + chunks - 1) / max(chunks, 1)
            }
            if let rows, !shape.isEmpty {
                var chunk = [hsize_t(max(1, min(rows, shape[0])))] + shape.dropFirst().map { hsize_t(max($0, 1)) }
                try check(H5Pset_chunk(dcpl, Int32(chunk.count), &chunk), "H5Pset_chunk", what)
                if let gzip { try check(H5Pset_deflate(dcpl, UInt32(gzip)), "H5Pset_deflate", what) }
                if checksummed { try check(H5Pset_fletcher32(dcpl), "H5Pset_fletcher32", what) }
            }
            var dims = shape.map { hsize_t($0) }
            let space =
                shape.isEmpty
                ? try check(H5Screate(H5S_SCALAR), "H5Screate", what)
                : try check(H5Screate_simple(Int32(dims.count), &dims, nil), "H5Screate_simple", what)
            defer { H5Sclose(space) }
            let lcpl = try check(H5Pcreate(ch5_p_link_create()), "H5Pcreate", what)
            defer { H5Pclose(lcpl) }
            try check(H5Pset_create_intermediate_group(lcpl, 1), "H5Pset_create_intermediate_group", what)
            let d = try check(H5Dcreate2(id, name, type, space, lcpl, dcpl, ch5_p_default()), "H5Dcreate2", what)
            defer { H5Dclose(d) }
            if shape.reduce(1, *) > 0, let data {
                try check(H5Dwrite(d, type, ch5_s_all(), ch5_s_all(), ch5_p_default(), data), "H5Dwrite", what)
            }
        }
    }
}
