import type { Check, CheckResult } from '../check.js';
import { snippetAnnotations } from './lib/ingress-nginx.js';

/** Lua directives (`content_by_lua_block`, `lua_shared_dict`, `access_by_lua`...). */
const LUA = /\blua_|_lua\b|_lua_/;
/** The controller's service account token and other files under the kubernetes.io secret mounts. */
const SA_TOKEN = /\bkubernetes\.io\b|\/var\/run\/secrets\b|\/run\/secrets\/kubernetes/;

export const ingressNginxSnippetLua = {
  id: 'PAL-107',
  slug: 'ingress-nginx-snippet-lua',
  title: 'Ingress snippet runs Lua code or reaches the service account token',
  description:
    'A snippet annotation with Lua directives runs arbitrary code inside the ingress controller, and one that ' +
    'mentions the kubernetes.io secret mount targets its service account token, which can read every Secret in ' +
    'the cluster. This is the exploit path of CVE-2021-25742.',
  remediation:
    'Remove the snippet annotation; if the behaviour is needed, implement it in the controller configuration owned ' +
    'by the platform team, and keep `allow-snippet-annotations: "false"`.',
  severity: 'high',
  category: 'configuration',
  kinds: ['Ingress'],
  equivalents: {
    checkov: ['CKV_K8S_152'],
  },
  evaluate({ object }) {
    const out: CheckResult[] = [];
    for (const { key, value, path } of snippetAnnotations(object)) {
      if (value === undefined) continue;
      const what = LUA.test(value) ? 'Lua code' : SA_TOKEN.test(value) ? 'a reference to the kubernetes.io secret mount' : undefined;
      if (what) out.push({ path, message: `Ingress annotation "${key}" contains ${what}` });
    }
    return out;
  },
} satisfies Check;
