import GatewayCore

/// The demo's checkout page, so a demo shows what the gateway protects: a basket with prices, an
/// address and a (fake) payment form, and a "Place order" button that behaves the way a real
/// checkout client must — disabled while its POST is in flight, one `Idempotency-Key` per order
/// attempt kept across retries (so a double click or a retry places one order), a friendly
/// message when the order fails. The two checkouts differ in colour and wording only; a badge
/// says discreetly which one served the page.
enum DemoCheckoutPage {
    static func html(variant: Variant) -> String {
        let isNew = variant == .new
        let accent = isNew ? "#047857" : "#374151"
        let heading = isNew ? "Checkout" : "Your order"
        let button = isNew ? "Place order" : "Buy now"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(heading) · Tea &amp; Kettle</title>
            <link rel="icon" href="/checkout/favicon.svg" type="image/svg+xml">
            <style>
            :root { --accent: \(accent); --ink: #111827; --muted: #4b5563; --line: #d1d5db; }
            * { box-sizing: border-box; }
            body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f3f4f6; }
            header { background: #fff; border-bottom: 1px solid var(--line); padding: .8rem 1.5rem; display: flex; justify-content: space-between; align-items: center; }
            header strong { font-size: 1.2rem; }
            .badge { font-size: .75rem; color: var(--muted); border: 1px solid var(--line); border-radius: 999px; padding: .1rem .6rem; }
            main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; display: grid; grid-template-columns: 3fr 2fr; gap: 1.5rem; }
            section, aside { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1.2rem; }
            h1 { margin: 0 0 1rem; font-size: 1.5rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 .6rem; }
            label { display: block; font-size: .9rem; margin-top: .6rem; }
            input, select { width: 100%; font: inherit; padding: .45rem .6rem; border: 1px solid #6b7280; border-radius: 6px; }
            .row { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
            input:focus-visible, select:focus-visible, button:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
            table { width: 100%; border-collapse: collapse; } td { padding: .35rem 0; border-bottom: 1px solid var(--line); }
            td.price { text-align: right; white-space: nowrap; } tr.total td { font-weight: 700; border-bottom: 0; }
            button { width: 100%; margin-top: 1rem; font: inherit; font-weight: 600; padding: .8rem; border: 0; border-radius: 8px; background: var(--accent); color: #fff; cursor: pointer; }
            button:disabled { opacity: .6; cursor: progress; }
            .note { font-size: .85rem; color: var(--muted); }
            #message { margin-top: 1rem; padding: .7rem .9rem; border-radius: 8px; }
            #message:empty { display: none; }
            #message.ok { background: #ecfdf5; color: #065f46; } #message.error { background: #fef2f2; color: #7f1d1d; }
            @media (max-width: 760px) { main { grid-template-columns: 1fr; } .row { grid-template-columns: 1fr; } }
            </style>
            </head>
            <body>
            <header><strong>Tea &amp; Kettle</strong><span id="variant-badge" class="badge" title="Which checkout served this page">\(variant.rawValue) checkout</span></header>
            <main>
            <section aria-labelledby="title">
              <h1 id="title">\(heading)</h1>
              <form id="checkout" novalidate>
                <h2>Delivery address</h2>
                <label for="name">Full name</label><input id="name" name="name" autocomplete="name" required value="Ada Lovelace">
                <label for="street">Street and number</label><input id="street" name="street" autocomplete="street-address" required value="12 St James's Square">
                <div class="row">
                  <div><label for="postcode">Postcode</label><input id="postcode" name="postcode" autocomplete="postal-code" required value="SW1Y 4JH"></div>
                  <div><label for="city">City</label><input id="city" name="city" autocomplete="address-level2" required value="London"></div>
                </div>
                <label for="country">Country</label>
                <select id="country" name="country" autocomplete="country"><option>United Kingdom</option><option>Ireland</option><option>Germany</option><option>France</option></select>
                <h2>Payment</h2>
                <p class="note">A demo: no card is charged; only the card's last four digits are sent.</p>
                <label for="card">Card number</label><input id="card" inputmode="numeric" autocomplete="off" value="4242 4242 4242 4242">
                <div class="row">
                  <div><label for="expiry">Expiry (MM/YY)</label><input id="expiry" autocomplete="off" value="12/30"></div>
                  <div><label for="cvc">CVC</label><input id="cvc" inputmode="numeric" autocomplete="off" value="123"></div>
                </div>
                <button id="place" type="submit">\(button)</button>
                <p id="message" role="status" aria-live="polite"></p>
              </form>
            </section>
            <aside aria-labelledby="basket-title">
              <h2 id="basket-title">Basket</h2>
              <table id="basket"><tbody></tbody></table>
            </aside>
            </main>
            <script>
            \(script)
            </script>
            </body>
            </html>

            """
    }

    /// The basket, the order button and its retry rule. The key lives in sessionStorage until an
    /// order is confirmed, so a retry (or a reload and a retry) of the same order reuses it.
    private static let script = #"""
        const items = [
          { sku: 'darjeeling-100g', name: 'Darjeeling first flush, 100 g', qty: 2, cents: 900 },
          { sku: 'teapot-07l', name: 'Stoneware teapot, 0.7 l', qty: 1, cents: 2450 },
          { sku: 'shipping', name: 'Delivery', qty: 1, cents: 490 },
        ];
        const money = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });
        const body = document.querySelector('#basket tbody');
        let total = 0;
        for (const item of items) {
          const row = document.createElement('tr');
          const name = document.createElement('td');
          name.textContent = (item.qty > 1 ? item.qty + ' × ' : '') + item.name;
          const price = document.createElement('td');
          price.className = 'price';
          price.textContent = money.format(item.qty * item.cents / 100);
          row.append(name, price);
          body.append(row);
          total += item.qty * item.cents;
        }
        const totalRow = document.createElement('tr');
        totalRow.className = 'total';
        totalRow.innerHTML = '<td>Total</td><td class="price"></td>';
        totalRow.lastChild.textContent = money.format(total / 100);
        body.append(totalRow);

        const form = document.getElementById('checkout');
        const button = document.getElementById('place');
        const message = document.getElementById('message');
        const label = button.textContent;
        let inFlight = false;

        const value = (id) => document.getElementById(id).value;
        function say(kind, text) {
          message.className = kind;
          message.textContent = text;
          if (text) message.scrollIntoView({ block: 'nearest' });
        }

        function orderKey() {
          let key = sessionStorage.getItem('order-key');
          if (!key) {
            key = crypto.randomUUID ? crypto.randomUUID() : Date.now() + '-' + Math.random().toString(16).slice(2);
            sessionStorage.setItem('order-key', key);
          }
          return key;
        }

        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          if (inFlight) return;
          const missing = [...form.querySelectorAll('[required]')].find((field) => !field.value.trim());
          if (missing) { say('error', 'Please fill in ' + form.querySelector('label[for=' + missing.id + ']').textContent.toLowerCase() + '.'); missing.focus(); return; }
          inFlight = true;
          button.disabled = true;
          button.setAttribute('aria-busy', 'true');
          button.textContent = 'Placing your order…';
          say('', '');
          const key = orderKey();
          try {
            const response = await fetch('/api/checkout/orders', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
              body: JSON.stringify({
                items: items.map(({ sku, qty }) => ({ sku, qty })), total_cents: total,
                address: { name: value('name'), street: value('street'), postcode: value('postcode'), city: value('city'), country: value('country') },
                card_last4: value('card').replace(/\D/g, '').slice(-4),
              }),
            });
            if (response.ok) {
              const order = await response.json();
              sessionStorage.removeItem('order-key');
              say('ok', 'Thank you! Your order ' + order.order_id + ' is placed. A confirmation is on its way.');
              button.textContent = 'Order placed';
              inFlight = false;
              button.removeAttribute('aria-busy');
              return;
            }
            say('error', response.status >= 500
              ? 'Sorry, we could not place your order just now. Nothing was charged. Please try again in a moment.'
              : 'We could not place your order: please check your details and try again.');
          } catch (error) {
            say('error', 'We could not reach the shop. Nothing was charged. Check your connection and try again.');
          }
          inFlight = false;
          button.disabled = false;
          button.removeAttribute('aria-busy');
          button.textContent = 'Try again';
        });
        """#

    static let favicon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#047857"/><path d="M8 13h13v6a6 6 0 0 1-6 6h-1a6 6 0 0 1-6-6z" fill="#fff"/><path d="M21 15h2a3 3 0 0 1 0 6h-2" fill="none" stroke="#fff" stroke-width="2"/></svg>

        """#
}
