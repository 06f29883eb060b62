import CHDF5
import Foundation
import StrataCore

/// A `Dataset` over two HDF5 datasets (inputs `x`, targets `y`) with one sample per row of the first axis.
///
/// Lazy: the constructor checks the file (datasets exist, numeric, row counts agree) and reads nothing else.
/// `fit` then reads only the rows of this rank's shard of each batch, by hyperslab selection. Two modes give
/// identical numbers: `.inMemory` reads both arrays once (small files); `.streaming` reads rows on demand
/// through a bounded read-ahead window, checking every row for NaN/infinity as it arrives, and reads the next
/// batch on a background thread while the current step computes (`prefetch`, called by `fit`). `.automatic`
/// picks in-memory when both arrays fit in `inMemoryLimit` bytes (as Float32).
public final class HDF5Dataset: Dataset {
    /// Where rows come from: memory, or the file through a read-ahead window (identical weights either way).
    public enum Mode: Equatable, Sendable {
        /// In memory if the data (as Float32) is at most `inMemoryLimit` bytes, else streaming.
        case automatic
        case inMemory
        /// Streaming with a read-ahead window of about `bufferBytes` bytes (rows of x and y together).
        case streaming(bufferBytes: Int)
    }

    /// Default byte limit of `.automatic`'s in-memory choice (256 MB) and default read-ahead window (8 MB).
    public static let inMemoryLimit = 256 << 20
    public static let defaultBufferBytes = 8 << 20

    public let path: String
    public let xName: String
    public let yName: String?
    public let count: Int
    public let xShape: [Int]
    public let yShape: [Int]?
    /// The mode chosen (`.inMemory` or `.streaming`).
    public let mode: Mode

    private let file: HDF5.File
    private let xData: HDF5.DataObject
    private let yData: HDF5.DataObject?
    private let xMemory: Tensor?
    private let yMemory: Tensor?
    private let reader: PrefetchingReader?

    /// Opens `x` (and `y`) in `path`. Throws a clear error naming the file and dataset when the file is
    /// missing or not HDF5, a dataset is missing, empty, not numeric, or the row counts of x and y differ.
    public init(path: String, x: String, y: String? = nil, mode: Mode = .automatic) throws {
        self.path = path
        xName = x
        yName = y
        file = try HDF5.File.open(path)
        let access = try HDF5.check(H5Pcreate(ch5_p_dataset_access()), "H5Pcreate", file: path, object: x)
        defer { H5Pclose(access) }
        if case let .streaming(buffer) = mode {
            // Chunked (compressed) files: keep up to the read-ahead budget of decompressed chunks in HDF5's cache.
            try HDF5.check(H5Pset_chunk_cache(access, 10007, max(buffer, 1 << 20), 1.0), "H5Pset_chunk_cache", file: path, object: x)
        }
        let f = file
        let xd = try HDF5Dataset.open(f, x, access: access)
        let yd = try y.map { try HDF5Dataset.open(f, $0, access: access) }
        xData = xd
        yData = yd
        count = xd.shape[0]
        xShape = Array(xd.shape.dropFirst())
        yShape = yd.map { Array($0.shape.dropFirst()) }
        if let yd, yd.shape[0] != xd.shape[0] {
            throw StrataError.file(
                path: path, "'\(x)' has \(xd.shape[0]) rows but '\(y!)' has \(yd.shape[0])",
                hint: "x and y need one row per sample, in the same order")
        }
        let bytes = 4 * (xd.count + (yd?.count ?? 0))
        var chosen = mode
        if chosen == .automatic {
            chosen = bytes <= HDF5Dataset.inMemoryLimit ? .inMemory : .streaming(bufferBytes: HDF5Dataset.defaultBufferBytes)
        }
        self.mode = chosen
        if chosen == .inMemory {
            xMemory = try xd.readAll()
            yMemory = try yd?.readAll()
            reader = nil
        } else {
            xMemory = nil
            yMemory = nil
            let rowBytes = 4 * (xd.shape.dropFirst().reduce(1, *) + (yd?.shape.dropFirst().reduce(1, *) ?? 0))
            guard case let .streaming(buffer) = chosen else { preconditionFailure("mode \(chosen)") }
            reader = PrefetchingReader(ReadAheadWindow(rows: max(1, buffer / max(rowBytes, 1)), x: xd, y: yd))
        }
    }

    private static func open(_ file: HDF5.File, _ name: String, access: hid_t) throws -> HDF5.DataObject {
        guard file.contains(name) else {
            let available = ((try? file.childNames()) ?? []).joined(separator: ", ")
            throw StrataError.file(
                path: file.file, "no dataset '\(name)'", hint: "datasets at the top level: \(available.isEmpty ? "none" : available)")
        }
        let d = try file.dataset(name, access: access)
        guard d.kind == .float || d.kind == .integer else {
            throw StrataError.file(
                path: file.file, "dataset '\(name)' holds \(d.kind == .string ? "strings" : "non-numeric values"), expected numbers",
                hint: "store float32/float64/integer arrays (encode labels as class ids)")
        }
        guard d.shape.count >= 1 else {
            throw StrataError.file(
                path: file.file, "dataset '\(name)' is a scalar, expected one row per sample",
                hint: "store an array with samples along the first axis")
        }
        guard d.shape[0] > 0 else {
            throw StrataError.file(path: file.file, "dataset '\(name)' is empty (shape \(d.shape))", hint: "write at least one sample")
        }
        return d
    }

    public var label: String { "\(xName) in \(path)" }

    public func read(_ indices: ArraySlice<Int>, x: Tensor, y: Tensor?) throws {
        if let xMemory {
            Kernels.gatherRows(xMemory, indices, rowSize: xMemory.rowSize, into: x)
            if let yMemory, let y { Kernels.gatherRows(yMemory, indices, rowSize: yMemory.rowSize, into: y) }
            return
        }
        try reader!.read(indices, x: x, y: y)
    }

    /// Streaming: starts reading `indices` on the background thread, for the next `read` (errors surface there).
    public func prefetch(_ indices: ArraySlice<Int>) { reader?.prefetch(indices) }

    /// Streaming reads served by the background thread so far (tests, figures).
    var prefetchedReads: Int { reader?.hits ?? 0 }

    /// In memory: checks every value now. Streaming: rows are checked as they are read.
    public func validateValues() throws {
        guard let xMemory else { return }
        if let i = Kernels.firstNonFinite(xMemory) {
            throw StrataError.invalidData(
                "\(path): row \(i / max(xMemory.rowSize, 1)) of '\(xName)' has a non-finite value (\(xMemory[flat: i]))",
                hint: "remove or impute NaN and infinite values in the file")
        }
        if let yMemory, let i = Kernels.firstNonFinite(yMemory) {
            throw StrataError.invalidData(
                "\(path): row \(i / max(yMemory.rowSize, 1)) of '\(yName!)' has a non-finite value (\(yMemory[flat: i]))",
                hint: "remove or impute NaN and infinite values in the file")
        }
    }
}
