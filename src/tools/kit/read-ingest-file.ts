/**
 * Read one file from the ingest folder (--ingest-dir) for upload, refusing anything whose content
 * does not live inside that folder, even when the folder changes during the call.
 *
 * Checking a path and then reading it by name is a race: a folder on the way can be swapped for a
 * symlink to somewhere else between the two. So the path is only used to open one descriptor
 * (O_NOFOLLOW: a symlink as the last component is refused; O_NONBLOCK: a FIFO cannot hang the open),
 * and every check after that is about the descriptor: fstat (a regular file of at most 10 MB), the
 * kernel's own path of the opened file (/proc/self/fd/N, on Linux), and its device and inode against
 * a walk from the real root that follows no symlink. The content is read from that same descriptor,
 * never by name.
 *
 * Without the kernel's path (macOS, Windows, a Linux without /proc) the walk alone is not enough for
 * a file in a sub-folder: its steps are separate lstat calls, and a folder swapped for a symlink
 * between two of them lets the last step reach the outside file the open reached (the race tests
 * show it). For a file directly in the folder there is no such step: the one lstat of its name
 * (which never follows a symlink) must find the very file opened (device and inode), so that file is
 * in the folder, whatever the open went through (Windows has no O_NOFOLLOW; this check does not need
 * it). So there, only files directly in the ingest folder are read, and a sub-folder path is refused,
 * saying why. The walk needs file identity: a file system that reports none (inode 0, as FAT and some
 * network shares do on Windows) cannot be checked, and reading from it is refused, saying so.
 */
import { constants, type BigIntStats } from "node:fs";
import { lstat, open, readlink, realpath, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { ToolInputError } from "./describe-error.js";

/** Clari's limit for one bulk upload. */
export const MAX_INGEST_FILE_BYTES = 10 * 1024 * 1024;

/** open(2) flags: O_NOFOLLOW where the platform has it (not Windows), O_NONBLOCK where it exists. */
const openFlags = (platform: NodeJS.Platform): number =>
  constants.O_RDONLY | (platform === "win32" ? 0 : (constants.O_NOFOLLOW ?? 0)) | (constants.O_NONBLOCK ?? 0);

const notConfigured = (): ToolInputError =>
  new ToolInputError("Reading files is disabled: start the server with --ingest-dir DIR (or CLARI_MCP_INGEST_DIR) to allow uploads from that folder, or pass the records inline.");
const notFound = (filePath: string): ToolInputError => new ToolInputError(`File not found in the ingest folder: ${filePath}`);
const outside = (filePath: string): ToolInputError => new ToolInputError(`${filePath} is outside the ingest folder; only files under it can be uploaded.`);
const notAFile = (filePath: string): ToolInputError => new ToolInputError(`${filePath} is not a file.`);
const noIdentity = (filePath: string): ToolInputError =>
  new ToolInputError(`${filePath} cannot be checked: the ingest folder's file system gives files no identity (inode), so the server cannot tell the file it opened is inside the folder. Move the folder to another drive (NTFS, APFS, ext4...) or pass the records inline.`);
const nested = (filePath: string): ToolInputError =>
  new ToolInputError(`${filePath} is in a sub-folder of the ingest folder, and on this system (no /proc) only files directly in the ingest folder can be uploaded: a sub-folder swapped for a link during the read could not be detected. Move the file into the ingest folder itself, or pass the records inline.`);
const tooBig = (filePath: string, bytes: number): ToolInputError =>
  new ToolInputError(`${filePath} is ${bytes} bytes; Clari accepts at most 10 MB per bulk upload. Split it into batches.`);

const isInside = (root: string, candidate: string): boolean => candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
const sameFile = (a: BigIntStats, b: BigIntStats): boolean => a.dev === b.dev && a.ino === b.ino;
const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/** `platform` is the running one; tests pass another to run the checks that platform gets. */
export async function readIngestFile(root: string | undefined, filePath: string, platform: NodeJS.Platform = process.platform): Promise<{ content: Buffer; fileName: string }> {
  if (!root) throw notConfigured();
  const realRoot = await realpath(root);
  // Where the name leads now: only a first filter (and what lets an inside symlink to an inside file
  // work); nothing below trusts it without checking the opened descriptor.
  let target: string;
  try {
    target = await realpath(path.resolve(realRoot, filePath));
  } catch {
    throw notFound(filePath);
  }
  if (!isInside(realRoot, target)) throw outside(filePath);
  const relative = path.relative(realRoot, target);
  const components = relative === "" ? [] : relative.split(path.sep);
  // Refuse what is plainly no regular file before opening it (opening a device can do things).
  const seen = await lstat(target, { bigint: true }).catch(() => undefined);
  if (!seen) throw notFound(filePath);
  if (!seen.isFile()) throw seen.isSymbolicLink() ? outside(filePath) : notAFile(filePath);

  let handle: FileHandle;
  try {
    handle = await open(target, openFlags(platform));
  } catch (error) {
    const code = errorCode(error);
    if (code === "ELOOP" || code === "EMLINK") throw outside(filePath); // the last component became a symlink
    if (code === "ENOENT" || code === "ENOTDIR") throw notFound(filePath);
    if (code === "ENXIO" || code === "EISDIR") throw notAFile(filePath);
    throw error;
  }
  try {
    const opened = await handle.stat({ bigint: true });
    if (!opened.isFile()) throw notAFile(filePath);
    if (opened.size > BigInt(MAX_INGEST_FILE_BYTES)) throw tooBig(filePath, Number(opened.size));
    await checkInside(handle.fd, opened, realRoot, components, filePath, platform);
    const content = await readBounded(handle, MAX_INGEST_FILE_BYTES + 1);
    if (content.length > MAX_INGEST_FILE_BYTES) throw tooBig(filePath, content.length);
    return { content, fileName: path.basename(filePath) };
  } finally {
    await handle.close();
  }
}

/**
 * Is the opened descriptor a file inside the real root? Both checks describe the descriptor itself.
 * Exported for its tests (a file system without identity cannot be made here).
 */
export async function checkInside(fd: number, opened: BigIntStats, realRoot: string, components: string[], filePath: string, platform: NodeJS.Platform): Promise<void> {
  if (opened.ino === 0n) throw noIdentity(filePath);
  // 1. The kernel's path of the open file (Linux): what was opened, whatever the names do now.
  //    Without it, only a file directly in the folder can be checked (see the top of this file).
  const kernelPath = platform === "linux" ? await readlink(`/proc/self/fd/${fd}`).catch(() => undefined) : undefined;
  if (kernelPath !== undefined && path.isAbsolute(kernelPath)) {
    if (!isInside(realRoot, kernelPath)) throw outside(filePath);
  } else if (components.length > 1) throw nested(filePath);
  // 2. Everywhere: walk from the real root without following symlinks; the file reached must be the
  //    one opened (same device and inode), and no folder on the way may be a symlink.
  let at = realRoot;
  for (const [i, name] of components.entries()) {
    at = path.join(at, name);
    const step = await lstat(at, { bigint: true }).catch(() => undefined);
    if (!step || step.isSymbolicLink()) throw outside(filePath);
    const last = i === components.length - 1;
    if (last ? !sameFile(step, opened) : !step.isDirectory()) throw outside(filePath);
  }
  if (components.length === 0) throw notAFile(filePath);
}

/** Read at most `limit` bytes from the handle's start. */
async function readBounded(handle: FileHandle, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const buffer = Buffer.allocUnsafe(Math.min(1024 * 1024, limit - total));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}
