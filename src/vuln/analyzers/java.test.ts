import { zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { java } from './java.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A zip, deflated like `jar` makes them; `store` keeps entries uncompressed like Spring Boot's nested jars. */
const zip = (entries: Record<string, Uint8Array | string>, store = false): Buffer =>
  Buffer.from(zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? enc(v) : v])) as Zippable, { level: store ? 0 : 6 }));

const pom = (g: string, a: string, v: string): string => `#Created by Apache Maven 3.6.3\nversion=${v}\ngroupId=${g}\nartifactId=${a}\n`;
const manifest = (fields: Record<string, string>): string =>
  `Manifest-Version: 1.0\r\n${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\nName: org/x/\r\nImplementation-Version: 0.0.0\r\n`;

const log4j = zip({
  'META-INF/MANIFEST.MF': manifest({ 'Implementation-Title': 'Apache Log4j Core', 'Implementation-Version': '2.14.1', 'Implementation-Vendor-Id': 'org.apache.logging.log4j' }),
  'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties': pom('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
  'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.xml': '<project/>',
  'org/apache/logging/log4j/core/lookup/JndiLookup.class': new Uint8Array([0xca, 0xfe, 0xba, 0xbe]),
});

describe('java analyzer', () => {
  it('wants Java archives only', () => {
    for (const p of ['/app/app.jar', '/usr/local/tomcat/webapps/ROOT.war', '/opt/app.ear', '/var/jenkins_home/plugins/git.jpi', '/app/lib/X.JAR']) expect(java.wants(p), p).toBe(true);
    for (const p of ['/app/app.jar.sha1', '/app/classes.zip', '/app/jarfile']) expect(java.wants(p), p).toBe(false);
  });

  it('reads pom.properties', () => {
    const { packages, errors } = java.analyze([{ path: '/app/lib/log4j-core-2.14.1.jar', content: log4j }]);
    expect(errors).toEqual([]);
    expect(packages).toEqual([{
      ecosystem: 'maven',
      scheme: 'maven',
      name: 'org.apache.logging.log4j:log4j-core',
      version: '2.14.1',
      purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
      filePath: '/app/lib/log4j-core-2.14.1.jar',
    }]);
  });

  it('reports every pom.properties of a shaded jar', () => {
    const shaded = zip({
      'META-INF/maven/com.example/service/pom.properties': pom('com.example', 'service', '3.0.0'),
      'META-INF/maven/com.google.guava/guava/pom.properties': pom('com.google.guava', 'guava', '31.1-jre'),
      'META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties': pom('com.fasterxml.jackson.core', 'jackson-databind', '2.13.4.2'),
    });
    const names = java.analyze([{ path: '/app/service.jar', content: shaded }]).packages.map((p) => `${p.name}@${p.version}`).sort();
    expect(names).toEqual(['com.example:service@3.0.0', 'com.fasterxml.jackson.core:jackson-databind@2.13.4.2', 'com.google.guava:guava@31.1-jre']);
  });

  it('falls back to MANIFEST.MF, and reports nothing when the group cannot be told', () => {
    const osgi = zip({ 'META-INF/MANIFEST.MF': manifest({ 'Bundle-SymbolicName': 'com.fasterxml.jackson.core.jackson-databind', 'Bundle-Version': '2.15.2', 'Bundle-Name': 'jackson-databind' }) });
    const vendor = zip({ 'META-INF/MANIFEST.MF': manifest({ 'Implementation-Title': 'commons-text', 'Implementation-Version': '1.9', 'Implementation-Vendor-Id': 'org.apache.commons' }) });
    const withParams = zip({ 'META-INF/MANIFEST.MF': manifest({ 'Bundle-SymbolicName': 'org.yaml.snakeyaml;singleton:=true', 'Bundle-Version': '1.33.0' }) });
    const anonymous = zip({ 'META-INF/MANIFEST.MF': manifest({ 'Implementation-Title': 'spring-core', 'Implementation-Version': '5.3.17', 'Automatic-Module-Name': 'spring.core' }) });
    const { packages, errors } = java.analyze([
      { path: '/app/lib/jackson-databind-2.15.2.jar', content: osgi },
      { path: '/app/lib/commons-text-1.9.jar', content: vendor },
      { path: '/app/lib/snakeyaml-1.33.jar', content: withParams },
      { path: '/app/lib/spring-core-5.3.17.jar', content: anonymous },
    ]);
    expect(errors).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'com.fasterxml.jackson.core:jackson-databind@2.15.2',
      'org.apache.commons:commons-text@1.9',
      'org.yaml:snakeyaml@1.33.0',
    ]);
  });

  it('reads nested archives: a Spring Boot jar and an EAR with a WAR', () => {
    const boot = zip({
      'META-INF/MANIFEST.MF': manifest({ 'Main-Class': 'org.springframework.boot.loader.JarLauncher', 'Start-Class': 'com.example.App' }),
      'META-INF/maven/com.example/app/pom.properties': pom('com.example', 'app', '1.0.0'),
      'BOOT-INF/lib/log4j-core-2.14.1.jar': log4j,
      'BOOT-INF/lib/empty.jar': zip({ 'a.txt': 'x' }),
    }, true);
    const { packages, errors } = java.analyze([{ path: '/app/app.jar', content: boot }]);
    expect(errors).toEqual([]);
    expect(packages.map((p) => [p.name, p.filePath])).toEqual([
      ['com.example:app', '/app/app.jar'],
      ['org.apache.logging.log4j:log4j-core', '/app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar'],
    ]);

    const war = zip({ 'WEB-INF/lib/log4j-core-2.14.1.jar': log4j, 'META-INF/maven/com.example/web/pom.properties': pom('com.example', 'web', '2.0') });
    const ear = zip({ 'web.war': war, 'META-INF/application.xml': '<application/>' });
    const nested = java.analyze([{ path: '/opt/app.ear', content: ear }]).packages.map((p) => p.filePath);
    expect(nested).toEqual(['/opt/app.ear!/web.war', '/opt/app.ear!/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar']);
  });

  it('stops at nesting depth 3', () => {
    let inner = log4j;
    for (let i = 0; i < 5; i++) inner = zip({ [`level${i}.jar`]: inner });
    const { packages } = java.analyze([{ path: '/app/deep.jar', content: inner }]);
    expect(packages).toEqual([]);
    let shallow = log4j;
    for (let i = 0; i < 3; i++) shallow = zip({ [`level${i}.jar`]: shallow });
    expect(java.analyze([{ path: '/app/ok.jar', content: shallow }]).packages).toHaveLength(1);
  });

  it('reports an archive it cannot read, inner ones included', () => {
    const broken = Buffer.from('PK\x03\x04 this is not really a zip file');
    const outer = zip({ 'lib/broken.jar': broken, 'META-INF/maven/com.example/outer/pom.properties': pom('com.example', 'outer', '1') });
    const { packages, errors } = java.analyze([{ path: '/app/broken.jar', content: broken }, { path: '/app/outer.jar', content: outer }]);
    expect(packages.map((p) => p.name)).toEqual(['com.example:outer']);
    expect(errors.map((e) => e.path)).toEqual(['/app/broken.jar', '/app/outer.jar!/lib/broken.jar']);
    expect(errors[0].message).toMatch(/^not a readable zip archive/);
  });
});
