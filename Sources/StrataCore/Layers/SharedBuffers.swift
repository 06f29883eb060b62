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
    private var scratch: [ScratchSlot: TensorStorage] = [:]

    public init() {}

    /// A buffer of `shape` for the input gradient of a layer that received `dy`: never `dy`'s storage, so the
    /// layer may read `dy` while it writes `dx` (rule 1).
    public func inputGradient(_ shape: [Int], avoiding dy: Tensor) -> Tensor {
        let i = gradients[0] === dy.storage ? 1 : 0
        return Tensor(shape: shape, storage: SharedBuffers.grown(&gradients[i], to: shape))
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

    /// Rule 2: where to write a gradient computed elementwise from `dy` (an activation's, dropout's): `dy` itself when
    /// the model lends its buffers, else `workspace`'s `slot`.
    public func elementwiseGradient<S>(of dy: Tensor, workspace: inout Workspace<S>, slot: S) -> Tensor {
        shared == nil ? workspace.buffer(slot, dy.shape) : dy
    }

    /// Rule 3: where to write an elementwise forward output of `x`: `x` itself when `mayOverwriteInput`, else
    /// `workspace`'s `slot`.
    public func output<S>(over x: Tensor, workspace: inout Workspace<S>, slot: S) -> Tensor {
        mayOverwriteInput ? x : workspace.buffer(slot, x.shape)
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
