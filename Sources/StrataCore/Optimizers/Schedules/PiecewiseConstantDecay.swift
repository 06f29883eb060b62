/// Keras 3 `PiecewiseConstantDecay(boundaries, values)` (keras/src/optimizers/schedules/learning_rate_schedule.py):
/// `values[0]` while `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <= boundaries[i]`, and
/// `values.last` after the last boundary. `values` has one more entry than `boundaries`.
public struct PiecewiseConstantDecay: LearningRateSchedule {
    public let boundaries: [Int]
    public let values: [Float]

    public init(boundaries: [Int], values: [Float]) {
        self.boundaries = boundaries
        self.values = values
    }

    init(arguments a: inout OptimizerArguments) throws {
        guard let b = a.take("boundaries")?.arrayValue, let bounds = Optional(b.compactMap(\.intValue)),
            bounds.count == b.count
        else {
            throw StrataError.invalidArgument(
                "schedule PiecewiseConstantDecay: 'boundaries' must be a list of integer steps",
                hint: "e.g. boundaries: [1000, 2000]")
        }
        self.init(boundaries: bounds, values: try a.floats("values"))
        try a.finish(valid: ["boundaries", "values", "name"])
        try validate()
    }

    public var className: String { "PiecewiseConstantDecay" }

    public func validate() throws {
        guard values.count == boundaries.count + 1, !boundaries.isEmpty else {
            throw StrataError.invalidArgument(
                "schedule PiecewiseConstantDecay: the length of 'values' (\(values.count)) must be the length of 'boundaries' (\(boundaries.count)) plus 1",
                hint: "e.g. boundaries: [1000], values: [0.1, 0.01]")
        }
    }

    public func callAsFunction(_ step: Int) -> Float {
        if step <= boundaries[0] { return values[0] }
        for i in 1..<boundaries.count where step > boundaries[i - 1] && step <= boundaries[i] { return values[i] }
        return values[values.count - 1]
    }

    public var config: [String: JSONValue] {
        ["boundaries": JSONValue(boundaries), "values": .array(values.map { JSONValue($0) }), "name": "PiecewiseConstant"]
    }
}
