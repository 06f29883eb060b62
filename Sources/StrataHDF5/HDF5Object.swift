import CHDF5
import Foundation
import StrataCore

extension HDF5 {
    /// An open HDF5 object (file root, group or dataset) with its attributes. Closed when released (RAII).
    public class Object {
        let id: hid_t
        /// The file's path (for error messages).
        public let file: String
        /// The object's path inside the file (`/model_weights/dense`).
        public let path: String
        private let close: (hid_t) -> herr_t

        init(id: hid_t, file: String, path: String, close: @escaping (hid_t) -> herr_t) {
            self.id = id
            self.file = file
            self.path = path
            self.close = close
        }

        deinit { _ = close(id) }

        @discardableResult
        func check<T: BinaryInteger>(_ rc: T, _ call: String, _ object: String? = nil, hint: String = "") throws -> T {
            try HDF5.check(rc, call, file: file, object: object ?? path, hint: hint)
        }

        func child(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

        /// The file address of the object's header (its metadata), for tools and tests that look at the raw file.
        public func headerAddress() throws -> Int {
            var info = H5O_info_t()
            try check(H5Oget_info2(id, &info, UInt32(H5O_INFO_BASIC)), "H5Oget_info2")
            return Int(info.addr)
        }

        // MARK: attributes

        public func hasAttribute(_ name: String) -> Bool { H5Aexists(id, name) > 0 }

        /// A string attribute (variable or fixed length, scalar or the first element of a list).
        public func string(_ name: String) throws -> String? {
            guard hasAttribute(name) else { return nil }
            return try strings(name).first
        }

        /// Runs `body` with the open attribute `name`, its type and its dataspace (closed afterwards).
        func withAttribute<T>(_ name: String, _ body: (hid_t, hid_t, hid_t, String) throws -> T) throws -> T {
            let what = "\(path)@\(name)"
            let a = try check(H5Aopen(id, name, ch5_p_default()), "H5Aopen", what)
            defer { H5Aclose(a) }
            let type = try check(H5Aget_type(a), "H5Aget_type", what)
            defer { H5Tclose(type) }
            let space = try check(H5Aget_space(a), "H5Aget_space", what)
            defer { H5Sclose(space) }
            return try body(a, type, space, what)
        }

        /// A string-list attribute: variable or fixed length, scalar or 1-D, ASCII or UTF-8; an empty numeric
        /// array (Keras's empty `weight_names`) reads as `[]`.
        public func strings(_ name: String) throws -> [String] {
            try withAttribute(name) { a, type, space, what in
                let n = Int(try check(H5Sget_simple_extent_npoints(space), "H5Sget_simple_extent_npoints", what))
                guard H5Tget_class(type) == H5T_STRING else {
                    if n == 0 { return [] }
                    throw StrataError.file(
                        path: file, "attribute '\(what)' is not a string", hint: "the file was not written by Keras or Strata")
                }
                if n == 0 { return [] }
                if H5Tis_variable_str(type) > 0 {
                    let mem = try check(H5Tcopy(ch5_c_s1()), "H5Tcopy", what)
                    defer { H5Tclose(mem) }
                    try check(H5Tset_size(mem, ch5_t_variable()), "H5Tset_size", what)
                    try check(H5Tset_cset(mem, H5Tget_cset(type)), "H5Tset_cset", what)
                    var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
                    try check(H5Aread(a, mem, &ptrs), "H5Aread", what)
                    defer { for p in ptrs { if let p { H5free_memory(p) } } }
                    return ptrs.map { $0.map { String(cString: $0) } ?? "" }
                }
                let size = H5Tget_size(type)
                var bytes = [UInt8](repeating: 0, count: size * n + 1)
                let mem = try check(H5Tcopy(type), "H5Tcopy", what)
                defer { H5Tclose(mem) }
                try check(H5Aread(a, mem, &bytes), "H5Aread", what)
                return (0..<n).map { i in
                    let raw = bytes[(i * size)..<((i + 1) * size)]
                    let end = raw.firstIndex(of: 0) ?? raw.endIndex
                    return String(decoding: raw[raw.startIndex..<end], as: UTF8.self).trimmingCharacters(in: [" "])
                }
            }
        }

        /// The names of the object's attributes, in HDF5's name order.
        public func attributeNames() throws -> [String] {
            var names: [String] = []
            var index: hsize_t = 0
            _ = try withUnsafeMutablePointer(to: &names) { p in
                try check(
                    H5Aiterate2(
                        id, H5_INDEX_NAME, H5_ITER_INC, &index,
                        { _, name, _, ctx in
                            guard let name, let ctx else { return -1 }
                            ctx.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                            return 0
                        }, p), "H5Aiterate2")
            }
            return names
        }

        /// The attribute's value as canonical bytes (for checksums): strings as their UTF-8 bytes each followed
        /// by a 0 byte (whatever the HDF5 string type), other values in this machine's native type, after a
        /// header with the type class, element size and shape.
        public func attributeBytes(_ name: String) throws -> [UInt8] {
            try withAttribute(name) { a, type, space, what in
                let shape = try HDF5.extent(space, file: file, object: what)
                if H5Tget_class(type) == H5T_STRING {
                    return Array("s\(shape):".utf8) + (try strings(name)).flatMap { Array($0.utf8) + [0] }
                }
                let native = try check(H5Tget_native_type(type, H5T_DIR_ASCEND), "H5Tget_native_type", what)
                defer { H5Tclose(native) }
                guard H5Tis_variable_str(native) <= 0, H5Tdetect_class(native, H5T_VLEN) <= 0 else {
                    throw StrataError.file(path: file, "attribute '\(what)' has variable-length values Strata does not checksum", hint: "")
                }
                let size = H5Tget_size(native)
                var bytes = [UInt8](repeating: 0, count: size * shape.reduce(1, *))
                if !bytes.isEmpty { try check(H5Aread(a, native, &bytes), "H5Aread", what) }
                return Array("c\(H5Tget_class(type).rawValue)x\(size)\(shape):".utf8) + bytes
            }
        }

        /// Keras's `load_attributes_from_hdf5_group`: `name`, or the chunks `name0`, `name1`, ... concatenated.
        public func chunkedStrings(_ name: String) throws -> [String]? {
            if hasAttribute(name) { return try strings(name) }
            var out: [String] = []
            var k = 0
            while hasAttribute("\(name)\(k)") { out += try strings("\(name)\(k)"); k += 1 }
            return k == 0 ? nil : out
        }

        /// Writes a scalar variable-length UTF-8 string attribute (as h5py writes a Python `str`).
        public func setString(_ name: String, _ value: String) throws {
            let what = "\(path)@\(name)"
            if hasAttribute(name) { try check(H5Adelete(id, name), "H5Adelete", what) }
            let type = try check(H5Tcopy(ch5_c_s1()), "H5Tcopy", what)
            defer { H5Tclose(type) }
            try check(H5Tset_size(type, ch5_t_variable()), "H5Tset_size", what)
            try check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset", what)
            let space = try check(H5Screate(H5S_SCALAR), "H5Screate", what)
            defer { H5Sclose(space) }
            let a = try check(
                H5Acreate2(id, name, type, space, ch5_p_default(), ch5_p_default()), "H5Acreate2", what,
                hint: "attributes are limited to 64 KB in the Keras-compatible layout")
            defer { H5Aclose(a) }
            try value.withCString { c in
                var p: UnsafePointer<CChar>? = c
                try check(H5Awrite(a, type, &p), "H5Awrite", what)
            }
        }

        /// Writes a 1-D fixed-length NULLPAD ASCII string array (numpy's `S<n>`); an empty list is written as
        /// an empty float64 array, as Keras does.
        public func setStrings(_ name: String, _ values: [String]) throws {
            let what = "\(path)@\(name)"
            if hasAttribute(name) { try check(H5Adelete(id, name), "H5Adelete", what) }
            var dims: [hsize_t] = [hsize_t(values.count)]
            let space = try check(H5Screate_simple(1, &dims, nil), "H5Screate_simple", what)
            defer { H5Sclose(space) }
            if values.isEmpty {
                let a = try check(H5Acreate2(id, name, ch5_native_double(), space, ch5_p_default(), ch5_p_default()), "H5Acreate2", what)
                H5Aclose(a)
                return
            }
            let size = max(values.map { $0.utf8.count }.max() ?? 1, 1)
            let type = try check(H5Tcopy(ch5_c_s1()), "H5Tcopy", what)
            defer { H5Tclose(type) }
            try check(H5Tset_size(type, size), "H5Tset_size", what)
            try check(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad", what)
            var bytes = [UInt8](repeating: 0, count: size * values.count)
            for (i, v) in values.enumerated() { for (j, b) in v.utf8.enumerated() { bytes[i * size + j] = b } }
            let a = try check(
                H5Acreate2(id, name, type, space, ch5_p_default(), ch5_p_default()), "H5Acreate2", what,
                hint: "attributes are limited to 64 KB in the Keras-compatible layout")
            defer { H5Aclose(a) }
            try check(H5Awrite(a, type, bytes), "H5Awrite", what)
        }

        /// Keras's `save_attributes_to_hdf5_group`: one attribute, or `name0`, `name1`, ... when the array would
        /// pass HDF5's 64 KB object-header limit (`HDF5_OBJECT_HEADER_LIMIT = 64512`, split as `np.array_split`).
        public func setChunkedStrings(_ name: String, _ values: [String]) throws {
            let limit = 64512
            let width = max(values.map { $0.utf8.count }.max() ?? 1, 1)
            if let bad = values.first(where: { $0.utf8.count > limit }) {
                throw StrataError.invalidArgument(
                    "the name '\(bad.prefix(40))...' is longer than HDF5's 64512-byte attribute limit", hint: "use shorter layer names")
            }
            var chunks = 1
            func pieces(_ k: Int) -> [ArraySlice<String>] {
                let base = values.count / k, extra = values.count % k
                var out: [ArraySlice<String>] = []
                var start = 0
                for i in 0..<k {
                    let len = base + (i < extra ? 1 : 0)
                    out.append(values[start..<(start + len)])
                    start += len
                }
                return out
            }
            while pieces(chunks).contains(where: { $0.count * width > limit }) { chunks += 1 }
            if chunks == 1 { try setStrings(name, values); return }
            for (i, piece) in pieces(chunks).enumerated() { try setStrings("\(name)\(i)", Array(piece)) }
        }
    }
}
