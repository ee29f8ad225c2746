import Foundation
import GatewayCore
import Logging
import NIOCore
import NIOHTTP1

/// The admin endpoints of the README's "Admin listener", independent of sockets: a request in, an answer out.
enum AdminRoutes {
    struct Answer: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: [UInt8]

        static func json(_ status: HTTPResponseStatus, _ body: [UInt8]) -> Answer {
            Answer(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
        }

        static func text(_ status: HTTPResponseStatus, _ text: String) -> Answer {
            Answer(status: status, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]), body: Array(text.utf8))
        }
    }

    static func handle(
        method: HTTPMethod, target: String, headers: HTTPHeaders, body: [UInt8], peerIP: String?, runtime: GatewayRuntime
    ) async -> Answer {
        let path = PathPrefix.path(of: target)
        switch (method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            return .text(.ok, "ok\n")
        case (.GET, "/readyz"), (.HEAD, "/readyz"):
            return runtime.isDraining ? .text(.serviceUnavailable, "draining\n") : .text(.ok, "ready\n")
        case (.GET, "/metrics"):
            var headers = HTTPHeaders([("Content-Type", "text/plain; version=0.0.4; charset=utf-8")])
            headers.add(name: "Cache-Control", value: "no-store")
            return Answer(status: .ok, headers: headers, body: runtime.renderMetrics())
        case (.GET, "/status"):
            return .json(.ok, runtime.statusReport().encoded())
        case (.POST, _) where OFREPEvaluator.isOFREP(path: path):
            let answer = OFREPEndpoint.answer(
                path: path, ifNoneMatch: headers["if-none-match"], body: body, snapshot: runtime.snapshot())
            return Answer(status: HTTPResponseStatus(statusCode: answer.status), headers: HTTPHeaders(answer.headers), body: answer.body)
        case (.POST, "/admin/kill"), (.POST, "/admin/resume"), (.POST, "/admin/reload"), (.POST, "/admin/promote"), (.POST, "/admin/abort"),
            (.POST, "/admin/smoke"):
            if let refusal = AdminAuthorization.refusal(headers: headers, peerIP: peerIP, runtime: runtime) { return refusal }
            let actor = AdminAuthorization.actor(peerIP: peerIP, runtime: runtime)
            if path == "/admin/smoke" { return await smoke(body: body, runtime: runtime) }
            return await operate(String(path.dropFirst("/admin/".count)), actor: actor, runtime: runtime)
        case (_, "/healthz"), (_, "/readyz"), (_, "/metrics"), (_, "/status"), (_, "/admin/kill"), (_, "/admin/resume"), (_, "/admin/reload"),
            (_, "/admin/promote"), (_, "/admin/abort"), (_, "/admin/smoke"):
            var answer = Answer.json(.methodNotAllowed, AdminJSON.encode(AdminError(error: "method not allowed")))
            answer.headers.add(name: "Allow", value: path.hasPrefix("/admin/") ? "POST" : "GET")
            return answer
        default:
            if method == .GET, let console = ConsoleRoutes.answer(path: path, runtime: runtime) { return console }
            return .json(.notFound, AdminJSON.encode(AdminError(error: "not found")))
        }
    }

    /// `POST /admin/smoke` `{"passed": bool, "summary": "…"}`: a smoke test's outcome for the
    /// current schedule step.
    private static func smoke(body: [UInt8], runtime: GatewayRuntime) async -> Answer {
        guard let report = try? JSONDecoder().decode(SmokeReport.self, from: Data(body)) else {
            return .json(.badRequest, AdminJSON.encode(AdminError(error: "the body must be {\"passed\": true|false, \"summary\": \"...\"}")))
        }
        switch await runtime.recordSmoke(passed: report.passed, summary: report.summary ?? "") {
        case .failure(let refusal): return .json(.conflict, AdminJSON.encode(AdminError(error: refusal.reason)))
        case .success(true): return .json(.ok, runtime.statusReport().encoded())
        case .success(false): return notConfirmed("smoke", runtime: runtime)
        }
    }

    /// A change in effect here that the store has not confirmed within its timeout (503).
    private static func notConfirmed(_ operation: String, runtime: GatewayRuntime) -> Answer {
        let message =
            "\(operation) is in effect on this replica, but the \(runtime.store.kind) state store did not confirm it in time, "
            + "so other replicas may not have it yet; it is written as soon as the store answers (watch gateway_state_store_up)"
        runtime.logger.error("admin operation not confirmed by the state store", metadata: ["operation": "\(operation)"])
        return .json(.serviceUnavailable, AdminJSON.encode(AdminError(error: message)))
    }

    private static func operate(_ operation: String, actor: String, runtime: GatewayRuntime) async -> Answer {
        switch operation {
        case "kill", "resume", "abort":
            let confirmed: Bool
            switch operation {
            case "kill": confirmed = await runtime.kill(by: actor)
            case "resume": confirmed = await runtime.resume(by: actor)
            default: confirmed = await runtime.abort(by: actor)
            }
            return confirmed ? .json(.ok, runtime.statusReport().encoded()) : notConfirmed(operation, runtime: runtime)
        case "promote":
            switch await runtime.promote(by: actor) {
            case .promoted(_, confirmed: true): return .json(.ok, runtime.statusReport().encoded())
            case .promoted(_, confirmed: false): return notConfirmed(operation, runtime: runtime)
            case .refused(let reason): return .json(.conflict, AdminJSON.encode(AdminError(error: "nothing to promote: \(reason)")))
            }
        default:
            switch await Blocking.run({ runtime.reload(force: true) }) {
            case .applied, .unchanged:
                return .json(.ok, runtime.statusReport().encoded())
            case .rejected(let errors):
                return .json(.unprocessableEntity, AdminJSON.encode(AdminError(error: "config rejected", errors: errors)))
            }
        }
    }
}

