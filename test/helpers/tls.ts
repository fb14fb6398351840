import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of a throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by another CA (must be refused). */
  rogueCert: string;
  rogueKey: string;
  files: { caCert: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** Generates the certificates with openssl (EC P-256, one day). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-pki-'));
  const key = (name: string) => openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', name]);
  const ca = (name: string, cn: string) => {
    key(`${name}.key`);
    openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '1', '-out', `${name}.crt`]);
  };
  const leaf = (name: string, cn: string, caName: string, ext: string) => {
    key(`${name}.key`);
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  };
  ca('ca', 'palisade test CA');
  ca('rogue-ca', 'rogue CA');
  leaf('server', 'palisade-audit', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'kube-apiserver', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue', 'kube-apiserver', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const r = (n: string) => readFileSync(join(dir, n), 'utf8');
  return {
    dir,
    caCert: r('ca.crt'),
    serverCert: r('server.crt'),
    serverKey: r('server.key'),
    clientCert: r('client.crt'),
    clientKey: r('client.key'),
    rogueCert: r('rogue.crt'),
    rogueKey: r('rogue.key'),
    files: { caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key'), clientCert: join(dir, 'client.crt'), clientKey: join(dir, 'client.key') },
  };
}
