extension ConsoleAssets {
    /// Contrast at least 4.5:1 for text (WCAG AA), a visible focus ring, one column on a phone.
    static let style = #"""
        :root { --ink: #111827; --muted: #4b5563; --line: #d1d5db; --bg: #f9fafb; --card: #ffffff;
          --old: #4b5563; --new: #047857; --limit: #b91c1c; --danger: #b91c1c; --warn: #92400e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
        header { padding: 1rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line); }
        h1 { margin: 0; font-size: 1.4rem; }
        h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
        h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
        main { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1rem; padding: 1rem 1.5rem; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; min-width: 0; }
        .wide { grid-column: 1 / -1; }
        .muted { color: var(--muted); font-weight: normal; }
        .state { font-size: 1.15rem; font-weight: 600; margin: .4rem 0 0; padding: .4rem .7rem; border-radius: 6px; border-left: 6px solid var(--new); background: #ecfdf5; }
        .state.killed, .state.rolled-back { border-color: var(--danger); background: #fef2f2; color: #7f1d1d; }
        .state.waiting, .state.unknown, .state.disabled { border-color: var(--warn); background: #fffbeb; color: #78350f; }
        .bad { color: var(--danger); }
        .actions { display: flex; flex-wrap: wrap; gap: .5rem; }
        button { font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid #374151; background: #fff; color: var(--ink); cursor: pointer; }
        button.danger { border-color: var(--danger); background: var(--danger); color: #fff; }
        button:disabled { opacity: .45; cursor: not-allowed; }
        button:focus-visible, input:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
        .token { display: flex; flex-wrap: wrap; gap: .4rem .6rem; align-items: center; margin: .8rem 0 0; }
        .token input { font: inherit; padding: .35rem .5rem; border: 1px solid #6b7280; border-radius: 6px; min-width: 14rem; }
        .token .muted { font-size: .85rem; flex-basis: 100%; }
        table { border-collapse: collapse; width: 100%; font-size: .95rem; }
        th, td { text-align: left; padding: .25rem .5rem .25rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
        pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); padding: .5rem; border-radius: 6px; margin: 0; }
        .timeline { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .4rem; }
        .timeline li { border: 1px solid var(--line); border-radius: 6px; padding: .3rem .6rem; color: var(--muted); }
        .timeline li.done { background: #f3f4f6; }
        .timeline li.current { border: 2px solid var(--new); color: var(--ink); font-weight: 600; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; }
        figure { margin: 0; }
        figcaption { font-weight: 600; font-size: .95rem; }
        figcaption .muted { font-size: .85rem; display: block; font-weight: normal; }
        svg.chart { width: 100%; height: 9rem; display: block; background: var(--bg); border-radius: 6px; }
        svg.chart .old { stroke: var(--old); }
        svg.chart .new { stroke: var(--new); }
        svg.chart .limit { stroke: var(--limit); stroke-dasharray: 5 4; }
        svg.chart polyline, svg.chart line { fill: none; stroke-width: 2; vector-effect: non-scaling-stroke; }
        svg.chart polyline.old { stroke-width: 4; }
        svg.chart circle { stroke: none; }
        svg.chart circle.old { fill: var(--old); }
        svg.chart circle.new { fill: var(--new); }
        svg.chart text { font-size: 11px; fill: var(--muted); }
        .legend { font-size: .9rem; color: var(--muted); display: flex; gap: .4rem 1rem; align-items: center; flex-wrap: wrap; }
        .key { display: inline-block; width: 1.4rem; height: 0; border-top: 3px solid; margin-right: .3rem; vertical-align: middle; }
        .key.old { border-color: var(--old); } .key.new { border-color: var(--new); } .key.limit { border-color: var(--limit); border-top-style: dashed; }
        .events { margin: 0; padding-left: 1.2rem; }
        .events time { color: var(--muted); margin-right: .5rem; }
        dialog { border: 1px solid var(--line); border-radius: 8px; max-width: 28rem; }
        dialog::backdrop { background: rgba(17, 24, 39, .5); }
        @media (max-width: 760px) {
          main { grid-template-columns: minmax(0, 1fr); padding: .75rem; }
          header { padding: .75rem; }
          .actions button { flex: 1 1 45%; }
        }

        """#
}
