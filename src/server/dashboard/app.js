// The Vigil dashboard: plain browser JavaScript, no framework. Reads /api/dashboard once, the alerts and the kept
// streams live over two Server-Sent Event connections, /api/status every second. Panels are laid out once, before
// any data, so nothing moves as data arrives; a panel whose stream the job lacks is left out at that moment.
/* global uPlot */
'use strict';

const $ = (id) => document.getElementById(id);
const MAX_ALERTS = 60;
const RULE_COLOURS = ['#4cc2ff', '#c792ea', '#ffcb6b', '#89ddff', '#f78c6c', '#c3e88d', '#ff5370', '#82aaff'];
const BAND_NAMES = ['free', 'basically free', 'light', 'moderate', 'severe'];
const BAND_COLOURS = ['#2ea043', '#8bc34a', '#f0b429', '#ff7b39', '#ff3b5c'];

const state = {
  info: null,
  zone: 'UTC',
  cps: new Map(),
  segments: new Map(),
  alerts: [],
  alertIds: new Set(),
  ruleColour: new Map(),
  /** checkpoint -> Map(window_end -> flow) */
  flow: new Map(),
  /** window_end -> total (city_flow_1m when the job has it) */
  cityFlow: new Map(),
  /** segment -> { time, value, band, label } */
  congestion: new Map(),
  extras: new Map(),
  replayTime: null,
  watermark: null,
  dirty: { charts: true, map: true, congestion: true, extra: true },
  selected: null,
  /** Days made final by the re-run (/api/days), newest first. */
  finalDays: [],
};

// ----------------------------------------------------------------------------------------------- time in the city
function ianaZone(zone) {
  const m = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d\d))?$/i.exec(zone);
  if (m === null) return zone;
  const h = Number(m[2]);
  if (Number(m[3] ?? 0) !== 0) return 'UTC';
  return h === 0 ? 'UTC' : `Etc/GMT${m[1] === '+' ? '-' : '+'}${h}`;
}
let timeFormat = null;
/** YYYY-MM-DD in the city's zone. */
let dayFormat = null;
function cityTime(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '--:--:--';
  return timeFormat.format(new Date(ms));
}

// ----------------------------------------------------------------------------------------------- places
function cpName(id) {
  const cp = state.cps.get(id);
  return cp === undefined ? id : cp.name;
}
function segmentName(id) {
  const cps = state.segments.get(id);
  const road = cps?.find((c) => c.road)?.road;
  return road ? `${road} · ${id}` : id;
}
function placeOf(alert) {
  const p = alert.payload && typeof alert.payload === 'object' ? alert.payload : {};
  if (typeof p.first === 'string' && typeof p.second === 'string') return `${cpName(p.first)} → ${cpName(p.second)}`;
  if (typeof p.checkpoint === 'string') return cpName(p.checkpoint);
  if (typeof p.segment === 'string') return segmentName(p.segment);
  if (state.cps.has(alert.key)) return cpName(alert.key);
  if (state.segments.has(alert.key)) return segmentName(alert.key);
  return '';
}
function detailOf(alert) {
  const p = alert.payload && typeof alert.payload === 'object' ? alert.payload : {};
  const parts = [];
  if (typeof p.plate === 'string') parts.push(p.plate + (p.plate_color ? ` (${p.plate_color})` : ''));
  if (typeof p.level === 'string') parts.push(p.level);
  if (typeof p.direction === 'string' && typeof p.flow === 'number') parts.push(`${p.direction}: ${p.flow} vs ${p.baseline}`);
  if (typeof p.congested_kmh === 'number') parts.push(`${p.free_kmh} → ${p.congested_kmh} km/h`);
  if (typeof p.implied_speed_kmh === 'number') parts.push(`${p.distance_km} km apart`);
  if (parts.length === 0) parts.push(alert.key);
  return parts.join(' · ');
}
function plateOf(alert) {
  const p = alert.payload && typeof alert.payload === 'object' ? alert.payload : {};
  return typeof p.plate === 'string' ? p.plate : null;
}
function ruleColour(rule) {
  let c = state.ruleColour.get(rule);
  if (c === undefined) {
    c = RULE_COLOURS[state.ruleColour.size % RULE_COLOURS.length];
    state.ruleColour.set(rule, c);
  }
  return c;
}

