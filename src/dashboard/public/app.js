// The sandbox dashboard's script: polls /api/state, follows /api/events (the live trace) and
// asks /api/explain for the rule explorer. Plain DOM, no framework, no build step; every value from
// the server goes in through textContent, never as HTML.

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function time(iso) {
  return new Date(iso).toLocaleTimeString();
}

function bytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function replace(container, nodes, emptyText, emptyTag = 'li') {
  container.replaceChildren(...(nodes.length ? nodes : [el(emptyTag, emptyText, 'empty')]));
}

function renderHealth(health) {
  replace(
    $('health-list'),
    health.map((h) => {
      const item = el('li', `${h.component}: ${h.detail}`, h.ok ? 'ok' : 'bad');
      item.dataset.component = h.component;
      if (h.url) item.title = h.url;
      return item;
    }),
    'no components',
  );
}

function depth(queue) {
  if (queue.error) return `unavailable (${queue.error})`;
  return `${queue.visible} waiting, ${queue.inFlight} in flight`;
}

function renderMessages(messages) {
  const rows = messages.map((m) => {
    const row = el('tr');
    row.append(el('td', time(m.at)), el('td', m.flagKeys.join(', ') || '(none)'));
    const rules = m.rules.length
      ? m.rules
          .map(
            (r) =>
              `${r.pipeline} (${r.transferType}): ${r.sent} sent${r.failed ? `, ${r.failed} failed` : ''}`,
          )
          .join('; ')
      : m.reason === 'no-match'
        ? 'no rule matches'
        : '–';
    row.append(el('td', rules));
    const outcome = m.outcome === 'deleted' ? `done (${m.reason})` : `${m.outcome} (${m.reason})`;
    row.append(el('td', outcome, m.outcome === 'deleted' ? 'ok' : 'bad'));
    return row;
  });
  replace($('message-rows'), rows, 'no message yet', 'tr');
}

function renderRecipients(recipients) {
  const blocks = recipients.map((r) => {
    const block = el('div', undefined, 'recipient');
    block.dataset.recipient = r.recipient;
    block.append(
      el('h3', `${r.recipient} — ${r.deliveries} file${r.deliveries === 1 ? '' : 's'}, ${bytes(r.bytes)}`),
    );
    const list = el('ul', undefined, 'keys');
    for (const d of r.recent) {
      list.append(
        el('li', `${time(d.at)}  ${d.pipeline} by ${d.transferType} → ${d.destination}  (${bytes(d.bytes)})`),
      );
    }
    block.append(list);
    return block;
  });
  replace($('recipient-list'), blocks, 'nothing delivered yet', 'p');
}

function renderStubHdfs(listing) {
  if (!listing) return replace($('stub-hdfs-list'), [], 'no stub NiFi');
  if (listing.error) return replace($('stub-hdfs-list'), [], `s3://${listing.bucket}: ${listing.error}`);
  const count = `${listing.objects.length}${listing.truncated ? '+' : ''}`;
  const noun = listing.objects.length === 1 && !listing.truncated ? 'object' : 'objects';
  $('stub-hdfs-title').textContent = `stub-hdfs: s3://${listing.bucket} (${count} ${noun})`;
  replace(
    $('stub-hdfs-list'),
    listing.objects.map((o) => el('li', `${o.key}  (${bytes(o.bytes)})`)),
    'empty',
  );
}

function renderSftErrors(folders) {
  const items = [];
  for (const folder of folders) {
    if (!folder.files.length) continue;
    for (const file of folder.files) {
      items.push(
        el(
          'li',
          `${folder.folder}/${file.name} (${bytes(file.bytes)})${file.reason ? ` — ${file.reason}` : ''}`,
          'bad',
        ),
      );
    }
  }
  const watched = folders.length;
  replace($('sft-error-list'), items, `all ${watched} error folders empty`);
}

// The rules panel: every rule of the live table, valid or not, with its last match.
function describeMatch(match) {
  if (!match) return 'never (since the dashboard started)';
  const outcome = match.succeeded
    ? `${match.sent} sent`
    : `${match.sent} sent, ${match.failed} failed${match.failure ? `: ${match.failure}` : ''}`;
  return `${time(match.at)} — ${outcome}`;
}

const STATUS_TEXT = { valid: 'valid', invalid: 'INVALID', demonstration: 'demonstration' };

