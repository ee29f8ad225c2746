import ArgumentParser
import Foundation
import Gateway

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A human summary of a running gateway's /status.")

    @Option(help: "The admin listener's base URL.")
    var admin = "http://127.0.0.1:9901"

    @Flag(help: "Print the raw JSON instead.")
    var json = false

    func run() throws {
        let url = admin.hasSuffix("/") ? admin + "status" : admin + "/status"
        let (status, body) = try SimpleHTTPClient.get(url)
        guard status == 200 else {
            throw ValidationError("\(url) answered \(status): \(String(decoding: body, as: UTF8.self))")
        }
        if json {
            print(String(decoding: body, as: UTF8.self))
            return
        }
        print(StatusSummary.render(try StatusReport.decode(body)))
    }
}
