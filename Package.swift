// swift-tools-version:6.1
// CallTriage — overnight triage of 12345 hotline call recordings.
// The target list reads as the data flow: decode (AudioIO) → signal processing (SignalKit)
// → keyword spotting → triage → store → batch / review / bench, driven by the `calltriage` CLI.
import PackageDescription

let package = Package(
    name: "CallTriage",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "calltriage", targets: ["calltriage"]),
        .library(name: "AudioIO", targets: ["AudioIO"]),
        .library(name: "SignalKit", targets: ["SignalKit"]),
        .library(name: "Spotting", targets: ["Spotting"]),
        .library(name: "Triage", targets: ["Triage"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Batch", targets: ["Batch"]),
        .library(name: "Review", targets: ["Review"]),
        .library(name: "Bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // 1. System libraries (C pointers never leave AudioIO / SignalKit / the acoustic model).
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),

        // 2. Decode: any recording → Float PCM per channel, resampled, fingerprinted.
        .target(name: "AudioIO", dependencies: [
            "CSndFile",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // 3. Signal processing: Kaldi-compatible fbank/MFCC, VAD, quality, DTMF.
        .target(name: "SignalKit", dependencies: ["CFFTW", "AudioIO"]),

        // 4. ASR-lite: pinyin lexicon, keyword compilation, acoustic model, keyword decoder, text matcher.
        .target(name: "Spotting", dependencies: ["SignalKit", "AudioIO", "CBLAS"]),

        // 5. Triage: evidence → request type, topic, hand-off, place, ranked units, ticket draft.
        .target(name: "Triage", dependencies: ["Spotting"]),

        // 6. Store: SQLite via GRDB (WAL, versioned migrations), one transaction per call.
        .target(name: "Store", dependencies: ["Triage", .product(name: "GRDB", package: "GRDB.swift")]),

        // 7. Batch: discover → fingerprint → skip stored → analyse + spot + triage on N workers → store.
        .target(name: "Batch", dependencies: ["AudioIO", "SignalKit", "Spotting", "Triage", "Store"]),

        // 8. Review: the QA web page (Hummingbird) over the store — queue, audio, edits, decisions, metrics.
        .target(name: "Review", dependencies: [
            "AudioIO", "SignalKit", "Triage", "Store",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // 8b. Bench: a labelled set through the pipeline → metrics → report.json / report.html.
        .target(name: "Bench", dependencies: ["AudioIO", "SignalKit", "Spotting", "Triage"]),

        // 9. The command line.
        .executableTarget(name: "calltriage", dependencies: [
            "AudioIO", "SignalKit", "Spotting", "Triage", "Store", "Batch", "Review", "Bench",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests read the committed AudioFixtures/ and golden files; they never need ../shared.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO", "TestSupport"]),
        .testTarget(name: "SignalKitTests", dependencies: ["SignalKit", "AudioIO", "TestSupport"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "SpottingTests", dependencies: ["Spotting", "SignalKit", "AudioIO", "TestSupport"]),
        .testTarget(name: "TriageTests", dependencies: ["Triage", "Spotting", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Batch", "Triage", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ReviewTests", dependencies: [
            "Review", "Store", "Triage", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "Spotting", "Triage", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["calltriage", "TestSupport"]),
    ]
)