function renderRules(body) {
  const { counts, rules } = body;
  const parts = [`${rules.length} rules in table ${body.table}: ${counts.valid} valid`];
  if (counts.invalid) parts.push(`${counts.invalid} invalid (they take no action)`);
  if (counts.demonstration) parts.push(`${counts.demonstration} invalid on purpose (a demonstration)`);
  $('rules-summary').textContent = parts.join(', ');
  const problemsOnly = $('rules-problems-only').checked;
  const rows = rules
    .filter((rule) => !problemsOnly || rule.status !== 'valid' || rule.warnings.length)
    .map((rule) => {
      const row = el('tr', undefined, `rule-${rule.status}`);
      row.dataset.status = rule.status;
      row.dataset.pipeline = rule.pipeline;
      row.append(
        el(
          'td',
          STATUS_TEXT[rule.status],
          rule.status === 'invalid' ? 'bad' : rule.status === 'valid' ? 'ok' : 'demo',
        ),
        el('td', `${rule.pipeline} (${rule.type || '?'})${rule.recipient ? ` → ${rule.recipient}` : ''}`),
        el('td', `${rule.source} → ${rule.destination}`),
        el('td', describeMatch(rule.lastMatch), 'last-match'),
      );
      const says = el('td', undefined, 'says');
      if (rule.demonstration) says.append(el('div', `demonstration: ${rule.demonstration}`, 'demo-note'));
      for (const problem of rule.problems)
        says.append(el('div', `${problem.field}: ${problem.message}`, 'problem'));
      for (const warning of rule.warnings)
        says.append(el('div', `${warning.field}: ${warning.message}`, 'warning'));
      if (!says.childNodes.length) says.textContent = '–';
      row.append(says);
      return row;
    });
  replace($('rule-rows'), rows, problemsOnly ? 'no rule with a problem' : 'no rule yet', 'tr');
}

async function refreshRules() {
  const response = await fetch('/api/rules');
  const body = await response.json();
  if (!response.ok) {
    $('rules-summary').textContent = `rules unavailable: ${body.error}`;
    return;
  }
  renderRules(body);
}

// The dead-letter panel: each message, why it is there, and a redrive button.
async function redrive(request) {
  $('redrive-result').textContent = 'redriving…';
  const response = await fetch('/api/dead-letters/redrive', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = await response.json();
  $('redrive-result').textContent = response.ok
    ? `moved ${body.moved.length} message${body.moved.length === 1 ? '' : 's'} back to ${body.moved[0]?.to.split('/').pop() ?? 'the source queue'}`
    : `not redriven: ${body.error ?? `${body.missing} is no longer in the dead-letter queue`}`;
  refreshDeadLetters();
  refreshSoon();
}

function renderDeadLetters(body) {
  const rows = body.messages.map((message) => {
    const row = el('tr');
    row.dataset.messageId = message.messageId;
    const button = el('button', 'Redrive', 'redrive');
    button.type = 'button';
    button.addEventListener('click', () => {
      button.disabled = true;
      redrive({ messageId: message.messageId }).catch((error) => {
        $('redrive-result').textContent = `not redriven: ${error.message}`;
      });
    });
    const cell = el('td');
    cell.append(button);
    row.append(
      el('td', message.sourceMessageId, 'mono'),
      el('td', message.sentAt ? time(message.sentAt) : '–'),
      el('td', message.receiveCount === undefined ? '–' : String(message.receiveCount)),
      el('td', message.reason, message.reasonSource === 'unknown' ? 'muted reason' : 'reason'),
      el(
        'td',
        message.summary.length > 160 ? `${message.summary.slice(0, 160)}…` : message.summary,
        'mono body',
      ),
      cell,
    );
    return row;
  });
  replace($('dead-letter-rows'), rows, 'no dead letter', 'tr');
  $('redrive-all').disabled = body.messages.length === 0;
}

async function refreshDeadLetters() {
  const response = await fetch('/api/dead-letters');
  const body = await response.json();
  if (!response.ok) {
    replace($('dead-letter-rows'), [], `dead-letter queue unavailable: ${body.error}`, 'tr');
    return;
  }
  renderDeadLetters(body);
}

function refreshPanels() {
  refreshRules().catch((error) => {
    $('rules-summary').textContent = `rules unavailable: ${error.message}`;
  });
  refreshDeadLetters().catch((error) => {
    replace($('dead-letter-rows'), [], `dead-letter queue unavailable: ${error.message}`, 'tr');
  });
}

async function refresh() {
  try {
    const response = await fetch('/api/state');
    const state = await response.json();
    renderHealth(state.health);
    $('queue-depth').textContent = depth(state.queues.queue);
    $('dlq-depth').textContent = depth(state.queues.deadLetter);
    renderMessages(state.messages);
    renderRecipients(state.recipients);
    renderStubHdfs(state.stubHdfs);
    renderSftErrors(state.sftErrors);
    $('rule-count').textContent = `${state.rules.count} routing rules in table ${state.rules.table}`;
    // The table changed (rules put, edited or deleted): draw the map again.
    if (mapVersion !== undefined && state.rules.version !== mapVersion) loadMapSafely();
    refreshPanels();
    $('updated').textContent = `updated ${time(state.generatedAt)}`;
  } catch (error) {
    $('updated').textContent = `cannot reach the sandbox (${error.message})`;
  }
}

let pending;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 250);
}

