/** A user message whose fenced `script` block drives the scripted model (docs/scripted-model.md). */
export function script(steps: unknown[]): string {
  return `\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}
