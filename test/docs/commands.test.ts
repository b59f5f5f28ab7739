import { describe, expect, it } from 'vitest';
import { localCommands, shellCommands } from './commands.js';

describe('shellCommands', () => {
  it('should join continued lines and quoted multi-line bodies, and drop comments', () => {
    const md = [
      '```sh',
      '# a comment',
      'npx fusion train --data a.jsonl \\',
      '  --out m.json   # trailing comment stays',
      "curl -s http://127.0.0.1:3000/v1/fuse/average -d '{",
      '  "a": 1}\'',
      '```',
      '```json',
      '{"not": "a command"}',
      '```',
    ].join('\n');
    expect(shellCommands(md)).toEqual([
      'npx fusion train --data a.jsonl \\\n  --out m.json   # trailing comment stays',
      "curl -s http://127.0.0.1:3000/v1/fuse/average -d '{\n  \"a\": 1}'",
    ]);
  });

  it('should keep only npx fusion and curl to the local server', () => {
    const md = '```sh\nnpx cdk deploy\ncurl -s https://example.com\ncurl -s http://127.0.0.1:3000/v1/health\nnpx fusion --help\n```\n';
    expect(localCommands(md)).toEqual(['curl -s http://127.0.0.1:3000/v1/health', 'npx fusion --help']);
  });
});
