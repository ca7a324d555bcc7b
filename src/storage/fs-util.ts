/**
 * Small file helpers for the storage layer: atomic replace (temp file, fsync, rename, fsync the
 * directory), directory fsync, and error wrapping into KafkaStorageError.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { ioError } from './errors.js';

/** fsyncs a directory so a rename/create/unlink in it is durable. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    throw ioError('fsync dir', dir, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    throw ioError('fsync dir', dir, err);
  } finally {
    await fh?.close();
  }
}

/** Replaces `path` with `data` atomically and durably: write `path.tmp`, fsync, rename, fsync dir. */
export function atomicWriteFileSync(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off, off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (err) {
    throw ioError('atomic write', path, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  fsyncDirSync(dirname(path));
}

/** Async form of atomicWriteFileSync (the thread pool does the I/O). */
export async function atomicWriteFile(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (err) {
    throw ioError('atomic write', path, err);
  }
  await fsyncDir(dirname(path));
}

/** Reads a whole small file, or null when it does not exist. */
export function readFileIfExists(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError('read', path, err);
  }
}

/** Size of a file, or -1 when it does not exist. */
export function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw ioError('stat', path, err);
  }
}

export function unlinkIfExists(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('unlink', path, err);
  }
}

/** Positioned write of the whole buffer range (loops on short writes). */
export function writeFully(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, offset + done, length - done, position + done);
}

/** Positioned read of exactly `length` bytes unless the file ends first; returns bytes read. */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
