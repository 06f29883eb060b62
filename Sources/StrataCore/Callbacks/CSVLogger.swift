import Foundation

/// Keras `CSVLogger(filename, separator, append)`: one row per epoch, `epoch` then the log keys sorted.
/// Written by rank 0 only, flushed every epoch.
public final class CSVLogger: Callback {
    /// Its batch hooks read logs only (ZeRO-1's weight gather stays in flight through them).
    public var readsWeightsEachBatch: Bool { false }
    public let filename: String
    public let separator: String
    public let append: Bool
    private var keys: [String]?
    private var handle: FileHandle?

    public init(_ filename: String, separator: String = ",", append: Bool = false) {
        self.filename = filename
        self.separator = separator
        self.append = append
    }

    public func onTrainBegin(context: TrainingContext) throws {
        guard context.isPrintingRank else { return }
        let fm = FileManager.default
        let url = URL(fileURLWithPath: filename)
        try? fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let continuing = append || context.state.resumed
        if !continuing || !fm.fileExists(atPath: filename) {
            guard fm.createFile(atPath: filename, contents: nil) else {
                throw StrataError.file(path: filename, "cannot create the CSV log", hint: "check the directory exists and is writable")
            }
            keys = nil
        } else if let text = try? String(contentsOfFile: filename, encoding: .utf8),
            let header = text.split(separator: "\n").first
        {
            keys = header.components(separatedBy: separator).dropFirst().map { String($0) }
        }
        handle = FileHandle(forWritingAtPath: filename)
        handle?.seekToEndOfFile()
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
        guard let handle else { return }
        if keys == nil {
            keys = logs.keys.sorted()
            handle.write(Data((["epoch"] + keys!).joined(separator: separator).utf8 + [10]))
        }
        let row = [String(epoch)] + keys!.map { logs[$0].map { String($0) } ?? "NA" }
        handle.write(Data(row.joined(separator: separator).utf8 + [10]))
        try? handle.synchronize()
    }

    public func onTrainEnd(logs: [String: Double], context: TrainingContext) throws {
        try? handle?.close()
        handle = nil
    }
}
