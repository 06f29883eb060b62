// The Keras guide's first example (MLP for multi-class softmax classification) as a user writes it: Swift arrays
// in, `toCategorical` labels, one communicator for 1 process or N MPI ranks. Rank 0 writes what the run produced
// (per-epoch history, evaluate by name, predictions, final weights) as JSON to the path given as argument.
import Foundation
import Strata

let comm = try MPICommunicator.automatic()

// 240 rows of 20 features, deterministic; the label is the feature (of the first 10) with the largest value.
func makeData(rows: Int, offset: Int) -> (x: [[Float]], labels: [Int]) {
    let x = (0..<rows).map { i in (0..<20).map { j in Float(sin(Double((i + offset) * 20 + j) * 0.731)) } }
    let labels = x.map { row in row[0..<10].indices.max { row[$0] < row[$1] }! }
    return (x, labels)
}
let (x, labels) = makeData(rows: 240, offset: 0)
let (xVal, labelsVal) = makeData(rows: 60, offset: 1000)
let y = try toCategorical(labels, numClasses: 10)

let model = Sequential(
    [
        Dense(64, activation: .relu, inputDim: 20),
        Dropout(0.5),
        Dense(64, activation: .relu),
        Dropout(0.5),
        Dense(10, activation: .softmax),
    ], seed: 42)
model.compile(
    optimizer: SGD(lr: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true),
    loss: "categorical_crossentropy", metrics: ["accuracy"])
let history = try model.fit(
    x, y, batchSize: 32, epochs: 4, verbose: 0,
    validationData: (xVal, try toCategorical(labelsVal.map { [$0] }, numClasses: 10)),
    communicator: comm)
let score = try model.evaluate(x, y, batchSize: 128, verbose: 0, returnDict: true, communicator: comm)
let probs = try model.predict(xVal, batchSize: 128, communicator: comm)
if comm.rank == 0 { print("loss per epoch:", history.loss, "val_accuracy:", history.val_accuracy, "evaluate:", score) }

if comm.rank == 0, let path = CommandLine.arguments.dropFirst().first {
    let report: [String: Any] = [
        "size": comm.size,
        "loss": history.loss, "accuracy": history.accuracy, "val_loss": history.val_loss,
        "evaluate": score,
        "predict": probs.scalars.map(Double.init),
        "weights": model.getWeights().flatMap(\.scalars).map(Double.init),
    ]
    try JSONSerialization.data(withJSONObject: report).write(to: URL(fileURLWithPath: path))
}