// ----------------------------------------------------------------------------------------------- alerts
function alertRow(alert, fresh) {
  const li = document.createElement('li');
  li.dataset.rule = alert.rule;
  if (fresh) li.className = 'fresh';
  // Arrived over the live stream (not in the first page read at load): what the browser test checks.
  li.dataset.live = String(fresh);
  const bar = document.createElement('span');
  bar.className = `bar sev-${alert.severity}`;
  const rule = document.createElement('span');
  rule.className = 'rule';
  rule.style.color = ruleColour(alert.rule);
  rule.textContent = alert.rule;
  const sev = document.createElement('span');
  sev.className = `sev sev-${alert.severity}`;
  sev.textContent = alert.severity;
  rule.append(sev);
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = cityTime(alert.event_time);
  const place = document.createElement('span');
  place.className = 'place';
  place.textContent = placeOf(alert) || alert.key;
  const detail = document.createElement('span');
  detail.className = 'detail';
  detail.textContent = detailOf(alert);
  li.append(bar, rule, time, place, detail);
  const plate = plateOf(alert);
  li.addEventListener('click', () => {
    if (plate !== null) lookup(plate);
    const cp = alert.payload?.checkpoint ?? alert.payload?.first;
    if (typeof cp === 'string' && state.cps.has(cp)) selectCheckpoint(cp);
  });
  return li;
}

function addAlert(alert, fresh) {
  if (state.alertIds.has(alert.id)) return;
  state.alertIds.add(alert.id);
  state.alerts.push(alert);
  const list = $('alerts');
  list.prepend(alertRow(alert, fresh));
  while (list.children.length > MAX_ALERTS) list.lastElementChild.remove();
  const kinds = new Set(state.alerts.map((a) => a.rule));
  $('alerts-note').textContent = `${state.alerts.length} · ${kinds.size} rule${kinds.size === 1 ? '' : 's'}`;
  state.dirty.map = true;
  state.dirty.extra = true;
}

async function startAlerts() {
  const page = await getJson('/api/alerts?limit=200');
  if (page === null) {
    $('alerts-note').textContent = 'no alert history';
    return;
  }
  for (const e of [...page.alerts].reverse()) addAlert(e.alert, false);
  document.body.dataset.initialAlerts = String(page.alerts.length);
  const after = page.alerts[0]?.entry ?? '0-0';
  const source = new EventSource(`/api/alerts/stream?lastEventId=${encodeURIComponent(after)}`);
  source.addEventListener('alert', (ev) => addAlert(JSON.parse(ev.data), true));
}

// ----------------------------------------------------------------------------------------------- streams
const handlers = {
  flow_1m: (r) => {
    if (typeof r.checkpoint !== 'string') return;
    let m = state.flow.get(r.checkpoint);
    if (m === undefined) state.flow.set(r.checkpoint, (m = new Map()));
    m.set(r.window_end, r.flow);
    state.dirty.charts = state.dirty.map = true;
  },
  city_flow_1m: (r) => {
    state.cityFlow.set(r.window_end, r.flow);
    state.dirty.charts = true;
  },
  segment_congestion_5m: (r) => {
    const band = bandIndex(r.band);
    state.congestion.set(r.segment, { time: r.window_end, value: r.index, band, label: `${BAND_NAMES[band] ?? r.band} ${fmt(r.index, 1)}` });
    state.dirty.congestion = state.dirty.map = true;
  },
  segment_speed_1m: (r) => {
    if (state.streams.has('segment_congestion_5m') || typeof r.rel_speed !== 'number') return;
    // Without the congestion index: speed relative to the limit, banded for colour only.
    const rel = r.rel_speed;
    const band = rel >= 0.7 ? 0 : rel >= 0.55 ? 1 : rel >= 0.4 ? 2 : rel >= 0.3 ? 3 : 4;
    state.congestion.set(r.segment, { time: r.window_end, value: 1 - Math.min(rel, 1), band, label: `${Math.round(rel * 100)}% · ${fmt(r.avg_speed, 0)} km/h` });
    state.dirty.congestion = state.dirty.map = true;
  },
};
const EXTRA_PANELS = [
  // One record per checkpoint and hour: its `vehicles` ranking ("plate|plate_color" values), the hour's most seen
  // vehicles across checkpoints first.
  { stream: 'top_vehicles_1h', title: 'Top vehicles', expand: topVehicleRows, order: (a, b) => b[3] - a[3] },
  { stream: 'frequent_vehicles', title: 'Frequent vehicles', rows: (r) => [r.plate, cpName(r.checkpoint), r.passes] },
  // One record per window: its `origins` ranking, places the stream has already named (analytics.pattern's tables);
  // a program of its own without them shows its raw `cities` prefixes.
  { stream: 'plate_origin_15m', title: 'Vehicle origins', expand: (r) => rankingOf(r.origins ?? r.cities).map((o) => [o.value, `${fmt(o.share * 100, 1)}%`, o.count]) },
];

