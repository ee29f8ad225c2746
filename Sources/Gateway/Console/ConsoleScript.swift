extension ConsoleAssets {
    /// The console's behaviour: polls `/status` and `/ui/series` each second and redraws; the
    /// buttons POST to `/admin/*` with the token if one was typed. Text from the gateway is only
    /// ever set as text, never as markup.
    static let script = #"""
        'use strict';
        const $ = (id) => document.getElementById(id);
        const SVG = 'http://www.w3.org/2000/svg';
        let latest = null;

        function node(tag, text, attributes) {
          const element = document.createElement(tag);
          if (text !== undefined && text !== null) element.textContent = text;
          for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, value);
          return element;
        }
        const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
        function ago(iso) {
          const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
          if (seconds < 90) return seconds + ' s ago';
          if (seconds < 5400) return Math.round(seconds / 60) + ' min ago';
          return Math.round(seconds / 3600) + ' h ago';
        }
        function hold(seconds) {
          if (seconds === undefined || seconds === null) return '';
          if (seconds < 60) return seconds + ' s';
          if (seconds < 7200) return Math.round(seconds / 60) + ' min';
          return Math.round(seconds / 3600) + ' h';
        }

        async function fetchJSON(path) {
          const response = await fetch(path, { cache: 'no-store' });
          if (!response.ok) throw new Error(path + ' answered ' + response.status);
          return response.json();
        }

        async function refresh() {
          try {
            const [status, series] = await Promise.all([fetchJSON('/status'), fetchJSON('/ui/series')]);
            latest = status;
            render(status, series);
            $('connection').textContent = 'Live: updated ' + new Date().toLocaleTimeString();
            $('connection').classList.remove('bad');
          } catch (error) {
            $('connection').textContent = 'Cannot reach the gateway (' + error.message + '); retrying every second.';
            $('connection').classList.add('bad');
          }
        }

        /// The flag's state in one line, and its class for colour.
        function stateLine(status) {
          const flag = status.flag;
          const schedule = status.schedule;
          if (flag.state_unknown) return ['unknown', 'State unknown: this replica has not read the fleet state yet, so everyone gets old.'];
          if (flag.killed) {
            const why = flag.kill_reason ? ' (' + flag.kill_reason + ')' : '';
            return ['killed', 'KILLED by ' + (flag.killed_by || '?') + ' ' + (flag.killed_at ? ago(flag.killed_at) : '') + why + ': everyone gets old until Resume.'];
          }
          if (flag.latched) {
            if (flag.latch_reason === 'aborted') return ['rolled-back', 'ABORTED by ' + (flag.latched_by || '?') + ': everyone gets old until Resume.'];
            return ['rolled-back', 'ROLLED BACK by the guardrails: ' + (flag.latch_reason || '') + '. Everyone gets old until Resume.'];
          }
          if (!flag.enabled) return ['disabled', 'Disabled in the config (flag.enabled: false): everyone gets old.'];
          if (schedule && schedule.awaiting_approval_since) {
            return ['waiting', 'WAITING FOR APPROVAL since ' + when(schedule.awaiting_approval_since) + ': ' + flag.percent_effective + '% of shoppers get new; Promote moves on.'];
          }
          const step = schedule && schedule.plan && schedule.step ? schedule.plan[schedule.step - 1] : null;
          if (step && step.shadow) return ['enabled', 'Shadow: every shopper gets old; their safe requests are mirrored to new and judged.'];
          return ['enabled', 'Enabled: ' + flag.percent_effective + '% of shoppers get new.'];
        }

        function render(status, series) {
          $('flag-key').textContent = status.flag.key;
          const [kind, text] = stateLine(status);
          const line = $('state-line');
          line.className = 'state ' + kind;
          line.dataset.state = kind;
          line.textContent = text;
          document.title = status.flag.key + ': ' + kind + ' · checkout-gateway';

          const flag = status.flag;
          $('kill').disabled = flag.killed;
          $('resume').disabled = !flag.killed && !flag.latched;
          $('abort').disabled = flag.latched || flag.killed;
          $('promote').disabled = flag.killed || flag.latched || !(status.schedule && status.schedule.awaiting_approval_since);

          renderSchedule(status);
          renderHealth(status, series);
          renderFallbacks(status, series);
          renderFleet(status);
          renderEvents(status);
        }

        function renderSchedule(status) {
          const timeline = $('timeline');
          const schedule = status.schedule;
          timeline.replaceChildren();
          if (!schedule) {
            $('schedule-note').textContent = 'No schedule: the percent comes from flag.percent (' + status.flag.percent_configured + '%).';
            return;
          }
          (schedule.plan || []).forEach((step, index) => {
            const number = index + 1;
            const parts = [step.shadow ? 'shadow' : step.percent + '%'];
            if (step.hold_seconds) parts.push('hold ' + hold(step.hold_seconds));
            if (step.approve) parts.push('approval');
            const item = node('li', 'Step ' + number + ': ' + parts.join(' · '));
            const current = schedule.step === number;
            item.className = current ? 'current' : schedule.step && number < schedule.step ? 'done' : 'next';
            if (current) item.setAttribute('aria-current', 'step');
            timeline.append(item);
          });
          const notes = [];
          if (!schedule.step) notes.push('The schedule has not started yet.');
          if (schedule.entered_at) notes.push('Step ' + schedule.step + ' entered ' + when(schedule.entered_at) + '.');
          if (schedule.next_step_at) notes.push('Next step not before ' + when(schedule.next_step_at) + '.');
          if (schedule.approve && !schedule.awaiting_approval_since) notes.push('This step is an approval gate: it waits for Promote once its hold is over and the guardrails say go.');
          if (schedule.approved_by) notes.push('Approved by ' + schedule.approved_by + ' ' + when(schedule.approved_at) + '.');
          if (schedule.smoke_at) notes.push('Smoke test ' + (schedule.smoke_passed ? 'passed' : 'FAILED') + ' ' + when(schedule.smoke_at) + (schedule.smoke_summary ? ': ' + schedule.smoke_summary : '') + '.');
          $('schedule-note').textContent = notes.join(' ');
        }

        function renderHealth(status, series) {
          const guardrails = status.guardrails;
          const verdict = $('verdict');
          if (guardrails) {
            let text = 'Guardrails (' + guardrails.action + '): ' + guardrails.verdict.replace('_', ' ');
            if (guardrails.reason) text += ': ' + guardrails.reason;
            if (guardrails.prometheus && guardrails.prometheus.reason !== guardrails.reason) text += '. Prometheus checks: ' + guardrails.prometheus.verdict.replace('_', ' ') + (guardrails.prometheus.reason ? ': ' + guardrails.prometheus.reason : '');
            verdict.textContent = text + '.';
          } else {
            verdict.textContent = 'No guardrails configured: nothing rolls back on its own.';
          }
          const seconds = series.slot_seconds;
          const limits = series.limits;
          const oldWindow = status.window.old || {};
          const rate = (p) => p.requests / seconds;
          const errors = (p) => (p.requests ? p.errors / p.requests : null);
          const conversion = (p) => (p.starts ? p.dones / p.starts : null);
          const oldConversion = oldWindow.conversion_starts ? oldWindow.conversion_dones / oldWindow.conversion_starts : null;
          // Each chart plots the slots; its caption gives the whole window's figure, as the guardrails judge it.
          const charts = [
            { id: 'rps', title: 'Requests per second', value: rate, window: (w) => w.requests / status.window_seconds,
              format: (v) => v.toFixed(v < 10 ? 1 : 0) },
            { id: 'errors', title: 'Error rate', value: errors, window: (w) => (w.requests ? w.error_rate : null),
              format: (v) => (v * 100).toFixed(1) + '%',
              limit: limits ? limits.max_error_rate : null, limitText: limits ? 'max ' + (limits.max_error_rate * 100).toFixed(1) + '%' : '' },
            { id: 'p50', title: 'Latency p50', value: (p) => p.p50_ms ?? null, window: (w) => w.p50_ms ?? null,
              format: (v) => v.toFixed(v < 10 ? 1 : 0) + ' ms' },
            { id: 'p99', title: 'Latency p99', value: (p) => p.p99_ms ?? null, window: (w) => w.p99_ms ?? null,
              format: (v) => v.toFixed(v < 10 ? 1 : 0) + ' ms',
              limit: limits && oldWindow.p99_ms ? oldWindow.p99_ms * limits.max_p99_ratio : null,
              limitText: limits ? 'max ' + limits.max_p99_ratio + '× old' : '' },
          ];
          if (limits && limits.min_conversion_ratio !== undefined && limits.min_conversion_ratio !== null) {
            charts.push({ id: 'conversion', title: 'Conversion (orders per checkout)', value: conversion,
              window: (w) => (w.conversion_starts ? w.conversion_dones / w.conversion_starts : null),
              format: (v) => (v * 100).toFixed(0) + '%',
              limit: oldConversion === null ? null : oldConversion * limits.min_conversion_ratio,
              limitText: 'min ' + limits.min_conversion_ratio + '× old' });
          }
          for (const spec of charts) {
            spec.newNow = spec.window(status.window.new || {});
            spec.oldNow = spec.window(oldWindow);
          }
          const container = $('charts');
          for (const spec of charts) {
            let figure = document.getElementById('chart-' + spec.id);
            if (!figure) {
              figure = node('figure', null, { id: 'chart-' + spec.id });
              container.append(figure);
            }
            drawChart(figure, spec, series, seconds * series.new.length);
          }
          container.dataset.newRequests = String(series.new.reduce((sum, p) => sum + p.requests, 0));
          container.dataset.oldRequests = String(series.old.reduce((sum, p) => sum + p.requests, 0));
        }

        /// One chart: old and new as lines over the window's slots, the limit as a dashed line.
        function drawChart(figure, spec, series, windowSeconds) {
          const oldValues = series.old.map(spec.value);
          const newValues = series.new.map(spec.value);
          const known = oldValues.concat(newValues).filter((v) => v !== null && isFinite(v));
          const top = Math.max(spec.limit || 0, ...known, 0) * 1.15 || 1;
          const width = 300, height = 120, left = 4, bottom = 16;
          const svg = document.createElementNS(SVG, 'svg');
          svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
          svg.setAttribute('preserveAspectRatio', 'none');
          svg.setAttribute('class', 'chart');
          svg.setAttribute('role', 'img');
          const describe = (v) => (v === undefined || v === null || !isFinite(v) ? 'no data' : spec.format(v));
          const summary = 'new ' + describe(spec.newNow) + ' · old ' + describe(spec.oldNow) + ' over the window';
          svg.setAttribute('aria-label', spec.title + ': ' + summary + (spec.limit ? ', limit ' + spec.format(spec.limit) : ''));
          const x = (index, count) => left + (index / Math.max(1, count - 1)) * (width - left * 2);
          const y = (value) => height - bottom - (value / top) * (height - bottom - 6);
          const line = (values, cls) => {
            const points = values.map((v, i) => (v === null || !isFinite(v) ? null : x(i, values.length).toFixed(1) + ',' + y(v).toFixed(1))).filter(Boolean);
            if (points.length === 0) return;
            const polyline = document.createElementNS(SVG, 'polyline');
            polyline.setAttribute('points', points.join(' '));
            polyline.setAttribute('class', cls);
            svg.append(polyline);
            // A dot per slot with data, so a lone slot shows too.
            for (const point of points) {
              const [cx, cy] = point.split(',');
              const dot = document.createElementNS(SVG, 'circle');
              dot.setAttribute('cx', cx); dot.setAttribute('cy', cy); dot.setAttribute('r', '2.5');
              dot.setAttribute('class', cls);
              svg.append(dot);
            }
          };
          if (spec.limit) {
            const limit = document.createElementNS(SVG, 'line');
            limit.setAttribute('x1', left); limit.setAttribute('x2', width - left);
            limit.setAttribute('y1', y(spec.limit)); limit.setAttribute('y2', y(spec.limit));
            limit.setAttribute('class', 'limit');
            svg.append(limit);
          }
          line(oldValues, 'old');
          line(newValues, 'new');
          const label = (text, at, anchor) => {
            const element = document.createElementNS(SVG, 'text');
            element.setAttribute('x', at); element.setAttribute('y', height - 3);
            element.setAttribute('text-anchor', anchor);
            element.textContent = text;
            svg.append(element);
          };
          label('−' + hold(Math.round(windowSeconds)), left, 'start');
          label('now', width - left, 'end');
          const caption = node('figcaption', spec.title + ' ');
          caption.append(node('span', summary + (spec.limitText ? ' · ' + spec.limitText : ''), { class: 'muted' }));
          figure.replaceChildren(caption, svg);
        }

        function renderFallbacks(status, series) {
          const body = $('fallbacks');
          body.replaceChildren();
          for (const [cause, count] of Object.entries(series.fallbacks)) {
            const row = node('tr');
            row.append(node('td', cause), node('td', String(count)));
            body.append(row);
          }
          $('reload-error').textContent = status.config.last_error || 'none';
        }

        function renderFleet(status) {
          const fleet = status.fleet;
          const body = $('fleet');
          body.replaceChildren();
          if (!fleet) return;
          const hashes = fleet.config_hashes.length;
          $('fleet-note').textContent = (fleet.store === 'etcd' ? 'Rollout state in etcd' + (fleet.store_up ? '' : ' (UNREACHABLE)') : 'Rollout state in a file on this machine') +
            '. Leader: ' + (fleet.leader || 'none') + '. This page: ' + fleet.this_replica + '. ' + (hashes > 1 ? hashes + ' different configs are running.' : 'One config everywhere.');
          for (const replica of fleet.replicas) {
            const row = node('tr');
            const name = replica.id + (replica.id === fleet.leader ? ' (leader)' : '');
            row.append(node('td', name), node('td', replica.version), node('td', replica.config_sha256.slice(0, 12)), node('td', when(replica.started_at)));
            body.append(row);
          }
        }

        function renderEvents(status) {
          const list = $('events');
          list.replaceChildren();
          const events = status.events || [];
          if (events.length === 0) list.append(node('li', 'Nothing has happened since this gateway started.'));
          for (const event of events) {
            const item = node('li', null, { 'data-event': event.event });
            item.append(node('time', when(event.at), { datetime: event.at }), document.createTextNode(event.message));
            list.append(item);
          }
        }

        /// Asks before a kill or an abort; resolves true only on "Yes".
        function confirmAction(title, text) {
          const dialog = $('confirm');
          $('confirm-title').textContent = title;
          $('confirm-text').textContent = text;
          return new Promise((resolve) => {
            const finish = (answer) => {
              $('confirm-ok').onclick = null;
              $('confirm-cancel').onclick = null;
              dialog.oncancel = null;
              if (dialog.open) dialog.close();
              resolve(answer);
            };
            $('confirm-ok').onclick = () => finish(true);
            $('confirm-cancel').onclick = () => finish(false);
            dialog.oncancel = () => finish(false);
            dialog.showModal();
            $('confirm-cancel').focus();
          });
        }

        const questions = {
          kill: ['Kill the new checkout?', 'Every shopper goes to the old checkout at once, on every replica, until Resume.'],
          abort: ['Abort the rollout?', 'The rollout is rolled back: every shopper goes to the old checkout until Resume.'],
        };

        async function act(operation) {
          const result = $('action-result');
          if (questions[operation] && !(await confirmAction(...questions[operation]))) {
            result.textContent = operation + ': cancelled.';
            return;
          }
          const headers = {};
          const token = $('token').value.trim();
          if (token) headers.Authorization = 'Bearer ' + token;
          result.textContent = operation + '…';
          try {
            const response = await fetch('/admin/' + operation, { method: 'POST', headers, cache: 'no-store' });
            let body = {};
            try { body = await response.json(); } catch (ignored) { body = {}; }
            if (response.ok) {
              result.textContent = operation + ': done.';
            } else if (response.status === 401) {
              result.textContent = operation + ': the gateway needs its admin token; type it in the field above.';
            } else if (response.status === 403) {
              result.textContent = operation + ': refused; without an admin token the gateway accepts changes from its own machine only.';
            } else {
              result.textContent = operation + ' failed (' + response.status + '): ' + (body.error || '') + (body.errors ? '\n' + body.errors : '');
            }
          } catch (error) {
            result.textContent = operation + ' failed: cannot reach the gateway (' + error.message + ').';
          }
          refresh();
        }

        document.addEventListener('DOMContentLoaded', () => {
          for (const operation of ['kill', 'resume', 'promote', 'abort', 'reload']) $(operation).addEventListener('click', () => act(operation));
          const token = $('token');
          token.value = sessionStorage.getItem('gateway-admin-token') || '';
          token.addEventListener('change', () => sessionStorage.setItem('gateway-admin-token', token.value));
          refresh();
          setInterval(refresh, 1000);
        });

        """#
}
