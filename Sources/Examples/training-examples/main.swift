// The Keras guide's "Compilation" and "Training" sections, in Swift: a binary and a 10-class model on
// 100 features, and the custom metric `mean_pred`.
import Strata

let data = RandomData(seed: 3)

// For a single-input model with 2 classes (binary classification):
let binary = Sequential(seed: 42)
binary.add(Dense(32, activation: .relu, inputDim: 100))
binary.add(Dense(1, activation: .sigmoid))
// For custom metrics: the mean of yPred over its last axis, one value per sample.
let meanPred = MetricSpec.custom("mean_pred") { _, yPred in try yPred.mean(axis: -1) }
binary.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy", meanPred])
let x = data.uniform([1000, 100])
let labels = data.integerTensor(2, shape: [1000, 1])
// Train the model, iterating on the data in batches of 32 samples
try binary.fit(x, labels, batchSize: 32, epochs: 10)

// For a single-input model with 10 classes (categorical classification):
let categorical = Sequential(seed: 42)
categorical.add(Dense(32, activation: .relu, inputDim: 100))
categorical.add(Dense(10, activation: .softmax))
categorical.compile(optimizer: "rmsprop", loss: "categorical_crossentropy", metrics: ["accuracy"])
let classes = data.integers(10, count: 1000)
// Convert labels to categorical one-hot encoding
let oneHotLabels = try toCategorical(classes, numClasses: 10)
try categorical.fit(x, oneHotLabels, batchSize: 32, epochs: 10)
