// TEMPORARY (until the Trainer refactor lands on main): the new losses are written against
// `compute(yTrue:yPred:scale:values:gradient:)`; this bridges them to the current `Loss` requirement.
public protocol PlainLoss: Loss {
    func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor)
}

extension PlainLoss {
    public func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                        values: Tensor, gradient: Tensor) -> Bool {
        compute(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
        return false
    }
}
