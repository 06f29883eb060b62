import CHDF5
import StrataCore

/// The HDF5 wrapper's namespace (`HDF5.File`, `HDF5.Group`, `HDF5.DataObject`) and its ONE checking function:
/// every `H5*` call goes through `HDF5.check`, which turns HDF5's error stack into a `StrataError.file` naming
/// the file and the object path, with HDF5's own stderr printing silenced.
public enum HDF5 {
    /// Checks the return code of an `H5*` call: a negative value (HDF5's failure value for ids, herr_t and
    /// htri_t alike) becomes a typed error naming `file`, `object` and the call, with HDF5's error stack.
    @discardableResult
    static func check<T: BinaryInteger>(
        _ rc: T, _ call: String, file: String, object: String,
        hint: String = ""
    ) throws -> T {
        if rc >= 0 { return rc }
        let stack = errorStack()
        var detail = stack.first.map { ": " + $0 } ?? ""
        if let inner = stack.last, stack.count > 1 { detail += " (\(inner))" }
        throw StrataError.file(
            path: file, "HDF5 \(call) failed on '\(object)'\(detail)",
            hint: hint.isEmpty ? "check that the file is a complete HDF5 file and the object exists" : hint)
    }

    /// Silences HDF5's automatic stderr printing on the calling thread (HDF5 keeps this per thread).
    static func silence() { ch5_silence_errors() }

    /// The messages of HDF5's current error stack, innermost last, then clears it.
    static func errorStack() -> [String] {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { p in
            _ = H5Ewalk2(
                ch5_e_default(), H5E_WALK_UPWARD,
                { _, err, ctx in
                    guard let err, let ctx else { return 0 }
                    let desc = err.pointee.desc.map { String(cString: $0) } ?? ""
                    ctx.assumingMemoryBound(to: [String].self).pointee.append(desc)
                    return 0
                }, p)
        }
        H5Eclear2(ch5_e_default())
        return messages.filter { !$0.isEmpty }.reversed()
    }

    /// The dimensions of a dataspace (`[]` for a scalar).
    static func extent(_ space: hid_t, file: String, object: String) throws -> [Int] {
        let rank = Int(try check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", file: file, object: object))
        var dims = [hsize_t](repeating: 0, count: rank)
        try check(H5Sget_simple_extent_dims(space, &dims, nil), "H5Sget_simple_extent_dims", file: file, object: object)
        return dims.map { Int($0) }
    }

    /// True if `path` starts with the HDF5 signature (so "not HDF5" is told apart from "damaged HDF5").
    static func isHDF5(_ path: String) -> Bool {
        silence()
        return H5Fis_hdf5(path) > 0
    }
}
