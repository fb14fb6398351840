/**
 * The dashboard's summary views and the CSV exports, through the HTTP API of a server seeded from the fake
 * Kubernetes API server: compliance per framework and its history, the overview, and findings, vulnerabilities
 * and alerts as CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededServer, type SeededServer } from '../../test/helpers/seeded-server.js';
import { scanCluster } from '../app/cluster.js';
import { parseConfig } from '../app/config.js';
import { addUser, createToken } from '../app/users.js';
import type { ComplianceHistoryPoint as Point } from '../model/compliance.js';

let s: SeededServer;

beforeAll(async () => {
  s = await startSeededServer();
});
afterAll(async () => {
  await s?.close();
});

const json = async (url: string) => {
  const res = await s.get('reader', url);
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
  return res.json();
};

/** A CSV document as records of fields (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field, 'the document ends with CRLF').toBe('');
  return rows;
}

interface Control {
  id: string;
  status: string;
  section?: string;
  checks: Array<{ checkId: string; passed: number; failed: number }>;
}

describe('compliance', () => {
  it('lists every framework with control counts that add up and a score', async () => {
    const { items } = await json('/api/v1/compliance/frameworks');
    expect(items.map((f: { id: string }) => f.id).sort()).toEqual(['cis-k8s-1.10', 'defender-data-plane', 'mitre-attack-containers', 'nsa-cisa-1.2', 'pss-baseline', 'pss-restricted']);
    for (const f of items) {
      expect(f.passed + f.failed + f.notApplicable + f.manual, f.id).toBe(f.controls);
      expect(f.score).toBe(f.passed + f.failed ? Math.round((f.passed / (f.passed + f.failed)) * 1000) / 10 : null);
    }
    // The seeded cluster runs a privileged, host-network Deployment: the baseline profile fails.
    expect(items.find((f: { id: string }) => f.id === 'pss-baseline').failed).toBeGreaterThan(0);
  });

  it('gives each control the status palisade scan gives it on the same cluster, with per-check counts that match the recommendations', async () => {
    const scan = await scanCluster({ access: { kubeconfigText: s.kube.kubeconfig('lab'), context: 'lab' }, config: parseConfig('', 'palisade.yaml') });
    const recs = new Map(((await json(`/api/v1/recommendations?connector=${s.lab}`)).items as Array<{ checkId: string; affected: number }>).map((r) => [r.checkId, r.affected]));
    for (const fw of scan.report.frameworks) {
      const detail = await json(`/api/v1/compliance/frameworks/${fw.id}?connectorId=${s.lab}`);
      expect(detail).toMatchObject({ id: fw.id, name: fw.title, version: fw.version ?? null });
      const byId = new Map((detail.controls as Control[]).map((c) => [c.id, c]));
      for (const c of fw.controls) {
        const got = byId.get(c.id)!;
        // Failing and manual controls are exactly the scan's; a control the scan passes passes here too.
        if (c.status === 'fail' || c.status === 'manual') expect(got.status, `${fw.id} ${c.id}`).toBe(c.status);
        else expect(['pass', 'not-applicable'], `${fw.id} ${c.id}`).toContain(got.status);
        if (c.status === 'pass') expect(got.status, `${fw.id} ${c.id}`).toBe('pass');
        expect(got.checks.map((k) => k.checkId)).toEqual(c.checks);
        for (const k of got.checks) {
          expect(k.failed, `${fw.id} ${c.id} ${k.checkId}`).toBe(recs.get(k.checkId) ?? 0);
          expect(k.passed).toBeGreaterThanOrEqual(0);
        }
      }
    }
    const cis = await json(`/api/v1/compliance/frameworks/cis-k8s-1.10?connectorId=${s.lab}`);
    expect((cis.controls as Control[]).find((c) => c.id === '5.1.1')).toMatchObject({ section: '5.1' });
    const pss = await json('/api/v1/compliance/frameworks/pss-baseline');
    expect((pss.controls as Control[]).every((c) => c.section === undefined)).toBe(true);
  });

  it('counts both connectors without a filter, one with connectorId (or connector), and answers 404 for an unknown framework', async () => {
    const failedOf = (d: { controls: Control[] }) => d.controls.flatMap((c) => c.checks).reduce((n, k) => n + k.failed, 0);
    const all = await json('/api/v1/compliance/frameworks/pss-restricted');
    const one = await json(`/api/v1/compliance/frameworks/pss-restricted?connectorId=${s.lab2}`);
    expect(failedOf(one)).toBeGreaterThan(0);
    expect(failedOf(all)).toBe(2 * failedOf(one));
    expect(await json(`/api/v1/compliance/frameworks/pss-restricted?connector=${s.lab2}`)).toEqual(one);
    const missing = await s.get('reader', '/api/v1/compliance/frameworks/no-such-framework');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('not_found');
  });
});

describe('overview', () => {
  it('answers score, recommendations, alerts, assets and vulnerable running images in one request', async () => {
    const o = await json('/api/v1/overview');
    const score = (await json('/api/v1/score')).overall.score;
    expect(o.score.current).toBe(score);
    expect(o.score.trend.length).toBe(1);
    expect(o.score.trend[0].score).toBe(score);

    const recs = (await json('/api/v1/recommendations')).items;
    expect(o.recommendations.total).toBe(recs.length);
    expect(o.recommendations.top).toEqual(recs.slice(0, 5));
    expect(Object.values(o.recommendations.bySeverity as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(recs.length);

    expect(o.alerts.open).toBe(2);
    expect(o.alerts.bySeverity).toEqual({ critical: 1, high: 1, medium: 0, low: 0, info: 0 });
    expect(o.alerts.daily).toHaveLength(14);
    const today = new Date().toISOString().slice(0, 10);
    expect(o.alerts.daily[13]).toEqual({ day: today, critical: 1, high: 1, medium: 0, low: 1 });
    expect(o.alerts.daily.slice(0, 13).every((d: { critical: number; high: number; low: number }) => d.critical + d.high + d.low === 0)).toBe(true);

    const byType = new Map((o.assets.byType as Array<{ type: string; count: number }>).map((t) => [t.type, t.count]));
    const workloads = (await json(`/api/v1/assets?type=workload&limit=1000`)).items.length;
    expect(byType.get('workload')).toBe(workloads);
    expect(byType.get('cluster')).toBe(2);

    expect(o.vulnerableRunningImages).toEqual([{ digest: s.digest, ref: 'nginx:latest', critical: 1, high: 1, medium: 0, low: 1, workloads: expect.any(Number), exposed: true }]);
    expect(o.vulnerableRunningImages[0].workloads).toBeGreaterThan(0);
  });

  it('narrows to one connector', async () => {
    const o = await json(`/api/v1/overview?connectorId=${s.lab2}`);
    expect(o.alerts.open).toBe(0);
    expect(o.alerts.daily.every((d: { critical: number }) => d.critical === 0)).toBe(true);
    expect(new Map((o.assets.byType as Array<{ type: string; count: number }>).map((t) => [t.type, t.count])).get('cluster')).toBe(1);
    const latest = (await json('/api/v1/score')).connectors.find((c: { connectorId: string }) => c.connectorId === s.lab2).score;
    expect(o.score.current).toBe(latest);
  });
});

describe('CSV exports', () => {
  const download = async (url: string) => {
    const res = await s.get('reader', url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[a-z]+-\d{4}-\d{2}-\d{2}\.csv"$/);
    return parseCsv(res.body);
  };

  it('exports every finding with a header row, filtered like the lists', async () => {
    const [header, ...rows] = await download('/api/v1/exports/findings.csv');
    expect(header).toEqual(['findingId', 'connectorId', 'connector', 'assetType', 'asset', 'namespace', 'checkId', 'slug', 'title', 'severity', 'path', 'message', 'firstSeen', 'lastSeen']);
    const total = (await json('/api/v1/recommendations')).items.reduce((n: number, r: { findings: number }) => n + r.findings, 0);
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r[2]))).toEqual(new Set(['lab', 'lab2']));
    const lab = await download(`/api/v1/exports/findings.csv?connectorId=${s.lab}`);
    expect(lab.length - 1).toBe(total / 2);
    const high = await download('/api/v1/exports/findings.csv?severity=high');
    expect(high.length).toBeGreaterThan(1);
    expect(high.slice(1).every((r) => r[9] === 'high')).toBe(true);
    expect(rows.some((r) => r[4] === 'storefront/Deployment/web' && r[10]!.endsWith('securityContext.privileged'))).toBe(true);
  });

  it('exports vulnerabilities with quoted fields and formula cells defused', async () => {
    const res = await s.get('reader', '/api/v1/exports/vulnerabilities.csv');
    expect(res.body).toContain(`"openssl flaw, ""bad"""`);
    expect(res.body).toContain(`,'=cmd,`);
    const [header, ...rows] = parseCsv(res.body);
    expect(header.slice(0, 5)).toEqual(['digest', 'references', 'vulnId', 'severity', 'package']);
    expect(rows.map((r) => r[2])).toEqual(['CVE-2026-0001', 'CVE-2026-0002', 'CVE-2026-0003']);
    expect(rows[0]![1]).toBe('nginx:latest');
    expect(rows[2]![4]).toBe("'=cmd");
    expect((await download('/api/v1/exports/vulnerabilities.csv?severity=high&fixable=true')).slice(1).map((r) => r[2])).toEqual(['CVE-2026-0001']);
    // A name of the same image that no asset of the connector carries (another registry's) stays out of its export.
    const at = new Date().toISOString();
    await s.store.putImageReference({ reference: 'private.example/team/nginx:1', digest: rows[0]![0]!, status: 'ok', errorCode: null, error: null, attemptedAt: at, succeededAt: at });
    expect((await download('/api/v1/exports/vulnerabilities.csv'))[1]![1]).toContain('private.example/team/nginx:1');
    const scoped = await download(`/api/v1/exports/vulnerabilities.csv?connector=${s.lab}`);
    expect(scoped.length).toBeGreaterThan(1);
    expect(scoped.slice(1).every((r) => !r[1]!.includes('private.example'))).toBe(true);
  });

  it('exports alerts newest first with status filters, quoting line breaks and defusing formulas', async () => {
    const [header, ...rows] = await download('/api/v1/exports/alerts.csv');
    const col = (name: string) => header.indexOf(name);
    expect(rows.map((r) => r[col('severity')])).toEqual(['low', 'high', 'critical']);
    expect(rows[1]![col('output')]).toBe('mallory ran "sh -c id", then\nleft');
    expect(rows[2]![col('output')]).toBe(`'=HYPERLINK("http://evil.example","open me")`);
    const open = await download('/api/v1/exports/alerts.csv?status=new,acknowledged&severity=critical,high');
    expect(open.slice(1).map((r) => r[col('status')])).toEqual(['acknowledged', 'new']);
    expect(await download(`/api/v1/exports/alerts.csv?connectorId=${s.lab2}`)).toEqual([header]);
    expect((await s.get('reader', '/api/v1/exports/alerts.csv?status=bogus')).statusCode).toBe(400);
  });

  it('pages through more rows than one page holds', async () => {
    const c = await s.store.createConnector({ kind: 'cluster', name: 'bulk', config: {}, secrets: null });
    try {
      const [asset] = await s.store.upsertAssets([{ connectorId: c.id, type: 'workload', key: 'bulk/Deployment/many', attributes: { kind: 'Deployment' } }], new Date().toISOString());
      const many = Array.from({ length: 1234 }, (_, i) => ({ assetId: asset!.id, checkId: 'PAL-001', severity: 'low', path: `spec.bulk[${i}]`, message: `bulk ${i}` }));
      await s.store.upsertFindings(many, new Date().toISOString());
      const rows = (await download(`/api/v1/exports/findings.csv?connectorId=${c.id}`)).slice(1);
      expect(rows).toHaveLength(1234);
      expect(new Set(rows.map((r) => r[0])).size).toBe(1234);
      expect(new Set(rows.map((r) => r[11]))).toEqual(new Set(many.map((f) => f.message)));
    } finally {
      await s.store.deleteConnector(c.id);
    }
  });
});

describe('a Reader of one connector', () => {
  it('sees only that connector in every summary and export, and is refused another', async () => {
    const system = { name: 'system', role: 'owner' as const };
    const u = await addUser(s.store, system, { username: 'reader-of-lab2', role: 'reader', password: 'a-long-enough-password' });
    await s.store.setGlobalAccess({ kind: 'user', id: u.id }, false);
    await s.store.putRoleBinding({ subjectKind: 'user', subjectId: u.id, connectorId: s.lab2, role: 'reader', createdBy: 'system' });
    const { token } = await createToken(s.store, system, { userId: u.id, name: 'scoped', role: 'reader' });
    const get = (url: string) => s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

    const o = (await get('/api/v1/overview')).json();
    expect(o.alerts.open).toBe(0);
    expect(new Map((o.assets.byType as Array<{ type: string; count: number }>).map((t) => [t.type, t.count])).get('cluster')).toBe(1);
    expect(o).toEqual(await json(`/api/v1/overview?connectorId=${s.lab2}`));
    expect((await get('/api/v1/compliance/frameworks')).json()).toEqual(await json(`/api/v1/compliance/frameworks?connectorId=${s.lab2}`));
    const alerts = await get('/api/v1/exports/alerts.csv');
    expect(alerts.statusCode).toBe(200);
    expect(parseCsv(alerts.body)).toHaveLength(1);
    const findings = parseCsv((await get('/api/v1/exports/findings.csv')).body).slice(1);
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((r) => r[1]))).toEqual(new Set([s.lab2]));
    const report = await get('/api/v1/reports/posture.html');
    expect(report.body).toContain('<dd>lab2</dd>');
    for (const url of ['/api/v1/overview', '/api/v1/compliance/frameworks', '/api/v1/exports/findings.csv', '/api/v1/reports/posture.html']) {
      expect((await get(`${url}?connectorId=${s.lab}`)).statusCode, url).toBe(403);
    }
    // Compliance history: its own connector's, also without naming it; never another's.
    const history = (await json(`/api/v1/compliance/frameworks/pss-restricted/history?connector=${s.lab2}`)).points as Point[];
    expect(history).toHaveLength(1);
    expect((await get('/api/v1/compliance/frameworks/pss-restricted/history')).json().points).toEqual(history);
    expect((await get(`/api/v1/compliance/frameworks/pss-restricted/history?connector=${s.lab}`)).statusCode).toBe(403);
  });
});

const counts = ({ passed, failed, notApplicable, manual, score }: Point) => ({ passed, failed, notApplicable, manual, score });

// Last, as it syncs a connector again.
describe('compliance history', () => {
  it('records a point per framework at every sync, replacing the point of the same hour, equal to the current compliance', async () => {
    const before = (await json(`/api/v1/compliance/frameworks/pss-baseline/history?connector=${s.lab}`)) as { framework: string; points: Point[] };
    expect(before.framework).toBe('pss-baseline');
    expect(before.points).toHaveLength(1);
    const first = before.points[0]!;

    const sync = await s.app.inject({ method: 'POST', url: `/api/v1/connectors/${s.lab}/sync`, headers: { authorization: `Bearer ${s.tokens.contributor}` } });
    expect(sync.statusCode, sync.body).toBe(200);
    const at = sync.json().at as string;
    const { points } = (await json(`/api/v1/compliance/frameworks/pss-baseline/history?connector=${s.lab}`)) as { points: Point[] };
    // Two syncs within one hour keep one point (the later); across an hour boundary, two.
    expect(points).toHaveLength(first.at.slice(0, 13) === at.slice(0, 13) ? 1 : 2);
    expect(points[points.length - 1]!.at).toBe(at);

    // Every framework has its point, with the counts the compliance API answers now.
    for (const f of (await json(`/api/v1/compliance/frameworks?connector=${s.lab}`)).items as Array<Point & { id: string }>) {
      const h = (await json(`/api/v1/compliance/frameworks/${f.id}/history?connectorId=${s.lab}`)).points as Point[];
      expect(counts(h[h.length - 1]!), f.id).toEqual(counts(f));
    }
    expect((await json(`/api/v1/compliance/frameworks/pss-baseline/history?connector=${s.lab}&since=${encodeURIComponent(new Date(Date.parse(at) + 1000).toISOString())}`)).points).toEqual([]);
  });

  it('sums the connectors per day without a connector, and answers 404 for an unknown framework and 400 for a bad time', async () => {
    const { points } = (await json('/api/v1/compliance/frameworks/nsa-cisa-1.2/history')) as { points: Point[] };
    // Both connectors were synced today: one point (two if the day turned between their syncs).
    expect(points.length).toBeGreaterThan(0);
    // Counts of connector and control pairs: each connector's controls, added up.
    const [a, b] = (await Promise.all([s.lab, s.lab2].map((id) => json(`/api/v1/compliance/frameworks/nsa-cisa-1.2?connector=${id}`)))) as Point[];
    const passed = a!.passed + b!.passed;
    const failed = a!.failed + b!.failed;
    expect(counts(points[points.length - 1]!)).toEqual({ passed, failed, notApplicable: a!.notApplicable + b!.notApplicable, manual: a!.manual + b!.manual, score: Math.round((passed / (passed + failed)) * 1000) / 10 });
    expect((await s.get('reader', '/api/v1/compliance/frameworks/no-such-framework/history')).statusCode).toBe(404);
    expect((await s.get('reader', '/api/v1/compliance/frameworks/nsa-cisa-1.2/history?since=yesterday')).statusCode).toBe(400);
  });

  it('prints the last 30 days in the compliance report', async () => {
    const res = await s.get('reader', `/api/v1/reports/compliance/pss-baseline.html?connectorId=${s.lab}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('History (last 30 days)');
    expect(res.body).toContain(`<td>${new Date().toISOString().slice(0, 10)}</td>`);
  });
});
