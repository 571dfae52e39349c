// Summarises a V8 .cpuprofile (node --cpu-prof): self time by file or package and by function, and
// inclusive time of the project's own functions (dist/) and a few library entry points, each as a share
// of the busy (non-idle) time, so a report can say where the time goes.
// Usage: node bench/profile-summary.mjs FILE.cpuprofile [top=20]
import { readFileSync } from 'node:fs';

const where = (frame) => {
  const url = frame.url || '';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.includes('/dist/')) return `dist/${url.split('/dist/')[1]}`;
  if (url.startsWith('node:')) return url;
  return url || `(${frame.functionName || 'native'})`;
};
const fnKey = (frame) => `${frame.functionName || '(anonymous)'}  ${where(frame)}:${frame.lineNumber + 1}`;

export function summarize(file, top = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  let idle = 0;
  for (const [id, ms] of self) if (byId.get(id).callFrame.functionName === '(idle)') idle += ms;
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const busyMs = totalMs - idle;

  const byFn = new Map();
  const byFile = new Map();
  for (const [id, ms] of self) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') continue;
    byFn.set(fnKey(frame), (byFn.get(fnKey(frame)) ?? 0) + ms);
    byFile.set(where(frame), (byFile.get(where(frame)) ?? 0) + ms);
  }

  // Inclusive time, counted once per call stack (an outer frame of the same function wins).
  const inclusive = new Map();
  const totalOf = (node) => {
    let ms = self.get(node.id) ?? 0;
    for (const child of node.children ?? []) ms += totalOf(byId.get(child));
    node.total = ms;
    return ms;
  };
  const root = profile.nodes[0];
  totalOf(root);
  const interesting = (frame) =>
    (frame.url.includes('/dist/') && !frame.url.includes('node_modules') && frame.functionName) ||
    /^(sqliteTransaction|bodyLimit|newRequestFromIncoming|responseViaCache|responseViaResponseObject|randomBytes|digest|writeSync)$/.test(
      frame.functionName,
    );
  const walk = (node, open) => {
    const key = fnKey(node.callFrame);
    const counted = interesting(node.callFrame) && !open.has(key);
    if (counted) inclusive.set(key, (inclusive.get(key) ?? 0) + node.total);
    const next = counted ? new Set([...open, key]) : open;
    for (const child of node.children ?? []) walk(byId.get(child), next);
  };
  walk(root, new Set());

  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs,
    busyMs,
    idleMs: idle,
    functions: sorted(byFn),
    files: sorted(byFile),
    inclusive: sorted(inclusive),
  };
}

export function formatSummary(file, top = 20) {
  const s = summarize(file, top);
  const pct = (ms) => `${((100 * ms) / s.busyMs).toFixed(1).padStart(5)} %`;
  const lines = [
    `${file}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy; shares below are of the busy time`,
    '  self time by file or package:',
    ...s.files.map(([name, ms]) => `    ${pct(ms)}  ${name}`),
    '  self time by function:',
    ...s.functions.map(([name, ms]) => `    ${pct(ms)}  ${name}`),
    '  inclusive time (the function and what it calls), project code and a few library entry points:',
    ...s.inclusive.map(([name, ms]) => `    ${pct(ms)}  ${name}`),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatSummary(process.argv[2], Number(process.argv[3] ?? 20)));
}
