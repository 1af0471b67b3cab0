import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { buildFixture } from '../../test/support/fixtures/write-fixture.js';
import { decodeText } from './decode-text.js';
import { parseHtml } from './parsers/html.js';
import { parseJson } from './parsers/json.js';
import { parsePptx } from './parsers/pptx.js';
import { parseXlsx } from './parsers/xlsx.js';
import { unzipParts } from './parsers/ooxml.js';

const text = async (p: Promise<{ ok: boolean; text?: string }>) => {
  const r = await p;
  assert.ok(r.ok, JSON.stringify(r));
  return r.text as string;
};

describe('decodeText', () => {
  it('guesses BOM-less UTF-16 in both byte orders and normalises line ends', () => {
    const s = 'Zeile eins\r\nZeile zwei – grün\r\n';
    const le = Buffer.from(s, 'utf16le');
    assert.deepEqual(decodeText(le), { ok: true, text: 'Zeile eins\nZeile zwei – grün\n' });
    assert.deepEqual(decodeText(Buffer.from(le).swap16()), { ok: true, text: 'Zeile eins\nZeile zwei – grün\n' });
  });

  it('keeps valid UTF-8 with a stray bad byte, and refuses binary data', () => {
    const mixed = Buffer.concat([Buffer.from('naïve café '), Buffer.from([0xff]), Buffer.from(' ok')]);
    assert.deepEqual(decodeText(mixed), { ok: true, text: 'naïve café \uFFFD ok' });
    const binary = Uint8Array.from({ length: 2048 }, (_, i) => (i * 131) % 256);
    assert.equal(decodeText(binary).ok, false);
  });
});

describe('parsers', () => {
  it('json: decodes escapes, keeps JSON Lines as written', async () => {
    assert.equal(await text(parseJson(strToU8('{"a":"caf\\u00e9","b":[],"c":{}}'))), '{\n  "a": "café",\n  "b": [],\n  "c": {}\n}');
    const lines = '{"a":1}\n{"a":2}\n';
    assert.equal(await text(parseJson(strToU8(lines))), lines);
  });

  it('html: drops scripts, styles and link targets, keeps heading case', async () => {
    const out = await text(parseHtml(strToU8('<h1>Quarterly Plan</h1><script>var secret=1</script><style>p{}</style><p>See <a href="http://x.test/y">the memo</a>.</p>')));
    assert.equal(out, 'Quarterly Plan\n\nSee the memo.');
  });

  it('xlsx: column gaps, inline strings, booleans, errors and shortest numbers', async () => {
    const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
    const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet';
    const bytes = zipSync({
      'xl/workbook.xml': strToU8(`<workbook ${ns} xmlns:r="x"><sheets><sheet name="Q1 &amp; Q2" r:id="rId1"/></sheets></workbook>`),
      'xl/_rels/workbook.xml.rels': strToU8(`<Relationships><Relationship Id="rId1" Type="${rel}" Target="/xl/worksheets/data.xml"/></Relationships>`),
      'xl/worksheets/data.xml': strToU8(
        `<worksheet ${ns}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><r><t>to</t></r><r><t xml:space="preserve">tal </t></r></is></c>` +
          '<c r="C1"><v>0.30000000000000004</v></c><c r="D1" t="b"><v>1</v></c><c r="E1" t="e"><v>#DIV/0!</v></c></row>' +
          '<row r="2"/><row r="3"><c r="B3" t="str"><f>A1</f><v>007</v></c></row></sheetData></worksheet>',
      ),
    });
    assert.equal(await text(parseXlsx(bytes)), 'Sheet: Q1 & Q2\ntotal \t\t0.3\tTRUE\t#DIV/0!\n\t007');
  });

  it('pptx: appends speaker notes to their slide', async () => {
    const parts = unzipParts(buildFixture('pptx', 'fact').bytes, () => true);
    const rels = parts.get('ppt/slides/_rels/slide3.xml.rels') ?? '';
    const note = '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide" Target="../notesSlides/notesSlide1.xml"/>';
    parts.set('ppt/slides/_rels/slide3.xml.rels', rels.replace('</Relationships>', `${note}</Relationships>`));
    parts.set('ppt/notesSlides/notesSlide1.xml', '<p:notes xmlns:a="a" xmlns:p="p"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>Say hello</a:t></a:r><a:br/><a:r><a:t>then wave</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>');
    const out = await text(parsePptx(zipSync(Object.fromEntries([...parts].map(([k, v]) => [k, strToU8(v)])))));
    assert.match(out, /^Slide 1\n[^]*\nNotes:\nSay hello\nthen wave\n\nSlide 2\nfact/);
  });

  it('pptx: refuses XML with a DTD (entity expansion) as invalid', async () => {
    const good = buildFixture('pptx', 'fact').bytes;
    const parts = unzipParts(good, () => true);
    parts.set('ppt/slides/slide3.xml', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><p:sld>&lol;</p:sld>');
    const rebuilt = zipSync(Object.fromEntries([...parts].map(([k, v]) => [k, strToU8(v)])));
    await assert.rejects(parsePptx(rebuilt), /DTD/);
  });

  it('zip: refuses archives that claim to expand beyond the limit', () => {
    // A small archive whose central directory claims a 2 GB entry, as zip bombs do.
    const bomb = zipSync({ 'xl/workbook.xml': strToU8('<workbook/>') });
    const central = Buffer.from(bomb).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    new DataView(bomb.buffer, bomb.byteOffset).setUint32(central + 24, 0x7fffffff, true);
    assert.throws(() => unzipParts(bomb, () => true), /more data than allowed/);
  });
});
