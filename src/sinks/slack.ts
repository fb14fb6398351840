import type { Alert } from '../model/audit.js';
import { alertLine, postJson, type AlertSink } from './sink.js';

const EMOJI: Record<Alert['severity'], string> = { critical: ':rotating_light:', high: ':red_circle:', medium: ':large_orange_circle:', low: ':large_blue_circle:', info: ':white_circle:' };

/** Slack's section text limit is 3,000 characters. */
const clip = (s: string, n = 2900) => (s.length > n ? `${s.slice(0, n)}...` : s);
/** Slack mrkdwn needs &, < and > escaped. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The incoming-webhook message of an alert: `text` (notifications, clients without blocks) and Block Kit blocks. */
export function slackMessage(a: Alert): { text: string; blocks: unknown[] } {
  const e = a.entities;
  const fields = [
    ['Rule', `${a.ruleId} (${a.slug})`],
    ['Severity', a.severity],
    ['User', e.user],
    ['Source IP', e.sourceIP],
    ['Namespace', e.namespace],
    ['Object', [e.resource, e.subresource].filter(Boolean).join('/') + (e.name ? ` ${e.name}` : '')],
    ['MITRE', [...a.mitre.tactics, ...a.mitre.techniques].join(', ')],
    ['Time', a.time],
  ].filter((f): f is [string, string] => typeof f[1] === 'string' && f[1].trim() !== '');
  return {
    text: clip(esc(alertLine(a))),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(`${a.title}`, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(`${EMOJI[a.severity]} ${esc(a.output)}`) } },
      { type: 'section', fields: fields.slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${esc(v)}`, 1900) })) },
      ...(a.count > 1 ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `${a.count} events${a.lastTime ? `, last at ${a.lastTime}` : ''}` }] }] : []),
    ],
  };
}

/** Options of the Slack sink. */
export interface SlackSinkOptions {
  name?: string;
  url: string;
}

/** POSTs each alert to a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat) as text and blocks. */
export function createSlackSink(o: SlackSinkOptions): AlertSink {
  return { name: o.name ?? 'slack', send: (alert, signal) => postJson(o.url, slackMessage(alert), signal) };
}
