/// A Keras optimizer updating the flat parameter buffer in one loop.
///
/// Slots (momenta, accumulators) are tensors with the parameter buffer's layout; `scalars` is per-optimizer
/// scalar state (Nadam's momentum product). The learning rate used at step `t` (iterations before the update) is
/// `learningRate / (1 + decay * t)`: Keras 2's `decay`, Keras 3's `InverseTimeDecay(lr, 1, decay)`.
public protocol Optimizer: AnyObject {
    /// Keras's class name (`SGD`, `RMSprop`, `Adam`...).
    var name: String { get }
    /// The base learning rate (callbacks such as ReduceLROnPlateau change it).
    var learningRate: Float { get set }
    /// Keras 2's inverse-time decay of the learning rate per iteration (0: none).
    var decay: Float { get }
    /// Names of the per-parameter slots, in checkpoint order.
    var slotNames: [String] { get }
    /// Initial value of slot `i` (Adagrad's accumulator starts at 0.1).
    func slotInitialValue(_ i: Int) -> Float
    /// Initial scalar state.
    var initialScalars: [Double] { get }
    /// Applies one update to `values` from `gradients`, `lr` being the effective learning rate of this step.
    func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float)
    /// Keras's `get_config()`.
    var config: [String: JSONValue] { get }
}

extension Optimizer {
    public var initialScalars: [Double] { [] }
    public func slotInitialValue(_ i: Int) -> Float { 0 }
    /// The learning rate Keras would use at step `iteration`.
    public func effectiveLearningRate(iteration: Int) -> Float {
        decay == 0 ? learningRate : Float(Double(learningRate) / (1 + Double(decay) * Double(iteration)))
    }
}

/// Everything an optimizer carries between steps: saved in checkpoints, broadcast from rank 0.
public final class OptimizerState {
    public var iterations: Int
    public var slots: [Tensor]
    public var scalars: [Double]

    public init(optimizer: Optimizer, parameterCount: Int) {
        iterations = 0
        slots = optimizer.slotNames.indices.map { Tensor(zeros: [parameterCount], repeating: optimizer.slotInitialValue($0)) }
        scalars = optimizer.initialScalars
    }
}
