/** `--only NAME,@tag` (SPEC §7): select host records by machine name, stack name or tag. Pure. */
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { HostRecord } from "./fleet-model.js";

/** Indexes of the selected records, in fleet-file order; undefined selection = every host. */
export function selectHosts(hosts: readonly HostRecord[], only: readonly string[] | undefined): Set<number> {
  if (only === undefined || only.length === 0) return new Set(hosts.map((h) => h.index));
  const selectors = only.flatMap((o) => o.split(",")).map((s) => s.trim()).filter((s) => s !== "");
  if (selectors.length === 0) throw new UsageError(fleetMessages.onlyNeedsSelector());
  const picked = new Set<number>();
  const unknown: string[] = [];
  for (const sel of selectors) {
    const matches = sel.startsWith("@")
      ? hosts.filter((h) => h.tags.includes(sel.slice(1)))
      : hosts.filter((h) => h.machine === sel || h.stack === sel);
    if (matches.length === 0) unknown.push(sel);
    for (const h of matches) picked.add(h.index);
  }
  if (unknown.length > 0) {
    const names = [...new Set(hosts.flatMap((h) => [h.machine, h.stack]).filter((n): n is string => n !== null))].sort();
    const tags = [...new Set(hosts.flatMap((h) => h.tags))].sort().map((t) => `@${t}`);
    throw new UsageError(fleetMessages.onlyMatchesNoHost(unknown.map((u) => `'${u}'`).join(", "), names.join(", ") || "(none)", tags.join(", ") || "(none)"));
  }
  return picked;
}
