import Foundation

/// Keras 3's progress output (keras/src/utils/progbar.py): on a terminal the bar
/// `25/25 ━━━━━━━━━━━━━━━━━━━━ 1s 14ms/step - accuracy: 0.0938 - loss: 2.3786`, redrawn in place at most every
/// 0.05 s; when stdout is not a terminal (logs, CI) one line per epoch instead of redrawing into the file.
/// `verbose = 2` prints `32/32 - 0s - 7ms/step - loss: ...` once per epoch. Metrics in alphabetical order, as Keras.
public final class ProgressBar {
    public let target: Int
    public let verbose: Int
    public let dynamic: Bool
    private let start = Date()
    private var firstStepEnd: Date?
    private var lastUpdate = Date.distantPast
    private var previousWidth = 0

    public init(target: Int, verbose: Int, dynamic: Bool = ProgressBar.stdoutIsTerminal) {
        self.target = target
        self.verbose = verbose
        self.dynamic = dynamic
    }

    /// Whether to redraw a bar in place: stdout is a terminal, or `STRATA_PROGRESS=bar` (launch/run sets it from
    /// its own stdout, since under mpirun a rank's stdout is a pipe to mpirun); `STRATA_PROGRESS=lines` forces
    /// one line per epoch.
    public static var stdoutIsTerminal: Bool {
        switch ProcessInfo.processInfo.environment["STRATA_PROGRESS"] {
        case "bar": return true
        case "lines": return false
        default: return isatty(1) != 0
        }
    }

    /// Reports `current` steps done with running `logs`; `finalize` on the last step of the epoch.
    public func update(_ current: Int, logs: [String: Double], finalize: Bool = false) {
        let now = Date()
        if current == 1 { firstStepEnd = now }
        if verbose == 1 && dynamic {
            if !finalize && now.timeIntervalSince(lastUpdate) < 0.05 { return }
            lastUpdate = now
            var line = bar(current) + " " + bold(finalize ? ProgressBar.elapsed(now.timeIntervalSince(start)) : eta(current, now))
            line += " " + stepTime(current, now) + ProgressBar.metrics(logs)
            let visible = line.replacingOccurrences(of: "\u{1b}[1m", with: "").replacingOccurrences(of: "\u{1b}[0m", with: "")
                .replacingOccurrences(of: "\u{1b}[32m", with: "").replacingOccurrences(of: "\u{1b}[37m", with: "").count
            var out = String(repeating: "\u{8}", count: previousWidth) + "\r" + line
            if visible < previousWidth { out += String(repeating: " ", count: previousWidth - visible) }
            previousWidth = visible
            if finalize { out += "\n" }
            Console.write(out)
        } else if finalize && verbose >= 1 {
            let elapsed = now.timeIntervalSince(start)
            let line =
                "\(current)/\(target) - \(ProgressBar.elapsed(elapsed)) - \(stepTime(current, now))"
                + ProgressBar.metrics(logs) + "\n"
            Console.write(line)
        }
    }

    private func bold(_ s: String) -> String { "\u{1b}[1m" + s + "\u{1b}[0m" }

    private func bar(_ current: Int) -> String {
        let digits = String(target).count
        let counter = String(repeating: " ", count: max(0, digits - String(current).count)) + "\(current)/\(target)"
        let width = target > 0 ? Int(20 * Double(current) / Double(target)) : 20
        var s = bold(counter) + " "
        if width > 0 { s += "\u{1b}[32m" + String(repeating: "━", count: width) + "\u{1b}[0m" }
        s += "\u{1b}[37m" + String(repeating: "━", count: 20 - width) + "\u{1b}[0m"
        return s
    }

    private func perStep(_ current: Int, _ now: Date) -> Double {
        if current > 1, let first = firstStepEnd {
            return now.timeIntervalSince(first) / Double(current - 1)
        }
        return now.timeIntervalSince(start) / Double(max(current, 1))
    }

    private func eta(_ current: Int, _ now: Date) -> String {
        let seconds = Int(perStep(current, now) * Double(max(target - current, 0)))
        if seconds >= 3600 { return String(format: "%d:%02d:%02d", seconds / 3600, (seconds % 3600) / 60, seconds % 60) }
        if seconds >= 60 { return String(format: "%d:%02d", seconds / 60, seconds % 60) }
        return "\(seconds)s"
    }

    static func elapsed(_ t: TimeInterval) -> String { String(format: "%.0fs", t) }

    private func stepTime(_ current: Int, _ now: Date) -> String {
        let t = perStep(current, now)
        if t >= 1 || t == 0 { return String(format: "%.0fs/step", t) }
        if t >= 1e-3 { return String(format: "%.0fms/step", t * 1e3) }
        return String(format: "%.0fus/step", t * 1e6)
    }

    /// ` - name: 0.1234` in alphabetical order; `%.4e` when |v| <= 1e-3, as Keras.
    public static func metrics(_ logs: [String: Double]) -> String {
        logs.keys.sorted().map { k in
            let v = logs[k]!
            return " - \(k): " + (abs(v) <= 1e-3 ? String(format: "%.4e", v) : String(format: "%.4f", v))
        }.joined()
    }
}

/// Writes to stdout through the same buffer as `print`, flushed, so bar redraws and printed lines stay in order.
public enum Console {
    public static func write(_ text: String) {
        print(text, terminator: "")
        fflush(nil)
    }
}
