import GatewayCore
import Glibc

/// When an answer sets or clears the checkout pin (`gw_pin`, see `CheckoutPins`).
///
/// A shopper served by new on a checkout's start (`guardrails.conversion.start`, or any routed
/// request without conversion) gets a pin valid for `flag.pin_ttl`, renewed once half of it is
/// gone; reaching `conversion.done` on new clears it. Nothing is set on a fallback, an error
/// or for old: only a checkout actually begun on new is pinned there.
enum PinCookie {
    static func header(request: ProxyRequest, prepared: ProxyRequest.Prepared, result: ForwardingResult, status: Int) -> String? {
        guard let identity = prepared.identity, let pins = request.active.evaluator.pins, let decision = prepared.decision, decision.variant == .new,
            result.servedBy == .new,
            result.fallbackCause == nil, (200...399).contains(status)
        else { return nil }
        let config = request.active.config
        let flag = config.flag
        let method = prepared.plan.method
        let secure = flag.anonymousCookie.secure ? "; Secure" : ""
        let current = RequestHeaders(request.head).cookie(CheckoutPins.cookieName)
        if let conversion = config.guardrails?.conversion {
            if conversion.done.matches(target: request.head.target, method: method) {
                guard current != nil else { return nil }
                return "\(CheckoutPins.cookieName)=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax\(secure)"
            }
            guard conversion.start.matches(target: request.head.target, method: method) else { return nil }
        }
        let now = time(nil)
        let ttl = Int(flag.pinTTL.components.seconds)
        // A pin with more than half its time left is kept as it is: no Set-Cookie on every request.
        if let current,
            pins.isValid(current, flag: flag.key, identity: identity, now: now + ttl / 2)
        {
            return nil
        }
        let value = pins.value(flag: flag.key, identity: identity, expires: now + ttl)
        return "\(CheckoutPins.cookieName)=\(value); Max-Age=\(ttl); Path=/; HttpOnly; SameSite=Lax\(secure)"
    }
}
