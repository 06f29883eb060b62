import Foundation

/// The build products directory, where the test bundle and the package's executables (strata-mpi-check,
/// strata-hdf5-check) are: tests run those executables as child processes.
public enum BuildProducts {
    /// On Linux the .xctest is a plain executable in the products directory; on macOS it is a bundle there.
    public static var directory: URL {
        #if os(macOS)
            for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") { return b.bundleURL.deletingLastPathComponent() }
            return Bundle.main.bundleURL
        #else
            return Bundle.main.bundleURL
        #endif
    }

    /// The path of the package's executable `name`.
    public static func executable(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
