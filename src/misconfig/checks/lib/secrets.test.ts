import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMETERS } from '../../parameters.js';
import { classifySecret, embeddedSecrets, isInertValue, isSensitiveKey, keyPatterns, redactedHint, secretShapeOf } from './secrets.js';

const P = DEFAULT_PARAMETERS.secretKeyPatterns;

// Token-shaped strings are assembled at run time so that no credential-like literal sits in the source.
const fake = (prefix: string, n: number, alphabet = 'aB3'): string => prefix + alphabet.repeat(Math.ceil(n / alphabet.length)).slice(0, n);

describe('secretShapeOf', () => {
  it.each([
    ['a private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----'],
    ['a private key', '---BEGIN OPENSSH PRIVATE KEY---'],
    ['a private key', '-----BEGIN PGP PRIVATE KEY BLOCK-----'],
    ['an AWS access key id', fake('AKIA', 16, 'Q7Z')],
    ['a GitHub token', fake('ghp_', 36)],
    ['a GitHub fine-grained token', fake('github_pat_', 40)],
    ['a GitLab token', fake('glpat-', 20)],
    ['a Slack token', fake('xoxb-', 24, '1a-')],
    ['a Google API key', fake('AIza', 35)],
    ['a JSON Web Token', `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.${fake('', 32)}`],
    ['a URL with an embedded password', 'postgres://app:pa55word@db:5432/app'],
  ])('finds %s', (label, value) => {
    expect(secretShapeOf(value)?.label).toBe(label);
  });

  it.each([
    'hello world',
    '-----BEGIN PUBLIC KEY-----',
    '-----BEGIN CERTIFICATE-----',
    'postgres://app:$(DB_PASSWORD)@db:5432/app',
    'postgres://app:${DB_PASSWORD}@db:5432/app',
    'https://user@example.com/repo.git',
    'AKIA-not-a-key',
  ])('ignores %j', (value) => {
    expect(secretShapeOf(value)).toBeUndefined();
  });
});

describe('isSensitiveKey', () => {
  it.each(['password', 'DB_PASSWORD', 'my_password', 'AWS_SECRET_ACCESS_KEY', 'AZURE_BATCH_KEY', 'OCI_CLI_KEY_CONTENT', 'apiKey', 'GITHUB_TOKEN', 'client-secret', 'spring.datasource.password', 'dbPassword'])(
    '%s is sensitive',
    (k) => expect(isSensitiveKey(k, P)).toBe(true),
  );
  it.each(['user_name', 'greeting', 'PASSWORD_FILE', 'TOKEN_URL', 'SECRET_NAME', 'token-ttl-seconds', 'AUTH_ENABLED', 'AUTHOR', 'OAUTH_PROVIDER', 'PWD', 'secretName'])(
    '%s is not',
    (k) => expect(isSensitiveKey(k, P)).toBe(false),
  );
  it('matches an invalid configured pattern literally instead of throwing', () => {
    expect(keyPatterns(['pass[', 'x'])[0]!.test('my-pass[word')).toBe(true);
    expect(isSensitiveKey('my-pass[word', ['pass['])).toBe(true);
  });
});

describe('isInertValue', () => {
  it.each(['', '  ', 'true', 'false', '$(OTHER)', '${DB_PASSWORD}', '{{ .Values.password }}', '<your-password>', '/run/secrets/db', 'https://auth.example.com/token'])(
    '%j is inert',
    (v) => expect(isInertValue(v)).toBe(true),
  );
  it.each(['abc123', 'xxx', '123456', 'hunter2', 'amqp://u:p4ss@mq/'])('%j is a literal', (v) => expect(isInertValue(v)).toBe(false));
});

describe('classifySecret and redactedHint', () => {
  it('prefers the value shape over the key', () => {
    const v = fake('ghp_', 36);
    const f = classifySecret('REPO', v, P)!;
    expect(f).toEqual({ by: 'value', shape: { label: 'a GitHub token', prefix: 'ghp_' } });
    const hint = redactedHint(v, f);
    expect(hint).toBe('a value that looks like a GitHub token (redacted: ghp_…, 40 characters)');
    expect(hint).not.toContain(v.slice(4, 10));
  });
  it('never prints a key-matched value', () => {
    const f = classifySecret('DB_PASSWORD', 'Sup3rS3cret!', P)!;
    expect(redactedHint('Sup3rS3cret!', f)).toBe('a literal value under a credential-like name (redacted: 12 characters)');
  });
});

describe('embeddedSecrets', () => {
  it('finds credential settings in properties, env files, YAML and JSON', () => {
    const text = [
      '# comment: password=ignored',
      'spring.datasource.url=jdbc:postgresql://db/app',
      'spring.datasource.password=Bi11ing!',
      'export API_KEY="k-123456"',
      'db:',
      '  password: s3cr3t',
      '  "token": "abc.def",',
      '  password: ${FROM_ENV}',
      '  password-file: /run/secrets/x',
    ].join('\n');
    expect(embeddedSecrets(text, P).map((s) => [s.line, s.key])).toEqual([
      [3, 'spring.datasource.password'],
      [4, 'API_KEY'],
      [6, 'password'],
      [7, 'token'],
    ]);
  });
});
