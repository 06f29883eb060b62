import Foundation
import StrataCore

/// The streaming reader behind `HDF5Dataset`: a bounded buffer of `rows` rows of x (and y).
///
/// A request whose rows lie within `rows` consecutive rows (unshuffled batches) loads the window starting at
/// its first row with one contiguous read, so the next batches are served from memory (read-ahead). Scattered
/// requests (shuffled batches) are read as sorted runs, at most `rows` rows per `H5Dread`, and scattered back
/// into request order. Memory stays at `rows` rows whatever the file size. Every row is checked for
/// NaN/infinity when it is read, and the error names the row.
final class ReadAheadWindow {
    let rows: Int
    let x: HDF5.DataObject
    let y: HDF5.DataObject?
    /// Scalars per row of x and of y.
    let xRow: Int
    let yRow: Int
    private let xBuffer: Tensor
    private let yBuffer: Tensor?
    /// The file rows currently held, in order (when the window holds a contiguous range).
    private var held: Range<Int> = 0..<0
    private let total: Int
    /// Rows read from the file so far (for throughput figures and tests).
    private(set) var rowsRead = 0
    /// For contiguous native-Float32 datasets: a descriptor and the data offsets, to read rows with `pread`.
    private let direct: (fd: Int32, x: Int, y: Int?)?

    init(rows: Int, x: HDF5.DataObject, y: HDF5.DataObject?) {
        self.x = x
        self.y = y
        total = x.shape[0]
        self.rows = min(rows, total)
        xRow = x.shape.dropFirst().reduce(1, *)
        yRow = y?.shape.dropFirst().reduce(1, *) ?? 0
        xBuffer = Tensor(zeros: [self.rows * xRow])
        yBuffer = y.map { _ in Tensor(zeros: [rows * (y!.shape.dropFirst().reduce(1, *))]) }
        if let xo = x.directOffset(), y == nil || y?.directOffset() != nil {
            let fd = open(x.file, O_RDONLY)
            direct = fd >= 0 ? (fd, xo, y?.directOffset()) : nil
        } else {
            direct = nil
        }
    }

    deinit { if let direct { close(direct.fd) } }

    func read(_ indices: ArraySlice<Int>, x xOut: Tensor, y yOut: Tensor?) throws {
        guard let lo = indices.min(), let hi = indices.max() else { return }
        if !(held.contains(lo) && held.contains(hi)) && hi - lo < rows {
            let start = min(lo, total - rows)
            try load([start..<(start + rows)])
            held = start..<(start + rows)
        }
        if held.contains(lo) && held.contains(hi) {
            gather(indices.map { $0 - held.lowerBound }, xOut: xOut, yOut: yOut, outRows: Array(0..<indices.count))
            return
        }
        // Scattered rows: read sorted runs through the buffer, `rows` rows at a time.
        held = 0..<0
        let order = indices.indices.sorted { indices[$0] < indices[$1] }
        var k = 0
        while k < order.count {
            var runs: [Range<Int>] = []
            var inBuffer: [Int] = []  // buffer row of each request position in this piece
            var positions: [Int] = []
            var used = 0
            while k < order.count && used < rows {
                let row = indices[order[k]]
                if let last = runs.last, last.upperBound - 1 == row {
                    // duplicate of the previous row: same buffer row
                } else if let last = runs.last, last.upperBound == row {
                    runs[runs.count - 1] = last.lowerBound..<(row + 1)
                    used += 1
                } else {
                    runs.append(row..<(row + 1))
                    used += 1
                }
                inBuffer.append(used - 1)
                positions.append(order[k] - indices.startIndex)
                k += 1
            }
            try load(runs)
            gather(inBuffer, xOut: xOut, yOut: yOut, outRows: positions)
        }
    }

    /// Reads `runs` into the start of the buffers and checks them.
    private func load(_ runs: [Range<Int>]) throws {
        if let direct {
            try pread(direct.fd, offset: direct.x, rowSize: xRow, runs: runs, into: xBuffer.pointer)
            if let yo = direct.y, let yBuffer { try pread(direct.fd, offset: yo, rowSize: yRow, runs: runs, into: yBuffer.pointer) }
        } else {
            try x.readRows(runs, into: xBuffer.pointer)
            if let y, let yBuffer { try y.readRows(runs, into: yBuffer.pointer) }
        }
        let n = runs.reduce(0) { $0 + $1.count }
        rowsRead += n
        try check(xBuffer.pointer, rowSize: xRow, runs: runs, name: x.path)
        if let y, let yBuffer { try check(yBuffer.pointer, rowSize: yRow, runs: runs, name: y.path) }
    }

    /// Reads `runs` of rows of a contiguous Float32 dataset at byte `offset` of the file.
    private func pread(_ fd: Int32, offset: Int, rowSize: Int, runs: [Range<Int>], into p: UnsafeMutablePointer<Float>) throws {
        var b = 0
        for run in runs {
            let bytes = run.count * rowSize * 4
            var done = 0
            while done < bytes {
                let n = Foundation.pread(
                    fd, UnsafeMutableRawPointer(p + b * rowSize) + done, bytes - done,
                    off_t(offset + run.lowerBound * rowSize * 4 + done))
                guard n > 0 else {
                    throw StrataError.file(
                        path: x.file, "cannot read rows \(run) (the file may be truncated; errno \(errno))",
                        hint: "use a complete copy of the file")
                }
                done += n
            }
            b += run.count
        }
    }

    private func check(_ p: UnsafeMutablePointer<Float>, rowSize: Int, runs: [Range<Int>], name: String) throws {
        var b = 0
        for run in runs {
            for row in run {
                let r = p + b * rowSize
                for j in 0..<rowSize where !r[j].isFinite {
                    throw StrataError.invalidData(
                        "\(x.file): row \(row) of '\(name)' has a non-finite value (\(r[j])) at position \(j)",
                        hint: "remove or impute NaN and infinite values in the file")
                }
                b += 1
            }
        }
    }

    private func gather(_ bufferRows: [Int], xOut: Tensor, yOut: Tensor?, outRows: [Int]) {
        let px = xBuffer.pointer, pxo = xOut.pointer
        for (b, o) in zip(bufferRows, outRows) { (pxo + o * xRow).update(from: px + b * xRow, count: xRow) }
        if let yBuffer, let yOut {
            let py = yBuffer.pointer, pyo = yOut.pointer
            for (b, o) in zip(bufferRows, outRows) { (pyo + o * yRow).update(from: py + b * yRow, count: yRow) }
        }
    }
}
