import Foundation
import StrataCore

/// Writes TensorBoard event files the way Keras's `TensorBoard` callback lays them out: `<dir>/train` and
/// `<dir>/validation`, one scalar per metric per epoch tagged `epoch_<name>` (val_ figures under validation/).
/// Rank 0 only. The file is the TFRecord framing of `Event` protocol buffers (length, masked CRC32C, data, CRC).
public final class TensorBoardLogger: Callback {
    /// Its batch hooks read logs only (ZeRO-1's weight gather stays in flight through them).
    public var readsWeightsEachBatch: Bool { false }
    public let directory: String
    private var writers: [String: EventFileWriter] = [:]

    public init(_ directory: String) { self.directory = directory }

    public func onTrainBegin(context: TrainingContext) throws {
        guard context.isPrintingRank else { return }
        for sub in ["train", "validation"] {
            writers[sub] = try EventFileWriter(directory: directory + "/" + sub)
        }
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
        guard context.isPrintingRank else { return }
        for (k, v) in logs.sorted(by: { $0.key < $1.key }) {
            if k.hasPrefix("val_") {
                writers["validation"]?.scalar("epoch_" + k.dropFirst(4), Float(v), step: epoch)
            } else {
                writers["train"]?.scalar("epoch_" + k, Float(v), step: epoch)
            }
        }
        writers.values.forEach { $0.flush() }
    }

    public func onTrainEnd(logs: [String: Double], context: TrainingContext) throws { writers.values.forEach { $0.flush() } }
}

/// One `events.out.tfevents.*` file.
public final class EventFileWriter {
    public let path: String
    private let handle: FileHandle

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName
        path = directory + "/events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host).\(getpid()).v2"
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw StrataError.file(path: path, "cannot create the TensorBoard event file", hint: "check the run directory is writable")
        }
        handle = h
        var e = Proto()
        e.double(1, Date().timeIntervalSince1970)
        e.string(3, "brain.Event:2")
        write(e.bytes)
    }

    /// Appends a scalar summary `tag = value` at `step`.
    public func scalar(_ tag: String, _ value: Float, step: Int) {
        var v = Proto()
        v.string(1, tag)
        v.float(2, value)
        var summary = Proto()
        summary.message(1, v.bytes)
        var e = Proto()
        e.double(1, Date().timeIntervalSince1970)
        e.varint(2, UInt64(step))
        e.message(5, summary.bytes)
        write(e.bytes)
    }

    public func flush() { try? handle.synchronize() }

    private func write(_ data: [UInt8]) {
        var len = UInt64(data.count).littleEndian
        let lenBytes = withUnsafeBytes(of: &len) { Array($0) }
        var out = lenBytes
        out += le32(CRC32C.masked(lenBytes))
        out += data
        out += le32(CRC32C.masked(data))
        handle.write(Data(out))
    }

    private func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
}

/// Minimal protocol-buffer encoder for the few fields event files need.
struct Proto {
    var bytes: [UInt8] = []
    mutating func key(_ field: Int, _ wire: Int) { varintRaw(UInt64(field << 3 | wire)) }
    mutating func varintRaw(_ v0: UInt64) {
        var v = v0
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func varint(_ f: Int, _ v: UInt64) { key(f, 0); varintRaw(v) }
    mutating func double(_ f: Int, _ v: Double) { key(f, 1); withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    mutating func float(_ f: Int, _ v: Float) { key(f, 5); withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    mutating func string(_ f: Int, _ s: String) { message(f, Array(s.utf8)) }
    mutating func message(_ f: Int, _ b: [UInt8]) { key(f, 2); varintRaw(UInt64(b.count)); bytes += b }
}

/// CRC-32C (Castagnoli), with TFRecord's mask.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }
    static func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
    static func masked(_ data: [UInt8]) -> UInt32 {
        let c = checksum(data)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}
