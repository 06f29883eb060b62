/// Optimizer lookup by Keras string id, with Keras 3 defaults.
///
/// `table` lists each optimizer once: its Keras class name, how to make it with Keras's defaults (the Swift
/// initialiser's default arguments, the one place they are written), and how to make it from Keras-style
/// arguments. The arguments an optimizer accepts are the keys of its `get_config()`, Keras 3's base-optimizer
/// arguments (`OptimizerOptions`) and, where Keras 2 had it, `decay`; an argument left out takes the default
/// instance's value. `learning_rate` may be a schedule.
public enum Optimizers {
    struct Entry {
        /// Keras's class name (`RMSprop`); ids match it case-insensitively.
        let name: String
        /// The optimizer with Keras 3's defaults.
        let standard: () -> Optimizer
        /// The optimizer from checked arguments.
        let configured: (inout OptimizerArguments) throws -> Optimizer
    }

    /// Every optimizer Strata implements.
    nonisolated(unsafe) static let table: [Entry] = [
        Entry(name: "SGD", standard: { SGD() }) { a in
            SGD(
                learningRate: try a.learningRate(), momentum: try a.float("momentum"), nesterov: try a.bool("nesterov"),
                decay: try a.float("decay"))
        },
        Entry(name: "RMSprop", standard: { RMSprop() }) { a in
            RMSprop(
                learningRate: try a.learningRate(), rho: try a.float("rho"), momentum: try a.float("momentum"),
                epsilon: try a.float("epsilon"), centered: try a.bool("centered"), decay: try a.float("decay"))
        },
        Entry(name: "Adagrad", standard: { Adagrad() }) { a in
            Adagrad(
                learningRate: try a.learningRate(), initialAccumulatorValue: try a.float("initial_accumulator_value"),
                epsilon: try a.float("epsilon"), decay: try a.float("decay"))
        },
        Entry(name: "Adam", standard: { Adam() }) { a in
            Adam(
                learningRate: try a.learningRate(), beta1: try a.float("beta_1"), beta2: try a.float("beta_2"),
                epsilon: try a.float("epsilon"), amsgrad: try a.bool("amsgrad"), decay: try a.float("decay"))
        },
        Entry(name: "AdamW", standard: { AdamW() }) { a in
            AdamW(
                learningRate: try a.learningRate(), weightDecay: try a.float("weight_decay"), beta1: try a.float("beta_1"),
                beta2: try a.float("beta_2"), epsilon: try a.float("epsilon"), amsgrad: try a.bool("amsgrad"))
        },
        Entry(name: "Adadelta", standard: { Adadelta() }) { a in
            Adadelta(
                learningRate: try a.learningRate(), rho: try a.float("rho"), epsilon: try a.float("epsilon"),
                decay: try a.float("decay"))
        },
        Entry(name: "Adamax", standard: { Adamax() }) { a in
            Adamax(
                learningRate: try a.learningRate(), beta1: try a.float("beta_1"), beta2: try a.float("beta_2"),
                epsilon: try a.float("epsilon"), decay: try a.float("decay"))
        },
        Entry(name: "Nadam", standard: { Nadam() }) { a in
            Nadam(
                learningRate: try a.learningRate(), beta1: try a.float("beta_1"), beta2: try a.float("beta_2"),
                epsilon: try a.float("epsilon"), decay: try a.float("decay"))
        },
        Entry(name: "Lion", standard: { Lion() }) { a in
            Lion(learningRate: try a.learningRate(), beta1: try a.float("beta_1"), beta2: try a.float("beta_2"))
        },
        Entry(name: "Ftrl", standard: { Ftrl() }) { a in
            Ftrl(
                learningRate: try a.learningRate(), learningRatePower: try a.float("learning_rate_power"),
                initialAccumulatorValue: try a.float("initial_accumulator_value"),
                l1RegularizationStrength: try a.float("l1_regularization_strength"),
                l2RegularizationStrength: try a.float("l2_regularization_strength"),
                l2ShrinkageRegularizationStrength: try a.float("l2_shrinkage_regularization_strength"),
                beta: try a.float("beta"))
        },
        Entry(name: "Adafactor", standard: { Adafactor() }) { a in
            Adafactor(
                learningRate: try a.learningRate(), beta2Decay: try a.float("beta_2_decay"),
                epsilon1: try a.float("epsilon_1"), epsilon2: try a.float("epsilon_2"),
                clipThreshold: try a.float("clip_threshold"), relativeStep: try a.bool("relative_step"))
        },
    ]

    /// The Keras class names of the optimizers Strata implements.
    public static var names: [String] { table.map(\.name) }

    /// Makes an optimizer with Keras 3's defaults from a Keras name (`"adam"`, `"RMSprop"`...).
    public static func named(_ id: String) throws -> Optimizer { try entry(id).standard() }

    /// Makes an optimizer from a Keras name and Keras-style arguments (`learning_rate` or `lr`, `momentum`...,
    /// the base arguments of `OptimizerOptions`); `learning_rate` may be a schedule (`{ExponentialDecay: {...}}` or
    /// Keras's serialised `{"class_name": "ExponentialDecay", "config": {...}}`). Unknown arguments are an error.
    public static func make(_ id: String, arguments: [String: JSONValue]) throws -> Optimizer {
        let e = try entry(id)
        let standard = e.standard()
        var defaults = standard.config
        defaults["name"] = nil
        if standard is KerasTwoDecay { defaults["decay"] = 0 }
        var a = OptimizerArguments("optimizer \(id)", arguments, defaults: defaults)
        a.rename("lr", to: "learning_rate")
        let opt = try e.configured(&a)
        try opt.options.read(&a)
        // Keras 3 ignores Keras 2's `decay`; Strata applies it where the optimizer existed in Keras 2, and takes
        // a 0 (as checkpoints record it) everywhere.
        if let d = try a.optionalFloat("decay"), d != 0 {
            throw StrataError.invalidArgument(
                "optimizer \(id): Keras 2's 'decay' does not apply to \(opt.name)",
                hint: "use learning_rate: {InverseTimeDecay: {initial_learning_rate: <lr>, decay_steps: 1, decay_rate: \(d)}}")
        }
        a.ignore("name")
        try a.finish(valid: Array(defaults.keys) + ["name"] + OptimizerOptions.keys)
        try opt.validate()
        return opt
    }

    private static func entry(_ id: String) throws -> Entry {
        guard let e = table.first(where: { $0.name.lowercased() == id.lowercased() }) else {
            throw StrataError.invalidArgument(
                "unknown optimizer '\(id)'",
                hint: "use " + table.map { $0.name.lowercased() }.joined(separator: ", "))
        }
        return e
    }
}

/// The optimizers Keras 2 had, which take its `decay` (`lr / (1 + decay * iterations)`).
protocol KerasTwoDecay {}
extension SGD: KerasTwoDecay {}
extension RMSprop: KerasTwoDecay {}
extension Adagrad: KerasTwoDecay {}
extension Adam: KerasTwoDecay {}
extension Adadelta: KerasTwoDecay {}
extension Adamax: KerasTwoDecay {}
extension Nadam: KerasTwoDecay {}
