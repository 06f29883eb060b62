import Foundation
import StrataCore

/// One HDF5 file that is both a Keras legacy `.h5` model (keras-format.md §1: root attrs `keras_version`,
/// `backend`, `model_config`, `training_config`; `model_weights` with `layer_names`/`weight_names`) and a
/// complete Strata checkpoint: the group `strata_training_state` holds what Keras does not store (optimizer
/// name, config, iterations, slots and scalars, the current learning rate, epoch and batch cursor, partial-epoch
/// sums, seed, world size and thread count, callback state and tensors, whether a callback stopped the run, the
/// run's data/settings fingerprint, History, the GLOBAL states of stateful RNN layers under
/// `rnn_states/<layer>/<i>`, a format version). Keras ignores that group.
public enum Checkpoint {
    /// Version of our training-state group's layout. 2 added RNN states, callback tensors, `stopped` and
    /// `run_fingerprint` (a version-1 reader would silently drop them, so it refuses these files).
    public static let formatVersion = 2
    public static let stateGroup = "strata_training_state"
    /// The Keras version whose legacy layout we write (the portable dialect loads in Keras 3 and tf-keras).
    public static let kerasVersion = "3.15.1"

    // MARK: writing

    /// Writes `model` (and its optimizer and training state when it has them) to `path` atomically: a temp file
    /// in the same directory, flushed and fsynced, then renamed over `path`. A reader never sees a partial file.
    /// `context`: the run whose position, History and callback state the file records (ModelCheckpoint passes its
    /// `fit`'s); nil records where the model's last `fit` ended. `states`: the global RNN states
    /// (`Sequential.gatherStates`, which every rank must call); nil takes the model's own when it runs on one process.
    /// `slots`: the whole optimizer slots (`OptimizerState.gatheredSlots`, which every rank must call) while a
    /// sharded run trains; nil takes the state's own.
    /// `checksums` (keep it on; off only to measure what it costs): Fletcher32 on every dataset, HDF5's metadata
    /// checksums and the recorded SHA-256 digest (`CheckpointDigest`), which every reader verifies first.
    public static func write(
        _ model: Sequential, to path: String, context: TrainingContext? = nil,
        states: [String: [Tensor]]? = nil, slots: [Tensor]? = nil, checksums: Bool = true
    ) throws {
        guard let p = model.parameters else {
            throw StrataError.usage(
                "the model is not built, so it has no weights to save",
                hint: "build it (model.build(), or fit once) or give the first layer an input shape")
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = path + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try writeContents(
                model, p, run: context ?? model.activeRun, states: states, slots: slots, to: tmp, checksums: checksums)
            let fh = try FileHandle(forUpdating: URL(fileURLWithPath: tmp))
            try fh.synchronize()
            try fh.close()
            if Foundation.rename(tmp, path) != 0 {
                throw StrataError.file(
                    path: path, "cannot rename the finished temp file into place (errno \(errno))",
                    hint: "check the directory's permissions")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
    }

    private static func writeContents(
        _ model: Sequential, _ p: Parameters, run: TrainingContext?,
        states given: [String: [Tensor]]?, slots: [Tensor]?, to path: String, checksums: Bool
    ) throws {
        let f = try HDF5.File.create(path, checksummed: checksums)
        try f.setString("keras_version", kerasVersion)
        try f.setString("backend", "tensorflow")
        try f.setString("model_config", ModelConfig.json(of: model).jsonText)
        if let t = ModelConfig.trainingConfig(of: model) { try f.setString("training_config", t.jsonText) }
        let w = try f.makeGroup("model_weights")
        try w.setChunkedStrings("layer_names", model.layers.map(\.name))
        try w.setString("backend", "tensorflow")
        try w.setString("keras_version", kerasVersion)
        for (layer, handles) in zip(model.layers, model.layerWeights) {
            let g = try w.makeGroup(layer.name)
            let names = handles.map { "\(layer.name)/\($0.name):0" }
            try g.setChunkedStrings("weight_names", names)
            for (h, n) in zip(handles, names) { try g.write(n, p.value(h)) }
        }
        try w.makeGroup("top_level_model_weights").setStrings("weight_names", [])
        if let opt = model.optimizer, let st = model.optimizerState {
            try writeState(model, opt, st, p, run: run, slots: slots, into: try f.makeGroup(stateGroup))
        }
        let states = given ?? model.singleProcessStates
        if states == nil {
            FileHandle.standardError.write(
                Data(
                    "strata: \(path): the stateful layers' states are one rank's slice, not saved; save with ModelCheckpoint (every rank gathers the global states)\n"
                        .utf8))
        }
        if let states, !states.isEmpty {
            let g = f.contains(stateGroup) ? try f.group(stateGroup) : try f.makeGroup(stateGroup)
            for (name, tensors) in states {
                for (i, t) in tensors.enumerated() { try g.write("rnn_states/\(name)/\(i)", t) }
            }
        }
        if checksums { try CheckpointDigest.record(in: f) }
        try f.flush()
    }

    private static func writeState(
        _ model: Sequential, _ opt: Optimizer, _ st: OptimizerState, _ p: Parameters,
        run: TrainingContext?, slots given: [Tensor]?, into g: HDF5.Group
    ) throws {
        guard let slots = given ?? (st.shard == nil ? st.slots : nil) else {
            throw StrataError.usage(
                "the optimizer's slots are split over the ranks (communication.shardOptimizer) while fit runs, so one rank cannot save them alone",
                hint: "save during fit with ModelCheckpoint (every rank gathers the slots), or after fit returns")
        }
        let t = run?.state ?? model.finishedRun
        try g.setString("format_version", String(formatVersion))
        try g.setString("model_fingerprint", model.configFingerprint)
        try g.setString("seed", String(t?.seed ?? model.runSeed))  // the run seed (older files: the only seed)
        try g.setString("init_seed", String(model.seed))
        try g.setString("optimizer", opt.name)
        var config = opt.kerasConfig
        config["decay"] = JSONValue(opt.decay)
        try g.setString("optimizer_config", JSONValue.object(config).jsonText)
        try g.setStrings("optimizer_slot_names", opt.stateSlotNames)
        // [epoch, batch_in_epoch, iterations, world_size, threads, parameter_count]
        try g.write(
            "counters",
            int64s: [
                t?.epoch ?? 0, t?.batchInEpoch ?? 0, st.iterations, t?.worldSize ?? 1,
                t?.threads ?? 1, p.count,
            ].map { Int64($0) })
        var lr = [opt.learningRate]
        try lr.withUnsafeMutableBufferPointer { try g.write("learning_rate", floats: $0.baseAddress!, shape: [1]) }
        try g.write("optimizer_scalars", doubles: st.scalars)
        for (name, slot) in zip(opt.stateSlotNames, slots) { try g.write("optimizer_slots/\(name)", slot) }
        try g.write("partial_sums", doubles: t?.partialSums ?? [])
        // Callback state by key (`callback_ids`), each entry's value names in `callback_keys`, values in
        // `callback_values`, tensors in `callback_tensors/<position>/<name>`.
        let callbacks = run?.callbackStates ?? t?.callbacks ?? [:]
        let ids = callbacks.keys.sorted()
        let keys = ids.map { callbacks[$0]!.values.keys.sorted() }
        try g.setString("callback_ids", JSONValue.array(ids.map { .string($0) }).jsonText)
        try g.setString("callback_keys", JSONValue.array(keys.map { .array($0.map { .string($0) }) }).jsonText)
        try g.write("callback_values", doubles: zip(ids, keys).flatMap { id, k in k.map { callbacks[id]!.values[$0]! } })
        for (i, id) in ids.enumerated() {
            for (k, v) in callbacks[id]!.tensors { try g.write("callback_tensors/\(i)/\(k)", v) }
        }
        try g.setString("stopped", t?.stopped == true ? "1" : "0")
        try g.setString("run_fingerprint", t?.runFingerprint ?? "")
        let h = t?.history
        try g.write("history_epochs", int64s: (h?.epoch ?? []).map { Int64($0) })
        let hg = try g.makeGroup("history")
        for (k, v) in h?.history ?? [:] { try hg.write(k, doubles: v) }
    }

    // MARK: reading

    /// The Keras model in `path` (Keras 3, tf-keras, Keras 2 or Strata): model from `model_config` (both
    /// dialects), weights by position. With `compile` (Keras's `load_model(compile=True)`) it is compiled as the
    /// run was: loss and metrics from `training_config`, the optimizer with every argument (decay, momentum,
    /// nesterov, centered, amsgrad, rho, epsilon...) from Strata's training state when the file has it, else from
    /// `training_config`; then the optimizer's state is restored. A model loaded for `predict` needs no
    /// compile, and then never depends on optimizer settings.
    public static func readModel(_ path: String, compile: Bool = true) throws -> Sequential {
        let f = try HDF5.File.open(path)
        try CheckpointDigest.verifyForReading(f)
        guard let text = try f.string("model_config") else {
            throw StrataError.file(
                path: path, "no model_config attribute: this is a weights-only file, not a saved model",
                hint: "build the model in Swift and call model.loadWeights(\"\(path)\")")
        }
        let version = try f.string("keras_version")
        let config: ModelConfig
        let model: Sequential
        do {
            config = try ModelConfig(json: try JSONValue.parse(text), kerasVersion: version)
            model = try config.makeModel()
        } catch let e as StrataError {
            throw StrataError.file(
                path: path, "cannot make the model from its model_config: \(e.localizedDescription)",
                hint: "Strata supports these layers: " + LayerRegistry.types.map { $0.kerasClassName }.joined(separator: ", "))
        }
        guard model.isBuilt else {
            throw StrataError.file(
                path: path, "model_config gives no input shape (no InputLayer or batch_input_shape)",
                hint: "build the model in Swift with an input shape and call model.loadWeights(\"\(path)\")")
        }
        try loadWeights(into: model, from: f)
        let state = try hasTrainingState(f) ? try f.group(stateGroup) : nil
        if let state { model.adoptSeeds(initialization: try seeds(state).initialization) }
        if compile {
            do { try compileAsSaved(model, f, state: state) } catch {
                FileHandle.standardError.write(
                    Data("strata: \(path): loaded uncompiled (\((error as? LocalizedError)?.errorDescription ?? "\(error)"))\n".utf8))
            }
        }
        if model.optimizer != nil, let state {
            _ = try restoreOptimizer(model, state)
        }
        try model.scatterStates(try readStates(f), rank: 0, size: 1, source: path)
        return model
    }

    /// Compiles `model` as the file's run was compiled: loss and metrics from `training_config`, the optimizer from
    /// our training state (every argument) when the file has one, else from `training_config`. No
    /// `training_config`: left uncompiled.
    static func compileAsSaved(_ model: Sequential, _ f: HDF5.File, state: HDF5.Group?) throws {
        guard let t = try f.string("training_config") else { return }
        var training = try JSONValue.parse(t)
        if let state, let saved = try savedOptimizerConfig(state), case var .object(o) = training {
            o["optimizer_config"] = saved
            training = .object(o)
        }
        try ModelConfig.compile(model, trainingConfig: training)
    }

    /// The optimizer a checkpoint's run used, as Keras's `{"class_name", "config"}` with every argument Strata
    /// records (Keras 2's `decay` included, which Keras 3's `training_config` cannot carry).
    static func savedOptimizerConfig(_ g: HDF5.Group) throws -> JSONValue? {
        guard let name = try g.string("optimizer"), let text = try g.string("optimizer_config") else { return nil }
        return ["class_name": .string(name), "config": try JSONValue.parse(text)]
    }

    /// The run and initialisation seeds of a training-state group (files that record one seed used it for both).
    static func seeds(_ g: HDF5.Group) throws -> (run: UInt64, initialization: UInt64) {
        guard let text = try g.string("seed"), let run = UInt64(text) else {
            throw StrataError.file(path: g.file, "the training state has no seed", hint: "the file is damaged")
        }
        return (run, try g.string("init_seed").flatMap { UInt64($0) } ?? run)
    }

    /// The groups of a Keras .h5 that hold weights, in the file's layer order (`layer_names`), with their
    /// `weight_names`: what positional loading and `strata inspect` read.
    public static func savedWeights(_ f: HDF5.File) throws -> [(layer: String, group: HDF5.Group, weights: [String])] {
        let root: HDF5.Group = (!f.hasAttribute("layer_names") && f.contains("model_weights")) ? try f.group("model_weights") : f
        guard let layerNames = try root.chunkedStrings("layer_names") else {
            throw StrataError.file(
                path: f.file, "no layer_names attribute in \(root.path): not a Keras .h5 model or weights file",
                hint: "pass a file written by model.save(...) (Keras or Strata)")
        }
        var saved: [(layer: String, group: HDF5.Group, weights: [String])] = []
        for n in layerNames {
            let g = try root.group(n)
            let w = try g.chunkedStrings("weight_names") ?? []
            if !w.isEmpty { saved.append((n, g, w)) }
        }
        return saved
    }

    /// Keras's positional weight loading (`load_weights_from_hdf5_group`): layers with weights in the file
    /// matched in order to layers with weights in the model; counts and shapes must agree.
    public static func loadWeights(into model: Sequential, from f: HDF5.File) throws {
        if !model.isBuilt { try model.build() }
        let p = model.parameters!
        let saved = try savedWeights(f)
        let mine = zip(model.layers, model.layerWeights).filter { !$0.1.isEmpty }
        guard saved.count == mine.count else {
            throw StrataError.file(
                path: f.file,
                "the file has weights for \(saved.count) layers (\(saved.map(\.layer).joined(separator: ", "))), the model has \(mine.count) layers with weights (\(mine.map(\.0.name).joined(separator: ", ")))",
                hint: "load it into the same architecture it was saved from")
        }
        for (s, (layer, handles)) in zip(saved, mine) {
            guard s.weights.count == handles.count else {
                throw StrataError.file(
                    path: f.file,
                    "layer '\(s.layer)' has \(s.weights.count) weights in the file, model layer '\(layer.name)' (\(layer.className)) has \(handles.count)",
                    hint: "load it into the same architecture it was saved from")
            }
            for (wn, h) in zip(s.weights, handles) {
                let d = try s.group.dataset(wn)
                guard d.shape == h.shape else {
                    throw StrataError.file(
                        path: f.file,
                        "weight '\(s.group.path)/\(wn)' has shape \(d.shape), model layer '\(layer.name)' expects \(h.name) of shape \(h.shape)",
                        hint: "load it into the same architecture it was saved from")
                }
                p.value(h).assign(try d.readAll())
            }
        }
    }

    /// True if the file holds our optimizer and training state (a file saved uncompiled may hold RNN states only).
    static func hasTrainingState(_ f: HDF5.File) throws -> Bool {
        guard f.contains(stateGroup) else { return false }
        return try f.group(stateGroup).hasAttribute("format_version")
    }

    /// The global RNN states in the file (`strata_training_state/rnn_states/<layer>/<i>`), by layer name.
    static func readStates(_ f: HDF5.File) throws -> [String: [Tensor]] {
        guard f.contains(stateGroup + "/rnn_states") else { return [:] }
        let g = try f.group(stateGroup + "/rnn_states")
        var out: [String: [Tensor]] = [:]
        for name in try g.childNames() {
            let lg = try g.group(name)
            let indices = try lg.childNames().compactMap(Int.init).sorted()
            out[name] = try indices.map { try lg.dataset(String($0)).readAll() }
        }
        return out
    }

    /// The checkpoint's model (layers, configs, input shape) must be `model`'s: one error showing both.
    static func checkSameModel(_ model: Sequential, _ g: HDF5.Group) throws {
        guard try g.string("model_fingerprint") == model.configFingerprint else {
            throw StrataError.file(
                path: g.file,
                "the checkpoint was written by a different model:\n  file:  \(try g.string("model_fingerprint") ?? "?")\n  model: \(model.configFingerprint)",
                hint: "resume with the same layers and input shape, or start a new run")
        }
    }

    /// Restores the optimizer's state (iterations, slots, scalars, learning rate) from our group.
    static func restoreOptimizer(_ model: Sequential, _ g: HDF5.Group) throws -> [Int64] {
        let path = g.file
        guard let v = try g.string("format_version"), let version = Int(v), version <= formatVersion else {
            throw StrataError.file(path: path, "training state of an unknown format version", hint: "use a newer Strata")
        }
        try checkSameModel(model, g)
        let opt = model.optimizer!, st = model.optimizerState!
        let saved = try g.string("optimizer") ?? "?"
        guard saved == opt.name else {
            throw StrataError.file(
                path: path, "the checkpoint holds \(saved) optimizer state, the model is compiled with \(opt.name)",
                hint: "compile with \(saved) to resume")
        }
        // The optimizer's settings must match too (a constant learning_rate aside: callbacks change it, and the
        // saved one is restored; a schedule must be the same schedule).
        var mine = opt.kerasConfig
        mine["decay"] = JSONValue(opt.decay)
        if let text = try g.string("optimizer_config"), var theirs = try JSONValue.parse(text).objectValue {
            if mine["learning_rate"]?.doubleValue != nil && theirs["learning_rate"]?.doubleValue != nil {
                mine["learning_rate"] = nil
                theirs["learning_rate"] = nil
            }
            let differing = Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }.sorted()
            guard differing.isEmpty else {
                let show = { (c: [String: JSONValue]) in differing.map { "\($0)=\(c[$0]?.jsonText ?? "absent")" }.joined(separator: ", ") }
                throw StrataError.file(
                    path: path, "the checkpoint's \(saved) optimizer has \(show(theirs)), the model's has \(show(mine))",
                    hint: "compile with the same optimizer settings to resume")
            }
        }
        let counters = try g.dataset("counters").readInt64s()
        guard counters.count >= 6, Int(counters[5]) == model.parameters!.count else {
            throw StrataError.file(
                path: path, "the checkpoint has \(counters.count >= 6 ? counters[5] : -1) parameters, the model \(model.parameters!.count)",
                hint: "resume with the same model")
        }
        st.iterations = Int(counters[2])
        st.scalars = try g.dataset("optimizer_scalars").readDoubles()
        let names = try g.strings("optimizer_slot_names")
        st.ensureSlots(for: opt)
        guard names == opt.stateSlotNames else {
            throw StrataError.file(
                path: path, "optimizer slots \(names) in the file, \(opt.stateSlotNames) in the model's \(opt.name)",
                hint: "compile with the same optimizer settings (e.g. momentum) to resume")
        }
        for (n, slot) in zip(names, st.slots) { slot.assign(try g.dataset("optimizer_slots/\(n)").readAll()) }
        opt.learningRate = try g.dataset("learning_rate").readAll()[flat: 0]
        return counters
    }

    /// Restores weights, optimizer state and the training position from a checkpoint into `model` (built and
    /// compiled like the saved one; an uncompiled model is compiled as the run was): the `TrainingState` to pass
    /// to `fit(..., resume:)`. The model takes the file's weights and seeds; nothing is re-initialised.
    public static func restore(_ model: Sequential, from path: String) throws -> TrainingState {
        try restore(model, file: try HDF5.File.open(path))
    }

    /// `restore` from an open file (e.g. the image rank 0 read and broadcast), verified first unless the caller
    /// already verified these bytes.
    public static func restore(_ model: Sequential, file f: HDF5.File, verify: Bool = true) throws -> TrainingState {
        if verify { try CheckpointDigest.verifyForReading(f) }
        let path = f.file
        guard let state = try readTrainingState(f) else {
            throw StrataError.file(
                path: path, "no training state: this .h5 holds a model but not a Strata checkpoint",
                hint: "resume from a file written by ModelCheckpoint")
        }
        let g = try f.group(stateGroup)
        if model.optimizer == nil { try compileAsSaved(model, f, state: g) }
        guard model.optimizer != nil else {
            throw StrataError.usage("the model is not compiled", hint: "compile it as it was compiled for the saved run")
        }
        if !model.isBuilt { try model.build() }
        try checkSameModel(model, g)
        model.adoptSeeds(initialization: state.initSeed)
        try loadWeights(into: model, from: f)
        _ = try restoreOptimizer(model, g)
        return state
    }

    /// The training position a checkpoint holds (epoch and batch cursor, seeds, rank and thread count, partial
    /// sums, callback state, History, global RNN states), read without a model: nil for a file without our
    /// training state (a model saved by Keras, or by Strata uncompiled).
    public static func readTrainingState(_ f: HDF5.File) throws -> TrainingState? {
        guard try hasTrainingState(f) else { return nil }
        let g = try f.group(stateGroup)
        let (run, initialization) = try seeds(g)
        let counters = try g.dataset("counters").readInt64s()
        guard counters.count >= 6 else {
            throw StrataError.file(
                path: f.file, "the training state's counters are incomplete (\(counters.count) of 6)", hint: "the file is damaged")
        }
        let state = TrainingState(seed: run, initSeed: initialization)
        state.epoch = Int(counters[0])
        state.batchInEpoch = Int(counters[1])
        state.worldSize = Int(counters[3])
        state.threads = Int(counters[4])
        state.partialSums = try g.dataset("partial_sums").readDoubles()
        let keys = (try JSONValue.parse(try g.string("callback_keys") ?? "[]")).arrayValue ?? []
        var values = try g.dataset("callback_values").readDoubles()[...]
        // Files written before callbacks had keys list them by position: `#0`, `#1`, ...
        let ids =
            try g.string("callback_ids").map { try JSONValue.parse($0).arrayValue?.compactMap(\.stringValue) ?? [] }
            ?? keys.indices.map(CallbackState.positionalKey)
        for (i, k) in keys.enumerated() where i < ids.count {
            var entry = CallbackState()
            for name in k.arrayValue ?? [] { entry.values[name.stringValue ?? ""] = values.popFirst() ?? 0 }
            if g.contains("callback_tensors/\(i)") {
                let cg = try g.group("callback_tensors/\(i)")
                entry.tensors = try Dictionary(uniqueKeysWithValues: cg.childNames().map { ($0, try cg.dataset($0).readAll()) })
            }
            state.callbacks[ids[i]] = entry
        }
        state.stopped = try g.string("stopped") == "1"
        state.runFingerprint = try g.string("run_fingerprint") ?? ""
        state.history.epoch = try g.dataset("history_epochs").readInt64s().map { Int($0) }
        let hg = try g.group("history")
        for k in try hg.childNames() { state.history.history[k] = try hg.dataset(k).readDoubles() }
        state.rnnStates = try readStates(f)
        return state
    }

    /// The optimizer a checkpoint records, read without a model: Keras name, every argument, iterations done and
    /// the current learning rate. Nil for a file without our training state.
    public static func readOptimizer(_ f: HDF5.File) throws -> (
        name: String, config: [String: JSONValue], iterations: Int, learningRate: Float
    )? {
        guard try hasTrainingState(f) else { return nil }
        let g = try f.group(stateGroup)
        guard let saved = try savedOptimizerConfig(g) else { return nil }
        let counters = try g.dataset("counters").readInt64s()
        return (
            saved["class_name"]?.stringValue ?? "?", saved["config"]?.objectValue ?? [:], counters.count > 2 ? Int(counters[2]) : 0,
            try g.dataset("learning_rate").readAll()[flat: 0]
        )
    }
}
