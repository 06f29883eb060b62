/// Buffers that the layers of one model share because each is live during only part of a step, and THE rules by
/// which a layer's buffers may alias another's. Every aliasing in the layers goes through the `LayerContext` methods
/// below; a layer called on its own (no model, `context.shared == nil`) gets no aliasing at all and uses its own
/// `Workspace`.
///
/// ## Buffer aliasing: the rules
///
/// 1. **Input gradients share two storages.** During backward only two gradients are live at once, the `dy` a layer
///    receives and the `dx` it writes, so `inputGradient(_:dy:workspace:slot:)` hands out the one of two shared
///    storages that is not `dy`'s (per-layer `dx` buffers held 137 MB on the guide's VGG-like model at batch 32;
///    two shared ones hold 79 MB). `dx` is valid until the next layer down writes its own input gradient.
/// 2. **An elementwise gradient is written over `dy`.** The model owns the `dy` it passes to `backward` and reads it
///    no more, so `elementwiseGradient(of:workspace:slot:)` returns `dy` itself (activations, dropout, a fused
///    activation's `dz`).
/// 3. **An elementwise forward may be written over its input** when `mayOverwriteInput` is set: the model sets it in
///    training when it owns `x` and the layer that produced `x` declared `backwardReadsOutput == false` (see
///    `mayOverwrite(outputOf:training:)`); views (Flatten, Reshape) pass the producer through. `output(over:workspace:slot:)`
///    then returns `x` (Dropout after pooling).
/// 4. **Scratch lives for one call.** `scratch(_:_:workspace:slot:)` lends a `ScratchSlot` (im2col chunks) that the
///    next layer reuses, so nothing may be kept in it across `forward` and `backward`.
///
/// 5. **An input gradient may be written over the input** when `gradientMayOverwriteInput` is set: the model sets
///    it in training when it owns `x` and no layer whose output `x` is (the producer, and in-place or view layers
///    after it) reads that output in backward — so `x` is read only by this layer, which passes `over: x` only when
///    it writes `dx` after its last read of `x` (a convolution's direct kernels, pooling, Dense). A relu
///    convolution on the direct kernels keeps a 1-bit mask instead of its output (`Convolution.keepsReluMask`), so
///    the layer after it takes this rule; the layer after another non-linear convolution (which reads its output)
///    does not.
///
/// 6. **A dead output lends its memory.** Once layer `i` has run forward, its input (another layer's output) is read
///    by nobody until layer `i`'s backward pass when layer `i` does not read it in backward (`backwardReadsInput`)
///    and no layer whose output it is does (`backwardReadsOutput`) — in evaluation, by nobody at all. The model then
///    lends that range (`lend`) and later layers place their outputs in it (`output(_:workspace:slot:)`, first fit):
///    they are born after it died and, in a chain, die before layer `i`'s backward wants it back (rule 5 writes
///    `dx` there). The last layer never borrows: the caller reads its output after backward. On the guide's VGG-like
///    model the second convolution's 38 MB output (its relu kept as a 1-bit mask) holds the next two convolutions'
///    and the pooling's outputs.
///
/// Within one layer, buffers of its own `Workspace` may alias each other by the layer's choice, documented where it
/// happens (Convolution applies relu over `z` in place, since relu's gradient only asks whether the output is
/// positive).
public final class SharedBuffers {
    /// The per-call scratch buffers a model lends.
    public enum ScratchSlot: Hashable, Sendable {
        /// im2col patches of one chunk of output positions.
        case patches
        /// The gradient of those patches (col2im's input).
        case patchGradients
    }

    private var gradients: [TensorStorage?] = [nil, nil]
    /// Rule 6: the dead ranges lent during the current forward pass, each filled from its start.
    private var lent: [(storage: TensorStorage, next: Int, end: Int)] = []
    private var scratch: [ScratchSlot: TensorStorage] = [:]

    public init() {}

    /// Scalars held by the shared input-gradient storages (rule 1), for tests and figures.
    var gradientCapacity: Int { gradients.reduce(0) { $0 + ($1?.capacity ?? 0) } }

    /// A buffer of `shape` for the input gradient of a layer that received `dy`: never `dy`'s storage, so the
    /// layer may read `dy` while it writes `dx` (rule 1).
    public func inputGradient(_ shape: [Int], avoiding dy: Tensor) -> Tensor {
        let i = gradients[0] === dy.storage ? 1 : 0
        return Tensor(shape: shape, storage: SharedBuffers.grown(&gradients[i], to: shape))
    }

    /// Rule 6: a forward pass starts; nothing is lent.
    func startForward() { lent.removeAll(keepingCapacity: true) }

    /// Rule 6: `t`'s range is dead until the backward pass of the layer that consumed it.
    func lend(_ t: Tensor) {
        if t.count > 0 { lent.append((t.storage, t.offset, t.offset + t.count)) }
    }

    /// Rule 6: a buffer of `shape` in the first lent range with room, or nil.
    func borrow(_ shape: [Int]) -> Tensor? {
        let n = shape.reduce(1, *)
        guard n > 0, let i = lent.firstIndex(where: { $0.end - $0.next >= n }) else { return nil }
        defer { lent[i].next += n }
        return Tensor(shape: shape, storage: lent[i].storage, offset: lent[i].next)
    }

