extension ConsoleAssets {
    /// The console's markup: landmarks and headings for screen readers, every control labelled,
    /// live regions for the state line and action results, one confirmation dialog.
    static let page = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>checkout-gateway console</title>
        <link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/ui/console.css">
        <script src="/ui/console.js" defer></script>
        </head>
        <body>
        <header>
          <h1>checkout-gateway <span id="flag-key" class="muted"></span></h1>
          <p id="state-line" class="state" role="status" aria-live="polite">Loading the gateway's state…</p>
          <p id="connection" class="muted"></p>
        </header>
        <main>
          <section aria-labelledby="actions-title" class="card">
            <h2 id="actions-title">Actions</h2>
            <div class="actions">
              <button type="button" id="kill" class="danger">Kill: everyone to old</button>
              <button type="button" id="resume">Resume</button>
              <button type="button" id="promote">Promote</button>
              <button type="button" id="abort" class="danger">Abort rollout</button>
              <button type="button" id="reload">Reload config</button>
            </div>
            <p class="token">
              <label for="token">Admin token</label>
              <input id="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-help">
              <span id="token-help" class="muted">Needed when the gateway has one (GATEWAY_ADMIN_TOKEN); without one, actions work from this machine only. Kept in this tab only.</span>
            </p>
            <p id="action-result" role="status" aria-live="polite"></p>
          </section>
          <section aria-labelledby="schedule-title" class="card">
            <h2 id="schedule-title">Schedule</h2>
            <ol id="timeline" class="timeline"></ol>
            <p id="schedule-note"></p>
          </section>
          <section aria-labelledby="health-title" class="card wide">
            <h2 id="health-title">Old and new, over the guardrail window</h2>
            <p id="verdict"></p>
            <p class="legend"><span class="key old"></span>old <span class="key new"></span>new <span class="key limit"></span>guardrail limit</p>
            <div id="charts" class="charts"></div>
          </section>
          <section aria-labelledby="fallbacks-title" class="card">
            <h2 id="fallbacks-title">Fallbacks to old since start</h2>
            <table><thead><tr><th scope="col">Cause</th><th scope="col">Requests</th></tr></thead><tbody id="fallbacks"></tbody></table>
            <h3>Last rejected reload</h3>
            <pre id="reload-error">none</pre>
          </section>
          <section aria-labelledby="fleet-title" class="card">
            <h2 id="fleet-title">Fleet</h2>
            <p id="fleet-note"></p>
            <table><thead><tr><th scope="col">Replica</th><th scope="col">Version</th><th scope="col">Config</th><th scope="col">Started</th></tr></thead><tbody id="fleet"></tbody></table>
          </section>
          <section aria-labelledby="events-title" class="card wide">
            <h2 id="events-title">Audit trail</h2>
            <ol id="events" class="events"></ol>
          </section>
        </main>
        <dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
          <h2 id="confirm-title"></h2>
          <p id="confirm-text"></p>
          <div class="actions">
            <button type="button" id="confirm-cancel">Cancel</button>
            <button type="button" id="confirm-ok" class="danger">Yes</button>
          </div>
        </dialog>
        </body>
        </html>

        """#
}
