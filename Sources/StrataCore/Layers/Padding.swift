/// Keras's `padding` argument of convolution and pooling layers.
///
/// - `valid`: no padding; `out = floor((n - k_eff) / s) + 1`, with `k_eff = d (k - 1) + 1`.
/// - `same`: `out = ceil(n / s)`; total padding `max((out - 1) s + k_eff - n, 0)`, `floor(total / 2)` before and
///   the rest after (TensorFlow's split: the odd extra goes to the bottom/right).
/// - `causal` (Conv1D only): `k_eff - 1` zeros before, none after, so output `t` sees inputs up to `t`.
public enum Padding: String, Sendable, CaseIterable {
    case valid, same, causal

    /// Parses Keras's config string (`"valid"`, `"same"`, `"causal"`, any case).
    public init(kerasName: String) throws {
        guard let p = Padding(rawValue: kerasName.lowercased()) else {
            throw StrataError.invalidArgument("unknown padding '\(kerasName)'", hint: "use \"valid\", \"same\" or \"causal\" (Conv1D only)")
        }
        self = p
    }
}

/// One spatial axis of a sliding window (convolution or pooling): input length, window, stride, dilation, the
/// zeros padded before the input, and the resulting output length.
public struct WindowAxis: Equatable, Sendable {
    public let input: Int
    public let window: Int
    public let stride: Int
    public let dilation: Int
    public let padBefore: Int
    public let output: Int

    /// The window's extent in input positions, `d (k - 1) + 1`.
    public var span: Int { dilation * (window - 1) + 1 }

    /// An axis with no window (the height of a 1-D layer seen as 2-D).
    public static func unit(_ length: Int = 1) -> WindowAxis {
        WindowAxis(input: length, window: 1, stride: 1, dilation: 1, padBefore: 0, output: length)
    }

    private init(input: Int, window: Int, stride: Int, dilation: Int, padBefore: Int, output: Int) {
        self.input = input; self.window = window; self.stride = stride; self.dilation = dilation
        self.padBefore = padBefore; self.output = output
    }

    /// The axis for `padding`, following Keras 3 / TensorFlow (keras/src/ops/operation_utils.py
    /// `compute_conv_output_shape`, TF `GetWindowedOutputSize`); errors name `layer` and the sizes.
    public static func make(
        layer: String, axis: String, input n: Int, window k: Int, stride s: Int, dilation d: Int,
        padding: Padding
    ) throws -> WindowAxis {
        guard k >= 1, s >= 1, d >= 1 else {
            throw StrataError.invalidModel(
                layer: layer, "window \(k), stride \(s) and dilation \(d) along \(axis) must be positive",
                hint: "use positive kernel/pool sizes, strides and dilation rates")
        }
        let span = d * (k - 1) + 1
        switch padding {
        case .valid:
            guard n >= span else {
                throw StrataError.invalidModel(
                    layer: layer, "the window spans \(span) positions along \(axis) but the input has only \(n) (padding \"valid\")",
                    hint: "use a smaller kernel/pool size, padding \"same\", or a larger input")
            }
            return WindowAxis(input: n, window: k, stride: s, dilation: d, padBefore: 0, output: (n - span) / s + 1)
        case .same:
            let out = (n + s - 1) / s
            let total = max((out - 1) * s + span - n, 0)
            return WindowAxis(input: n, window: k, stride: s, dilation: d, padBefore: total / 2, output: out)
        case .causal:
            return WindowAxis(input: n, window: k, stride: s, dilation: d, padBefore: span - 1, output: (n - 1) / s + 1)
        }
    }
}

/// The geometry of a 2-D window over channels-last samples `(height, width, channels)`; 1-D layers use a
/// height of 1. Output position `(oy, ox)` reads input rows `oy*sh - padTop + ky*dh`, columns likewise.
public struct WindowGeometry: Equatable, Sendable {
    public let height: WindowAxis
    public let width: WindowAxis
    public let channels: Int

    public init(height: WindowAxis, width: WindowAxis, channels: Int) {
        self.height = height; self.width = width; self.channels = channels
    }

    /// Output positions per sample.
    public var outputPositions: Int { height.output * width.output }
    /// Input scalars per sample.
    public var inputSize: Int { height.input * width.input * channels }
    /// One im2col row: `kh * kw * channels`, ordered like Keras's kernel `(kh, kw, in, out)`.
    public var patchSize: Int { height.window * width.window * channels }
}
