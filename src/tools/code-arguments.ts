/**
 * The code in a code_interpreter call's arguments. Models do not always send the JSON they were asked for:
 * some send the code itself, some put raw newlines inside the JSON string, some wrap the code in a Markdown
 * fence. Each of those still means "run this code"; only arguments with no code at all are an error.
 */
export function codeFromArguments(args: string): { code: string } | { error: string } {
  const text = args.trim();
  if (!text) return { error: 'The call had no code: send {"code": "<python source>"}.' };
  const parsed = parseJson(text) ?? parseLooseCodeObject(text);
  if (typeof parsed === 'string') return nonEmpty(stripFence(parsed));
  // Anything else that is not an object (`42`, `[1, 2]`, not JSON at all) is Python as it stands.
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { code: stripFence(args) };
  const record = parsed as Record<string, unknown>;
  if (typeof record.code === 'string') return nonEmpty(stripFence(record.code));
  const strings = Object.values(record).filter((v): v is string => typeof v === 'string');
  if (strings.length === 1) return nonEmpty(stripFence(strings[0]!));
  return { error: `The arguments ${JSON.stringify(text.slice(0, 200))} hold no code: send {"code": "<python source>"}.` };
}

function nonEmpty(code: string): { code: string } | { error: string } {
  return code.trim() ? { code } : { error: 'The call had no code: send {"code": "<python source>"}.' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `{"code": "…"}` whose string holds raw control characters (invalid JSON, common in model output). */
function parseLooseCodeObject(text: string): string | undefined {
  const match = /^\{\s*"code"\s*:\s*"([\s\S]*)"\s*\}$/.exec(text);
  if (!match) return undefined;
  const escaped = match[1]!.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const value = parseJson(`"${escaped}"`);
  return typeof value === 'string' ? value : undefined;
}

function stripFence(code: string): string {
  const match = /^\s*```[A-Za-z0-9_+-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```\s*$/.exec(code);
  return match ? match[1]! : code;
}
