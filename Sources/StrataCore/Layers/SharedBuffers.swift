/// Buffers that the layers of one model share because each is live during only part of a step: the input
/// gradients (`dx`) that backward hands down the chain, and scratch used within a single layer call (im2col
/// chunks). A model lends them through `LayerContext.shared`; a layer called on its own gets none and uses its
/// own `Workspace`.
///
/// During backward only two gradients are live at once, the `dy` a layer receives and the `dx` it writes, so two
/// storages as large as the largest layer input serve every layer (per-layer `dx` buffers held 137 MB on the
/// guide's VGG-like model at batch 32; two shared ones hold 79 MB).
public final class SharedBuffers {
    private var gradients: [TensorStorage?] = [nil, nil]
    private var scratch: [Int: TensorStorage] = [:]

    public init() {}

    /// A buffer of `shape` for the input gradient of a layer that received `dy`: never `dy`'s storage, so the
    /// layer may read `dy` while it writes `dx`. Valid until the next layer down writes its own input gradient.
    public func inputGradient(_ shape: [Int], avoiding dy: Tensor) -> Tensor {
        let i = gradients[0] === dy.storage ? 1 : 0
        return Tensor(shape: shape, storage: SharedBuffers.grown(&gradients[i], to: shape))
    }

    /// Scratch `slot` of `shape`, valid only during the current layer call (the next layer reuses it).
    public func scratch(_ slot: Int, _ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: SharedBuffers.grown(&scratch[slot], to: shape))
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
