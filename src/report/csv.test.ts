import { describe, expect, it } from 'vitest';
import { csvChunks, csvField, csvHeader, csvRecord, csvRow, type CsvColumn } from './csv.js';

describe('csvField', () => {
  it('leaves plain text alone and quotes a comma, a quote or a line break, doubling quotes', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('defuses cells a spreadsheet would evaluate, with a leading apostrophe', () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(csvField('+1+1')).toBe("'+1+1");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tcmd')).toBe("'\tcmd");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    // Only at the start: inside a value these are harmless.
    expect(csvField('a=b')).toBe('a=b');
  });

  it('writes numbers (negative ones too), booleans, dates, arrays and objects as data', () => {
    expect(csvField(-3)).toBe('-3');
    expect(csvField(0)).toBe('0');
    expect(csvField(true)).toBe('true');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02T03:04:05.000Z');
    expect(csvField(['CVE-1', 'GHSA-2'])).toBe('CVE-1; GHSA-2');
    expect(csvField({ a: 1, b: 'x' })).toBe('"{""a"":1,""b"":""x""}"');
  });
});

describe('records', () => {
  const columns: Array<CsvColumn<{ id: number; name: string }>> = [
    { header: 'id', value: (r) => r.id },
    { header: 'name, full', value: (r) => r.name },
  ];

  it('ends every record with CRLF and writes a header row', () => {
    expect(csvRecord(['a', 1, null])).toBe('a,1,\r\n');
    expect(csvHeader(columns)).toBe('id,"name, full"\r\n');
    expect(csvRow(columns, { id: 7, name: '=cmd' })).toBe("7,'=cmd\r\n");
  });

  it('streams the header, then one chunk per non-empty page', async () => {
    async function* pages() {
      yield [{ id: 1, name: 'a' }];
      yield [];
      yield [{ id: 2, name: 'b"c' }, { id: 3, name: 'd' }];
    }
    const chunks: string[] = [];
    for await (const c of csvChunks(columns, pages())) chunks.push(c);
    expect(chunks).toEqual(['id,"name, full"\r\n', '1,a\r\n', '2,"b""c"\r\n3,d\r\n']);
  });
});
