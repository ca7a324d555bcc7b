/**
 * Loaded with `node --import`: writes the URL of every module the process loads, one a line, to
 * the file named by MODULE_TRACE_FILE, before the module runs. register()'s hooks run on a thread
 * of their own, which imports this file again; only the main thread registers.
 */
import { appendFileSync } from 'node:fs';
import { type LoadHook, register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

export const load: LoadHook = (url, context, nextLoad) => {
  const file = process.env.MODULE_TRACE_FILE;
  if (file) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
};
