/** Artifact ids (`machine/name`) and the values a consumer reads from its producers. Pure. */
import type { ArtifactGraph } from "./artifact-graph.js";

/** `app/endpoint` → [`app`, `endpoint`]. */
export function splitArtifact(id: string): [string, string] {
  const slash = id.indexOf("/");
  return [id.slice(0, slash), id.slice(slash + 1)];
}

/** Artifact values this host consumes, from its producers' outcomes (`machine/name` → value). */
export function consumedValues(
  graph: Pick<ArtifactGraph, "incoming">,
  index: number,
  producedBy: (producer: number) => Readonly<Record<string, string>> | undefined,
): Map<string, string> {
  const values = new Map<string, string>();
  for (const e of graph.incoming.get(index) ?? []) {
    const [, name] = splitArtifact(e.artifact);
    const v = producedBy(e.producer)?.[name];
    if (v !== undefined && !values.has(e.artifact)) values.set(e.artifact, v);
  }
  return values;
}
