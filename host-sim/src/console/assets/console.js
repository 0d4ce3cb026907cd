// host-sim console: renders what the loaded plugin says (manifest, input schema, presets,
// validation, Test request results). Nothing about the API is written here: a new plugin release
// changes the page by itself. Every value is set as text (textContent / text nodes), never as
// HTML, and the Content-Security-Policy forbids inline script and style besides.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children; strings become text nodes, never markup. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name.startsWith('data-')) node.setAttribute(name, String(value));
      else if (name in node && typeof node[name] !== 'function') node[name] = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(typeof child === 'object' ? child : String(child));
    }
    return node;
  }

  const state = {
    catalog: null,
    schema: null,
    input: {},
    raw: false,
    // JSON pointer → where that field's errors go.
    errorSlots: new Map(),
  };

  // A console listening beyond loopback gives its key in the URL's fragment, which no request
  // carries; every API call sends it back.
  const consoleKey = new URLSearchParams(location.hash.slice(1)).get('key');

  async function api(path, body) {
    const headers = consoleKey ? { 'X-Console-Key': consoleKey } : {};
    const init = body === undefined
      ? { headers }
      : { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const response = await fetch(path, init);
    let data;
    try {
      data = await response.json();
    } catch (_) {
      data = { error: { code: 'invalid_answer', message: `HTTP ${response.status}, not JSON` } };
    }
    if (!response.ok) {
      const message = (data && data.error && data.error.message) || `HTTP ${response.status}`;
      const error = new Error(message);
      error.code = data && data.error && data.error.code;
      throw error;
    }
    return data;
  }

  // ---- JSON Schema helpers ------------------------------------------------------------------

  function lookup(ref) {
    if (!ref.startsWith('#')) return {};
    return ref.slice(1).split('/').filter(Boolean)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), state.schema) || {};
  }

  function resolve(schema) {
    let s = schema || {};
    for (let depth = 0; s.$ref && depth < 32; depth += 1) s = lookup(s.$ref);
    return s;
  }

  const typesOf = (s) => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);
  const mainType = (s) => typesOf(s).find((t) => t !== 'null') || (s.properties ? 'object' : s.enum ? 'enum' : 'string');
  const isObject = (s) => mainType(s) === 'object' && s.properties;

  /** Whether an `if` of the simple kinds (required + const/enum per property) holds for value. */
  function holds(condition, value) {
    if (!condition || typeof value !== 'object' || value === null) return false;
    for (const key of condition.required || []) if (!(key in value)) return false;
    for (const [key, rule] of Object.entries(condition.properties || {})) {
      if (!(key in value)) continue;
      if ('const' in rule && value[key] !== rule.const) return false;
      if (Array.isArray(rule.enum) && !rule.enum.includes(value[key])) return false;
    }
    return true;
  }

  /** Required fields and fields that must be left out, with the schema's conditions applied. */
  function rulesFor(s, value) {
    const required = new Set(s.required || []);
    const absent = new Set();
    for (const part of s.allOf || []) {
      const then = holds(part.if, value) ? part.then : part.if ? part.else : part;
      if (!then) continue;
      for (const key of then.required || []) required.add(key);
      for (const [key, rule] of Object.entries(then.properties || {})) if (rule && rule.const === null) absent.add(key);
    }
    return { required, absent };
  }

  /** Every field of the schema, nested ones included, in schema order. */
  function fields(schema, prefix, pointer) {
    const s = resolve(schema);
    const required = new Set(s.required || []);
    const out = [];
    for (const [name, sub] of Object.entries(s.properties || {})) {
      const r = resolve(sub);
      const path = prefix ? `${prefix}.${name}` : name;
      const ptr = `${pointer}/${name}`;
      out.push({ path, pointer: ptr, schema: r, required: required.has(name) });
      if (r.properties) out.push(...fields(r, path, ptr));
      else if (r.items && resolve(r.items).properties) out.push(...fields(r.items, `${path}[]`, `${ptr}/0`));
    }
    return out;
  }

  function typeText(s) {
    const types = typesOf(s);
    let text = types.length ? types.join(' or ') : s.enum ? 'enum' : 'any';
    if (s.format) text += ` (${s.format})`;
    return text;
  }

  function limitsText(s) {
    const limits = [];
    const add = (key, label) => { if (key in s) limits.push(`${label} ${typeof s[key] === 'object' ? JSON.stringify(s[key]) : s[key]}`); };
    add('minLength', 'min length');
    add('maxLength', 'max length');
    add('minimum', 'minimum');
    add('exclusiveMinimum', 'greater than');
    add('maximum', 'maximum');
    add('exclusiveMaximum', 'less than');
    add('minItems', 'min items');
    add('maxItems', 'max items');
    if (s.uniqueItems) limits.push('unique items');
    add('pattern', 'pattern');
    if (s.writeOnly) limits.push('write-only (a credential)');
    return limits;
  }

  // ---- 1. Catalog --------------------------------------------------------------------------

  function renderHeader() {
    const { plugin, target } = state.catalog;
    $('plugin').textContent = `· ${plugin.name} ${plugin.version}`;
    $('target').textContent = `Test requests go to ${target.description}.`;
    const variables = (state.catalog.credential_variables || []).map((v) => `$${v}`);
    $('credential-variables').textContent = variables.length
      ? `Credentials are read from ${variables.join(' and ')}; the body is the input below.`
      : 'The body is the input below.';
    if (target.billed) {
      $('billed-warning').textContent = `${target.billed_notice} The page asks you to confirm each Test request.`;
      $('billed-warning').hidden = false;
    }
  }

  function renderTasks() {
    const words = $('search').value.toLowerCase().split(/\s+/).filter(Boolean);
    const list = $('tasks');
    list.replaceChildren();
    state.catalog.tasks.forEach((task, index) => {
      const haystack = [task.title, task.method, task.path, task.description, task.id].join(' ').toLowerCase();
      if (!words.every((w) => haystack.includes(w))) return;
      const open = el('button', { type: 'button', class: 'task-open', 'data-task': index },
        el('span', { class: 'task-title' }, task.title),
        el('span', { class: 'endpoint' }, `${task.method} ${task.path}`));
      open.addEventListener('click', () => openTask(index));
      list.append(el('li', { class: 'task' }, open, el('p', {}, task.description)));
    });
    if (!list.children.length) list.append(el('li', { class: 'empty' }, 'No task matches.'));
  }

  // ---- 2. Reference and prepared request ----------------------------------------------------

  function openTask(index) {
    const task = state.catalog.tasks[index];
    $('task-title').textContent = task.title;
    $('task-endpoint').textContent = `${task.method} ${task.path}`;
    $('task-description').textContent = task.description;
    const docs = $('task-docs');
    // Only a web address becomes a link: never javascript: or data: from a manifest.
    // A task without one shows no link: never the previous task's.
    if (typeof task.documentation_url === 'string' && /^https:\/\//.test(task.documentation_url)) {
      docs.href = task.documentation_url;
      docs.textContent = 'API reference on the provider\'s site';
      docs.hidden = false;
    } else {
      docs.removeAttribute('href');
      docs.textContent = '';
      docs.hidden = true;
    }
    renderReference();
    renderOptions();
    $('task').hidden = false;
    $('test').hidden = false;
    state.input = structuredClone(state.catalog.example_input || {});
    renderForm();
    refreshPreset();
    $('task').scrollIntoView();
  }

  function renderReference() {
    const body = $('reference').tBodies[0];
    body.replaceChildren();
    for (const field of fields(state.schema, '', '')) {
      const s = field.schema;
      const allowed = Array.isArray(s.enum) ? s.enum : 'const' in s ? [s.const] : [];
      body.append(el('tr', { class: 'field-ref', 'data-path': field.path },
        el('td', {}, el('code', {}, field.path)),
        el('td', {}, typeText(s)),
        el('td', {}, field.required ? 'Yes' : 'No'),
        el('td', {}, s.title ? el('strong', {}, s.title) : null, s.title ? ' ' : null, s.description || ''),
        el('td', {}, allowed.length ? el('ul', { class: 'values' }, allowed.map((v) => el('li', {}, el('code', {}, JSON.stringify(v))))) : ''),
        el('td', {}, limitsText(s).join('; '))));
    }
    const rules = (state.schema.allOf || []).map((part) => part.then && part.then.description).filter(Boolean);
    if (rules.length) {
      body.append(el('tr', { class: 'rules' }, el('td', { colSpan: 6 }, 'Rules across fields: ', rules.join(' '))));
    }
  }

  function renderOptions() {
    const options = state.catalog.preset_options || {};
    const fill = (select, values) => {
      select.replaceChildren(...(values || []).map((v) => el('option', { value: v }, v)));
      select.disabled = !values || values.length < 2;
      select.onchange = refreshPreset;
    };
    fill($('preset-environment'), options.environment);
    fill($('preset-dialect'), options.dialect);
  }

  let presetTimer = null;
  function schedulePreset() {
    clearTimeout(presetTimer);
    presetTimer = setTimeout(refreshPreset, 300);
  }

  async function refreshPreset() {
    const request = {};
    if ($('preset-environment').value) request.environment = $('preset-environment').value;
    if ($('preset-dialect').value) request.dialect = $('preset-dialect').value;
    const input = currentInput(false);
    if (input) request.input = input;
    try {
      const answer = await api('/api/preset', request);
      $('preset').textContent = JSON.stringify(answer.preset, null, 2);
      $('preset').dataset.options = `${request.environment || ''}/${request.dialect || ''}`;
      $('prepared-curl').textContent = answer.curl || '(the preset has no HTTP request to copy)';
    } catch (e) {
      $('preset').textContent = `The plugin refused these options: ${e.message}`;
    }
  }

  async function copy(text, button) {
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch (_) {
      button.textContent = 'Select the text to copy';
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  }

  // ---- 3. Test request: the form -------------------------------------------------------------

  function defaults(s) {
    const value = {};
    for (const key of s.required || []) {
      const r = resolve((s.properties || {})[key]);
      if (mainType(r) === 'boolean') value[key] = false;
    }
    return value;
  }

  function renderForm() {
    state.errorSlots = new Map();
    const form = $('form');
    form.replaceChildren();
    renderObject(form, resolve(state.schema), '', state.input);
    schedulePreset();
  }

  function slot(pointer) {
    const box = el('ul', { class: 'field-error errors' });
    state.errorSlots.set(pointer, box);
    return box;
  }

  function renderObject(container, s, pointer, value) {
    const { required, absent } = rulesFor(s, value);
    for (const key of absent) delete value[key];
    for (const [name, sub] of Object.entries(s.properties || {})) {
      const r = resolve(sub);
      const ptr = `${pointer}/${name}`;
      // Credentials belong in host-sim's settings, never in a page.
      if (absent.has(name) || r.writeOnly) continue;
      const label = r.title || name;
      const isRequired = required.has(name);
      if (isObject(r)) {
        if (isRequired && (value[name] === undefined || value[name] === null)) value[name] = defaults(r);
        const included = value[name] !== undefined && value[name] !== null;
        const set = el('fieldset', { class: 'group', 'data-pointer': ptr },
          el('legend', {}, label, ' ', el('code', {}, name)));
        if (!isRequired) {
          const toggle = el('input', { type: 'checkbox', checked: included, 'data-include': ptr });
          toggle.addEventListener('change', () => {
            if (toggle.checked) value[name] = defaults(r); else delete value[name];
            renderForm();
          });
          set.append(el('label', { class: 'include' }, toggle, ` Include ${name}`));
        }
        set.append(slot(ptr));
        if (included) renderObject(set, r, ptr, value[name]);
        container.append(set);
      } else {
        container.append(renderField(r, name, ptr, label, isRequired, value));
      }
    }
  }

  function renderField(s, name, pointer, label, isRequired, value) {
    const id = `field${pointer.replace(/[^A-Za-z0-9]/g, '-')}`;
    const type = mainType(s);
    let input;
    const set = (v) => {
      if (v === undefined) delete value[name]; else value[name] = v;
      schedulePreset();
    };
    if (Array.isArray(s.enum)) {
      input = el('select', { id });
      if (!isRequired || !(name in value)) input.append(el('option', { value: '' }, '(left out)'));
      for (const option of s.enum) {
        if (option === null) continue;
        input.append(el('option', { value: JSON.stringify(option), selected: value[name] === option }, String(option)));
      }
      input.addEventListener('change', () => {
        set(input.value === '' ? undefined : JSON.parse(input.value));
        renderForm();
      });
    } else if (type === 'boolean' && isRequired) {
      input = el('input', { id, type: 'checkbox', checked: value[name] === true });
      input.addEventListener('change', () => set(input.checked));
    } else if (type === 'boolean') {
      input = el('select', { id },
        el('option', { value: '' }, '(left out)'),
        el('option', { value: 'true', selected: value[name] === true }, 'true'),
        el('option', { value: 'false', selected: value[name] === false }, 'false'));
      input.addEventListener('change', () => set(input.value === '' ? undefined : input.value === 'true'));
    } else if (type === 'number' || type === 'integer') {
      input = el('input', { id, type: 'number', value: name in value ? String(value[name]) : '' });
      input.addEventListener('input', () => set(input.value === '' ? undefined : Number(input.value)));
    } else {
      const current = value[name];
      input = el('input', { id, type: 'text', autocomplete: 'off', spellcheck: false,
        value: typeof current === 'string' ? current : current === undefined || current === null ? '' : JSON.stringify(current) });
      input.addEventListener('input', () => set(input.value === '' && !isRequired ? undefined : input.value));
    }
    input.setAttribute('data-field', pointer);
    return el('div', { class: 'field', 'data-pointer': pointer },
      el('label', { htmlFor: id }, label, isRequired ? el('span', { class: 'required', title: 'required' }, ' *') : null,
        ' ', el('code', {}, name)),
      input,
      s.description ? el('p', { class: 'hint' }, s.description) : null,
      slot(pointer));
  }

  /** The input to send: the form's, or the raw JSON's (null, and an error shown, if it is not JSON). */
  function currentInput(report) {
    if (!state.raw) return state.input;
    try {
      const value = JSON.parse($('raw-input').value);
      $('raw-error').textContent = '';
      return value;
    } catch (e) {
      if (report) $('raw-error').textContent = `Not JSON: ${e.message}`;
      return null;
    }
  }

  function toggleRaw() {
    if ($('raw-toggle').checked) {
      $('raw-input').value = JSON.stringify(state.input, null, 2);
      state.raw = true;
    } else {
      const value = currentInput(true);
      if (value === null) { $('raw-toggle').checked = true; return; }
      state.raw = false;
      state.input = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
      renderForm();
    }
    $('raw').hidden = !state.raw;
    $('form').hidden = state.raw;
  }

  // ---- 3. Test request: validation and the result -------------------------------------------

  function clearMessages() {
    for (const box of state.errorSlots.values()) box.replaceChildren();
    for (const node of document.querySelectorAll('.invalid')) node.classList.remove('invalid');
    $('general-errors').replaceChildren();
    $('warnings').replaceChildren();
  }

  /** Each error next to the field its JSON pointer names (or the nearest enclosing section). */
  function showReport(report) {
    clearMessages();
    for (const error of (report && report.errors) || []) {
      let pointer = error.path || '';
      while (pointer && !state.errorSlots.has(pointer)) pointer = pointer.slice(0, pointer.lastIndexOf('/'));
      const box = state.errorSlots.get(pointer);
      const item = el('li', { class: 'error' }, error.message, error.rule ? el('span', { class: 'rule' }, ` (${error.rule})`) : null);
      if (box && !state.raw) {
        box.append(item);
        box.parentElement.classList.add('invalid');
      } else {
        $('general-errors').append(el('li', { class: 'error' }, el('code', {}, error.path || '/'), ' ', error.message));
      }
    }
    for (const warning of (report && report.warnings) || []) {
      $('warnings').append(el('li', { class: 'warning-item' }, el('code', {}, warning.path || '/'), ' ', warning.message));
    }
  }

  function showFailure(message) {
    clearMessages();
    $('general-errors').append(el('li', { class: 'error' }, message));
  }

  async function validate() {
    const input = currentInput(true);
    if (input === null) return;
    try {
      const report = await api('/api/validate', { input });
      showReport(report);
      $('form').dataset.validated = report.valid ? 'valid' : 'invalid';
    } catch (e) {
      showFailure(e.message);
    }
  }

  function startTestRequest() {
    if (state.catalog.target.billed) {
      $('confirm-text').textContent = `${state.catalog.target.billed_notice} Send it?`;
      $('confirm').hidden = false;
      $('confirm-yes').focus();
      return;
    }
    testRequest(false);
  }

  async function testRequest(confirmed) {
    $('confirm').hidden = true;
    stopSession();
    const input = currentInput(true);
    if (input === null) return;
    const result = $('result');
    result.hidden = true;
    result.removeAttribute('data-outcome');
    $('run').disabled = true;
    $('busy').hidden = false;
    try {
      const panel = await api('/api/test-request', confirmed ? { input, confirm_billed: true } : { input });
      showReport(panel.validation);
      renderResult(panel);
    } catch (e) {
      showFailure(e.message);
    } finally {
      $('run').disabled = false;
      $('busy').hidden = true;
    }
  }

  function renderResult(panel) {
    const rows = [
      ['Result', panel.classification],
      ['HTTP status', panel.http_status],
      ['Latency', `${panel.latency_ms} ms`],
      ['request_id', panel.request_id],
      ['Sent to', panel.sent_to],
      ['Reason', panel.reason],
      ['Reconciled', panel.reconciled ? 'the outcome was unknown; the provider\'s list showed the attempt this call created' : null],
    ];
    $('result-summary').replaceChildren(...rows
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .flatMap(([name, value]) => [el('dt', {}, name), el('dd', { 'data-item': name }, String(value))]));
    const request = panel.request && typeof panel.request === 'object'
      ? `${panel.request.method} ${panel.request.url}\n${Object.entries(panel.request.headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${JSON.stringify(panel.request.body, null, 2)}`
      : '(nothing was sent)';
    $('result-request').textContent = request;
    $('sent-curl').textContent = panel.curl || '(nothing was sent)';
    $('copy-sent-curl').disabled = !panel.curl;
    $('result-response').textContent = panel.response === null || panel.response === undefined
      ? '(no response body)' : JSON.stringify(panel.response, null, 2);
    $('result-logs').replaceChildren(...(panel.logs || []).map((line) => el('li', {}, line)));
    if (panel.session) startSession(panel.session, panel.follow || {}); else stopSession();
    const result = $('result');
    result.className = `outcome-${panel.outcome}`;
    result.dataset.requestId = panel.request_id || '';
    result.dataset.outcome = panel.outcome;
    result.hidden = false;
    result.scrollIntoView();
  }

  // ---- 3. Test request: the session it opened ---------------------------------------------------

  // The console follows the session (the get task at the preset's interval, sooner on a verified
  // webhook); the page asks the console what it knows, which never reaches the provider.
  const SESSION_POLL_MS = 1000;
  const session = { id: null, version: 0, timer: null };

  function stopSession() {
    clearTimeout(session.timer);
    session.id = null;
    session.version = 0;
    $('session').hidden = true;
  }

  function startSession(tracked, follow) {
    stopSession();
    session.id = tracked.session.id;
    const how = [];
    if (follow.interval_seconds) how.push(`a get every ${follow.interval_seconds} s`);
    if (follow.webhooks) how.push('at once when a verified webhook says it changed');
    $('session-follow').textContent = how.length
      ? `The console reads the session ${how.join(', and ')}; this view updates by itself.`
      : '';
    renderSession(tracked);
    if (tracked.following) session.timer = setTimeout(pollSession, SESSION_POLL_MS);
  }

  function renderSession(tracked) {
    const s = tracked.session;
    session.version = tracked.version;
    $('session-id').textContent = s.id;
    $('session-status').textContent = s.status;
    $('session-step').textContent = s.current_step || '—';
    $('session-verdict').textContent = s.final
      ? s.status
      : tracked.following ? 'waiting for the person to complete the session…' : 'not followed';
    $('session-steps').replaceChildren(...Object.entries(s.steps || {}).map(([step, status]) =>
      el('li', { 'data-step': step, 'data-step-status': String(status) }, `${step}: ${status}`)));
    const link = $('session-link');
    // Only a web address becomes a link: never javascript: or data: from an answer.
    if (typeof s.shareable_url === 'string' && /^https?:\/\//.test(s.shareable_url)) {
      link.href = s.shareable_url;
      link.hidden = false;
    } else {
      link.removeAttribute('href');
      link.hidden = true;
    }
    $('session-note').textContent = tracked.note || '';
    if (s.final) $('session-follow').textContent = 'The verdict: it never changes again, and the console stopped reading the session.';
    const box = $('session');
    box.dataset.status = s.status;
    box.dataset.final = String(Boolean(s.final));
    box.dataset.updatedBy = tracked.updated_by;
    box.dataset.version = String(tracked.version);
    box.hidden = false;
  }

  async function pollSession() {
    const id = session.id;
    if (!id) return;
    let again = SESSION_POLL_MS;
    try {
      const tracked = await api(`/api/sessions/${encodeURIComponent(id)}`);
      if (session.id !== id) return;
      if (tracked.version !== session.version) renderSession(tracked);
      if (!tracked.following) return;
    } catch (e) {
      if (session.id !== id) return;
      $('session-note').textContent = `The console did not answer about the session: ${e.message}`;
      if (e.code === 'unknown_session') return;
      again = SESSION_POLL_MS * 5;
    }
    session.timer = setTimeout(pollSession, again);
  }

  // ---- Start --------------------------------------------------------------------------------

  async function start() {
    try {
      [state.catalog, state.schema] = await Promise.all([api('/api/catalog'), api('/api/input-schema')]);
    } catch (e) {
      $('target').textContent = `The console could not load the plugin's description: ${e.message}`;
      return;
    }
    renderHeader();
    renderTasks();
    $('search').addEventListener('input', renderTasks);
    $('raw-toggle').addEventListener('change', toggleRaw);
    $('raw-input').addEventListener('input', () => { currentInput(true); schedulePreset(); });
    $('validate').addEventListener('click', validate);
    $('run').addEventListener('click', startTestRequest);
    $('confirm-yes').addEventListener('click', () => testRequest(true));
    $('confirm-no').addEventListener('click', () => { $('confirm').hidden = true; });
    $('copy-preset').addEventListener('click', (e) => copy($('preset').textContent, e.target));
    $('copy-prepared-curl').addEventListener('click', (e) => copy($('prepared-curl').textContent, e.target));
    $('copy-sent-curl').addEventListener('click', (e) => copy($('sent-curl').textContent, e.target));
    document.body.dataset.ready = 'true';
  }

  start();
})();
