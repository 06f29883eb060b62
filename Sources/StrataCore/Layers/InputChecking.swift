/// A first layer that must check the values of its input before a batch runs (Embedding ids), so a bad value
/// is a clear error naming the sample rather than a crash inside the layer.
public protocol InputChecking: Layer {
    /// Throws `StrataError.invalidData` naming the first bad value; `samples` are the dataset indices of the rows.
    func checkInput(_ x: Tensor, samples: some Collection<Int>, label: String) throws
}

extension Sequential {
    /// Runs the first layer's `checkInput` on a batch just read (a no-op for other layers).
    func checkInputs(_ x: Tensor, rows: some Collection<Int>, data: Dataset) throws {
        guard let first = layers.first as? InputChecking else { return }
        try first.checkInput(x, samples: rows, label: data.label)
    }
}
