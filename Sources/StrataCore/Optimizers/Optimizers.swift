/// Optimizer lookup by Keras string id, with Keras 3 defaults.
///
/// `table` lists each optimizer once: its Keras class name, how to make it with Keras's defaults (the Swift
/// initialiser's default arguments, the one place they are written), and how to make it from Keras-style
/// arguments. The arguments an optimizer accepts are the keys of its `get_config()` plus Keras 2's `decay`; an
/// argument left out takes the default instance's value.
public enum Optimizers {
    struct Entry {
        /// Keras's class name (`RMSprop`); ids match it case-insensitively.
        let name: String
        /// The optimizer with Keras 3's defaults.
        let standard: () -> Optimizer
        /// The optimizer from checked arguments.
        let configured: (Arguments) throws -> Optimizer
    }

    /// Every optimizer Strata implements.
    nonisolated(unsafe) static let table: [Entry] = [
        Entry(name: "SGD", standard: { SGD() }) { a in
            SGD(learningRate: try a.float("learning_rate"), momentum: try a.float("momentum"),
                nesterov: try a.bool("nesterov"), decay: try a.float("decay"))
        },
        Entry(name: "RMSprop", standard: { RMSprop() }) { a in
            RMSprop(learningRate: try a.float("learning_rate"), rho: try a.float("rho"), momentum: try a.float("momentum"),
                    epsilon: try a.float("epsilon"), centered: try a.bool("centered"), decay: try a.float("decay"))
        },
        Entry(name: "Adagrad", standard: { Adagrad() }) { a in
            Adagrad(learningRate: try a.float("learning_rate"),
                    initialAccumulatorValue: try a.float("initial_accumulator_value"), epsilon: try a.float("epsilon"),
                    decay: try a.float("decay"))
        },
        Entry(name: "Adam", standard: { Adam() }) { a in
            Adam(learningRate: try a.float("learning_rate"), beta1: try a.float("beta_1"), beta2: try a.float("beta_2"),
                 epsilon: try a.float("epsilon"), amsgrad: try a.bool("amsgrad"), decay: try a.float("decay"))
        },
        Entry(name: "Adadelta", standard: { Adadelta() }) { a in
            Adadelta(learningRate: try a.float("learning_rate"), rho: try a.float("rho"), epsilon: try a.float("epsilon"),
                     decay: try a.float("decay"))
        },
        Entry(name: "Adamax", standard: { Adamax() }) { a in
            Adamax(learningRate: try a.float("learning_rate"), beta1: try a.float("beta_1"), beta2: try a.float("beta_2"),
                   epsilon: try a.float("epsilon"), decay: try a.float("decay"))
        },
        Entry(name: "Nadam", standard: { Nadam() }) { a in
            Nadam(learningRate: try a.float("learning_rate"), beta1: try a.float("beta_1"), beta2: try a.float("beta_2"),
                  epsilon: try a.float("epsilon"), decay: try a.float("decay"))
        },
    ]

    /// Keras arguments that do not change Strata's update (names, Keras-side execution settings) or that Keras 3
    /// writes with their inactive defaults: accepted and ignored.
    static let ignorable: Set<String> = ["name", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
                                         "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                                         "gradient_accumulation_steps", "is_legacy_optimizer", "jit_compile"]

    /// The Keras class names of the optimizers Strata implements.
    public static var names: [String] { table.map(\.name) }

    /// Makes an optimizer with Keras 3's defaults from a Keras name (`"adam"`, `"RMSprop"`...).
    public static func named(_ id: String) throws -> Optimizer { try entry(id).standard() }

    /// Makes an optimizer from a Keras name and Keras-style arguments (`learning_rate` or `lr`, `momentum`...).
    public static func make(_ id: String, arguments: [String: JSONValue]) throws -> Optimizer {
        let e = try entry(id)
        var given = arguments
        if let lr = given.removeValue(forKey: "lr") { given["learning_rate"] = lr }
        var defaults = e.standard().config
        defaults["name"] = nil
        defaults["decay"] = 0
        let args = Arguments(id: id, given: given, defaults: defaults)
        let optimizer = try e.configured(args)
        for k in given.keys.sorted() where defaults[k] == nil && !ignorable.contains(k) {
            throw StrataError.invalidArgument("optimizer \(id): unknown argument '\(k)'",
                                              hint: "valid arguments: " + defaults.keys.sorted().joined(separator: ", "))
        }
        return optimizer
    }

    private static func entry(_ id: String) throws -> Entry {
        guard let e = table.first(where: { $0.name.lowercased() == id.lowercased() }) else {
            throw StrataError.invalidArgument("unknown optimizer '\(id)'",
                                              hint: "use " + table.map { $0.name.lowercased() }.joined(separator: ", "))
        }
        return e
    }

    /// Keras-style arguments with the optimizer's defaults behind them; wrong types are errors naming the argument.
    struct Arguments {
        let id: String
        let given: [String: JSONValue]
        let defaults: [String: JSONValue]

        func float(_ key: String) throws -> Float {
            let d = defaults[key]?.doubleValue ?? 0
            guard let v = given[key] else { return Float(d) }
            guard let n = v.doubleValue else {
                throw StrataError.invalidArgument("optimizer \(id): '\(key)' must be a number, got \(v)",
                                                  hint: "e.g. \(key): \(Float(d))")
            }
            return Float(n)
        }

        func bool(_ key: String) throws -> Bool {
            let d = defaults[key]?.boolValue ?? false
            guard let v = given[key] else { return d }
            guard let b = v.boolValue else {
                throw StrataError.invalidArgument("optimizer \(id): '\(key)' must be true or false, got \(v)", hint: "")
            }
            return b
        }
    }
}
