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

/// Optimizer lookup by Keras string id, with Keras 3 defaults.
public enum Optimizers {
    public static func named(_ id: String) throws -> Optimizer {
        switch id.lowercased() {
        case "sgd": return SGD()
        case "rmsprop": return RMSprop()
        case "adagrad": return Adagrad()
        case "adam": return Adam()
        case "adadelta": return Adadelta()
        case "adamax": return Adamax()
        case "nadam": return Nadam()
        default:
            throw StrataError.invalidArgument("unknown optimizer '\(id)'",
                                              hint: "use sgd, rmsprop, adagrad, adam, adadelta, adamax or nadam")
        }
    }

    /// Makes an optimizer from a Keras name and Keras-style arguments (`learning_rate` or `lr`, `momentum`...).
    public static func make(_ id: String, arguments: [String: JSONValue]) throws -> Optimizer {
        var args = arguments
        if let lr = args.removeValue(forKey: "lr") { args["learning_rate"] = lr }
        func f(_ k: String, _ d: Float) throws -> Float {
            guard let v = args[k] else { return d }
            guard let n = v.doubleValue else {
                throw StrataError.invalidArgument("optimizer \(id): '\(k)' must be a number, got \(v)", hint: "e.g. \(k): \(d)")
            }
            return Float(n)
        }
        func b(_ k: String, _ d: Bool) throws -> Bool {
            guard let v = args[k] else { return d }
            guard let x = v.boolValue else {
                throw StrataError.invalidArgument("optimizer \(id): '\(k)' must be true or false, got \(v)", hint: "")
            }
            return x
        }
        let known: Set<String>
        let opt: Optimizer
        switch id.lowercased() {
        case "sgd":
            known = ["learning_rate", "momentum", "nesterov", "decay"]
            opt = SGD(learningRate: try f("learning_rate", 0.01), momentum: try f("momentum", 0),
                      nesterov: try b("nesterov", false), decay: try f("decay", 0))
        case "rmsprop":
            known = ["learning_rate", "rho", "momentum", "epsilon", "centered", "decay"]
            opt = RMSprop(learningRate: try f("learning_rate", 0.001), rho: try f("rho", 0.9), momentum: try f("momentum", 0),
                          epsilon: try f("epsilon", 1e-7), centered: try b("centered", false), decay: try f("decay", 0))
        case "adagrad":
            known = ["learning_rate", "initial_accumulator_value", "epsilon", "decay"]
            opt = Adagrad(learningRate: try f("learning_rate", 0.001),
                          initialAccumulatorValue: try f("initial_accumulator_value", 0.1),
                          epsilon: try f("epsilon", 1e-7), decay: try f("decay", 0))
        case "adam":
            known = ["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "decay"]
            opt = Adam(learningRate: try f("learning_rate", 0.001), beta1: try f("beta_1", 0.9), beta2: try f("beta_2", 0.999),
                       epsilon: try f("epsilon", 1e-7), amsgrad: try b("amsgrad", false), decay: try f("decay", 0))
        case "adadelta":
            known = ["learning_rate", "rho", "epsilon", "decay"]
            opt = Adadelta(learningRate: try f("learning_rate", 0.001), rho: try f("rho", 0.95),
                           epsilon: try f("epsilon", 1e-7), decay: try f("decay", 0))
        case "adamax":
            known = ["learning_rate", "beta_1", "beta_2", "epsilon", "decay"]
            opt = Adamax(learningRate: try f("learning_rate", 0.001), beta1: try f("beta_1", 0.9),
                         beta2: try f("beta_2", 0.999), epsilon: try f("epsilon", 1e-7), decay: try f("decay", 0))
        case "nadam":
            known = ["learning_rate", "beta_1", "beta_2", "epsilon", "decay"]
            opt = Nadam(learningRate: try f("learning_rate", 0.001), beta1: try f("beta_1", 0.9),
                        beta2: try f("beta_2", 0.999), epsilon: try f("epsilon", 1e-7), decay: try f("decay", 0))
        default:
            return try named(id)
        }
        let ignorable: Set<String> = ["name", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
                                      "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                                      "gradient_accumulation_steps", "is_legacy_optimizer", "jit_compile"]
        for k in args.keys where !known.contains(k) && !ignorable.contains(k) {
            throw StrataError.invalidArgument("optimizer \(id): unknown argument '\(k)'",
                                              hint: "valid arguments: " + known.sorted().joined(separator: ", "))
        }
        return opt
    }
}
