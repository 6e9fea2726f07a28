/**
 * The stack stage fed by the real PCL front end: what an operator writes is what lands in the
 * unit. The other tests of this directory use hand-built values; this one guards the seam.
 */
import { describe, expect, it } from "vitest";
import { evaluateProgram } from "../../src/lang/index.js";
import { composeStack } from "../../src/stack/compose.js";
import { renderSystemd } from "../../src/stack/render-systemd.js";

const HOST = `
module Api { pname = "api" version = "1.0" recipe = "std.files" files = [] }
module WebStack {
  backend = "systemd"
  services = [
    { name = "api" package = "Api" binary = "api" args = ["--port", "8080", "two words"]
      environment = {
        TOKEN = { from_env = "API_TOKEN" }
        MODE = "prod"
        DB = { from_vault = "db_pw" }
        UP = "http://\${ { from_artifact = "app/endpoint" } }/v1"
      } }
  ]
  configFiles = [ { path = "/etc/api/key" content = { from_file = "/run/k" } } ]
}
`;

describe("composing and rendering an evaluated host file", () => {
  it("renders what the operator wrote, secrets in secret files only", () => {
    const program = evaluateProgram([{ path: "hosts/web.pcl", text: HOST }]);
    expect(program.diagnostics).toEqual([]);
    const { stack, errors } = composeStack(program.modules, "WebStack");
    expect(errors).toEqual([]);
    if (!stack) return;
    expect(stack.secretRefs.map(String)).toEqual(["from_env:API_TOKEN", "from_vault:db_pw", "from_file:/run/k"]);
    expect(stack.artifactRefs.map((a) => a.id)).toEqual(["app/endpoint"]);

    const files = renderSystemd(stack, {
      storePathOf: (m) => `/store/hash-${m}`,
      secrets: new Map([
        ["from_env:API_TOKEN", "t0k"],
        ["from_vault:db_pw", "pw"],
        ["from_file:/run/k", "KEY"],
      ]),
      artifacts: new Map([["app/endpoint", "10.0.0.5"]]),
    });
    expect(files.map((f) => [f.path, f.mode, f.secret, f.content.toString()])).toEqual([
      ["/etc/api/key", 0o600, true, "KEY"],
      ["/etc/fleet/secrets/api.env", 0o600, true, 'DB="pw"\nTOKEN="t0k"\n'],
      [
        "/etc/systemd/system/api.service",
        0o644,
        false,
        [
          "# Managed by fleet (stack WebStack); edits are replaced on the next apply.",
          "[Unit]",
          "Description=api (fleet stack WebStack)",
          "",
          "[Service]",
          'ExecStart=/store/hash-Api/bin/api --port 8080 "two words"',
          "Environment=MODE=prod",
          "Environment=UP=http://10.0.0.5/v1",
          "EnvironmentFile=/etc/fleet/secrets/api.env",
          "Restart=on-failure",
          "Type=simple",
          "",
          "[Install]",
          "WantedBy=multi-user.target",
          "",
        ].join("\n"),
      ],
    ]);
  });
});
