import Foundation
import GatewayCore

/// OFREP over HTTP, for both listeners that serve it (the admin listener always, the public one
/// with `flag.public_ofrep`): a path, the `If-None-Match` values and a body in, an answer out.
/// The bulk answer carries an ETag (a hash of its body) and honours `If-None-Match`.
enum OFREPEndpoint {
    struct Answer {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]
    }

    /// `ifNoneMatch`: the request's `If-None-Match` field values as sent (each may list several).
    static func answer(path: Substring, ifNoneMatch: [String], body: [UInt8], snapshot: GatewayRuntime.Snapshot) -> Answer {
        if path == OFREPEvaluator.bulkPath {
            let tags = ifNoneMatch.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            switch OFREPEvaluator.evaluateAll(body: body, snapshot: snapshot) {
            case .failure(let failure):
                return json(failure.status, AdminJSON.encode(failure))
            case .success(let evaluation):
                let encoded = AdminJSON.encode(evaluation)
                let etag = "\"\(ContentHash.sha256Hex(encoded).prefix(32))\""
                if tags.contains(where: { $0 == etag || $0 == "*" }) {
                    return Answer(status: 304, headers: [("ETag", etag)], body: [])
                }
                var answer = json(200, encoded)
                answer.headers.append(("ETag", etag))
                return answer
            }
        }
        // Foundation's percent-decoding; a malformed escape leaves the key as sent: it then names
        // no flag (404).
        let raw = String(path.dropFirst(OFREPEvaluator.singlePrefix.count))
        let key = raw.removingPercentEncoding ?? raw
        switch OFREPEvaluator.evaluate(key: key, body: body, snapshot: snapshot) {
        case .failure(let failure): return json(failure.status, AdminJSON.encode(failure))
        case .success(let evaluation): return json(200, AdminJSON.encode(evaluation))
        }
    }

    private static func json(_ status: Int, _ body: [UInt8]) -> Answer {
        Answer(status: status, headers: [("Content-Type", "application/json")], body: body)
    }
}
