// A convolutional autoencoder (after keras.io/examples/vision/autoencoder) on the bundled MNIST digits, in Swift:
// the encoder halves the image twice (Conv2D + MaxPooling2D), the decoder doubles it back with a strided
// Conv2DTranspose and an UpSampling2D. The same model as configs/mnist_autoencoder.yaml.
// usage: mnist-autoencoder [path/to/mnist-5k.h5] [--epochs N]
import Foundation
import Strata

let args = Array(CommandLine.arguments.dropFirst())
let path = args.first { $0.hasSuffix(".h5") } ?? "configs/data/mnist-5k.h5"
let epochs = args.firstIndex(of: "--epochs").flatMap { Int(args[$0 + 1]) } ?? 5

/// Digits of dataset `name` as (n, 28, 28, 1) images in [0, 1].
func digits(_ name: String) throws -> Tensor {
    let raw = try HDF5.File.open(path).dataset(name).readAll()
    let x = try raw.reshaped([raw.shape[0], 28, 28, 1]).copy()
    BLAS.scal(x, 1 / 255)
    return x
}
let xTrain = try digits("x_train"), xTest = try digits("x_test")

let model = Sequential(seed: 42)
// Encoder: 28x28x1 -> 14x14x16 -> 7x7x8.
model.add(Conv2D(16, kernelSize: (3, 3), padding: .same, activation: .relu, inputShape: [28, 28, 1]))
model.add(MaxPooling2D(poolSize: (2, 2)))
model.add(Conv2D(8, kernelSize: (3, 3), padding: .same, activation: .relu))
model.add(MaxPooling2D(poolSize: (2, 2)))
// Decoder: 7x7x8 -> 14x14x8 (transposed convolution, stride 2) -> 28x28x8 (upsampling) -> 28x28x1.
model.add(Conv2DTranspose(8, kernelSize: (3, 3), strides: (2, 2), padding: .same, activation: .relu))
model.add(UpSampling2D(size: (2, 2)))
model.add(Conv2D(16, kernelSize: (3, 3), padding: .same, activation: .relu))
model.add(Conv2D(1, kernelSize: (3, 3), padding: .same, activation: .sigmoid))
model.compile(optimizer: Adam(), loss: "binary_crossentropy")
model.summary()

let start = Date()
try model.fit(xTrain, xTrain, batchSize: 128, epochs: epochs, validationData: (xTest, xTest))
let seconds = Date().timeIntervalSince(start)
let loss = try model.evaluate(xTest, xTest, batchSize: 128, verbose: 0)[0]
print(String(format: "test reconstruction loss (binary crossentropy per pixel): %.4f", loss))
print(String(format: "training: %.1f samples/s", Double(xTrain.shape[0] * epochs) / seconds))
