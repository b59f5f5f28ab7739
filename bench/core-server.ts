/**
 * The middle rung of the HTTP section: a plain node:http server that does only the request's
 * own work with the fusion core (JSON.parse of the body, validation and the `average` rule,
 * the answer's decisionId, JSON.stringify of the answer), with no API Gateway event, no Lambda context, no middy and no
 * security headers. Its ratio to the bare server is the most any server answering this request
 * with this core can reach on the machine; `fusion serve` adds the layers the API requires.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fuseAny } from '../functions/fusion/fuse.js';
import { average } from '../functions/fusion/rules/average.js';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { decisionId?: string };
    const answer = fuseAny(average, input) as { decisionId?: string };
    answer.decisionId = input.decisionId;
    const body = JSON.stringify(answer);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`core-only server on http://127.0.0.1:${(server.address() as AddressInfo).port} Ctrl-C`));
