/**
 * The ceiling no server doing the work reaches: Fastify answering each benchmarked route with the
 * bytes Steward answered it with, recorded once. Run by bench/http.bench.ts as a child process:
 *   node bench/http/bare-server.ts <recorded.json> <port>
 * where recorded.json maps "METHOD /url" to { status, contentType, body }.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [file = '', port = '0'] = process.argv.slice(2);
const recorded = JSON.parse(readFileSync(file, 'utf8')) as Record<
  string,
  { status: number; contentType: string; body: string }
>;
const answers = new Map(
  Object.entries(recorded).map(([k, v]) => [k, { ...v, bytes: Buffer.from(v.body, 'utf8') }] as const),
);

const app = Fastify({ logger: false });
// Bodies are read but not parsed: the answer is the same whatever was sent.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));
app.all('/*', async (request, reply) => {
  const answer = answers.get(`${request.method} ${request.url}`);
  if (!answer) return reply.code(404).send('not recorded');
  return reply.code(answer.status).header('content-type', answer.contentType).send(answer.bytes);
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.send?.({ ready: true });
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
