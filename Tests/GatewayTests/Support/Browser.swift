import Foundation
import NIOHTTP1

/// A real headless Chromium (Debian's `chromium`), driven over the W3C WebDriver protocol by
/// Debian's `chromedriver` on a loopback port, for the console and demo page tests. Each test
/// starts its own driver and browser and stops them by PID; screenshots go to
/// `.build/test-artifacts/` (not committed).
final class Browser: Sendable {
    static let driverBinary = "/usr/bin/chromedriver"
    static let browserBinary = "/usr/bin/chromium"
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: driverBinary) && FileManager.default.isExecutableFile(atPath: browserBinary)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// An element reference, as WebDriver names it.
    struct Element: Sendable {
        var id: String
    }

    private let driver: ChildProcess
    private let port: Int
    private let session: String
    private let profile: String

    /// Starts chromedriver and a headless browser with a window of `width`×`height` CSS pixels.
    static func start(width: Int = 1280, height: Int = 800) async throws -> Browser {
        guard isInstalled else {
            throw Failure(
                description: "chromium and chromium-driver are not installed: apt-get install chromium chromium-driver (scripts/install-deps does)")
        }
        let port = try FreePort.find()
        let log = TemporaryFiles.path("chromedriver.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        let driver = try ChildProcess(
            executable: driverBinary, arguments: ["--port=\(port)", "--allowed-ips=127.0.0.1"],
            environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()], standardOutput: handle.fileDescriptor,
            standardError: handle.fileDescriptor)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let ready = try? await request(port: port, .GET, "/status"), (ready["value"] as? [String: Any])?["ready"] as? Bool == true { break }
            guard driver.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let profile = TemporaryFiles.path("chromium-profile")
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": browserBinary,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                            "--window-size=\(width),\(height)", "--user-data-dir=\(profile)", "--lang=en-US",
                        ],
                    ],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ] as [String: Any]
            ]
        ]
        do {
            let answer = try await request(port: port, .POST, "/session", capabilities)
            guard let value = answer["value"] as? [String: Any], let session = value["sessionId"] as? String else {
                throw Failure(description: "chromedriver started no session: \(answer)")
            }
            return Browser(driver: driver, port: port, session: session, profile: profile)
        } catch {
            driver.signal(SIGKILL)
            driver.waitUntilExit()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure(description: "\(error); chromedriver log: \(text.suffix(1500))")
        }
    }

    private init(driver: ChildProcess, port: Int, session: String, profile: String) {
        self.driver = driver
        self.port = port
        self.session = session
        self.profile = profile
    }

    /// Ends the session (the browser quits) and the driver.
    func stop() async {
        _ = try? await command(.DELETE, "")
        driver.signal(SIGTERM)
        if (try? await driver.waitForExit(within: .seconds(5))) == nil {
            driver.signal(SIGKILL)
            driver.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: profile)
    }

    // MARK: - Commands

    func open(_ url: String) async throws {
        _ = try await command(.POST, "/url", ["url": url])
    }

    func find(_ css: String) async throws -> Element {
        let value = try await command(.POST, "/element", ["using": "css selector", "value": css])
        guard let object = value as? [String: Any], let id = object.values.first as? String else {
            throw Failure(description: "no element \(css): \(String(describing: value))")
        }
        return Element(id: id)
    }

    func click(_ css: String) async throws {
        let element = try await find(css)
        _ = try await command(.POST, "/element/\(element.id)/click", [:])
    }

    func type(_ text: String, into css: String) async throws {
        let element = try await find(css)
        _ = try await command(.POST, "/element/\(element.id)/clear", [:])
        _ = try await command(.POST, "/element/\(element.id)/value", ["text": text])
    }

    func text(_ css: String) async throws -> String {
        let element = try await find(css)
        return try await command(.GET, "/element/\(element.id)/text") as? String ?? ""
    }

    /// Runs `script` (a function body; `arguments[0]`… are `arguments`) and returns its value.
    func evaluate(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": script, "args": arguments])
    }

    func resize(width: Int, height: Int) async throws {
        _ = try await command(.POST, "/window/rect", ["width": width, "height": height])
    }

    /// The browser console's messages since the last call, as `LEVEL message`.
    func consoleMessages() async throws -> [String] {
        let entries = try await command(.POST, "/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.map { "\($0["level"] as? String ?? "?") \($0["message"] as? String ?? "")" }
    }

    /// Saves a PNG of the viewport as `.build/test-artifacts/<name>.png`; returns its path.
    @discardableResult
    func screenshot(_ name: String) async throws -> String {
        guard let base64 = try await command(.GET, "/screenshot") as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/test-artifacts").standardized
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name + ".png").path
        try png.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Polls `script` until it returns true; throws after `limit` with `what`.
    func waitUntil(_ what: String, within limit: Duration = .seconds(10), _ script: String, _ arguments: [Any] = []) async throws {
        let deadline = ContinuousClock.now + limit
        var last: Any?
        while ContinuousClock.now < deadline {
            last = try await evaluate(script, arguments)
            if last as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "timed out waiting for \(what) within \(limit) (last: \(String(describing: last)))")
    }

    // MARK: - The protocol

    private func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let answer = try await Self.request(port: port, method, "/session/\(session)" + path, body)
        if let error = answer["value"] as? [String: Any], let kind = error["error"] as? String {
            throw Failure(description: "\(method) \(path): \(kind): \(error["message"] as? String ?? "")")
        }
        return answer["value"] ?? nil
    }

    private static func request(port: Int, _ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        var headers = [("Host", "127.0.0.1:\(port)")]
        if bytes != nil { headers.append(("Content-Type", "application/json")) }
        let response = try await TestClient.send(port: port, method: method, path: path, headers: headers, body: bytes)
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }
}
