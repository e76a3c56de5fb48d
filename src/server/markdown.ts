import { esc } from './html.js';

/**
 * Markdown to HTML that is safe by construction: every character of the input is escaped,
 * and the only tags in the output are the ones made here (no raw HTML passes, links only
 * to http, https and mailto). Covers what agents write: headings, paragraphs, lists, quotes,
 * fenced code, pipe tables, rules; inline code, bold, italics, links.
 */
export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  const para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${inline(para.join('\n'))}</p>`);
    para.length = 0;
  };
  while (i < lines.length) {
    const line = lines[i] as string;
    const fence = /^\s*(```+|~~~+)\s*([\w+-]*)/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).trim().startsWith(fence[1] as string); i++) body.push(lines[i] as string);
      i++;
      out.push(`<pre><code${fence[2] ? ` class="language-${esc(fence[2])}"` : ''}>${esc(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      const level = (heading[1] as string).length;
      out.push(`<h${level}>${inline(heading[2] as string)}</h${level}>`);
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push('<hr>');
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      flush();
      const body: string[] = [];
      for (; i < lines.length && /^\s*>/.test(lines[i] as string); i++) body.push((lines[i] as string).replace(/^\s*>\s?/, ''));
      out.push(`<blockquote>${renderMarkdown(body.join('\n'))}</blockquote>`);
      continue;
    }
    const item = /^(\s*)([-*+]|\d{1,9}[.)])\s+/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[2] as string);
      const items: string[] = [];
      for (; i < lines.length; i++) {
        const l = lines[i] as string;
        const m = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(l);
        if (m && /\d/.test(m[2] as string) === ordered) items.push(m[3] as string);
        else if (l.trim() && /^\s{2,}/.test(l) && items.length) items[items.length - 1] += `\n${l.trim()}`;
        else break;
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${items.map((t) => `<li>${inline(t.replace(/^\[([ xX])\]\s+/, (_, c: string) => (c === ' ' ? '☐ ' : '☑ ')))}</li>`).join('')}</${tag}>`);
      continue;
    }
    if (line.includes('|') && /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(lines[i + 1] ?? '')) {
      flush();
      const cells = (l: string) => l.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      const head = cells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && (lines[i] as string).includes('|') && (lines[i] as string).trim(); i++) rows.push(cells(lines[i] as string));
      out.push(`<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
      continue;
    }
    if (!line.trim()) flush();
    else para.push(line);
    i++;
  }
  flush();
  return out.join('\n');
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** Inline code, links, bold and italics, on text escaped first; code spans are kept apart so nothing inside them changes. */
function inline(text: string): string {
  const codes: string[] = [];
  let s = text.replace(/`([^`\n]+)`/g, (_, code: string) => {
    codes.push(`<code>${esc(code)}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  s = esc(s);
  s = s.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (whole, label: string, href: string) => {
    // href is escaped already; compare the scheme on the text the browser will see.
    const raw = href.replace(/&amp;/g, '&');
    return SAFE_URL.test(raw) ? `<a href="${href}" rel="noopener noreferrer nofollow">${label}</a>` : whole;
  });
  s = s.replace(/\*\*([^*\n]+)\*\*|__([^_\n]+)__/g, (_, a?: string, b?: string) => `<strong>${a ?? b}</strong>`);
  s = s.replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)|(^|[^_\w])_([^_\n]+)_(?!\w)/g, (_, p1?: string, a?: string, p2?: string, b?: string) => `${p1 ?? p2 ?? ''}<em>${a ?? b}</em>`);
  s = s.replace(/\n/g, '<br>');
  return s.replace(/\u0000(\d+)\u0000/g, (_, n: string) => codes[Number(n)] as string);
}
