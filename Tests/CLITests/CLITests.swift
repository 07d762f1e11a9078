import Foundation
import TestSupport
import XCTest

final class CLITests: XCTestCase {
    func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Fixtures.entry(name)?.path, "fixture \(name) missing")
    }

    func testHelpListsCommands() throws {
        let r = try CLIRunner.run(["--help"])
        XCTAssertEqual(r.status, 0)
        for c in ["inspect", "features"] { XCTAssertTrue(r.stdout.contains(c), "--help lacks \(c)") }
    }

    func testInspectJSONGoesOnAfterBadFileAndFailsTheRun() throws {
        let good = try fixture("call_stereo_ulaw_8k.wav"), bad = try fixture("truncated.wav"), dtmf = try fixture("dtmf_all16_clean.wav")
        let r = try CLIRunner.run(["inspect", "--json", bad, good, dtmf])
        XCTAssertEqual(r.status, 1, "a failed file makes the exit status non-zero")
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0]["ok"] as? Bool, false)
        XCTAssertEqual((lines[0]["error"] as? [String: Any])?["kind"] as? String, "truncated")
        let g = lines[1]
        XCTAssertEqual(g["ok"] as? Bool, true)
        XCTAssertEqual(g["encoding"] as? String, "ULAW")
        XCTAssertEqual(g["sample_rate"] as? Int, 8000)
        XCTAssertEqual(g["num_channels"] as? Int, 2)
        XCTAssertEqual((g["sha256"] as? String)?.count, 64)
        let chans = try XCTUnwrap(g["channels"] as? [[String: Any]])
        XCTAssertEqual(chans.map { $0["role"] as? String }, ["caller", "agent"])
        for c in chans {
            XCTAssertFalse((c["speech"] as? [[String: Double]] ?? []).isEmpty)
            let q = try XCTUnwrap(c["quality"] as? [String: Any])
            for k in ["snr_db", "clipping_ratio", "dc_offset", "silence_ratio", "dropouts", "bandwidth_hz", "band", "flags"] {
                XCTAssertTrue(q.keys.contains(k), "quality.\(k) missing")
            }
        }
        XCTAssertEqual(lines[2]["digits"] as? String, "0123456789*#ABCD")
        let errLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        XCTAssertEqual(errLines.count, 1)
        XCTAssertTrue(errLines[0].contains(bad) && errLines[0].contains("truncated"))
    }

    func testInspectAllGoodIsExitZero() throws {
        let r = try CLIRunner.run(["inspect", try fixture("speech_heating.wav")])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("WAV PCM_16, 8000 Hz, 1 ch"))
        XCTAssertTrue(r.stdout.contains("speech"))
    }

    func testFeaturesWritesNPY() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("f-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: out) }
        let wav = try fixture("speech_heating.wav")
        let r = try CLIRunner.run(["features", wav, "--out", out.path, "--kind", "mfcc", "--num-bins", "23"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let d = try Data(contentsOf: out)
        let header = String(decoding: d.prefix(128), as: UTF8.self)
        // 3.861875 s at 8 kHz = 30895 samples → 1 + (30895 − 200) / 80 = 384 frames.
        XCTAssertTrue(header.contains("'shape': (384, 13)"), header)
        XCTAssertEqual(d.count % 4, 0)

        let bad = try CLIRunner.run(["features", try fixture("random.wav"), "--out", out.path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("unrecognised_format"))
        let badRate = try CLIRunner.run(["features", wav, "--out", out.path, "--sample-rate", "44100"])
        XCTAssertNotEqual(badRate.status, 0)
        // Too many mel bins for the FFT size is an error message, not a crash.
        let tooMany = try CLIRunner.run(["features", wav, "--out", out.path, "--num-bins", "128"])
        XCTAssertEqual(tooMany.status, 1)
        XCTAssertTrue(tooMany.stderr.contains("too many"), tooMany.stderr)
    }
}

final class SpotCLITests: XCTestCase {
    func testSpotJSONLAndCTM() throws {
        guard FileManager.default.fileExists(atPath: Fixtures.root.appendingPathComponent("Models/acoustic/kws.ctkws").path) else {
            throw XCTSkip("no committed acoustic model yet")
        }
        let wav = try XCTUnwrap(Fixtures.entry("speech_heating.wav")?.path)
        let kw = FileManager.default.temporaryDirectory.appendingPathComponent("kw-\(UUID().uuidString).txt")
        try "暖气不热 #0.3\n拖欠工资\n".write(to: kw, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: kw) }
        let r = try CLIRunner.run(["spot", "--keywords", kw.path, "--threshold", "0.3", wav])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in r.stdout.split(separator: "\n") {
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(Set(o.keys), ["file", "channel", "keyword", "start", "end", "score"])
            XCTAssertEqual(o["channel"] as? String, "caller")
            XCTAssertEqual(o["file"] as? String, wav)
            XCTAssertTrue(["暖气不热", "拖欠工资"].contains(o["keyword"] as? String ?? ""))
            XCTAssertLessThan(o["start"] as! Double, o["end"] as! Double)
        }
        let ctm = try CLIRunner.run(["spot", "--keywords", kw.path, "--threshold", "0.3", "--format", "ctm", wav])
        XCTAssertEqual(ctm.status, 0)
        for line in ctm.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            XCTAssertEqual(f.count, 6, "CTM: file channel start duration word score")
            XCTAssertEqual(f[0], "speech_heating")
            XCTAssertEqual(f[1], "A")
        }
        // A sidecar transcript is matched as text too, on pinyin (拖欠公资 ≈ 拖欠工资).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("call.wav")
        try FileManager.default.copyItem(atPath: wav, toPath: copy.path)
        try "老板拖欠公资三个月了".write(to: dir.appendingPathComponent("call.txt"), atomically: true, encoding: .utf8)
        let t = try CLIRunner.run(["spot", "--keywords", kw.path, copy.path])
        let text = t.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["channel"] as? String == "transcript" }
        XCTAssertEqual(text.count, 1)
        XCTAssertEqual(text.first?["keyword"] as? String, "拖欠工资")
        XCTAssertEqual(text.first?["char_start"] as? Int, 2)
        XCTAssertEqual(text.first?["score"] as? Double, 0.9)
        XCTAssertTrue(text.first?["start"] is NSNull)
        let off = try CLIRunner.run(["spot", "--no-text", "--keywords", kw.path, copy.path])
        XCTAssertFalse(off.stdout.contains("transcript"))

        // A keyword file with a bad threshold is a clear error, not a crash.
        try "暖气 #high\n".write(to: kw, atomically: true, encoding: .utf8)
        let bad = try CLIRunner.run(["spot", "--keywords", kw.path, wav])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("not a number"), bad.stderr)
    }

    func testSpotWithAnotherThresholdTable() throws {
        let wav = try XCTUnwrap(Fixtures.entry("speech_heating.wav")?.path)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("th-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shipped = try CLIRunner.run(["spot", "--no-text", wav])
        XCTAssertEqual(shipped.status, 0, shipped.stderr)
        XCTAssertTrue(shipped.stdout.contains("\"keyword\": \"暖气不热\""), shipped.stdout)
        // A table that puts 暖气不热 at 1.0 silences it, and only it.
        let table = dir.appendingPathComponent("t.tsv")
        try "# calltriage-thresholds v1\nkeyword\tthreshold\n暖气不热\t1.0\n".write(to: table, atomically: true, encoding: .utf8)
        let strict = try CLIRunner.run(["spot", "--no-text", "--thresholds", table.path, wav])
        XCTAssertEqual(strict.status, 0, strict.stderr)
        XCTAssertFalse(strict.stdout.contains("暖气不热"), strict.stdout)
        let missing = try CLIRunner.run(["spot", "--thresholds", dir.appendingPathComponent("none.tsv").path, wav])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("none.tsv"), missing.stderr)
    }
}
