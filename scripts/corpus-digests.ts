/**
 * Writes test/lang/corpus-digests.txt: the digests of the front end's outputs over the
 * differential corpus (test/support/pcl-corpus.ts). Run it only when a change of output is
 * deliberate, and say which outputs changed in the commit: `npx tsx scripts/corpus-digests.ts`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { corpus, DIGEST_FILE, digestOf, formatDigests, type Digest, type Group } from "../test/support/pcl-corpus.js";

const root = join(import.meta.dirname, "..");
const all = new Map<Group, Digest[]>();
for (const group of ["seeds", "fleets", "mutants", "fuzz"] as const) all.set(group, corpus(root, group).map((input) => digestOf(input)));
writeFileSync(join(root, DIGEST_FILE), formatDigests(root, all));
console.log(`wrote ${DIGEST_FILE}: ${[...all].map(([g, d]) => `${g} ${d.length}`).join(", ")}`);
