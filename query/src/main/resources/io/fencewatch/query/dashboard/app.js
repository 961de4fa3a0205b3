// Fencewatch dashboard: plain JavaScript, no build step, no external resources.
// Data: GET /api/v1/clusters, /api/v1/clusters/{c}/namespaces?status=NON_COMPLIANT,
// /api/v1/clusters/{c}/namespaces/{ns}, /api/v1/drift; live: EventSource /api/v1/drift/stream.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    clusters: [],
    nonCompliant: new Map(), // "cluster/ns" -> {cluster, namespace, since, reason, workloadStatus}
    feed: [],                // newest first
    lastEventId: null,
  };

  const REASONS = {
    NAMESPACE_CREATED_WITHOUT_POLICY: 'Namespace created without a NetworkPolicy',
    NAMESPACE_CREATED_WITH_POLICY: 'Namespace created with a NetworkPolicy',
    NAMESPACE_CREATED_EXEMPT: 'Namespace created, exempt',
    POLICY_ADDED: 'NetworkPolicy added',
    POLICY_CHANGED: 'NetworkPolicy changed',
    POLICY_DELETED: 'NetworkPolicy deleted',
    LAST_POLICY_DELETED: 'Last NetworkPolicy deleted',
    GRACE_PERIOD_EXPIRED: 'Grace period for a new namespace expired',
    EXEMPTED: 'Namespace exempted',
    EXEMPTION_REMOVED: 'Exemption removed',
    EXEMPTION_EXPIRED: 'Exemption expired',
    NAMESPACE_TERMINATING: 'Namespace terminating',
    NAMESPACE_DELETED: 'Namespace deleted',
    REMOVED_BY_RESYNC: 'Gone after a full resync',
    CLUSTER_STALE: 'Collector silent: data is stale',
    CLUSTER_RECOVERED: 'Collector back',
    CLUSTER_UNREACHABLE: 'Collector cannot reach the API server: data is stale',
    CLUSTER_REMOVED: 'Cluster removed from its provider',
    POLICY_ENGINE_ADDED: 'NetworkPolicy engine found: policies are enforced',
    POLICY_ENGINE_REMOVED: 'No NetworkPolicy engine any more: policies have no effect',
    ENFORCEMENT_UNKNOWN: 'Whether policies are enforced is unknown',
    CLUSTER_POLICY_ADDED: 'Cluster-wide policy added',
    CLUSTER_POLICY_CHANGED: 'Cluster-wide policy changed',
    CLUSTER_POLICY_REMOVED: 'Cluster-wide policy removed',
    NAMESPACE_RELABELED: 'Namespace relabelled: other cluster-wide policies select it',
    WORKLOAD_UNISOLATED: 'A workload is not fenced (FW-NP-003)',
    WORKLOAD_ISOLATED: 'Every workload fenced again (FW-NP-003)',
  };
  const KUBERNETES_GROUP = 'Kubernetes contexts';
  const CLUSTER_STATE_TEXT = { SYNCING: 'syncing', STALE: 'stale data', UNREACHABLE: 'unreachable' };
  const STATUS_TEXT = {
    COMPLIANT: 'Compliant', NON_COMPLIANT: 'Non-compliant', PENDING: 'Pending', EXEMPT: 'Exempt',
    TERMINATING: 'Terminating', UNKNOWN: 'Unknown', NEW: 'New', GONE: 'Deleted',
  };
  const GRADE_TEXT = {
    NONE: ['None', 'No policy of this direction: all traffic allowed.'],
    PARTIAL: ['Partial', 'Some pods are selected by a policy; others are open.'],
    ALL_PODS: ['All pods', 'Every pod is selected by a policy with some allow rules.'],
    DEFAULT_DENY: ['Default deny', 'Every pod is selected and nothing is allowed unless another policy allows it.'],
    UNKNOWN: ['Unknown', ''],
  };

  // --- tiny DOM helper: text only, never HTML from data
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'width') el.style.width = v; // CSSOM, allowed by the CSP (style attributes are not)
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const chip = (status, text) => h('span', { class: 'chip ' + status }, text || STATUS_TEXT[status] || status);

  // --- time
  function ago(iso) {
    if (!iso) return 'never';
    const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (s < 5) return 'just now';
    if (s < 60) return s + 's ago';
    const m = Math.round(s / 60);
    if (m < 60) return m + ' min ago';
    const hrs = Math.round(m / 60);
    if (hrs < 48) return hrs + ' h ago';
    return Math.round(hrs / 24) + ' days ago';
  }
  const timeEl = (iso) => h('time', { datetime: iso || '', title: iso ? new Date(iso).toLocaleString() : '', 'data-ago': iso || '' }, ago(iso));
  setInterval(() => document.querySelectorAll('time[data-ago]').forEach((t) => { t.textContent = ago(t.dataset.ago); }), 15000);

  // --- HTTP
  let retryTimer = null;
  async function api(path) {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (res.status === 401) { showToken(); throw new Error('unauthorized'); }
    if (res.status === 503) {
      const after = parseInt(res.headers.get('Retry-After') || '2', 10);
      banner('Fencewatch is rebalancing its state; the view will refresh in ' + after + ' s.');
      clearTimeout(retryTimer);
      retryTimer = setTimeout(refresh, after * 1000);
      throw new Error('unavailable');
    }
    if (res.status === 404) return null;
    if (!res.ok) throw new Error('HTTP ' + res.status);
    return res.json();
  }
  const enc = encodeURIComponent;
  function banner(text) { const b = $('banner'); b.textContent = text; b.hidden = !text; }

  // --- token (a cookie, since EventSource cannot send headers)
  function showToken() { $('token-form').hidden = false; }
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = 'fencewatch_token=' + enc($('token-input').value.trim()) + '; Path=/; SameSite=Strict' + secure;
    $('token-form').hidden = true;
    refresh();
    connect();
  });

  // --- clusters
  function renderClusters() {
    const root = $('clusters');
    root.replaceChildren();
    const sel = $('lookup-cluster');
    const chosen = sel.value;
    sel.replaceChildren(...state.clusters.map((c) => h('option', { value: c.cluster }, c.cluster)));
    if (chosen) sel.value = chosen;
    if (state.clusters.length === 0) {
      root.append(h('div', { class: 'empty' }, h('strong', {}, 'No cluster reported yet.'),
        h('span', {}, 'Clusters appear here once a collector has sent its first inventory.')));
      return;
    }
    // OKE clusters under their compartment path (region on the card), the others under one group.
    const groups = new Map();
    for (const c of state.clusters) {
      const group = c.provider === 'oke' ? (c.compartment || '/') : KUBERNETES_GROUP;
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(c);
    }
    const names = [...groups.keys()].sort((a, b) =>
      (a === KUBERNETES_GROUP) - (b === KUBERNETES_GROUP) || a.localeCompare(b));
    for (const name of names) {
      root.append(h('section', { class: 'cluster-group', 'data-group': name },
        h('h3', { class: 'group-title' }, name === KUBERNETES_GROUP ? name : 'Compartment ' + name,
          h('span', { class: 'muted' }, ' · ' + groups.get(name).length)),
        h('div', { class: 'clusters' }, groups.get(name).map(clusterCard))));
    }
  }

  // FW-NP-002: whether the cluster's NetworkPolicies take effect at all.
  function enforcementLine(enf) {
    if (enf.state === 'NOT_ENFORCED') {
      return h('div', { class: 'cluster-enforcement not-enforced', role: 'status' },
        h('b', {}, 'Policies are not enforced'), ': ', enf.reason || '');
    }
    if (enf.state === 'ENFORCED') {
      const engines = (enf.engines || []).map((e) => e.name + (e.version ? ' ' + e.version : '')).join(', ');
      return h('div', { class: 'cluster-enforcement enforced', title: enf.reason || '' }, 'Policies enforced by ', h('b', {}, engines));
    }
    return h('div', { class: 'cluster-enforcement unknown muted' }, 'enforcement unknown: ' + (enf.reason || ''));
  }

  function clusterCard(c) {
    const judged = c.compliant + c.nonCompliant + c.pending;
    const enf = c.enforcement || { state: 'UNKNOWN', engines: [], reason: '' };
    // The headline: namespaces fenced (a policy, and an engine enforcing it); while enforcement is
    // unknown, those with a policy, said so.
    const known = enf.state === 'ENFORCED' || enf.state === 'NOT_ENFORCED';
    const shown = known ? (c.fenced || 0) : c.compliant;
    const pct = judged === 0 ? (enf.state === 'NOT_ENFORCED' ? 0 : 100) : Math.floor((100 * shown) / judged);
    const total = Math.max(1, c.namespaces);
    const seg = (cls, n, label) => n > 0 ? h('span', { class: cls, width: (100 * n / total) + '%', title: n + ' ' + label }) : null;
    const st = c.state || 'WATCHING';
    const stateChip = CLUSTER_STATE_TEXT[st] ? chip(st.toLowerCase(), CLUSTER_STATE_TEXT[st])
      : (c.stale > 0 ? chip('stale', 'stale data') : null);
    const label = (known ? 'fenced' : 'with policy') + (st === 'UNREACHABLE' || st === 'STALE' ? ', last known' : '');
    return h('div', { class: 'cluster state-' + st.toLowerCase(), 'data-cluster': c.cluster, 'data-state': st, 'data-enforcement': enf.state },
      h('div', { class: 'cluster-top' },
        h('div', {}, h('div', { class: 'cluster-name' }, c.cluster), stateChip,
          c.region ? h('span', { class: 'region', title: c.ocid || '' }, c.region) : null,
          c.kubernetesVersion ? h('span', { class: 'muted version' }, ' ' + c.kubernetesVersion) : null),
        h('div', { class: 'pct' + (enf.state === 'NOT_ENFORCED' ? ' not-enforced' : '') }, pct + '%', h('small', {}, label))),
      st === 'UNREACHABLE' ? h('div', { class: 'cluster-error', role: 'status' },
        h('b', {}, 'Collector cannot reach the API server'), ' since ', timeEl(c.unreachableSince), ': ',
        h('span', { class: 'error-text' }, c.error || '')) : null,
      enforcementLine(enf),
      h('div', { class: 'bar', role: 'img', 'aria-label': c.compliant + ' compliant, ' + c.pending + ' pending, ' + c.nonCompliant + ' non-compliant, ' + c.exempt + ' exempt' },
        seg('b-compliant', c.compliant, 'compliant'), seg('b-pending', c.pending, 'pending'),
        seg('b-noncompliant', c.nonCompliant, 'non-compliant'), seg('b-exempt', c.exempt, 'exempt'),
        seg('b-terminating', c.terminating || 0, 'terminating')),
      h('div', { class: 'cluster-meta' },
        h('span', {}, h('b', {}, c.namespaces), ' namespaces · ',
          h('b', { class: c.nonCompliant > 0 ? 'bad' : '' }, c.nonCompliant), ' non-compliant · ',
          h('b', {}, c.pending), ' pending · ', h('b', {}, c.exempt), ' exempt',
          c.workloads ? h('span', { class: 'cluster-workloads', title: 'FW-NP-003: namespaces with workloads no NetworkPolicy selects' },
            ' · ', h('b', { class: c.workloads.nonCompliant > 0 ? 'bad' : '' }, c.workloads.nonCompliant),
            ' with unfenced workloads') : null),
        h('span', { title: c.lastChange ? 'last change ' + c.lastChange : 'no change recorded' }, 'last seen ', timeEl(c.lastSeen))));
  }

  // --- non-compliant namespaces
  // FW-NP-003 of a row: its chip, or a muted dash while pods are not known.
  function workloadBadge(ws) {
    return ws ? chip(ws) : h('span', { class: 'muted', title: 'pods not watched: run the collector with --watch-pods' }, '–');
  }
  const row = (c) => ({ cluster: c.cluster, namespace: c.namespace, since: c.since, reason: c.reason, workloadStatus: c.workloadStatus || null });

  function renderNonCompliant(freshKey) {
    const rows = [...state.nonCompliant.values()].sort((a, b) => (b.since || '').localeCompare(a.since || ''));
    const body = $('nc-body');
    body.replaceChildren(...rows.map((r) => h('tr', {
      class: (r.cluster + '/' + r.namespace) === freshKey ? 'fresh' : '',
      'data-key': r.cluster + '/' + r.namespace,
      onclick: () => openNamespace(r.cluster, r.namespace),
    },
    h('td', { class: 'ns-name' }, r.namespace),
    h('td', { class: 'muted' }, r.cluster),
    h('td', {}, timeEl(r.since)),
    h('td', {}, r.reason || ''),
    h('td', { class: 'fw003' }, workloadBadge(r.workloadStatus)))));
    $('nc-empty').hidden = rows.length > 0 || state.clusters.length === 0;
    $('nc-count').textContent = rows.length > 0 ? String(rows.length) : '';
  }

  // --- drift feed
  function feedItem(d, fresh) {
    const before = d.before ? d.before.status : 'NEW';
    const after = d.after ? d.after.status : 'GONE';
    return h('li', { class: fresh ? 'fresh' : '', 'data-id': d.id, onclick: () => openNamespace(d.cluster, d.namespace) },
      h('span', { class: 'what' }, d.namespace, h('span', { class: 'muted' }, ' · ' + d.cluster)),
      h('span', { class: 'when' }, timeEl(d.detectedAt)),
      h('span', { class: 'change' }, chip(before), '→', chip(after), REASONS[d.reason] || d.reason));
  }
  function renderFeed() {
    $('feed').replaceChildren(...state.feed.map((d) => feedItem(d, false)));
    $('feed-empty').hidden = state.feed.length > 0;
  }

  function onDrift(d) {
    if (state.feed.some((x) => x.id === d.id)) return;
    state.feed.unshift(d);
    if (state.feed.length > 200) state.feed.pop();
    $('feed').prepend(feedItem(d, true));
    while ($('feed').children.length > 200) $('feed').lastChild.remove();
    $('feed-empty').hidden = true;

    const key = d.cluster + '/' + d.namespace;
    if (d.after && d.after.status === 'NON_COMPLIANT') {
      state.nonCompliant.set(key, { cluster: d.cluster, namespace: d.namespace, since: d.detectedAt, reason: REASONS[d.reason] || d.reason,
        workloadStatus: d.after.workloadStatus || null });
      renderNonCompliant(key);
      // Enrich with the stored verdict (its own reason and since).
      api('/api/v1/clusters/' + enc(d.cluster) + '/namespaces/' + enc(d.namespace)).then((c) => {
        if (c && c.status === 'NON_COMPLIANT' && state.nonCompliant.has(key)) {
          state.nonCompliant.set(key, row(c));
          renderNonCompliant();
        }
      }).catch(() => {});
    } else if (state.nonCompliant.delete(key)) {
      renderNonCompliant();
    }
    scheduleClusters();
  }

  let clustersTimer = null;
  function scheduleClusters() {
    clearTimeout(clustersTimer);
    clustersTimer = setTimeout(() => api('/api/v1/clusters').then((cs) => { state.clusters = cs || []; renderClusters(); }).catch(() => {}), 250);
  }

  // --- live connection
  let source = null;
  function connect() {
    if (source) source.close();
    source = new EventSource('/api/v1/drift/stream' + (state.lastEventId ? '?lastEventId=' + enc(state.lastEventId) : ''));
    const live = $('live');
    source.onopen = () => { live.dataset.state = 'live'; $('live-text').textContent = 'Live'; };
    source.onerror = () => { live.dataset.state = 'down'; $('live-text').textContent = 'Reconnecting…'; };
    source.onmessage = (ev) => {
      state.lastEventId = ev.lastEventId || state.lastEventId;
      try { onDrift(JSON.parse(ev.data)); } catch (e) { /* a malformed event is skipped */ }
    };
  }

  // --- full refresh
  async function refresh() {
    try {
      const clusters = await api('/api/v1/clusters');
      state.clusters = clusters || [];
      const lists = await Promise.all(state.clusters.map((c) => api('/api/v1/clusters/' + enc(c.cluster) + '/namespaces?status=NON_COMPLIANT')));
      state.nonCompliant.clear();
      lists.forEach((list) => (list || []).forEach((c) => state.nonCompliant.set(c.cluster + '/' + c.namespace, row(c))));
      banner('');
      renderClusters();
      renderNonCompliant();
      if (state.feed.length === 0) {
        state.feed = (await api('/api/v1/drift?limit=50')) || [];
        if (state.feed.length > 0 && !state.lastEventId) state.lastEventId = state.feed[0].id;
        renderFeed();
      }
    } catch (e) {
      if (e.message !== 'unavailable' && e.message !== 'unauthorized') banner('Cannot reach Fencewatch (' + e.message + '); retrying.');
    }
  }

  // --- namespace view
  // A YAML scalar: plain for a name YAML reads as a string, else double-quoted (JSON escapes are
  // valid YAML), so a forged name cannot add lines to the copied policy.
  function yamlScalar(v) {
    const s = String(v);
    if (/^[a-z][-a-z0-9]*$/.test(s) && !['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null'].includes(s)) return s;
    return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  }

  function defaultDenyYaml(ns) {
    return [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: fencewatch-default-deny',
      '  namespace: ' + yamlScalar(ns),
      '  labels:',
      '    app.kubernetes.io/managed-by: fencewatch',
      'spec:',
      '  podSelector: {}          # every pod in the namespace',
      '  policyTypes:',
      '    - Ingress              # no ingress rules: deny all ingress',
      '    - Egress',
      '  egress:                  # deny all egress except DNS to kube-system',
      '    - to:',
      '        - namespaceSelector:',
      '            matchLabels:',
      '              kubernetes.io/metadata.name: kube-system',
      '      ports:',
      '        - protocol: UDP',
      '          port: 53',
      '        - protocol: TCP',
      '          port: 53',
      '',
    ].join('\n');
  }

  // FW-NP-003: pods fenced per direction (hostNetwork pods apart), the status and the unfenced workloads.
  function workloadsSection(c) {
    const title = h('h3', {}, 'Workloads (FW-NP-003)');
    if (!c.pods) {
      return h('section', { class: 'workloads', 'data-pods': 'unknown' }, title,
        h('p', { class: 'muted pods-unknown' }, 'pods not watched: run the collector with --watch-pods'));
    }
    const p = c.pods;
    const judged = Math.max(0, p.total - p.hostNetwork);
    const podBar = (dir, isolated) => {
      const open = Math.max(0, judged - isolated);
      return h('div', { class: 'pod-bar', 'data-direction': dir.toLowerCase() },
        h('div', { class: 'pod-bar-text' }, h('span', { class: 'dir' }, dir), ' ', h('b', {}, isolated + ' / ' + judged),
          ' pods isolated'),
        h('div', { class: 'bar', role: 'img', 'aria-label': dir + ': ' + isolated + ' of ' + judged + ' pods isolated' },
          isolated > 0 ? h('span', { class: 'b-compliant', width: (100 * isolated / judged) + '%' }) : null,
          open > 0 ? h('span', { class: 'b-noncompliant', width: (100 * open / judged) + '%' }) : null));
    };
    const listed = c.unisolatedWorkloads || [];
    const more = (c.unisolatedWorkloadCount || 0) - listed.length;
    return h('section', { class: 'workloads', 'data-pods': 'known' }, title,
      h('div', { class: 'workload-status' }, c.workloadStatus ? chip(c.workloadStatus) : null, ' ',
        h('span', { class: 'workload-reason' }, c.workloadReason || '')),
      podBar('Ingress', p.isolatedIngress), podBar('Egress', p.isolatedEgress),
      p.hostNetwork > 0 ? h('p', { class: 'muted host-network' }, p.hostNetwork + ' hostNetwork pod' + (p.hostNetwork === 1 ? '' : 's')
        + ' apart: on the node\'s network, where no NetworkPolicy applies') : null,
      listed.length ? h('table', { class: 'table unfenced' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Name'), h('th', {}, 'Labels'), h('th', {}, 'Pods'), h('th', {}, 'Not isolated'))),
        h('tbody', {}, listed.map((w) => h('tr', { 'data-workload': w.kind + '/' + w.name },
          h('td', {}, w.kind), h('td', { class: 'ns-name' }, w.name),
          h('td', { class: 'labels' }, Object.entries(w.labels || {}).flatMap(([k, v]) => [h('code', {}, k + '=' + v), ' '])),
          h('td', {}, w.pods), h('td', {}, (w.directions || []).join(' and ')))))) : null,
      more > 0 ? h('p', { class: 'muted more' }, 'and ' + more + ' more') : null);
  }

  function closeDrawer() { $('drawer').hidden = true; $('drawer-backdrop').hidden = true; }
  $('drawer-close').addEventListener('click', closeDrawer);
  $('drawer-backdrop').addEventListener('click', closeDrawer);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDrawer(); });

  async function openNamespace(cluster, ns) {
    $('ns-cluster').textContent = 'Cluster ' + cluster;
    $('ns-title').textContent = ns;
    const body = $('ns-body');
    body.replaceChildren(h('div', { class: 'empty' }, 'Loading…'));
    $('drawer').hidden = false;
    $('drawer-backdrop').hidden = false;
    let c;
    try {
      c = await api('/api/v1/clusters/' + enc(cluster) + '/namespaces/' + enc(ns));
    } catch (e) {
      body.replaceChildren(h('div', { class: 'empty' }, h('strong', {}, 'Not available right now.'), h('span', {}, 'Try again in a moment.')));
      return;
    }
    if (!c) {
      body.replaceChildren(h('div', { class: 'empty' }, h('strong', {}, 'Namespace not found.'),
        h('span', {}, 'Fencewatch has no record of ' + ns + ' in ' + cluster + '. Check the spelling, or it may have been deleted.')));
      return;
    }
    const grade = (dir, g, allowsAll) => h('div', { class: 'grade' },
      h('div', { class: 'dir' }, dir),
      h('div', { class: 'val ' + g }, (GRADE_TEXT[g] || [g])[0]),
      h('div', { class: 'explain' }, (GRADE_TEXT[g] || ['', ''])[1]),
      allowsAll ? h('div', { class: 'warn' }, 'A rule admits all peers on all ports: this direction is not really isolated.') : null);
    const yaml = defaultDenyYaml(c.namespace);
    const copy = h('button', { type: 'button', onclick: async () => {
      try { await navigator.clipboard.writeText(yaml); copy.textContent = 'Copied'; } catch (e) {
        const r = document.createRange(); r.selectNodeContents(pre); const s = getSelection(); s.removeAllRanges(); s.addRange(r);
        copy.textContent = 'Press Ctrl+C';
      }
      setTimeout(() => { copy.textContent = 'Copy'; }, 1800);
    } }, 'Copy');
    const pre = h('pre', {}, yaml);
    const others = (c.fencedBy || []).filter((f) => f.apiVersion !== 'networking.k8s.io/v1');
    const eff = c.effective && c.effective.ingress ? c.effective : null;
    const needsFix = c.status === 'NON_COMPLIANT' || c.status === 'PENDING' || c.ingress !== 'DEFAULT_DENY' || c.egress !== 'DEFAULT_DENY';
    // Absent parts are null: replaceChildren would write them as the text "null", h() skips them.
    body.replaceChildren(...h('div', {},
      h('div', {}, chip(c.status), ' ', c.stale ? chip('stale', 'stale data') : null),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Why'), h('dd', {}, c.reason),
        h('dt', {}, 'Since'), h('dd', {}, timeEl(c.since), h('span', { class: 'muted' }, ' (' + new Date(c.since).toLocaleString() + ')')),
        h('dt', {}, 'Profile'), h('dd', {}, c.profile || 'baseline'),
        h('dt', {}, 'Enforced'), h('dd', { class: c.enforced === false ? 'bad' : '' }, c.enforced === true
          ? 'Yes: the cluster runs a NetworkPolicy engine'
          : c.enforced === false ? 'No: the cluster runs no NetworkPolicy engine, so its policies have no effect' : 'Unknown'),
        c.exemption ? [h('dt', {}, 'Exemption'), h('dd', {}, c.exemption.source + ': ' + c.exemption.reason + (c.exemption.until ? ' (until ' + new Date(c.exemption.until).toLocaleString() + ')' : ''))] : null,
        c.lastEvent ? [h('dt', {}, 'Last change seen'), h('dd', {}, (c.lastEvent.kind || '') + ' ' + (c.lastEvent.name || '') + ' ' + c.lastEvent.op.toLowerCase() + ' · ', timeEl(c.lastEvent.observedAt))] : null),
      h('h3', {}, others.length ? 'Isolation by NetworkPolicies' : 'Isolation'),
      h('div', { class: 'grades' }, grade('Ingress', c.ingress, c.allowsAll && c.allowsAll.ingress), grade('Egress', c.egress, c.allowsAll && c.allowsAll.egress)),
      h('h3', {}, 'NetworkPolicies (' + c.policies.length + ')'),
      c.policies.length ? h('ul', { class: 'policies' }, c.policies.map((p) => h('li', {}, h('code', {}, p))))
        : h('p', { class: 'muted' }, others.length ? 'None of networking.k8s.io: FW-NP-001 counts only those. The policies below fence it.'
          : 'None. Every pod in this namespace accepts and sends any traffic.'),
      others.length ? h('h3', {}, 'Fenced by other kinds (' + others.length + ')') : null,
      others.length ? h('ul', { class: 'policies fenced-by' }, others.map((f) => h('li', {},
        h('code', {}, f.kind + '/' + f.name), ' ',
        h('span', { class: 'muted' }, f.apiVersion + ' · ' + (f.scope === 'cluster' ? 'cluster-wide' : 'in this namespace')
          + ' · ' + f.directions.join(' and ') + (f.pods === 'all' ? ', every pod' : ', some pods'))))) : null,
      others.length && eff ? h('div', { class: 'grades' }, grade('Ingress, every kind', eff.ingress, eff.allowsAll && eff.allowsAll.ingress),
        grade('Egress, every kind', eff.egress, eff.allowsAll && eff.allowsAll.egress)) : null,
      workloadsSection(c),
      h('h3', {}, needsFix ? 'Fix: apply a default-deny policy' : 'Default-deny policy (reference)'),
      h('p', { class: 'muted' }, 'Denies all ingress, and all egress except DNS to kube-system. Then add policies that allow what your workloads need. Apply with ',
        h('code', {}, 'kubectl apply -f default-deny.yaml'), ', or let ', h('code', {}, 'fencewatch remediate --apply'),
        ' create it (the same policy).'),
      h('div', { class: 'yaml' }, copy, pre)).childNodes);
  }

  $('lookup').addEventListener('submit', (e) => {
    e.preventDefault();
    const ns = $('lookup-ns').value.trim();
    const cluster = $('lookup-cluster').value;
    if (ns && cluster) openNamespace(cluster, ns);
  });

  refresh();
  connect();
  setInterval(refresh, 30000);
})();
