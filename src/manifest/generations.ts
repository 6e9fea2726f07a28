/** Reading a stack's generations through a Transport. */
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { Transport } from "../transport/transport.js";
import {
  currentPath,
  generationFileName,
  generationPath,
  parseGenerationFileName,
  stackDir,
  type GenerationNumber,
} from "./layout.js";
import { parseManifest, type Manifest } from "./manifest.js";

/** Every generation number with a manifest file, ascending (undone ones included). */
export async function listGenerations(transport: Transport, dir: string): Promise<GenerationNumber[]> {
  const names = (await transport.readdir(dir)) ?? [];
  return names
    .map(parseGenerationFileName)
    .filter((n): n is number => n !== null)
    .sort((a, b) => a - b);
}

/** `max(existing) + 1`: numbers are never reused, not even those of undone generations. */
export async function nextGeneration(transport: Transport, dir: string): Promise<GenerationNumber> {
  const all = await listGenerations(transport, dir);
  return (all.at(-1) ?? 0) + 1;
}

/** The generation `current` points at, or null when the stack was never deployed. */
export async function currentGeneration(transport: Transport, dir: string): Promise<GenerationNumber | null> {
  const link = await transport.readlink(currentPath(dir));
  if (link === null) return null;
  const n = parseGenerationFileName(link);
  if (n === null) {
    throw new FleetError(fleetMessages.currentLinkNotAGeneration(currentPath(dir), link));
  }
  return n;
}

export async function readGeneration(transport: Transport, dir: string, n: GenerationNumber): Promise<Manifest> {
  const path = generationPath(dir, n);
  // A manifest is a regular file of the stack's directory: a symlink (possibly out of the
  // deployments directory) is refused, never followed (ADR 130).
  const st = await transport.stat(path);
  if (st !== null && st.type !== "file") {
    throw new FleetError(fleetMessages.manifestNotRegularFile(path, st.type === "symlink" ? "a symlink" : "not a regular file"));
  }
  const bytes = await transport.readFile(path);
  if (bytes === null) {
    throw new FleetError(fleetMessages.manifestMissing(path, currentPath(dir)));
  }
  const m = parseManifest(bytes, path);
  if (m.generation !== n) {
    throw new FleetError(fleetMessages.manifestWrongGeneration(path, m.generation, n));
  }
  return m;
}

/** The manifest `current` names, or null when never deployed. */
export async function readCurrent(transport: Transport, dir: string): Promise<Manifest | null> {
  const n = await currentGeneration(transport, dir);
  return n === null ? null : readGeneration(transport, dir, n);
}

/** The current manifest of a stack on a target, or null when it was never deployed. */
export function readCurrentManifest(transport: Transport, deploymentsRoot: string, stack: string): Promise<Manifest | null> {
  return readCurrent(transport, stackDir(deploymentsRoot, stack));
}

/** Flip `current` to generation n with a relative symlink (temp symlink + rename). */
export async function flipCurrent(transport: Transport, dir: string, n: GenerationNumber): Promise<void> {
  await transport.symlinkAtomic(currentPath(dir), generationFileName(n));
}