/// Who may change the gateway: with a token configured, whoever presents it; without one,
/// only processes on this host (peer 127.0.0.1 or ::1).
enum AdminAuthorization {
    static func refusal(headers: HTTPHeaders, peerIP: String?, runtime: GatewayRuntime) -> AdminRoutes.Answer? {
        let tokenEnv = runtime.snapshot().active.config.admin.tokenEnv
        if let token = runtime.environment[tokenEnv], !token.isEmpty {
            guard let presented = bearerToken(headers), ConstantTime.equals(presented, token) else {
                var answer = AdminRoutes.Answer.json(.unauthorized, AdminJSON.encode(AdminError(error: "a valid bearer token is required")))
                answer.headers.add(name: "WWW-Authenticate", value: "Bearer")
                return answer
            }
            return nil
        }
        guard let peerIP, isLoopback(peerIP) else {
            return .json(
                .forbidden, AdminJSON.encode(AdminError(error: "admin changes are accepted from loopback peers only unless \(tokenEnv) is set")))
        }
        return nil
    }

    /// Who an authorised admin request is, for the audit trail: `token` when the token was the
    /// credential, else the loopback peer's address.
    static func actor(peerIP: String?, runtime: GatewayRuntime) -> String {
        let tokenEnv = runtime.snapshot().active.config.admin.tokenEnv
        if let token = runtime.environment[tokenEnv], !token.isEmpty { return "token" }
        return peerIP.map { "peer \($0)" } ?? "peer unknown"
    }

    /// The credentials of a single `Authorization: Bearer …` field; the scheme name is
    /// case-insensitive (RFC 9110 §11.1), spaces around the token are not part of it.
    static func bearerToken(_ headers: HTTPHeaders) -> String? {
        let fields = headers["authorization"]
        guard fields.count == 1, let field = fields.first else { return nil }
        let parts = field.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, ASCIICase.equals(String(parts[0]), "bearer") else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    static func isLoopback(_ ip: String) -> Bool {
        ip == "127.0.0.1" || ip == "::1" || ip == "::ffff:127.0.0.1"
    }
}
