// Renders /api/openapi.json as a readable reference. No framework and no innerHTML: every piece of
// text from the spec goes through textContent, so the page stays safe under a strict CSP.
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
const MAX_DEPTH = 8;
let spec = {};

function el(tag, cls, ...children) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

function slug(text) {
  return String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

// Follows a local JSON pointer ("#/components/schemas/User"); returns [target, name-of-ref].
function resolve(obj) {
  let name = null;
  for (let hops = 0; obj && typeof obj.$ref === 'string' && hops < 20; hops++) {
    const ref = obj.$ref;
    if (!ref.startsWith('#/')) return [{ description: 'External reference ' + ref }, ref];
    name = ref.split('/').pop();
    let target = spec;
    for (const part of ref.slice(2).split('/')) {
      target = target ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    obj = target || { description: 'Unresolved reference ' + ref };
  }
  return [obj || {}, name];
}

function typeLabel(schema, depth = 0) {
  if (!schema || depth > MAX_DEPTH) return 'any';
  const [s, name] = resolve(schema);
  if (name) return name;
  const alts = s.oneOf || s.anyOf;
  if (alts) return alts.map((a) => typeLabel(a, depth + 1)).join(' | ');
  if (s.allOf) return s.allOf.map((a) => typeLabel(a, depth + 1)).join(' & ');
  let types = Array.isArray(s.type) ? s.type.slice() : s.type ? [s.type] : [];
  if (!types.length && (s.enum || s.const !== undefined)) {
    types = [...new Set([...(s.enum || []), s.const].filter((v) => v !== undefined).map((v) => (v === null ? 'null' : typeof v)))];
  }
  if (!types.length) types = s.properties ? ['object'] : s.items ? ['array'] : ['any'];
  let label = types.map((t) => (t === 'array' ? 'array of ' + typeLabel(s.items, depth + 1) : t)).join(' | ');
  if (s.format) label += ' (' + s.format + ')';
  if (s.nullable) label += ' | null';
  return label;
}

// Merges allOf parts so an extended object shows all of its fields in one list.
function flatten(schema, depth = 0) {
  const [s] = resolve(schema);
  if (!s.allOf || depth > MAX_DEPTH) return s;
  const out = { ...s, properties: { ...(s.properties || {}) }, required: [...(s.required || [])] };
  delete out.allOf;
  for (const part of s.allOf) {
    const p = flatten(part, depth + 1);
    Object.assign(out.properties, p.properties || {});
    out.required.push(...(p.required || []));
    if (!out.type && p.type) out.type = p.type;
    if (!out.description && p.description) out.description = p.description;
  }
  return out;
}

function constraints(s) {
  const parts = [];
  const add = (key, text) => s[key] !== undefined && parts.push(text + JSON.stringify(s[key]));
  if (s.enum) parts.push('one of ' + s.enum.map((v) => JSON.stringify(v)).join(', '));
  add('const', 'always ');
  add('default', 'default ');
  add('minLength', 'min length ');
  add('maxLength', 'max length ');
  add('minimum', '≥ ');
  add('maximum', '≤ ');
  add('minItems', 'min items ');
  add('maxItems', 'max items ');
  add('pattern', 'pattern ');
  add('example', 'e.g. ');
  if (s.readOnly) parts.push('read-only');
  if (s.deprecated) parts.push('deprecated');
  return parts.join(' · ');
}

// The nested field list of an object (or of the items of an array), or null for a scalar.
function fields(schema, depth, seen) {
  if (!schema || depth > MAX_DEPTH) return null;
  const [, name] = resolve(schema);
  if (name && seen.has(name)) return el('p', 'note', '(' + name + ', shown above)');
  const nextSeen = name ? new Set([...seen, name]) : seen;
  const s = flatten(schema);
  if (s.items && !s.properties) return fields(s.items, depth + 1, nextSeen);
  const alts = s.oneOf || s.anyOf;
  if (alts) {
    const list = el('ul', 'alts');
    for (const alt of alts) {
      list.append(el('li', null, el('span', 'type', typeLabel(alt)), fields(alt, depth + 1, nextSeen)));
    }
    return list;
  }
  const props = s.properties || {};
  const names = Object.keys(props);
  const extra = s.additionalProperties;
  if (!names.length && !(extra && typeof extra === 'object')) return null;
  const required = new Set(s.required || []);
  const list = el('ul', 'fields');
  for (const field of names) {
    const [p] = resolve(props[field]);
    const info = constraints(p);
    list.append(el('li', null,
      el('code', 'field', field),
      el('span', 'type', typeLabel(props[field])),
      required.has(field) ? el('span', 'req', 'required') : null,
      p.description ? el('span', 'desc', p.description) : null,
      info ? el('span', 'info', info) : null,
      fields(props[field], depth + 1, nextSeen)));
  }
  if (extra && typeof extra === 'object') {
    list.append(el('li', null, el('code', 'field', '{any key}'), el('span', 'type', typeLabel(extra)),
      fields(extra, depth + 1, nextSeen)));
  }
  return list;
}

// brief: a named ($ref) schema shows only its name (used for error answers, all one envelope).
function schemaBlock(schema, brief) {
  const [s, name] = resolve(schema);
  const info = constraints(s);
  return el('div', 'schema',
    el('span', 'type', typeLabel(schema)),
    s.description ? el('span', 'desc', s.description) : null,
    info ? el('span', 'info', info) : null,
    brief && name ? null : fields(schema, 0, new Set()));
}

function contentBlock(content, brief) {
  const out = [];
  for (const [mime, media] of Object.entries(content || {})) {
    out.push(el('div', 'media', el('span', 'mime', mime), media.schema ? schemaBlock(media.schema, brief) : null));
  }
  return out;
}

function securityOf(op) {
  const reqs = op.security || spec.security || [];
  const named = reqs.filter((r) => Object.keys(r).length > 0);
  if (!named.length) return null;
  const schemes = [...new Set(named.flatMap((r) => Object.keys(r)))].join(', ');
  return reqs.length > named.length ? 'optional auth: ' + schemes : 'auth: ' + schemes;
}

function parametersBlock(params) {
  if (!params.length) return null;
  const table = el('table', 'params',
    el('thead', null, el('tr', null, el('th', null, 'Name'), el('th', null, 'In'), el('th', null, 'Type'),
      el('th', null, 'Description'))));
  const body = el('tbody');
  for (const raw of params) {
    const [p] = resolve(raw);
    const [s] = resolve(p.schema || {});
    const info = constraints(s);
    body.append(el('tr', null,
      el('td', null, el('code', 'field', p.name || '?'), p.required ? el('span', 'req', 'required') : null),
      el('td', null, p.in || ''),
      el('td', null, el('span', 'type', p.schema ? typeLabel(p.schema) : 'string')),
      el('td', null, p.description || '', info ? el('span', 'info', info) : null)));
  }
  table.append(body);
  return el('section', null, el('h4', null, 'Parameters'), table);
}

function operationBlock(path, method, op, pathParams) {
  const id = 'op-' + method + '-' + slug(path);
  const auth = securityOf(op);
  const summary = el('summary', null,
    el('span', 'method m-' + method, method.toUpperCase()),
    el('code', 'path', path),
    el('span', 'summary', op.summary || op.operationId || ''),
    auth ? el('span', 'lock', auth.startsWith('optional') ? 'token optional' : 'token') : null);
  const details = el('details', 'op', summary);
  details.id = id;
  details.dataset.search = (method + ' ' + path + ' ' + (op.summary || '') + ' ' + (op.description || '')).toLowerCase();
  if (op.deprecated) details.classList.add('deprecated');
  const body = el('div', 'op-body');
  if (op.description) body.append(el('p', 'desc', op.description));
  if (auth) body.append(el('p', 'note', 'Needs Authorization: Bearer <token> (' + auth + ').'));

  const merged = new Map();
  for (const p of [...pathParams, ...(op.parameters || [])]) {
    const [r] = resolve(p);
    merged.set((r.in || '') + ':' + (r.name || ''), p);
  }
  const params = parametersBlock([...merged.values()]);
  if (params) body.append(params);

  if (op.requestBody) {
    const [rb] = resolve(op.requestBody);
    body.append(el('section', null,
      el('h4', null, 'Request body', rb.required ? el('span', 'req', 'required') : null),
      rb.description ? el('p', 'desc', rb.description) : null,
      ...contentBlock(rb.content)));
  }

  const responses = el('section', null, el('h4', null, 'Responses'));
  for (const [code, raw] of Object.entries(op.responses || {})) {
    const [r] = resolve(raw);
    const headers = Object.keys(r.headers || {});
    responses.append(el('div', 'response',
      el('span', 'rcode c' + String(code).charAt(0), code),
      el('span', 'desc', r.description || ''),
      headers.length ? el('span', 'info', 'headers: ' + headers.join(', ')) : null,
      ...contentBlock(r.content, /^[45d]/i.test(code))));
  }
  body.append(responses);
  details.append(body);
  return details;
}

function authNote() {
  const schemes = (spec.components && spec.components.securitySchemes) || {};
  const box = el('section', 'auth', el('h2', null, 'Authentication and errors'),
    el('p', null, 'Endpoints marked "token" need the header Authorization: Bearer <token>. ' +
      'POST /api/users/signup and POST /api/users/login return a token; POST /api/users/logout ends its session. ' +
      'WebSockets take the token as ?token=<token>.'));
  const names = Object.keys(schemes);
  if (names.length) {
    const list = el('ul', 'schemes');
    for (const name of names) {
      const [s] = resolve(schemes[name]);
      const kind = [s.type, s.scheme, s.bearerFormat, s.in && s.name ? s.name + ' in ' + s.in : null]
        .filter(Boolean).join(' · ');
      list.append(el('li', null, el('code', 'field', name), el('span', 'type', kind),
        s.description ? el('span', 'desc', s.description) : null));
    }
    box.append(list);
  }
  box.append(el('p', null, 'Every error answer (4xx, 5xx) has one shape, Error below: error.code is a stable ' +
    'snake_case name, and validation problems are listed in error.details.fields.'));
  if (spec.components && spec.components.schemas && spec.components.schemas.Error) {
    box.append(fields({ $ref: '#/components/schemas/Error' }, 0, new Set()));
  }
  return box;
}

function render() {
  const info = spec.info || {};
  document.title = (info.title || 'API') + ' reference';
  document.getElementById('api-title').textContent = info.title || 'API reference';
  document.getElementById('api-version').textContent = info.version ? 'v' + info.version : '';
  const content = document.getElementById('content');
  const nav = document.getElementById('tag-list');
  content.replaceChildren();
  if (info.description) content.append(el('p', 'intro', info.description));
  content.append(authNote());

  // Group by first tag, in the order the spec lists its tags, then in order of appearance.
  const groups = new Map();
  for (const t of spec.tags || []) groups.set(t.name, { tag: t, ops: [] });
  for (const [path, item] of Object.entries(spec.paths || {})) {
    const [pathItem] = resolve(item);
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!groups.has(tag)) groups.set(tag, { tag: { name: tag }, ops: [] });
      groups.get(tag).ops.push(operationBlock(path, method, op, pathItem.parameters || []));
    }
  }
  let count = 0;
  for (const { tag, ops } of groups.values()) {
    if (!ops.length) continue;
    count += ops.length;
    const id = 'tag-' + slug(tag.name);
    const section = el('section', 'group', el('h2', null, tag.name, el('span', 'count', ops.length)));
    section.id = id;
    if (tag.description) section.append(el('p', 'desc', tag.description));
    section.append(...ops);
    content.append(section);
    const link = el('a', null, tag.name);
    link.href = '#' + id;
    nav.append(el('li', null, link));
  }
  if (!count) content.append(el('p', 'status', 'The description lists no endpoints yet.'));

  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) {
    if (target.tagName === 'DETAILS') target.open = true;
    target.scrollIntoView();
  }
}

function applyFilter(text) {
  const q = text.trim().toLowerCase();
  for (const section of document.querySelectorAll('section.group')) {
    let shown = 0;
    for (const op of section.querySelectorAll('details.op')) {
      const match = !q || op.dataset.search.includes(q);
      op.hidden = !match;
      if (match) shown++;
    }
    section.hidden = shown === 0;
  }
}

async function main() {
  const status = document.getElementById('status');
  try {
    const res = await fetch('/api/openapi.json', { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error('GET /api/openapi.json answered ' + res.status);
    spec = await res.json();
    render();
  } catch (err) {
    status.textContent = 'Could not load the API description: ' + err.message;
    status.classList.add('error');
    return;
  }
  document.getElementById('filter').addEventListener('input', (e) => applyFilter(e.target.value));
  window.addEventListener('hashchange', () => {
    const target = document.getElementById(location.hash.slice(1));
    if (target && target.tagName === 'DETAILS') target.open = true;
  });
}

main();
