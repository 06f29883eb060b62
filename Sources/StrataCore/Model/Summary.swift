import Foundation

/// Keras 3's `model.summary()` table.
extension Sequential {
    /// The summary text (what `summary()` prints), `lineLength` wide as Keras's `line_length`.
    ///
    /// Keras 3 (keras/src/utils/summary_utils.py) uses `min(88, terminal columns - 4)`; its column widths are
    /// `int(p * L) - previous` for `p` in (0.45, 0.80, 1.0), which rich renders 1, 2 and 1 characters narrower
    /// inside the borders. Without a terminal (pipes, CI, tests) Keras sees 80 columns, so the table is 76 wide;
    /// we read the terminal width from `COLUMNS` only (no ioctl), defaulting likewise to 80.
    public func summaryText(lineLength: Int? = nil) throws -> String {
        if !isBuilt { try build() }
        let length = max(lineLength ?? Self.defaultSummaryLineLength, 24)
        var widths: [Int] = []
        var current = 0
        for p in [0.45, 0.80, 1.0] {
            let w = Int(p * Double(length)) - current
            widths.append(w)
            current += w
        }
        widths = [widths[0] - 1, widths[1] - 2, widths[2] - 1]
        func row(_ cells: [String], _ left: String, _ sep: String, _ right: String, rightAlignLast: Bool = true) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let w = widths[i] - 2
                let text = c.count > w ? String(c.prefix(w - 1)) + "…" : c
                let pad = String(repeating: " ", count: w - text.count)
                parts.append(" " + (i == 2 && rightAlignLast ? pad + text : text + pad) + " ")
            }
            return left + parts.joined(separator: sep) + right
        }
        func rule(_ l: String, _ m: String, _ r: String, _ f: Character) -> String {
            l + widths.map { String(repeating: f, count: $0) }.joined(separator: m) + r
        }
        var lines = ["Model: \"\(name)\""]
        lines.append(rule("┏", "┳", "┓", "━"))
        lines.append(row(["Layer (type)", "Output Shape", "Param #"], "┃", "┃", "┃"))
        lines.append(rule("┡", "╇", "┩", "━"))
        for (i, l) in layers.enumerated() {
            let count = layerWeights[i].reduce(0) { $0 + $1.count }
            let batch = fixedBatchSize.map(String.init) ?? "None"
            let shape = "(" + ([batch] + layerOutputShapes[i].map(String.init)).joined(separator: ", ") + ")"
            lines.append(row(["\(l.name) (\(l.className))", shape, Self.grouped(count)], "│", "│", "│"))
            if i < layers.count - 1 { lines.append(rule("├", "┼", "┤", "─")) }
        }
        lines.append(rule("└", "┴", "┘", "─"))
        let total = parameters!.count
        let trainable = parameters!.trainableCount
        lines.append(" Total params: \(Self.grouped(total)) (\(Self.bytes(total * 4)))")
        lines.append(" Trainable params: \(Self.grouped(trainable)) (\(Self.bytes(trainable * 4)))")
        lines.append(" Non-trainable params: \(Self.grouped(total - trainable)) (\(Self.bytes((total - trainable) * 4)))")
        return lines.joined(separator: "\n")
    }

    /// Prints Keras's summary table (building the model first if needed).
    public func summary() {
        do { print(try summaryText()) } catch { print("summary unavailable: \((error as? StrataError)?.errorDescription ?? "\(error)")") }
    }

    /// Keras's default `line_length`: `min(88, columns - 4)`, columns from `COLUMNS` or 80.
    static var defaultSummaryLineLength: Int {
        let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) } ?? 80
        return min(88, columns - 4)
    }

    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return String(format: "%.2f %@", v, units[u])
    }
}
