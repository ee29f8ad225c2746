import GatewayCore
import NIOCore
import NIOHTTP1

/// A client's request while it is read and decided: the head, the buffered body and the
/// config snapshot taken when its head arrived (kept to the end, whatever reloads happen).
struct ClientRequest {
    var head: HTTPRequestHead
    let snapshot: GatewayRuntime.Snapshot
    let peerIP: String?
    let receivedAt: NIODeadline
    private(set) var body: ByteBuffer?

    var active: ActiveConfig { snapshot.active }
    var bodyLength: Int { body?.readableBytes ?? 0 }
    var bodyBytes: [UInt8] { body.map { Array($0.readableBytesView) } ?? [] }

    init(head: HTTPRequestHead, snapshot: GatewayRuntime.Snapshot, peerIP: String?) {
        self.head = head
        self.snapshot = snapshot
        self.peerIP = peerIP
        self.receivedAt = .now()
    }

    mutating func appendBody(_ chunk: inout ByteBuffer) {
        if body == nil {
            body = chunk
        } else {
            body!.writeBuffer(&chunk)
        }
    }

    /// A header the flag decision would read that this routed request carries more than once.
    var repeatedDecisionHeader: String? {
        guard active.config.routes.matches(target: head.uri, method: head.method.rawValue) else { return nil }
        // Fields counted by name, not values split at commas: one field `a, b` is one value.
        for name in active.decisionHeaders {
            var seen = 0
            for field in head.headers where ASCIICase.equals(field.name, name) {
                seen += 1
                if seen > 1 { return name }
            }
        }
        return nil
    }

    /// The decided and rewritten request, plus what the answer must carry back.
    struct Prepared {
        var plan: ForwardingPlan
        var decision: FlagDecision?
        /// A `Set-Cookie` value when an anonymous id was minted for this request.
        var setCookie: String?
    }

    /// Decides the variant (routes, identity, flag) and rewrites the headers for the upstream.
    func prepare(mintID: () -> String) -> Prepared {
        let config = active.config
        var headers = head.headers
        ForwardingHeaders.removeHopByHop(&headers)
        let method = head.method.rawValue

        let requestID =
            headers.first(name: ForwardingHeaders.requestIDHeader).flatMap { HeaderRules.isSaneRequestID($0) ? $0 : nil }
            ?? mintID()
        var decision: FlagDecision?
        var setCookie: String?
        if config.routes.matches(target: head.uri, method: method) {
            let attributes = HeaderAttributes(headers: headers)
            let identity: String
            if let resolved = config.flag.resolveIdentity(attributes) {
                identity = resolved.value
            } else {
                identity = mintID()
                setCookie = config.flag.anonymousCookie.setCookieValue(id: identity)
            }
            decision = active.evaluator.decide(identity: identity, request: attributes, state: snapshot.flagState)
        }

        let needsBody = body != nil || method == "POST" || method == "PUT" || method == "PATCH"
        let lines = ForwardingHeaders.upstreamLines(
            from: headers, peerIP: peerIP, requestID: requestID, strip: active.strippedHeaders, hasBody: needsBody
        )
        let plan = ForwardingPlan(
            method: method,
            target: head.uri,
            headerLines: lines,
            body: needsBody ? (body ?? ByteBuffer()) : nil,
            requestID: requestID,
            variant: decision?.variant ?? .old,
            hasIdempotencyKey: headers.first(name: config.fallback.idempotencyHeader).map { !$0.isEmpty } ?? false
        )
        return Prepared(plan: plan, decision: decision, setCookie: setCookie)
    }
}
