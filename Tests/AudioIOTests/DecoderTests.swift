import AudioIO
import Foundation
import TestSupport
import XCTest

final class DecoderTests: XCTestCase {
    func testManifestIsPresentAndCoversEveryFormat() throws {
        let entries = Fixtures.entries
        XCTAssertGreaterThan(entries.count, 30, "AudioFixtures/manifest.jsonl missing or short")
        let encodings = Set(entries.compactMap { $0.expect["encoding"] as? String })
        for e in ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW", "VORBIS", "OPUS", "MPEG_LAYER_III"] {
            XCTAssertTrue(encodings.contains(e), "no fixture for \(e)")
        }
        let containers = Set(entries.compactMap { $0.expect["container"] as? String })
        XCTAssertTrue(containers.isSuperset(of: ["WAV", "FLAC", "OGG", "MP3"]))
    }

    /// Every good fixture decodes with the container, encoding, rate, channels and length it was made with.
    func testEveryGoodFixtureDecodesAsLabelled() throws {
        var checked = 0
        for e in Fixtures.entries where e.error == nil {
            let d = try AudioDecoder(path: e.path)
            XCTAssertEqual(d.info.container, e.expect["container"] as? String, e.file)
            XCTAssertEqual(d.info.encoding, e.expect["encoding"] as? String, e.file)
            XCTAssertEqual(d.info.sampleRate, e.expect["sample_rate"] as? Int, e.file)
            XCTAssertEqual(d.info.channels, e.expect["channels"] as? Int, e.file)
            var frames: Int64 = 0
            var peak: Float = 0
            while let block = try d.read(maxFrames: 4096) {
                XCTAssertEqual(block.count, d.info.channels)
                frames += Int64(block[0].count)
                for ch in block { for v in ch { peak = max(peak, abs(v)) } }
            }
            let duration = Double(frames) / Double(d.info.sampleRate)
            if let want = e.expect["duration"] as? Double {
                XCTAssertEqual(duration, want, accuracy: 0.001, e.file)
            }
            if e.flags.contains("silent") == false {
                XCTAssertGreaterThan(peak, 0.001, "\(e.file) decoded to silence")
            }
            XCTAssertLessThanOrEqual(peak, 1.01, "\(e.file): samples not normalised")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 25)
    }

    /// Every bad fixture fails with the typed error it was made for, naming the file.
    func testEveryBadFixtureGivesItsError() throws {
        var checked = 0
        for e in Fixtures.entries {
            guard let want = e.error else { continue }
            do {
                let d = try AudioDecoder(path: e.path)
                while try d.read(maxFrames: 4096) != nil {}
                XCTFail("\(e.file): decoded without error, expected \(want)")
            } catch {
                XCTAssertEqual(error.kind.rawValue, want, "\(e.file): \(error)")
                XCTAssertEqual(error.path, e.path)
                XCTAssertFalse(error.detail.isEmpty)
                XCTAssertTrue(error.description.hasPrefix(e.path + ": " + want + ": "))
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 9)
    }

    func testSpecificBadInputMessages() throws {
        func err(_ file: String) -> AudioError? {
            guard let e = Fixtures.entry(file) else { XCTFail("fixture \(file) missing"); return nil }
            do { let d = try AudioDecoder(path: e.path); while try d.read(maxFrames: 4096) != nil {}; return nil }
            catch { return error }
        }
        XCTAssertEqual(err("empty.wav")?.detail, "file is 0 bytes")
        XCTAssertEqual(err("truncated.wav")?.kind, .truncated)
        XCTAssertTrue(err("truncated.wav")?.detail.contains("header announces") ?? false)
        XCTAssertTrue(err("truncated.flac")?.detail.contains("decoding stopped after") ?? false)
        XCTAssertTrue(err("nan.wav")?.detail.contains("nan") ?? false)
        XCTAssertTrue(err("unsupported_tag.wav")?.detail.contains("format tag 0x") ?? false)
        XCTAssertTrue(err("random.wav")?.detail.contains("not an audio file") ?? false)
    }

    func testUnreadablePathsAreTypedErrors() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ct-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let dir = tmp.appendingPathComponent("folder.wav")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let link = tmp.appendingPathComponent("dangling.wav")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: tmp.appendingPathComponent("gone.wav").path)
        for p in [dir.path, link.path, tmp.appendingPathComponent("missing.wav").path] {
            XCTAssertThrowsError(try AudioDecoder(path: p)) { e in
                XCTAssertEqual((e as? AudioError)?.kind, .unreadable, p)
            }
        }
    }

    func testChannelRoles() {
        XCTAssertEqual(ChannelRoles.defaults(channels: 1), ChannelRoles(caller: 0, agent: nil))
        XCTAssertEqual(ChannelRoles.defaults(channels: 2), ChannelRoles(caller: 0, agent: 1))
        XCTAssertEqual(ChannelRoles(spec: "caller=1,agent=0"), ChannelRoles(caller: 1, agent: 0))
        XCTAssertEqual(ChannelRoles(spec: "agent=none,caller=2"), ChannelRoles(caller: 2, agent: nil))
        XCTAssertNil(ChannelRoles(spec: "caller=1,agent=1"))
        XCTAssertNil(ChannelRoles(spec: "speaker=1"))
        let r = ChannelRoles(caller: 1, agent: 0)
        XCTAssertEqual(r.role(ofChannel: 0, channels: 2), "agent")
        XCTAssertEqual(r.role(ofChannel: 1, channels: 2), "caller")
        XCTAssertEqual(r.role(ofChannel: 0, channels: 1), "caller")
        XCTAssertEqual(r.role(ofChannel: 3, channels: 8), "ch3")
        XCTAssertNotNil(ChannelRoles(caller: 0, agent: 2).validate(channels: 2))
    }

    func testFingerprintIsSHA256OfBytes() throws {
        XCTAssertEqual(Fingerprint.sha256(data: Data("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fp-\(UUID().uuidString).bin")
        try Data("abc".utf8).write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        XCTAssertEqual(try Fingerprint.sha256(path: tmp.path), Fingerprint.sha256(data: Data("abc".utf8)))
        // Same bytes under another name: same fingerprint.
        if let a = Fixtures.entry("speech_heating.wav") {
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("renamed-\(UUID().uuidString).wav")
            try FileManager.default.copyItem(atPath: a.path, toPath: copy.path)
            defer { try? FileManager.default.removeItem(at: copy) }
            XCTAssertEqual(try Fingerprint.sha256(path: copy.path), try Fingerprint.sha256(path: a.path))
        }
    }

    func testLongFileIsReadInBoundedBlocks() throws {
        // A 60 s file read with 1 s blocks never returns more than the block size.
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("long-\(UUID().uuidString).wav")
        try TestWAV.write(path: tmp.path, rate: 8000, channels: 1, samples: (0..<(8000 * 60)).map { Float(sin(Double($0) * 0.1)) * 0.3 })
        defer { try? FileManager.default.removeItem(at: tmp) }
        let d = try AudioDecoder(path: tmp.path)
        var total = 0
        while let b = try d.read(maxFrames: 8000) {
            XCTAssertLessThanOrEqual(b[0].count, 8000)
            total += b[0].count
        }
        XCTAssertEqual(total, 480_000)
    }
}
