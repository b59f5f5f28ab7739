/**
 * The shell commands of a Markdown document's code blocks (```sh, ```bash, ```shell), one per
 * logical command: lines continued with a trailing backslash, or inside a single-quoted
 * string, are joined; comment-only lines are dropped.
 */
export function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  const blocks = markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm);
  for (const [, body] of blocks) {
    let pending = '';
    for (const line of body!.split('\n')) {
      if (!pending && (line.trim() === '' || line.trim().startsWith('#'))) continue;
      pending += (pending ? '\n' : '') + line;
      const quotes = (pending.match(/'/g) ?? []).length;
      if (pending.endsWith('\\') || quotes % 2 === 1) continue;
      commands.push(pending.trim());
      pending = '';
    }
    if (pending.trim()) commands.push(pending.trim());
  }
  return commands;
}

/** The README commands a user runs against this repository: `npx fusion ...`, and curl to the local server. */
export function localCommands(markdown: string, localUrl = 'http://127.0.0.1:3000'): string[] {
  return shellCommands(markdown).filter((c) => c.startsWith('npx fusion ') || (c.startsWith('curl ') && c.includes(localUrl)));
}
