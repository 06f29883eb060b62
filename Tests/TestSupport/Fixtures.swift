import Foundation
import StrataCore

/// Reads the Keras fixtures in Tests/Fixtures (NumPy .npy files and a manifest.json per set).
public enum Fixtures {
    /// Tests/Fixtures, found from this file's path.
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// The manifest of fixture set `set`.
    public static func manifest(_ set: String) throws -> JSONValue {
        let url = root.appendingPathComponent(set).appendingPathComponent("manifest.json")
        return try JSONValue.parse(String(contentsOf: url, encoding: .utf8))
    }

    /// Reads a .npy file (little-endian float32/float64/int32/int64, C order) as a Float tensor.
    public static func npy(_ set: String, _ name: String) throws -> Tensor {
        let url = root.appendingPathComponent(set).appendingPathComponent(name.hasSuffix(".npy") ? name : name + ".npy")
        return try readNPY(Data(contentsOf: url), name: url.path)
    }

    public static func readNPY(_ data: Data, name: String) throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count > 10, bytes[0] == 0x93, String(decoding: bytes[1..<6], as: UTF8.self) == "NUMPY" else {
            throw StrataError.file(path: name, "not a .npy file", hint: "regenerate fixtures")
        }
        let major = bytes[6]
        let headerLen: Int
        let start: Int
        if major == 1 {
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8; start = 10
        } else {
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24; start = 12
        }
        let header = String(decoding: bytes[start..<(start + headerLen)], as: UTF8.self)
        func field(_ key: String) -> String {
            guard let r = header.range(of: "'\(key)':") else { return "" }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let descr = field("descr").split(separator: "'").first.map(String.init) ?? ""
        guard !field("fortran_order").hasPrefix("True") else {
            throw StrataError.file(path: name, "fortran order not supported", hint: "save C-ordered arrays")
        }
        let shapeText = field("shape")
        let inner = shapeText[shapeText.index(after: shapeText.firstIndex(of: "(")!)..<shapeText.firstIndex(of: ")")!]
        let shape = inner.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let n = shape.reduce(1, *)
        let body = Array(bytes[(start + headerLen)...])
        var out = [Float](repeating: 0, count: n)
        body.withUnsafeBytes { raw in
            for i in 0..<n {
                switch descr {
                case "<f4": out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                case "<f8": out[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian))
                case "<i4": out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case "<i8": out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case "|u1": out[i] = Float(raw[i])
                default: out[i] = .nan
                }
            }
        }
        return try Tensor(shape: shape, scalars: out)
    }
}
