import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/server/markdown.js';

describe('result Markdown', () => {
  it('renders what agents write', () => {
    const md = '# Digest\n\nTwo **merged** PRs and *one* open:\n\n- [#12](https://github.com/o/r/pull/12) `fix: x`\n- #13\n\n| PR | state |\n|---|---|\n| 12 | merged |\n\n```sh\nnpm test\n```';
    expect(renderMarkdown(md)).toBe([
      '<h1>Digest</h1>',
      '<p>Two <strong>merged</strong> PRs and <em>one</em> open:</p>',
      '<ul><li><a href="https://github.com/o/r/pull/12" rel="noopener noreferrer nofollow">#12</a> <code>fix: x</code></li><li>#13</li></ul>',
      '<table><thead><tr><th>PR</th><th>state</th></tr></thead><tbody><tr><td>12</td><td>merged</td></tr></tbody></table>',
      '<pre><code class="language-sh">npm test</code></pre>',
    ].join('\n'));
  });

  it('lets no HTML, script or unsafe link through', () => {
    const evil = '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [y](data:text/html,hi) `<b>`\n\n```\n</code></pre><script>\n```';
    const html = renderMarkdown(evil);
    expect(html).not.toMatch(/<script|<img|href="javascript|href="data/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<code>&lt;b&gt;</code>');
    expect(html).toContain('[x](javascript:alert(1))');
  });
});