/** top_vehicles_1h's rows: plate, plate colour, checkpoint, passes; a program of its own keying by plate has no ranking. */
function topVehicleRows(r) {
  if (!Array.isArray(r.vehicles)) return [[r.plate ?? r.key ?? '', r.plate_color ?? '', cpName(r.checkpoint ?? ''), r.passes ?? r.count ?? 0]];
  return r.vehicles.map((v) => {
    const [plate, color = ''] = String(v.value).split('|');
    return [plate, color, cpName(r.checkpoint ?? ''), v.count];
  });
}

/** A `top` column: its entries, or none when the record lacks it. */
function rankingOf(column) {
  return Array.isArray(column) ? column : [];
}

function bandIndex(band) {
  if (typeof band === 'number') return Math.max(0, Math.min(4, Math.round(band)));
  const i = BAND_NAMES.indexOf(String(band).toLowerCase().replaceAll('_', ' '));
  return i < 0 ? 2 : i;
}
function fmt(n, digits) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–';
}

function startStreams() {
  const wanted = ['flow_1m', 'city_flow_1m', 'segment_congestion_5m', 'segment_speed_1m', ...EXTRA_PANELS.map((p) => p.stream)].filter((n) => state.streams.has(n));
  if (wanted.length === 0) return;
  const source = new EventSource(`/api/streams/live?names=${wanted.join(',')}`);
  for (const name of wanted) {
    source.addEventListener(name, (ev) => {
      const { record } = JSON.parse(ev.data);
      const handle = handlers[name];
      if (handle !== undefined) handle(record);
      else {
        let list = state.extras.get(name);
        if (list === undefined) state.extras.set(name, (list = []));
        list.push(record);
        if (list.length > 500) list.shift();
        state.dirty.extra = true;
      }
    });
  }
}

// ----------------------------------------------------------------------------------------------- map
const map = { scale: 1, ox: 0, oy: 0, points: new Map() };
function layoutMap() {
  const canvas = $('map');
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const cps = [...state.cps.values()];
  if (cps.length === 0) return;
  const lat0 = cps.reduce((s, c) => s + c.lat, 0) / cps.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = cps.map((c) => c.lon * k);
  const ys = cps.map((c) => -c.lat);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 18;
  map.scale = Math.min((w - 2 * pad) / (x1 - x0 || 1), (h - 2 * pad) / (y1 - y0 || 1));
  map.ox = pad + (w - 2 * pad - (x1 - x0) * map.scale) / 2 - x0 * map.scale;
  map.oy = pad + (h - 2 * pad - (y1 - y0) * map.scale) / 2 - y0 * map.scale;
  for (const c of cps) map.points.set(c.id, [c.lon * k * map.scale + map.ox, -c.lat * map.scale + map.oy]);
  state.dirty.map = true;
}

function latestFlow(id) {
  const m = state.flow.get(id);
  if (m === undefined || m.size === 0) return null;
  let best = -Infinity;
  let v = null;
  for (const [t, f] of m) if (t > best) [best, v] = [t, f];
  return v;
}
function flowColour(f, max) {
  if (f === null) return '#3a4656';
  const x = Math.min(1, f / (max || 1));
  const hue = 200 - 160 * x;
  return `hsl(${hue}, 85%, ${45 + 15 * x}%)`;
}

