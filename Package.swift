// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "turing",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Turing", targets: ["Turing"]),
        .executable(name: "turing-migrate", targets: ["turing-migrate"]),
        .executable(name: "turing-worker", targets: ["turing-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libpq, as the system installs it (Debian: libpq-dev). Imported only by TuringPostgres.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // A small, thread-confined libpq wrapper: connections, parameterised queries, LISTEN/NOTIFY, errors.
        .target(name: "TuringPostgres", dependencies: ["CLibPQ", "TuringCore"], swiftSettings: strict),
        // Pure logic, no I/O: migration parsing and planning, SQL splitting, retry policy, progress maths, config.
        .target(name: "TuringCore", swiftSettings: strict),
        // The database-facing layer: migration runner, task store over the SQL API, worker engine, handlers.
        .target(
            name: "Turing",
            dependencies: [
                "TuringCore", "TuringPostgres",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // What both executables share: parsing, and errors mapped to one line and an exit code.
        .target(
            name: "TuringCLI",
            dependencies: ["Turing", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "turing-migrate",
            dependencies: ["Turing", "TuringCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "turing-worker",
            dependencies: [
                "Turing", "TuringCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Test-only: starts a throwaway PostgreSQL cluster and hands each suite a fresh database.
        .target(name: "TestSupport", dependencies: ["TuringPostgres", "TuringCore"], swiftSettings: strict),
        // Pure-core tests: no database (TestSupport only for its seeded random generator).
        .testTarget(name: "TuringCoreTests", dependencies: ["TuringCore", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "TuringPostgresTests",
            dependencies: ["TuringPostgres", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TuringTests",
            dependencies: [
                "Turing", "TestSupport", "turing-migrate", "turing-worker",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