    /// Whether two tensors share memory (the same storage and overlapping ranges): an in-place output or a view.
    static func overlap(_ a: Tensor, _ b: Tensor) -> Bool {
        a.storage === b.storage && a.offset < b.offset + max(b.count, 1) && b.offset < a.offset + max(a.count, 1)
    }

    /// Scratch `slot` of `shape`, valid only during the current layer call (rule 4).
    public func scratch(_ slot: ScratchSlot, _ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: SharedBuffers.grown(&scratch[slot], to: shape))
    }

    /// Rule 3: whether a layer may write its forward output over its input, given the layer whose output that input
    /// is (nil: the caller's data, which the model does not own).
    public static func mayOverwrite(outputOf producer: Layer?, training: Bool) -> Bool {
        training && producer.map { !$0.backwardReadsOutput } ?? false
    }

    /// Rule 5's model side, kept as the forward pass runs: whether the next layer's input `h` may receive that
    /// layer's input gradient — `h` is a layer's output (not the caller's data) and no layer whose output `h` is
    /// reads it in backward.
    public struct InputReuse {
        private var owned = false
        private var read = false
        public init() {}
        /// Whether the layer about to run may write its input gradient over its input (in training).
        public func allows(training: Bool) -> Bool { training && owned && !read }
        /// Rule 6: whether `layer`'s input is dead from the end of its forward pass until its backward pass.
        public func inputDies(after layer: Layer, training: Bool) -> Bool {
            owned && (!training || (!read && !layer.backwardReadsInput))
        }
        /// Records `layer`'s forward: a new output, or its input again (in place, or a view).
        public mutating func record(_ layer: Layer, output: Tensor, input: Tensor) {
            if !SharedBuffers.overlap(output, input) {
                owned = true
                read = layer.backwardReadsOutput
            } else {
                read = read || layer.backwardReadsOutput
            }
        }
    }

    private static func grown(_ storage: inout TensorStorage?, to shape: [Int]) -> TensorStorage {
        let needed = shape.reduce(1, *)
        if let s = storage, s.capacity >= needed { return s }
        storage = nil  // release the smaller one first
        let s = TensorStorage(count: needed)
        storage = s
        return s
    }
}

/// The lending side of the aliasing rules (`SharedBuffers`): the only way a layer gets a buffer that may be shared.
extension LayerContext {
    /// Rule 1: the buffer for `backward`'s input gradient of `shape`, given the `dy` the layer received: the model's
    /// shared one (never `dy`'s storage), else `workspace`'s `slot`.
    public func inputGradient<S>(_ shape: [Int], dy: Tensor, workspace: inout Workspace<S>, slot: S) -> Tensor {
        shared?.inputGradient(shape, avoiding: dy) ?? workspace.buffer(slot, shape)
    }

    /// Rule 5 (else rule 1): the buffer for `backward`'s input gradient written over the layer's input `x` when the
    /// model allows it and the layer passes `x` (it reads `x` no more once it writes `dx`); nil: as rule 1.
    public func inputGradient<S>(_ shape: [Int], dy: Tensor, over x: Tensor?, workspace: inout Workspace<S>, slot: S) -> Tensor {
        if let x, gradientMayOverwriteInput, shared != nil, !SharedBuffers.overlap(x, dy), x.count == shape.reduce(1, *) {
            return x.view(shape)
        }
        return inputGradient(shape, dy: dy, workspace: &workspace, slot: slot)
    }

    /// Rule 6: the buffer for `forward`'s output of `shape`: a lent range of a dead output when the model allows
    /// it, else `workspace`'s `slot`.
    public func output<S>(_ shape: [Int], workspace: inout Workspace<S>, slot: S) -> Tensor {
        (mayBorrowOutput ? shared?.borrow(shape) : nil) ?? workspace.buffer(slot, shape)
    }

    /// Rule 2: where to write a gradient computed elementwise from `dy` (an activation's, dropout's): `dy` itself when
    /// the model lends its buffers, else `workspace`'s `slot`.
    public func elementwiseGradient<S>(of dy: Tensor, workspace: inout Workspace<S>, slot: S) -> Tensor {
        shared == nil ? workspace.buffer(slot, dy.shape) : dy
    }

    /// Rule 3: where to write an elementwise forward output of `x`: `x` itself when `mayOverwriteInput`, else as
    /// rule 6.
    public func output<S>(over x: Tensor, workspace: inout Workspace<S>, slot: S) -> Tensor {
        mayOverwriteInput ? x : output(x.shape, workspace: &workspace, slot: slot)
    }

    /// Rule 4: scratch of `shape` used only during this call: the model's shared `sharedSlot` (the next layer reuses
    /// it), else `workspace`'s `slot`.
    public func scratch<S>(
        _ shape: [Int], sharedSlot: SharedBuffers.ScratchSlot, workspace: inout Workspace<S>,
        slot: S
    ) -> Tensor {
        shared?.scratch(sharedSlot, shape) ?? workspace.buffer(slot, shape)
    }
}
