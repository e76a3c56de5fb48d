import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for Anthropic's Messages API, enough for the real Claude Code CLI
 * (`ANTHROPIC_BASE_URL`): every POST is answered as a stream of server-sent events. The
 * script decides each answer from the request: a tool call first, then text once the
 * CLI has sent a tool result back.
 */
export interface MessagesRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  tools?: { name: string }[];
}

export type Answer = { text: string } | { tool: string; input: Record<string, unknown> };

export interface MessagesApi {
  url: string;
  requests: MessagesRequest[];
  close(): Promise<void>;
}

/**
 * True when the CLI has sent a tool result back since the model's last answer. The CLI may
 * append messages of its own after it (role `system`: budget reminders), so look past them.
 */
export function answersTool(req: MessagesRequest): boolean {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i] as { role: string; content: unknown };
    if (m.role === 'assistant') return false;
    if (Array.isArray(m.content) && (m.content as { type?: string }[]).some((c) => c.type === 'tool_result')) return true;
  }
  return false;
}

export async function startMessagesApi(script: (req: MessagesRequest) => Answer): Promise<MessagesApi> {
  const requests: MessagesRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); return; }
      const parsed = JSON.parse(body) as MessagesRequest;
      if (req.url.startsWith('/v1/messages/count_tokens')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"input_tokens":10}'); return; }
      requests.push(parsed);
      const answer = script(parsed);
      const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': `req_${requests.length}` });
      send('message_start', { message: { id: `msg_${requests.length}`, type: 'message', role: 'assistant', model: parsed.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 100, output_tokens: 1 } } });
      if ('tool' in answer) {
        send('content_block_start', { index: 0, content_block: { type: 'tool_use', id: `toolu_${requests.length}`, name: answer.tool, input: {} } });
        send('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(answer.input) } });
      } else {
        send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: answer.text } });
      }
      send('content_block_stop', { index: 0 });
      send('message_delta', { delta: { stop_reason: 'tool' in answer ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 20 } });
      send('message_stop', {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