function drawMap() {
  const canvas = $('map');
  const ctx = canvas.getContext('2d');
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  // Segments: a line through their cameras, coloured by congestion when known.
  for (const [seg, cps] of state.segments) {
    const c = state.congestion.get(seg);
    ctx.strokeStyle = c === undefined ? '#2b3a4c' : BAND_COLOURS[c.band];
    ctx.lineWidth = c === undefined ? 2 : 4;
    ctx.beginPath();
    cps.forEach((cp, i) => {
      const [x, y] = map.points.get(cp.id);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  let max = 0;
  for (const id of state.cps.keys()) max = Math.max(max, latestFlow(id) ?? 0);
  const recent = new Set();
  const horizon = (state.replayTime ?? Date.now()) - 15 * 60_000;
  for (const a of state.alerts) {
    if (a.event_time < horizon) continue;
    const p = a.payload ?? {};
    for (const id of [p.checkpoint, p.first, p.second, a.key]) if (typeof id === 'string' && state.cps.has(id)) recent.add(id);
    if (typeof p.segment === 'string') for (const cp of state.segments.get(p.segment) ?? []) recent.add(cp.id);
  }
  for (const [id, [x, y]] of map.points) {
    const cp = state.cps.get(id);
    const f = latestFlow(id);
    ctx.fillStyle = flowColour(f, max);
    ctx.beginPath();
    ctx.arc(x, y, cp.kind === 'entry' ? 6 : 4.5, 0, 2 * Math.PI);
    ctx.fill();
    if (recent.has(id)) {
      ctx.strokeStyle = '#ff3b5c';
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(x, y, 11, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (id === state.selected) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  $('map-note').textContent = max > 0 ? `flow per minute, up to ${max}` : 'waiting for the first minute';
}

function legend() {
  // Built with the DOM, not HTML: the page's content security policy allows no inline style attributes.
  const item = (tag, style, text) => {
    const span = document.createElement('span');
    const mark = document.createElement(tag);
    Object.assign(mark.style, style);
    span.append(mark, text);
    return span;
  };
  const congestion = state.streams.has('segment_congestion_5m') ? 'congestion index:' : state.streams.has('segment_speed_1m') ? 'speed vs limit:' : null;
  const parts = [
    item('i', { background: flowColour(0.05, 1) }, 'light flow'),
    item('i', { background: flowColour(1, 1) }, 'heavy flow'),
    item('i', { background: 'none', border: '3px solid #ff3b5c' }, 'alert (15 min)'),
  ];
  if (congestion !== null) {
    const label = document.createElement('span');
    label.textContent = congestion;
    parts.push(label, ...BAND_COLOURS.map((c, i) => item('b', { background: c }, BAND_NAMES[i])));
  }
  $('map-legend').replaceChildren(...parts);
}

// ----------------------------------------------------------------------------------------------- charts
const charts = {};
function makeChart(id, label, colour) {
  const el = $(id);
  const opts = {
    width: el.clientWidth,
    height: el.clientHeight,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), ianaZone(state.zone)),
    legend: { show: false },
    cursor: { show: true, points: { show: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil(max * 1.15))] } },
    axes: [
      { stroke: '#8b9bb0', grid: { stroke: '#1c2734' }, ticks: { stroke: '#1c2734' }, font: '14px system-ui' },
      { stroke: '#8b9bb0', grid: { stroke: '#1c2734' }, ticks: { stroke: '#1c2734' }, font: '14px system-ui', size: 50 },
    ],
    series: [{}, { label, stroke: colour, width: 2.5, fill: `${colour}22`, points: { show: false } }],
  };
  charts[id] = new uPlot(opts, [[], []], el);
}

// A window that ends after the recording's last record is a partial minute the end of the input flushed: left out.
const complete = ([t]) => state.replayTime === null || t <= state.replayTime + 1;
function cityFlowSeries() {
  if (state.streams.has('city_flow_1m')) return [...state.cityFlow].filter(complete).sort((a, b) => a[0] - b[0]);
  const sum = new Map();
  for (const m of state.flow.values()) for (const [t, f] of m) sum.set(t, (sum.get(t) ?? 0) + f);
  return [...sum].filter(complete).sort((a, b) => a[0] - b[0]);
}
function drawCharts() {
  const city = cityFlowSeries();
  charts['chart-city'].setData([city.map(([t]) => t / 1000), city.map(([, f]) => f)]);
  const m = state.flow.get(state.selected) ?? new Map();
  const cp = [...m].filter(complete).sort((a, b) => a[0] - b[0]);
  charts['chart-cp'].setData([cp.map(([t]) => t / 1000), cp.map(([, f]) => f)]);
}

function selectCheckpoint(id) {
  state.selected = id;
  $('cp-select').value = id;
  state.dirty.charts = state.dirty.map = true;
}

// ----------------------------------------------------------------------------------------------- congestion, extras
function drawCongestion() {
  const list = $('congestion');
  const rows = [...state.congestion].sort((a, b) => b[1].value - a[1].value).slice(0, 10);
  list.replaceChildren(
    ...rows.map(([seg, c]) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = segmentName(seg);
      const track = document.createElement('span');
      track.className = 'track';
      const fill = document.createElement('span');
      fill.className = 'fill';
      fill.style.display = 'block';
      fill.style.width = `${Math.max(4, Math.min(100, c.value * (state.streams.has('segment_congestion_5m') ? 10 : 100)))}%`;
      fill.style.background = BAND_COLOURS[c.band];
      track.append(fill);
      const val = document.createElement('span');
      val.className = 'val';
      val.textContent = c.label.split(' · ')[0];
      li.append(name, track, val);
      return li;
    }),
  );
}

const extra = { panels: [], current: null };
function setupExtras() {
  const panels = EXTRA_PANELS.filter((p) => state.streams.has(p.stream));
  const restriction = state.info.rules.find((r) => /restrict|tail/i.test(r.id));
  if (restriction !== undefined) panels.push({ alerts: restriction.id, title: 'Restriction violators' });
  if (state.info.days) panels.push({ days: true, title: 'Final days' });
  extra.panels = panels;
  if (panels.length === 0) return;
  document.body.classList.add('has-extra');
  const tabs = $('extra-tabs');
  for (const p of panels) {
    const b = document.createElement('button');
    b.textContent = p.title;
    b.addEventListener('click', () => {
      extra.current = p;
      for (const other of tabs.children) other.classList.toggle('on', other === b);
      state.dirty.extra = true;
    });
    tabs.append(b);
  }
  tabs.firstElementChild.click();
}
function drawExtra() {
  const p = extra.current;
  if (p === null) return;
  let rows;
  if (p.alerts !== undefined) rows = state.alerts.filter((a) => a.rule === p.alerts).slice(-12).reverse().map((a) => [plateOf(a) ?? a.key, placeOf(a), cityTime(a.event_time)]);
  else if (p.days) {
    // Days the next-morning re-run made final: what it changed from the live results.
    rows = state.finalDays.slice(0, 12).map((d) => [d.day, 'final', `${d.alerts} alerts`, `+${d.added} −${d.withdrawn}`, `flow fixed at ${d.flowCorrected}`]);
  } else {
    const records = state.extras.get(p.stream) ?? [];
    const lastWindow = records.reduce((m, r) => Math.max(m, r.window_end ?? 0), 0);
    const latest = records.filter((r) => (r.window_end ?? 0) === lastWindow);
    if (p.expand === undefined) rows = latest.slice(-12).map(p.rows);
    else {
      rows = latest.flatMap(p.expand);
      if (p.order !== undefined) rows.sort(p.order);
      rows = rows.slice(0, 10);
    }
  }
  if (rows.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = p.alerts !== undefined ? 'no violator yet' : p.days ? 'no day re-run yet (vigil rerun)' : `no ${p.stream} window has closed yet`;
    $('extra-body').replaceChildren(empty);
    return;
  }
  const table = document.createElement('table');
  const body = document.createElement('tbody');
  for (const row of rows) {
    const tr = document.createElement('tr');
    for (const cell of row) {
      const td = document.createElement('td');
      td.textContent = cell === undefined || cell === null ? '' : String(cell);
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  $('extra-body').replaceChildren(table);
}

// ----------------------------------------------------------------------------------------------- lookup
async function lookup(plate) {
  const text = plate.trim();
  if (text === '') return;
  $('lookup-plate').value = text;
  const body = $('lookup-table').tBodies[0];
  // The day of the data shown (the watermark's, in the city's zone): a service keeps trajectories per day.
  const day = state.watermark === null || state.watermark === undefined ? '' : `?day=${dayFormat.format(new Date(state.watermark))}`;
  const res = await fetch(`/api/vehicles/${encodeURIComponent(text)}${state.info.vehicleLookup ? day : ''}`);
  if (!res.ok) {
    body.replaceChildren();
    $('lookup-summary').textContent = res.status === 404 ? `${text}: not seen` : `lookup failed (${res.status})`;
    return;
  }
  const answer = await res.json();
  const alerts = state.alerts.filter((a) => plateOf(a) === answer.plate);
  const first = answer.sightings[0];
  const last = answer.sightings.at(-1);
  $('lookup-summary').textContent = `${answer.plate}: ${answer.sightings.length} sighting${answer.sightings.length === 1 ? '' : 's'}, ${cityTime(first.ts)}–${cityTime(last.ts)}${alerts.length > 0 ? ` · ${alerts.length} alert${alerts.length === 1 ? '' : 's'}: ${[...new Set(alerts.map((a) => a.rule))].join(', ')}` : ''}`;
  body.replaceChildren(
    ...answer.sightings.map((s) => {
      const tr = document.createElement('tr');
      tr.className = 'sighting';
      for (const cell of [cityTime(s.ts), s.name ?? s.checkpoint, s.gapS === null ? '' : `${s.gapS} s`, s.speed ?? '']) {
        const td = document.createElement('td');
        td.textContent = String(cell);
        tr.append(td);
      }
      tr.addEventListener('click', () => selectCheckpoint(s.checkpoint));
      return tr;
    }),
  );
}

// ----------------------------------------------------------------------------------------------- status
async function pollStatus() {
  const s = await getJson('/api/status');
  if (s === null) {
    $('st-health').textContent = 'unreachable';
    $('st-health').dataset.health = 'bad';
    return;
  }
  state.watermark = s.watermark;
  state.replayTime = s.replay?.time ?? Date.now();
  $('st-clock').textContent = cityTime(state.replayTime);
  $('st-watermark').textContent = cityTime(s.watermark);
  $('st-lag').textContent = s.watermarkLagMs === null ? '–' : `${Math.round(s.watermarkLagMs / 1000)} s`;
  $('st-records').textContent = s.records.toLocaleString('en');
  $('st-alerts').textContent = s.alerts.toLocaleString('en');
  const done = s.replay !== null && s.replay.released >= s.replay.total && s.state === 'stopped';
  const health = s.state === 'failed' ? 'bad' : s.ready ? 'ok' : 'warn';
  $('st-health').dataset.health = health;
  $('st-health').textContent = done ? 'replayed' : s.ready ? s.state : s.state;
  $('st-health').title = s.deadLetters > 0 ? `${s.deadLetters} dead letters, ${s.late} late` : '';
}

async function getJson(url) {
  try {
    const res = await fetch(url);
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

// ----------------------------------------------------------------------------------------------- start
async function main() {
  const info = await getJson('/api/dashboard');
  if (info === null) {
    $('alerts-note').textContent = 'cannot read /api/dashboard';
    return;
  }
  state.info = info;
  state.zone = info.timeZone;
  state.streams = new Set(info.streams);
  try {
    timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: ianaZone(info.timeZone), hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: ianaZone(info.timeZone), year: 'numeric', month: '2-digit', day: '2-digit' });
  } catch {
    timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
  }
  for (const cp of info.checkpoints) {
    state.cps.set(cp.id, cp);
    let list = state.segments.get(cp.segment);
    if (list === undefined) state.segments.set(cp.segment, (list = []));
    list.push(cp);
  }
  const select = $('cp-select');
  for (const cp of info.checkpoints) {
    const o = document.createElement('option');
    o.value = cp.id;
    o.textContent = `${cp.id} ${cp.name}`;
    select.append(o);
  }
  select.addEventListener('change', () => selectCheckpoint(select.value));
  state.selected = info.checkpoints.find((c) => c.kind === 'inner')?.id ?? info.checkpoints[0]?.id ?? null;
  if (state.selected !== null) select.value = state.selected;
  if (!state.streams.has('segment_congestion_5m')) $('cong-title').textContent = state.streams.has('segment_speed_1m') ? 'Slowest segments · speed vs limit' : 'Congestion by segment (no stream)';
  if (!info.vehicleLookup) $('lookup-summary').textContent = 'this service has no vehicle lookup';
  $('lookup-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void lookup($('lookup-plate').value);
  });
  setupExtras();
  legend();
  layoutMap();
  makeChart('chart-city', 'city', '#4cc2ff');
  makeChart('chart-cp', 'checkpoint', '#ffcb6b');
  window.addEventListener('resize', () => {
    layoutMap();
    for (const id of Object.keys(charts)) charts[id].setSize({ width: $(id).clientWidth, height: $(id).clientHeight });
  });
  // One redraw loop: data only marks what changed, so a burst of records costs one frame.
  setInterval(() => {
    if (state.dirty.charts) drawCharts();
    if (state.dirty.map) drawMap();
    if (state.dirty.congestion) drawCongestion();
    if (state.dirty.extra) drawExtra();
    state.dirty = { charts: false, map: false, congestion: false, extra: false };
  }, 500);
  setInterval(pollStatus, 1000);
  void pollStatus();
  if (info.days) {
    const pollDays = async () => {
      const d = await getJson('/api/days');
      if (d !== null) {
        state.finalDays = d.days;
        state.dirty.extra = true;
      }
    };
    setInterval(pollDays, 30_000);
    void pollDays();
  }
  startStreams();
  await startAlerts();
  document.body.dataset.ready = 'true';
}

void main();
