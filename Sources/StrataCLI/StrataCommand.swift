import ArgumentParser
import Foundation
import Strata
import StrataRun

@main
struct StrataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Train Keras Sequential models from YAML configs, on one process or many MPI ranks.",
        discussion: "Started by mpirun/srun (e.g. through launch/run), every command runs data-parallel on all ranks.",
        subcommands: [Train.self, Evaluate.self, Predict.self, Summary.self, Inspect.self, Validate.self, CheckNode.self])

    /// Runs `body`, turning errors into one clear line in the command's words (`flags`: the Swift argument labels
    /// this command takes as flags) and exit code 1 (no stack traces). Under MPI the line names this rank and its
    /// host (a file missing on one node of a cluster says which node); an error that came from another rank is
    /// left to that rank to print, so the job reports it once.
    static func guarded(flags: Set<String> = [], _ body: () throws -> Void) throws {
        do { try body() } catch let e as ExitCode { throw e } catch {
            let text = CommandWording(flags: flags).describe(error)
            let environment = ProcessInfo.processInfo.environment
            var whereText = ""
            if MPICommunicator.launchedByMPI(environment) {
                let rank = environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"] ?? environment["PMI_RANK"] ?? "?"
                // Another rank's failure that every rank received: that rank prints it, so the job says it once.
                if case let StrataError.distributed(from, _) = error, "\(from)" != rank { throw ExitCode(1) }
                whereText = "rank \(rank) on \(hostName): "
            }
            FileHandle.standardError.write(Data("strata: error: \(whereText)\(text)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// This machine's name as its kernel knows it (the UTS namespace's), without a DNS lookup.
    static var hostName: String { RankHosts.local }

    /// MPI when started by mpirun/srun (unless `single`), one process otherwise.
    static func communicator(single: Bool) throws -> Communicator {
        single ? SingleProcess() : try MPICommunicator.automatic()
    }
}

struct ConfigOptions: ParsableArguments {
    @Argument(help: "The run's YAML config (see configs/).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set fit.epochs=3 (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Run as one process even when started by mpirun (no MPI calls).")
    var singleProcess = false

    func load() throws -> RunConfig { try RunConfig.load(config, overrides: overrides) }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model of a config; run again after an interruption to resume from the newest checkpoint.")
    @OptionGroup var options: ConfigOptions

    func run() throws {
        try StrataCommand.guarded {
            let config = try options.load()
            let runner = Runner(config: config, communicator: try StrataCommand.communicator(single: options.singleProcess))
            try runner.train(openFile: Files.open)
        }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a checkpoint on the config's test data.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "The checkpoint (.h5) whose weights to evaluate (default: the run's newest).")
    var checkpoint: String?
    @Option(help: "Batch size (default: the model's fixed batch size if it has one, else the config's fit.batch_size).")
    var batchSize: Int?

    func run() throws {
        try StrataCommand.guarded(flags: ["batchSize"]) {
            let config = try options.load()
            let runner = Runner(config: config, communicator: try StrataCommand.communicator(single: options.singleProcess))
            let path = checkpoint ?? runner.latestCheckpoint
            let score = try runner.evaluate(checkpoint: path, batchSize: batchSize, openFile: Files.open)
            if runner.communicator.rank == 0 {
                print(score.keys.sorted().map { "\($0): \(String(format: "%.4f", score[$0]!))" }.joined(separator: " - "))
            }
        }
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a checkpoint's predictions for an HDF5 dataset.")
    @Option(help: "The model or checkpoint (.h5), from Strata or Keras.")
    var checkpoint: String
    @Option(help: "The input dataset as FILE.h5:DATASET, e.g. data.h5:x_test.")
    var input: String
    @Option(help: "The HDF5 file to write (dataset 'predictions').")
    var output: String
    @Option(help: "A config whose data.transforms.x to apply to the input (e.g. rescale and reshape).")
    var config: String?
    @Option(help: "Batch size (default: the model's fixed batch size if it has one, else 128).")
    var batchSize: Int?
    @Flag(help: "Run as one process even when started by mpirun.")
    var singleProcess = false

    func run() throws {
        try StrataCommand.guarded(flags: ["batchSize"]) {
            let comm = try StrataCommand.communicator(single: singleProcess)
            let out = try Predictions.run(
                checkpoint: checkpoint, input: input, output: output, configPath: config,
                batchSize: batchSize, communicator: comm)
            if comm.rank == 0 { print("predictions \(out.shape) -> \(output):predictions") }
        }
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Keras's model.summary() table for a config, without training.")
    @OptionGroup var options: ConfigOptions
    func run() throws {
        try StrataCommand.guarded {
            let runner = Runner(config: try options.load(), communicator: SingleProcess())
            print(try runner.summaryText(openFile: Files.open))
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a checkpoint holds: epoch, batch, world size, optimizer, history, weights.")
    @Argument(help: "A checkpoint or Keras .h5 file (with --verify: a file or a run directory).")
    var checkpoint: String
    @Flag(help: "Verify the checksums of the file, or of every checkpoint in the run directory; exit status 1 if any is damaged.")
    var verify = false
    func run() throws {
        if verify {
            let (text, failed) = VerifyReport.run(checkpoint)
            print(text)
            if failed { throw ExitCode(1) }
            return
        }
        try StrataCommand.guarded { print(try CheckpointReport.text(checkpoint)) }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a config and its data files without training.")
    @OptionGroup var options: ConfigOptions
    func run() throws {
        try StrataCommand.guarded {
            let runner = Runner(config: try options.load(), communicator: SingleProcess())
            for line in try runner.validate(openFile: Files.open) { print(line) }
        }
    }
}
