/// An optimizer whose `update` treats every parameter on its own, with `scalars` that depend on the iteration only:
/// calling it on any split of the flat buffers gives the same numbers as one call, so `Optimizer.apply` runs it over
/// the run's threads (`ThreadPool`), each thread a contiguous range of the buffers. A custom optimizer runs in one
/// piece unless it declares this.
public protocol ElementwiseUpdating: Optimizer {}

extension SGD: ElementwiseUpdating {}
extension Adam: ElementwiseUpdating {}
extension RMSprop: ElementwiseUpdating {}
extension Adagrad: ElementwiseUpdating {}
extension Adadelta: ElementwiseUpdating {}
extension Adamax: ElementwiseUpdating {}
extension Lion: ElementwiseUpdating {}

extension ElementwiseUpdating {
    /// `update` over `pool`'s threads in contiguous ranges of at least `grain` parameters (one call below that).
    func update(
        values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float,
        pool: ThreadPool, grain: Int = 1 << 16
    ) {
        let parts = pool.parts(values.count, grain: grain)
        if parts == 1 {
            return update(values: values, gradients: gradients, slots: slots, scalars: &scalars, iteration: iteration, lr: lr)
        }
        var results = [[Double]](repeating: scalars, count: parts)
        results.withUnsafeMutableBufferPointer { r in
            pool.split(values.count, parts: parts) { i, range in
                update(
                    values: values.rows(range), gradients: gradients.rows(range), slots: slots.map { $0.rows(range) },
                    scalars: &r[i], iteration: iteration, lr: lr)
            }
        }
        scalars = results[0]
    }
}
