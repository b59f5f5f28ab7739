import { FusionError } from '../fusion/errors.js';
import { EXIT, type Io, usage, parseCommand } from './io.js';

export const help = `Usage: fusion serve [--port N] [--host ADDR]

Serves the HTTP API on this machine with the same handlers the Lambda functions run:
POST /v1/fuse/<strategy>, GET /v1/strategies, GET /v1/health, GET /v1/openapi.json,
and the playground page at GET /.
Profiles come from FUSION_STORE_DIR (default: .fusion/store/, where "fusion publish" writes,
then the shipped examples/profiles/), or from S3 when FUSION_BUCKET is set. Ctrl-C or SIGTERM
(kill with the pid it prints) stops it.

Options:
  -p, --port N      port (default: $PORT or 3000; 0 picks a free one)
      --host ADDR   address to bind (default: $HOST or 127.0.0.1)
  -h, --help        show this help

Environment: FUSION_MAX_BODY_BYTES (default 1048576), FUSION_LOG_PAYLOADS=true,
FUSION_CORS_ORIGINS, POWERTOOLS_LOG_LEVEL (default INFO: rejected requests and errors;
DEBUG adds one line per decision), POWERTOOLS_METRICS_DISABLED (default true here: set it to
false to see the EMF metric lines).
`;

const INLINE = { classes: ['negative', 'positive'], predictions: { text: { probabilities: [0.3, 0.7] }, audio: { logits: [0.1, 0.4] } } };

/** A ready-to-paste curl command fusing `body` with the average rule. */
function curlExample(url: string, body: unknown): string {
  return `curl -s ${url}/v1/fuse/average -H 'content-type: application/json' \\\n  -d '${JSON.stringify(body)}'`;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(argv, { port: { type: 'string', short: 'p' }, host: { type: 'string' } }, help, io);
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  const portText = args.port ?? io.env.PORT ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return usage(`Port must be a whole number from 0 to 65535 (got "${portText}").`, help, io);
  const host = args.host ?? io.env.HOST ?? '127.0.0.1';

  // Powertools reads these when the handlers load: metrics lines are noise on a laptop.
  process.env.POWERTOOLS_METRICS_DISABLED ??= io.env.POWERTOOLS_METRICS_DISABLED ?? 'true';
  const { startServer } = await import('../local/server.js');
  const { httpConfig } = await import('../http/config.js');
  const { PROFILE_EXAMPLE } = await import('../http/openapi.js');
  let server;
  try {
    server = await startServer({ port, host, env: io.env });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') io.stderr.write(`fusion serve: port ${port} on ${host} is already in use; stop the other server or pick another port, e.g. PORT=${port + 1} npm start\n`);
    else if (code === 'EACCES' || code === 'EADDRNOTAVAIL') io.stderr.write(`fusion serve: cannot listen on ${host}:${port} (${code}); try another HOST or PORT\n`);
    else if (e instanceof FusionError) io.stderr.write(`fusion serve: ${e.message}\n`);
    else throw e;
    return EXIT.failure;
  }
  const store = httpConfig(io.env).store;
  const hasSentiment = await store.listProfiles().then((names) => names.includes('sentiment'), () => false);
  io.stdout.write(
    `Late fusion API on ${server.url} (pid ${process.pid}; profiles: ${store.location})\n\nTry:\n  ${curlExample(server.url, hasSentiment ? PROFILE_EXAMPLE : INLINE)}\n\n` +
      `Routes: POST ${server.url}/v1/fuse/<strategy>, GET /v1/strategies, /v1/health, /v1/openapi.json. Ctrl-C stops it, or kill ${process.pid}.\n` +
      `Playground: ${server.url}/\n`,
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.stderr.write(`\n${signal}: stopping.\n`);
  // A second signal, or anything still holding the event loop after a second, ends the process.
  process.once(signal, () => process.exit(EXIT.failure));
  await server.close();
  setTimeout(() => process.exit(EXIT.ok), 1000).unref();
  return EXIT.ok;
}