function follow() {
  const events = new EventSource('/api/events');
  events.addEventListener('trace', (message) => {
    const entry = JSON.parse(message.data);
    const item = el('li', undefined, entry.failure ? 'failure' : '');
    item.append(el('span', time(entry.at), 'muted'), ' ', el('span', entry.stage, 'stage'), ' ', entry.text);
    const list = $('trace-list');
    list.prepend(item);
    while (list.children.length > 300) list.lastChild.remove();
    refreshSoon();
  });
}

async function explain(event) {
  event.preventDefault();
  const form = new FormData($('explain-form'));
  const query = new URLSearchParams();
  for (const [name, value] of form) if (String(value).trim()) query.set(name, String(value).trim());
  const output = $('explain-output');
  output.textContent = 'explaining…';
  const response = await fetch(`/api/explain?${query}`);
  const body = await response.json();
  output.textContent = response.ok ? body.text : `error: ${body.error}`;
  output.dataset.matches = response.ok ? String(body.explanation.matches.length) : '';
}

// The routing map: an SVG drawn by the sandbox (no script in it; parsed as SVG, never as HTML).
// Clicking a rule fills the rule explorer with the rule's example flag and runs it.
let mapVersion;

function fillSelect(select, values) {
  const chosen = select.value;
  select.replaceChildren(el('option', 'all'));
  select.firstChild.value = '';
  for (const value of values) {
    const option = el('option', value || '(none)');
    option.value = value;
    select.append(option);
  }
  select.value = values.includes(chosen) ? chosen : '';
}

function openRule(node) {
  $('explain-key').value = node.dataset.key ?? '';
  $('explain-bucket').value = node.dataset.bucket ?? '';
  $('explain-date').value = '';
  $('explorer').scrollIntoView({ behavior: 'smooth', block: 'start' });
  $('explain-form').requestSubmit();
}

async function loadMap() {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData($('map-filters')))
    if (String(value)) query.set(name, String(value));
  const response = await fetch(`/api/map?${query}`);
  const body = await response.json();
  if (!response.ok) {
    replace($('map-view'), [], `routing map unavailable: ${body.error}`, 'p');
    return;
  }
  mapVersion = body.version;
  fillSelect($('map-recipient'), body.choices.recipients);
  fillSelect($('map-type'), body.choices.transferTypes);
  fillSelect($('map-bucket'), body.choices.sourceBuckets);
  $('map-count').textContent = `${body.shown} of ${body.total} rules, examples for ${body.date}`;
  const svg = new DOMParser().parseFromString(body.svg, 'image/svg+xml').documentElement;
  if (svg.nodeName !== 'svg') {
    replace($('map-view'), [], 'the routing map could not be drawn', 'p');
    return;
  }
  $('map-view').replaceChildren(document.importNode(svg, true));
  for (const node of $('map-view').querySelectorAll('.map-rule')) {
    node.addEventListener('click', () => openRule(node));
    node.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        openRule(node);
      }
    });
  }
}

// One load at a time; a change while one runs (a filter, a table edit) loads again after it.
let mapLoading = false;
let mapAgain = false;
function loadMapSafely() {
  if (mapLoading) {
    mapAgain = true;
    return;
  }
  mapLoading = true;
  loadMap()
    .catch((error) => replace($('map-view'), [], `routing map unavailable: ${error.message}`, 'p'))
    .finally(() => {
      mapLoading = false;
      if (mapAgain) {
        mapAgain = false;
        loadMapSafely();
      }
    });
}

$('map-filters').addEventListener('change', (event) => {
  if (event.target === $('map-fit')) $('map-view').classList.toggle('fit', $('map-fit').checked);
  else loadMapSafely();
});

$('rules-problems-only').addEventListener('change', () => refreshPanels());
$('redrive-all').addEventListener('click', () => {
  $('redrive-all').disabled = true;
  redrive({ all: true }).catch((error) => {
    $('redrive-result').textContent = `not redriven: ${error.message}`;
  });
});

$('explain-form').addEventListener('submit', (event) => {
  explain(event).catch((error) => {
    $('explain-output').textContent = `error: ${error.message}`;
  });
});
refresh();
loadMapSafely();
follow();
setInterval(refresh, 2000);
