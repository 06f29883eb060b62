import ArgumentParser
import Foundation
import Strata
import StrataRun

@main
struct StrataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Train Keras Sequential models from YAML configs, on one process or many MPI ranks.",
        subcommands: [Train.self, Summary.self, Validate.self])

    /// Runs `body`, turning errors into one clear line and exit code 1 (no stack traces).
    static func guarded(_ body: () throws -> Void) throws {
        do { try body() } catch let e as ExitCode { throw e } catch {
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            FileHandle.standardError.write(Data("strata: error: \(text)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct ConfigOptions: ParsableArguments {
    @Argument(help: "The run's YAML config (see configs/).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set fit.epochs=3 (repeatable).")
    var overrides: [String] = []

    func load() throws -> RunConfig { try RunConfig.load(config, overrides: overrides) }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train the model of a config (resumes from the newest checkpoint).")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Run as one process even when started by mpirun (no MPI calls).")
    var singleProcess = false

    func run() throws {
        try StrataCommand.guarded {
            let config = try options.load()
            let comm: Communicator = SingleProcess()
            let runner = Runner(config: config, communicator: comm)
            try runner.train(openFile: Files.open)
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
