/** Definitions in, file texts out: the whole generator as one pure function (used by main and tests). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageEmitter, moduleName } from './emit.js';
import { emitApis, emitErrorCodes, emitSchemas } from './emit-index.js';
import { type MessageDef, parseMessage } from './spec.js';

/** Reads `specsDir`/messages/*.json and error-codes.tsv; returns file name → text for generated/. */
export function generate(specsDir: string, perVersion = false): Map<string, string> {
  const msgDir = join(specsDir, 'messages');
  const files = readdirSync(msgDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const messages: MessageDef[] = files.map((f) => parseMessage(f, readFileSync(join(msgDir, f), 'utf8')));
  const out = new Map<string, string>();
  for (const m of messages) out.set(`${moduleName(m)}.ts`, new MessageEmitter(m).emitModule(perVersion));
  const { apis, meta } = emitApis(messages);
  out.set('api-meta.ts', meta);
  out.set('apis.ts', apis);
  out.set('schemas.ts', emitSchemas(messages));
  out.set('error-codes.ts', emitErrorCodes(readFileSync(join(specsDir, 'error-codes.tsv'), 'utf8')));
  return out;
}
